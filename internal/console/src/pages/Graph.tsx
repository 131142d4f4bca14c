import { useMemo } from "preact/hooks";
import { useLocation } from "preact-iso";
import { DepGraph, impactElements, MAX_DRAWN, type GraphElements } from "../components/DepGraph";
import { NodeList } from "../components/NodeList";
import { Empty, ErrorBox, Loading } from "../components/ui";
import { plural, words } from "../format";
import { useQuery, useTitle } from "../hooks";
import IMPACT from "../queries/graph.graphql";
import SERVICE_MAP from "../queries/servicemap.graphql";
import type { CIRef, Impact } from "../types";

export const RELATIONSHIP_TYPES = ["DEPENDS_ON", "RUNS_ON", "HOSTED_ON", "CONNECTS_TO", "MEMBER_OF", "USES", "BACKS_UP_TO", "REPLICATES_TO"];
const DIRECTIONS = ["BOTH", "DEPENDENTS", "DEPENDENCIES"] as const;

/** /ci/:id/graph (a CI's walks, with filters) and /services/:id/map. */
export function GraphPage({ id }: { id: string }) {
  const { path } = useLocation();
  return path.startsWith("/services/") ? <ServiceMapPage id={id} /> : <CIGraphPage id={id} />;
}

function CIGraphPage({ id }: { id: string }) {
  const { query, path, route } = useLocation();
  const direction = (DIRECTIONS as readonly string[]).includes(query.direction) ? query.direction : "BOTH";
  const depth = Math.min(Math.max(Number(query.depth) || 3, 1), 50);
  const types = (query.types ?? "").split(",").filter((t) => RELATIONSHIP_TYPES.includes(t));
  const vars = {
    ci: id,
    depth,
    types: types.length ? types : null,
    limit: 5000,
    dependents: direction !== "DEPENDENCIES",
    dependencies: direction !== "DEPENDENTS",
  };
  const { data, error, loading } = useQuery<{ node: CIRef | null; dependents?: Impact; dependencies?: Impact }>(IMPACT, vars);
  const root = data?.node;
  useTitle(root ? `Graph of ${root.name}` : "Dependency graph");
  const set = (k: string, v: string | null) => {
    const p = new URLSearchParams(query as Record<string, string>);
    if (v) p.set(k, v);
    else p.delete(k);
    route(`${path}?${p}`);
  };
  const elements = useMemo(() => (root ? impactElements(root, data?.dependents, data?.dependencies) : null), [data]);

  return (
    <div class="page">
      <header class="page-h">
        <h1>Dependency graph{root ? <> of <a href={`/ci/${root.id}`}>{root.name}</a></> : null}</h1>
      </header>
      <form class="filters" onSubmit={(e) => e.preventDefault()} aria-label="Graph filters">
        <label>
          Direction{" "}
          <select value={direction} onChange={(e) => set("direction", (e.target as HTMLSelectElement).value)}>
            <option value="BOTH">both</option>
            <option value="DEPENDENTS">what breaks with it</option>
            <option value="DEPENDENCIES">what it needs</option>
          </select>
        </label>
        <label>
          Depth{" "}
          <select value={String(depth)} onChange={(e) => set("depth", (e.target as HTMLSelectElement).value)}>
            {[1, 2, 3, 4, 5, 6, 8, 10, 20, 50].map((d) => (
              <option key={d} value={String(d)}>{d}</option>
            ))}
          </select>
        </label>
        <fieldset class="types">
          <legend>Relationship types</legend>
          {RELATIONSHIP_TYPES.map((t) => (
            <label key={t}>
              <input
                type="checkbox"
                checked={types.includes(t)}
                onChange={(e) => {
                  const on = (e.target as HTMLInputElement).checked;
                  const next = on ? [...types, t] : types.filter((x) => x !== t);
                  set("types", next.join(",") || null);
                }}
              />{" "}
              {words(t)}
            </label>
          ))}
          <span class="muted small">{types.length ? "" : "(none ticked: all types)"}</span>
        </fieldset>
      </form>
      {error ? <ErrorBox error={error} /> : null}
      {loading && !data ? <Loading what="Walking the graph" /> : null}
      {data && !root ? <Empty>No CI has the ID {id}.</Empty> : null}
      {root && elements ? (
        <>
          <p class="muted">
            {data?.dependents ? `${plural(data.dependents.count, "dependent")}${data.dependents.truncated ? " (capped)" : ""}` : ""}
            {data?.dependents && data?.dependencies ? " · " : ""}
            {data?.dependencies ? `${plural(data.dependencies.count, "dependency", "dependencies")}${data.dependencies.truncated ? " (capped)" : ""}` : ""}
          </p>
          <DepGraph key={JSON.stringify(vars)} root={root} elements={elements} height={560} />
          <NodeList elements={elements} />
        </>
      ) : null}
    </div>
  );
}

function ServiceMapPage({ id }: { id: string }) {
  const { data, error, loading } = useQuery<{
    node: { id: string; name: string; tier: number } | null;
    serviceMap: { nodes: { id: string; type: string; label: string; ciKind: string | null; tier: number | null; inService: boolean }[]; edges: { from: string; to: string; type: string }[] };
  }>(SERVICE_MAP, { id });
  const svc = data?.node;
  useTitle(svc ? `Map of ${svc.name}` : "Service map");
  const elements = useMemo<GraphElements | null>(() => {
    if (!data?.serviceMap) return null;
    const m = data.serviceMap;
    const drawn = m.nodes.slice(0, MAX_DRAWN);
    const ids = new Set(drawn.map((n) => n.id));
    return {
      nodes: drawn.map((n) => ({
        id: n.id,
        label: n.label,
        kind: n.type === "SERVICE" ? "SERVICE" : n.ciKind ?? "CI",
        service: n.type === "SERVICE",
        root: n.id === id,
        href: n.type === "SERVICE" ? `/services/${n.id}` : `/ci/${n.id}`,
      })),
      edges: m.edges.filter((e) => ids.has(e.from) && ids.has(e.to)),
      note: m.nodes.length > drawn.length ? `${m.nodes.length - drawn.length} of ${m.nodes.length} nodes are left out of the drawing; all are listed below.` : undefined,
    };
  }, [data]);
  return (
    <div class="page">
      <h1>Service map{svc ? <> of <a href={`/services/${svc.id}`}>{svc.name}</a></> : null}</h1>
      {error ? <ErrorBox error={error} /> : null}
      {loading && !data ? <Loading /> : null}
      {data && !svc ? <Empty>No service has the ID {id}.</Empty> : null}
      {svc && elements ? (
        <>
          <DepGraph root={{ id: svc.id, name: svc.name, kind: "SERVICE" }} elements={elements} height={560} />
          <NodeList elements={elements} />
        </>
      ) : null}
    </div>
  );
}

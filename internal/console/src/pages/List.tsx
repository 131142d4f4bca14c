import { useEffect, useMemo, useRef } from "preact/hooks";
import { useLocation } from "preact-iso";
import { Empty, ErrorBox, Loading } from "../components/ui";
import { LIST_ORDER, LISTS, type ListDef, type RefKind } from "../components/ListKinds";
import { buildWhere, ListFilters, REF_FIELDS, type RefOptions } from "../components/ListFilters";
import { ListPager, ListTable, PAGE_SIZES, pageArgs, trimPage, type Connection } from "../components/ListTable";
import { plural } from "../format";
import { useQuery, useTitle } from "../hooks";
import { useSession } from "../session";
import REFS from "../queries/list-refs.graphql";

/** Parameters that place the reader within a list; any other change starts again at the first page. */
const PAGING = ["after", "before", "from", "open"];

/**
 * /list/:kind: one list of the API (CIs, services, owners, vendors,
 * contracts, assets, change records, discovery jobs and runs, drifts,
 * locations) with its filters and order, paged by cursor. Everything it
 * shows is in the URL: filters, order, page size, the cursor.
 */
export function ListPage({ kind }: { kind: string }) {
  const def = LISTS[kind];
  useTitle(def ? def.title : "No such list");
  return (
    <div class="page list-page">
      {def ? <ListView key={kind} def={def} /> : <UnknownList kind={kind} />}
    </div>
  );
}

function ListTabs({ current }: { current: string }) {
  const { can } = useSession();
  return (
    <nav aria-label="Lists" class="list-tabs">
      <ul>
        {LIST_ORDER.filter((k) => !LISTS[k].admin || can("ADMIN")).map((k) => (
          <li key={k}>
            <a href={`/list/${k}`} aria-current={k === current ? "page" : undefined}>
              {LISTS[k].title}
            </a>
          </li>
        ))}
      </ul>
    </nav>
  );
}

function UnknownList({ kind }: { kind: string }) {
  return (
    <>
      <h1>No such list</h1>
      <p class="notice" role="alert">
        There is no list called “{kind.slice(0, 80)}”. The lists are:
      </p>
      <ListTabs current="" />
    </>
  );
}

function ListView({ def }: { def: ListDef }) {
  const { path, query, route } = useLocation();
  const { can } = useSession();
  const admin = can("ADMIN");

  const size = PAGE_SIZES.includes(Number(query.size)) ? Number(query.size) : 20;
  const order = def.orders.includes(query.order) ? query.order : def.defaultOrder.field;
  const direction = query.dir === "ASC" || query.dir === "DESC" ? query.dir : order === def.defaultOrder.field ? def.defaultOrder.direction : "ASC";
  const from = query.after || query.before ? (/^\d{1,9}$/.test(query.from ?? "") && Number(query.from) > 0 ? Number(query.from) : null) : 1;
  const { where, ignored } = useMemo(() => buildWhere(def, query), [def, query]);

  const href = (changes: Record<string, string | null>, keepPlace = true) => {
    const p = new URLSearchParams();
    for (const [k, v] of Object.entries(query)) if (v) p.set(k, v);
    if (!keepPlace) for (const k of PAGING) p.delete(k);
    for (const [k, v] of Object.entries(changes)) {
      if (v === null || v === "") p.delete(k);
      else p.set(k, v);
    }
    const s = p.toString();
    return s ? `${path}?${s}` : path;
  };
  // A new filter, order or size starts at the first page; opening a row's details keeps the place.
  const set = (changes: Record<string, string | null>, replace = false) =>
    route(href(changes, Object.keys(changes).every((k) => k === "open")), replace);

  const denied = !!def.admin && !admin;
  const vars = {
    ...pageArgs(size, query.after, query.before),
    orderBy: [{ field: order, direction }],
    where,
  };
  const { data, error, loading } = useQuery<{ list: Connection }>(def.query, vars, denied, { keepPrevious: true });

  const refKinds = [...new Set(def.filters.filter((f) => f.type === "ref").map((f) => f.ref!))].filter((k) => k !== "jobs" || admin);
  const refVars = Object.fromEntries((["owners", "vendors", "locations", "services", "jobs"] as RefKind[]).map((k) => [k, refKinds.includes(k)]));
  const refQ = useQuery<Record<string, { totalCount: number; edges: { node: { id: string; name: string } }[] } | undefined>>(
    REFS,
    refVars,
    refKinds.length === 0,
  );
  const refs: RefOptions | undefined = refQ.data
    ? Object.fromEntries(
        Object.entries(REF_FIELDS).map(([k, f]) => {
          const c = refQ.data![f];
          return [k, Object.assign(c?.edges.map((e) => e.node) ?? [], { total: c?.totalCount ?? 0 })];
        }),
      )
    : undefined;

  // A new page: bring the top of the table into view if it scrolled away.
  const top = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = top.current;
    if (el && el.getBoundingClientRect().top < 0) el.scrollIntoView({ block: "start" });
  }, [query.after, query.before]);

  const conn = useMemo(() => (data ? trimPage(data.list, size, query.after, query.before) : undefined), [data]);
  const clearHref = href(Object.fromEntries(def.filters.map((f) => [f.key, null])), false);
  return (
    <>
      <header class="page-h">
        <h1>{def.title}</h1>
        <p class="list-total" role="status" aria-live="polite">
          {conn ? plural(conn.totalCount, def.one) + (where ? " match" : "") : ""}
        </p>
      </header>
      <ListTabs current={def.kind} />
      {denied ? (
        <p class="notice">
          Only admins may see {def.title.toLowerCase()}: the API refuses them to other roles.{" "}
          <a href={`/signin?next=${encodeURIComponent(path)}`}>Sign in with an admin token</a>.
        </p>
      ) : (
        <>
          <ListFilters def={def} query={query} order={order} direction={direction} refs={refs} set={set} clearHref={clearHref} />
          {ignored.length ? (
            <p class="notice">
              Left out of the filter (not a value the API takes): {ignored.join(", ")}.
            </p>
          ) : null}
          <div ref={top} class="list-top" />
          {error ? (
            <>
              <ErrorBox error={error} />
              {query.after || query.before ? (
                <p>
                  <a href={href({}, false)}>Start again at the first page</a>
                </p>
              ) : null}
            </>
          ) : !conn ? (
            <Loading what={`Loading ${def.title.toLowerCase()}`} />
          ) : (
            <div class={loading ? "list-body list-loading" : "list-body"} aria-busy={loading ? "true" : undefined}>
              {conn.edges.length ? (
                <ListTable def={def} rows={conn.edges.map((e) => e.node)} order={order} direction={direction} open={query.open} set={set} />
              ) : (
                <Empty>
                  No {plural(0, def.one).replace(/^0 /, "")} {where ? "match these filters" : "recorded"}.{" "}
                  {where ? <a href={clearHref}>Clear the filters</a> : null}
                </Empty>
              )}
              <ListPager def={def} conn={conn} from={from} size={size} href={(c) => href(c)} set={set} />
            </div>
          )}
        </>
      )}
    </>
  );
}

import { useEffect, useMemo, useState } from "preact/hooks";
import type { FunctionComponent } from "preact";
import { takeOver } from "../cache";
import type { GraphProps } from "../components/DepGraph";
import { Badge, Empty, ErrorBox, Facts, Kind, Loading, Section } from "../components/ui";
import { date, dateTime, fieldWords, money, plural, QUIET_FIELDS, relative, webURL, words } from "../format";
import { useQuery, useTitle, type QueryState } from "../hooks";
import { incidentMarkdown } from "../markdown";
import FRAGMENT from "../queries/fragments/incident.graphql";
import BY_ID from "../queries/incident.graphql";
import GRAPH from "../queries/graph.graphql";
import CI_INCIDENTS from "../queries/ci-incidents.graphql";
import { IncidentStatus } from "../components/incidents";
import type { CIRef, Impact, ImpactCount, IncidentContext } from "../types";

const query = FRAGMENT + BY_ID;

/** The page the on-call engineer lands on: everything about one CI. */
export function IncidentPage({ id }: { id: string }) {
  const handed = useMemo(() => takeOver<IncidentContext>(`ci:${id}`), [id]);
  const { data, error, loading } = useQuery<{ configurationItemContext: IncidentContext | null }>(query, { id }, !!handed);
  const ic = handed ?? data?.configurationItemContext ?? null;
  useTitle(ic ? ic.ci.name : "Incident view");
  if (loading && !ic) return <Loading what="Loading the CI" />;
  if (error) return <div class="page"><ErrorBox error={error} /></div>;
  if (!ic) return <div class="page"><h1>No such CI</h1><Empty>No configuration item has the ID {id}.</Empty></div>;
  return <Incident ic={ic} />;
}

function Incident({ ic }: { ic: IncidentContext }) {
  const ci = ic.ci;
  const graph = useGraphData(ci.id);
  return (
    <div class="page incident">
      <header class="page-h">
        <div>
          <h1>{ci.name}</h1>
          <p class="sub">
            <Kind kind={ci.kind} /> <Badge>{words(ci.environment)}</Badge> <Badge tone={ci.status === "ACTIVE" ? "ok" : "warn"}>{words(ci.status)}</Badge>{" "}
            <Badge tone={ci.criticality === "CRITICAL" || ci.criticality === "HIGH" ? "bad" : "plain"}>{words(ci.criticality)} criticality</Badge>
            {ci.fqdn ? <span class="muted"> {ci.fqdn}</span> : null}
          </p>
        </div>
        <div class="actions">
          <a class="btn b-plain" href={`/ci/${ci.id}/graph`}>Dependency graph</a>
          <a class="btn b-plain" href={`/ci/${ci.id}/details`}>Details &amp; history</a>
          <CopySummary ic={ic} />
        </div>
      </header>
      <MatchNote ic={ic} />
      {ci.description ? <p>{ci.description}</p> : null}
      <div class="grid">
        <OwnerCard ic={ic} />
        <Section title="Services" id="services">
          {ic.services.length ? (
            <ul class="rows">
              {ic.services.map((s) => (
                <li key={s.id}>
                  <a href={`/services/${s.id}`}>{s.name}</a> <Badge tone={s.tier <= 1 ? "bad" : "plain"}>tier {s.tier}</Badge>
                  <span class="muted">
                    {s.sloTarget !== null ? ` SLO ${s.sloTarget}%` : ""}
                    {s.rtoMinutes !== null ? ` · RTO ${s.rtoMinutes} min` : ""}
                    {s.rpoMinutes !== null ? ` · RPO ${s.rpoMinutes} min` : ""}
                  </span>
                  {s.runbookURL ? (
                    <>
                      {" "}
                      {webURL(s.runbookURL) ? (
                        <a href={webURL(s.runbookURL)!} rel="noreferrer noopener" target="_blank">
                          runbook<span class="sr-only"> of {s.name}</span>
                        </a>
                      ) : (
                        <span class="muted">runbook: {s.runbookURL}</span>
                      )}
                    </>
                  ) : null}
                </li>
              ))}
            </ul>
          ) : (
            <Empty>In no service.</Empty>
          )}
        </Section>
        <Section title="Blast radius" id="blast">
          <Facts
            rows={[
              ["What breaks with it", <a href={`/ci/${ci.id}/graph?direction=DEPENDENTS`}>{countOf(ic.dependents, "dependent")}</a>],
              ["What it needs", <a href={`/ci/${ci.id}/graph?direction=DEPENDENCIES`}>{countOf(ic.dependencies, "dependency", "dependencies")}</a>],
            ]}
          />
          <NearLists data={graph.data} />
        </Section>
        <Section title="Support and warranty" id="support">
          {ic.vendor ? (
            <p>
              Vendor <strong>{ic.vendor.name}</strong>
              {ic.vendor.supportPhone ? ` · ${ic.vendor.supportPhone}` : ""}
              {ic.vendor.supportEmail ? ` · ${ic.vendor.supportEmail}` : ""}
            </p>
          ) : null}
          {ic.supportContracts.length ? (
            <ul class="rows">
              {ic.supportContracts.map((c) => (
                <li key={c.id}>
                  <strong>{c.vendor?.name ?? "—"}</strong> {words(c.kind)} {c.number}
                  {c.slaResponseMinutes !== null ? <Badge tone="info">SLA {c.slaResponseMinutes} min</Badge> : null}
                  <span class="muted"> {c.supportContact ?? ""} · until {date(c.endDate)}</span>
                </li>
              ))}
            </ul>
          ) : (
            <Empty>No support contract in force.</Empty>
          )}
          <Facts
            rows={[
              [
                "Warranty",
                ic.warranty ? (
                  <>
                    <Badge tone={ic.warranty.active ? "ok" : "warn"}>{ic.warranty.active ? "active" : "ended"}</Badge> ends {date(ic.warranty.endDate)}
                    {ic.warranty.daysLeft !== null
                      ? ic.warranty.daysLeft >= 0
                        ? ` (${plural(ic.warranty.daysLeft, "day")} left)`
                        : ` (${plural(-ic.warranty.daysLeft, "day")} ago)`
                      : ""}
                  </>
                ) : (
                  "none recorded"
                ),
              ],
              ["Book value", ic.bookValue ? money(ic.bookValue) : "no asset record"],
            ]}
          />
        </Section>
        <Section title={`Open drifts (${ic.openDrifts.length})`} id="drifts" actions={<a href={`/drifts?ci=${ci.id}`}>Drift desk</a>}>
          {ic.openDrifts.length ? (
            <ul class="rows">
              {ic.openDrifts.map((d) => (
                <li key={d.id}>
                  <Badge tone={d.authorized ? "info" : "bad"}>{words(d.kind)}</Badge> {d.field ?? ""}{" "}
                  {d.recorded !== null || d.observed !== null ? (
                    <span class="muted">
                      {d.recorded ?? "—"} → {d.observed ?? "—"}
                    </span>
                  ) : null}{" "}
                  <span class="muted">seen {relative(d.lastSeenAt)}</span>
                </li>
              ))}
            </ul>
          ) : (
            <Empty>No open drift.</Empty>
          )}
        </Section>
        <RecentIncidents id={ci.id} />
        <Section title="Recent changes" id="changes" actions={<a href={`/ci/${ci.id}/details#history`}>History</a>}>
          {ic.recentChanges.length ? (
            <ol class="rows">
              {ic.recentChanges.map((e) => (
                <li key={e.id}>
                  <time dateTime={e.at}>{dateTime(e.at)}</time> <strong>{e.actor}</strong> {words(e.action)}{" "}
                  <span class="muted">
                    {e.changes
                      .filter((c) => !QUIET_FIELDS.has(c.field))
                      .map((c) => fieldWords(c.field))
                      .join(", ")}
                  </span>
                </li>
              ))}
            </ol>
          ) : (
            <Empty>No change recorded.</Empty>
          )}
        </Section>
        <Section title="Identifiers" id="identifiers">
          {ci.identifiers?.length ? (
            <div class="table-wrap">
            <table class="table compact">
              <caption class="sr-only">Identifiers</caption>
              <thead>
                <tr><th scope="col">Kind</th><th scope="col">Value</th><th scope="col">Scope</th><th scope="col">Source</th></tr>
              </thead>
              <tbody>
                {ci.identifiers.map((i) => (
                  <tr key={`${i.kind}-${i.value}-${i.scope}`}>
                    <td>{words(i.kind)}</td><td><code>{i.value}</code></td><td>{i.scope ?? "—"}</td><td>{i.source}</td>
                  </tr>
                ))}
              </tbody>
            </table>
            </div>
          ) : (
            <Empty>No identifier recorded.</Empty>
          )}
        </Section>
      </div>
      <GraphSection ic={ic} graph={graph} />
      <p class="muted small">
        Matched by {words(ic.matchRule)} ({words(ic.matchedBy)} <code>{ic.matchedValue}</code>
        {ic.matchedScope ? ` in ${ic.matchedScope}` : ""}) as of {dateTime(ic.asOf)}.
      </p>
    </div>
  );
}

interface CIIncidents {
  node: {
    incidents: {
      totalCount: number;
      edges: { node: { id: string; title: string; status: string; openedAt: string; resolvedAt: string | null; alertCount: number; topCandidateID: string | null } }[];
    };
  } | null;
}

/** The CI's latest incidents (it alerted in them), asked for apart so the rest of the page never waits on them. */
function RecentIncidents({ id }: { id: string }) {
  const { data, error } = useQuery<CIIncidents>(CI_INCIDENTS, { id });
  const conn = data?.node?.incidents;
  return (
    <Section title={`Incidents${conn ? ` (${conn.totalCount})` : ""}`} id="ci-incidents" actions={<a href="/incidents">All incidents</a>}>
      {error ? <ErrorBox error={error} title="Its incidents could not load" /> : null}
      {!data && !error ? <Loading what="Loading its incidents" /> : null}
      {conn && !conn.edges.length ? <Empty>It alerted in no incident.</Empty> : null}
      {conn?.edges.length ? (
        <ul class="rows">
          {conn.edges.map(({ node: i }) => (
            <li key={i.id}>
              <a href={`/incidents/${i.id}`}>{i.title}</a> <IncidentStatus status={i.status} />
              {i.topCandidateID === id ? <Badge tone="warn">probable cause</Badge> : null}
              <span class="muted small">
                {" "}
                opened {relative(i.openedAt)} · {plural(i.alertCount, "alert")}
              </span>
            </li>
          ))}
        </ul>
      ) : null}
    </Section>
  );
}

function countOf(i: ImpactCount, one: string, many?: string) {
  return plural(i.count, one, many) + (i.truncated ? " (more beyond the cap)" : "");
}

/**
 * The walks the graph draws: capped, so that a CI with thousands of
 * dependents costs the same to show as one with ten (the counts above come
 * uncapped from the incident context).
 */
export const GRAPH_LIMIT = 400;

interface GraphData {
  node: CIRef | null;
  dependents?: Impact;
  dependencies?: Impact;
}

function useGraphData(id: string) {
  return useQuery<GraphData>(GRAPH, { ci: id, depth: 3, types: null, limit: GRAPH_LIMIT, dependents: true, dependencies: true });
}

function NearLists({ data }: { data: GraphData | undefined }) {
  if (!data) return null;
  return (
    <>
      {data.dependents ? <NearList title="Direct dependents" impact={data.dependents} dir="dependents" /> : null}
      {data.dependencies ? <NearList title="Direct dependencies" impact={data.dependencies} dir="dependencies" /> : null}
    </>
  );
}

/**
 * The CIs one link away, each read as a sentence about this CI: a
 * dependent "pg-payments-ams runs on it", a dependency "connects to
 * ams2-tor-sw04".
 */
function NearList({ title, impact, dir }: { title: string; impact: Impact; dir: "dependents" | "dependencies" }) {
  const near = impact.nodes.filter((n) => n.depth === 1);
  if (!near.length) return null;
  const shown = near.slice(0, 8);
  return (
    <>
      <h3>{title}</h3>
      <ul class="chips">
        {shown.map((n) => (
          <li key={n.ci.id}>
            {dir === "dependents" ? (
              <>
                <a href={`/ci/${n.ci.id}`}>{n.ci.name}</a> <span class="muted">{words(n.via)} it</span>
              </>
            ) : (
              <>
                <span class="muted">{words(n.via)}</span> <a href={`/ci/${n.ci.id}`}>{n.ci.name}</a>
              </>
            )}
          </li>
        ))}
        {near.length > shown.length ? <li class="muted">and {near.length - shown.length} more</li> : null}
      </ul>
    </>
  );
}

function OwnerCard({ ic }: { ic: IncidentContext }) {
  const o = ic.owner;
  const t = ic.team;
  return (
    <Section title="Owner and on call" id="owner">
      {o ? (
        <Facts
          rows={[
            ["Owner", <strong>{o.name}</strong>],
            ["On call", contact(o.oncallContact)],
            ["Escalation", o.escalation],
            ["Chat", o.chatChannel],
            ["Email", o.email ? <a href={`mailto:${o.email}`}>{o.email}</a> : null],
          ]}
        />
      ) : (
        <Empty>No owner recorded: this CI has nobody to call.</Empty>
      )}
      {t ? (
        <>
          <h3>Team {t.name}</h3>
          <Facts rows={[["On call", contact(t.oncallContact)], ["Escalation", t.escalation], ["Chat", t.chatChannel]]} />
        </>
      ) : null}
    </Section>
  );
}

/** An on-call contact: a link when it is a web address (a rota page), else as written (a phone number). */
function contact(c: string | null) {
  const url = webURL(c);
  return url ? (
    <a href={url} rel="noreferrer noopener" target="_blank">
      {url}
    </a>
  ) : (
    c
  );
}

/**
 * Said when the search opened this CI on weaker evidence than an
 * identifier: the only CI whose name starts with the input, or a host
 * name without its domain. The search page hands the match over.
 */
function MatchNote({ ic }: { ic: IncidentContext }) {
  if (ic.matchRule !== "PREFIX" && ic.matchRule !== "SHORT_NAME") return null;
  return (
    <p class="notice match-note" role="status">
      {ic.matchRule === "PREFIX" ? (
        <>
          Opened the only CI whose name or host name starts with <q>{ic.matchedValue}</q>; no CI has exactly that name.
        </>
      ) : (
        <>
          Opened the only CI whose host name is <q>{ic.matchedValue}</q> without a domain; an FQDN, an address or a serial number
          names a CI for certain.
        </>
      )}
    </p>
  );
}

function CopySummary({ ic }: { ic: IncidentContext }) {
  const [done, setDone] = useState("");
  const copy = async () => {
    const text = incidentMarkdown(ic, location.origin + `/ci/${ic.ci.id}`);
    try {
      await navigator.clipboard.writeText(text);
      setDone("Copied");
    } catch {
      setDone("Copy refused by the browser");
    }
    setTimeout(() => setDone(""), 2500);
  };
  return (
    <>
      <button type="button" class="btn b-primary" onClick={copy}>
        Copy summary (Markdown)
      </button>
      <span role="status" aria-live="polite" class="muted">{done}</span>
    </>
  );
}

/** The dependency graph below the incident view, loaded with its library after the page shows. */
function GraphSection({ ic, graph }: { ic: IncidentContext; graph: QueryState<GraphData> }) {
  const { data, error } = graph;
  const [Graph, setGraph] = useState<FunctionComponent<GraphProps> | null>(null);
  const [failed, setFailed] = useState("");
  useEffect(() => {
    import("../components/DepGraph").then(
      (m) => setGraph(() => m.DepGraph),
      (e: Error) => setFailed(e.message),
    );
  }, []);
  return (
    <Section title="Dependency graph" id="graph" actions={<a href={`/ci/${ic.ci.id}/graph`}>Open with filters</a>}>
      {failed ? <ErrorBox error={new Error(failed)} title="The graph could not load" /> : null}
      {error ? <ErrorBox error={error} title="The graph could not load" /> : null}
      {Graph && data ? (
        <Graph key={ic.ci.id} root={ic.ci} dependents={data.dependents} dependencies={data.dependencies} />
      ) : (
        <Loading what="Drawing" />
      )}
    </Section>
  );
}

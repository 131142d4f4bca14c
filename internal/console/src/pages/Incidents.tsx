// The incident list: what correlation made of the alerts.
//
//   /incidents?status=OPEN|ACKNOWLEDGED|RESOLVED|all&service=<id>&from=YYYY-MM-DD&to=YYYY-MM-DD&merged=1&kpi=7|30&after=|before=
//
// Every filter is in the URL; without a status the list shows the incidents
// not resolved. Incidents merged into another are hidden unless merged=1. The KPI panel on top covers the last 7 or 30 days, whatever
// the filters.
import { useMemo } from "preact/hooks";
import { useLocation } from "preact-iso";
import { CursorPager } from "../components/CursorPager";
import { dayTime, hrefWith, pageVars } from "../components/href";
import { duration, INCIDENT_STATUSES, IncidentStatus, percent } from "../components/incidents";
import { Badge, Empty, ErrorBox, Loading, Section } from "../components/ui";
import { dateTime, plural, relative, words } from "../format";
import { useQuery, useTitle } from "../hooks";
import KPIS from "../queries/incident-kpis.graphql";
import LIST from "../queries/incidents.graphql";

const PATH = "/incidents";
const PAGE = 25;
const KPI_WINDOWS = [7, 30];
const ACTIVE = ["OPEN", "ACKNOWLEDGED"];

type Query = Record<string, string | undefined>;

interface IncidentRow {
  id: string;
  title: string;
  status: string;
  openedAt: string;
  acknowledgedAt: string | null;
  escalatedAt: string | null;
  resolvedAt: string | null;
  alertCount: number;
  firingCount: number;
  serviceLabel: string | null;
  mergedInto: { id: string } | null;
  topCandidate: { id: string; name: string; kind: string } | null;
  services: { id: string; name: string; tier: number }[] | null;
}

interface ListData {
  incidents: {
    totalCount: number;
    pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string | null; endCursor: string | null };
    edges: { node: IncidentRow }[];
  };
  services: { totalCount: number; edges: { node: { id: string; name: string } }[] };
}

interface KPIGroup {
  incidents: number;
  open: number;
  acknowledged: number;
  resolved: number;
  mtta: number | null;
  mttr: number | null;
  mttd: number | null;
  recurring: number;
  alerts: number;
  suppressedAlerts: number;
}

interface KPIData {
  operationsKPIs: {
    from: string;
    to: string;
    total: KPIGroup;
    changes: { total: number; successful: number; failed: number; rolledBack: number; successRate: number | null; causedIncidents: number };
    availability: {
      service: { id: string; name: string; tier: number };
      downtimeSeconds: number;
      availability: number;
      sloTarget: number | null;
      breached: boolean;
    }[];
  };
}

/** The URL's filters as an IncidentWhereInput. */
export function incidentWhere(q: Query): Record<string, unknown> {
  const w: Record<string, unknown> = {};
  const st = q.status ?? "";
  if (st === "") w.statusIn = ACTIVE;
  else if (INCIDENT_STATUSES.includes(st)) w.status = st;
  if (q.service && /^\d+$/.test(q.service)) w.hasServicesWith = [{ id: q.service }];
  const from = dayTime(q.from);
  if (from) w.openedAtGTE = from;
  const to = dayTime(q.to);
  // The to day is included: up to the start of the next one.
  if (to) w.openedAtLT = new Date(Date.parse(to) + 86_400_000).toISOString().replace(".000Z", "Z");
  // Merged incidents (emptied into another) only when asked for.
  if (q.merged !== "1") w.mergedIntoIDIsNil = true;
  return w;
}

export function IncidentsPage() {
  const { query: q, route } = useLocation();
  useTitle("Incidents");
  const list = useQuery<ListData>(LIST, { ...pageVars(q, PAGE), where: incidentWhere(q) }, false, { keepPrevious: true });
  const go = (changes: Record<string, string | null>) => route(hrefWith(PATH, q, { ...changes, after: null, before: null }));
  const rows = list.data?.incidents.edges.map((e) => e.node) ?? [];
  const services = list.data?.services.edges.map((e) => e.node) ?? [];
  const st = q.status ?? "";
  return (
    <div class="page incidents">
      <header class="page-h">
        <div>
          <h1>Incidents</h1>
          <p class="sub muted">Alerts correlated through the dependency graph, each with its probable cause.</p>
        </div>
        <div class="actions">
          <a class="btn b-plain" href="/alerts">
            All alerts
          </a>
        </div>
      </header>
      <KPIPanel q={q} />
      <form class="filters inc-filters" aria-label="Filter incidents" onSubmit={(e) => e.preventDefault()}>
        <label>
          Status
          <select name="status" value={st} onChange={(e) => go({ status: e.currentTarget.value || null })}>
            <option value="">Not resolved</option>
            {INCIDENT_STATUSES.map((s) => (
              <option key={s} value={s}>
                {words(s)}
              </option>
            ))}
            <option value="all">Any status</option>
          </select>
        </label>
        <label>
          Service
          <select name="service" value={q.service ?? ""} onChange={(e) => go({ service: e.currentTarget.value || null })}>
            <option value="">Any service</option>
            {q.service && !services.some((s) => s.id === q.service) ? <option value={q.service}>service {q.service}</option> : null}
            {services.map((s) => (
              <option key={s.id} value={s.id}>
                {s.name}
              </option>
            ))}
          </select>
        </label>
        <label>
          Opened from
          <input type="date" name="from" value={q.from ?? ""} onChange={(e) => go({ from: e.currentTarget.value || null })} />
        </label>
        <label>
          to
          <input type="date" name="to" value={q.to ?? ""} onChange={(e) => go({ to: e.currentTarget.value || null })} />
        </label>
        <label>
          <input type="checkbox" name="merged" checked={q.merged === "1"} onChange={(e) => go({ merged: e.currentTarget.checked ? "1" : null })} /> Show merged
          incidents
        </label>
        {["status", "service", "from", "to", "merged"].some((k) => q[k]) ? (
          <p>
            <a href={hrefWith(PATH, { kpi: q.kpi }, {})}>Clear the filters</a>
          </p>
        ) : null}
      </form>
      <Section
        title="Incidents"
        id="incident-list"
        actions={
          list.data ? (
            <span class="muted small" aria-live="polite">
              {plural(list.data.incidents.totalCount, "incident")}
              {st === "" ? " not resolved" : st === "all" ? "" : ` ${words(st)}`}
            </span>
          ) : null
        }
      >
        {list.error ? <ErrorBox error={list.error} /> : null}
        {list.loading && !list.data ? <Loading what="Loading incidents" /> : null}
        {list.data && rows.length === 0 ? <Empty>No incident matches these filters.</Empty> : null}
        {rows.length ? (
          <div tabIndex={0} role="region" aria-label="Incidents" class="table-wrap" aria-busy={list.loading ? "true" : undefined}>
            <table class="table inc-table">
              <caption class="sr-only">Incidents, newest first: title, status, when opened, alerts, top candidate and impacted services</caption>
              <thead>
                <tr>
                  <th scope="col">Incident</th>
                  <th scope="col">Status</th>
                  <th scope="col">Opened</th>
                  <th scope="col" class="num">Alerts</th>
                  <th scope="col">Top candidate</th>
                  <th scope="col">Impacted services</th>
                </tr>
              </thead>
              <tbody>
                {rows.map((r) => (
                  <tr key={r.id} data-incident={r.id} data-status={r.status}>
                    <td>
                      <a href={`/incidents/${r.id}`}>{r.title}</a>
                      {r.serviceLabel ? <span class="muted small"> service label {r.serviceLabel}</span> : null}
                      {r.mergedInto ? (
                        <span class="muted small">
                          {" "}
                          merged into <a href={`/incidents/${r.mergedInto.id}`}>incident {r.mergedInto.id}</a>
                        </span>
                      ) : null}
                    </td>
                    <td>
                      <IncidentStatus status={r.status} />
                      {r.escalatedAt && r.status === "OPEN" ? (
                        <>
                          {" "}
                          <Badge tone="bad">escalated</Badge>
                        </>
                      ) : null}
                    </td>
                    <td class="small">
                      <time dateTime={r.openedAt} title={dateTime(r.openedAt)}>
                        {relative(r.openedAt)}
                      </time>
                      {r.resolvedAt ? <span class="muted"> · resolved {relative(r.resolvedAt)}</span> : null}
                    </td>
                    <td class="num">
                      {r.alertCount}
                      {r.status !== "RESOLVED" && r.firingCount !== r.alertCount ? <span class="muted small"> ({r.firingCount} firing)</span> : null}
                    </td>
                    <td>{r.topCandidate ? <a href={`/ci/${r.topCandidate.id}`}>{r.topCandidate.name}</a> : <span class="muted">—</span>}</td>
                    <td>
                      {r.services?.length ? (
                        <ul class="inline-list">
                          {[...r.services]
                            .sort((a, b) => a.tier - b.tier || a.name.localeCompare(b.name))
                            .slice(0, 4)
                            .map((s) => (
                              <li key={s.id}>
                                <a href={`/services/${s.id}`}>{s.name}</a>
                              </li>
                            ))}
                          {r.services.length > 4 ? <li class="muted small">and {r.services.length - 4} more</li> : null}
                        </ul>
                      ) : (
                        <span class="muted">—</span>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        ) : null}
        {list.data ? <CursorPager path={PATH} query={q} info={list.data.incidents.pageInfo} label="Pages of incidents" /> : null}
      </Section>
    </div>
  );
}

/** Availability as the API gives it, in percent like the SLO target (99.95). */
function availability(p: number): string {
  return Number.isFinite(p) ? `${Number(p.toFixed(3))}%` : "—";
}

/** Now to the minute: the window (and so the query) is fixed when the page opens. */
function minuteNow(): Date {
  const d = new Date();
  d.setUTCSeconds(0, 0);
  return d;
}

function KPIPanel({ q }: { q: Query }) {
  const days = KPI_WINDOWS.includes(Number(q.kpi)) ? Number(q.kpi) : 7;
  const vars = useMemo(() => {
    const to = minuteNow();
    return { from: new Date(to.getTime() - days * 86_400_000).toISOString(), to: to.toISOString() };
  }, [days]);
  const { data, error, loading } = useQuery<KPIData>(KPIS, vars, false, { keepPrevious: true });
  const k = data?.operationsKPIs;
  const breached = k?.availability.filter((a) => a.breached).length ?? 0;
  return (
    <Section
      title={`Last ${days} days`}
      id="incident-kpis"
      actions={
        <nav aria-label="KPI window" class="drift-window">
          {KPI_WINDOWS.map((w) => (
            <a key={w} href={hrefWith(PATH, q, { kpi: w === 7 ? null : w })} aria-current={w === days ? "true" : undefined}>
              {w} days
            </a>
          ))}
        </nav>
      }
    >
      {error ? <ErrorBox error={error} title="The KPIs could not be computed" /> : null}
      {!k && loading ? <Loading what="Computing the KPIs" /> : null}
      {k ? (
        <>
          <ul class="drift-figures kpi-figures">
            <li>
              <strong>{k.total.incidents}</strong> incidents
              <span class="muted small">
                {k.total.open} open, {k.total.acknowledged} acknowledged, {k.total.resolved} resolved
              </span>
            </li>
            <li>
              <strong>{duration(k.total.mtta)}</strong> <abbr title="mean time to acknowledge">MTTA</abbr>
              <span class="muted small">opening to acknowledgement</span>
            </li>
            <li>
              <strong>{duration(k.total.mttr)}</strong> <abbr title="mean time to resolve">MTTR</abbr>
              <span class="muted small">opening to resolution</span>
            </li>
            <li>
              <strong>{duration(k.total.mttd)}</strong> <abbr title="mean time to detect">MTTD</abbr>
              <span class="muted small">first alert or impact to opening</span>
            </li>
            <li>
              <strong>{k.total.recurring}</strong> recurring
              <span class="muted small">same cause or service within 30 days</span>
            </li>
            <li>
              <strong>{percent(k.changes.successRate, 1)}</strong> change success
              <span class="muted small">
                {k.changes.successful} of {plural(k.changes.total, "change")}; {k.changes.failed} failed, {k.changes.rolledBack} rolled back
                {k.changes.causedIncidents ? `, ${plural(k.changes.causedIncidents, "caused an incident", "caused incidents")}` : ""}
              </span>
            </li>
            <li>
              <strong>{k.total.alerts}</strong> alerts
              <span class="muted small">{k.total.suppressedAlerts} expected (in a change window)</span>
            </li>
          </ul>
          {k.availability.length ? (
            <>
            <p class="kpi-breaches">
              {breached ? (
                <>
                  <strong class="breach">SLO breached by {plural(breached, "service")}:</strong>{" "}
                  {k.availability
                    .filter((a) => a.breached)
                    .map((a, i) => (
                      <span key={a.service.id}>
                        {i ? ", " : ""}
                        <a href={hrefWith(PATH, {}, { service: a.service.id, status: "all" })}>{a.service.name}</a> {availability(a.availability)} of {a.sloTarget}%
                      </span>
                    ))}
                </>
              ) : (
                <>Every service met its SLO.</>
              )}
            </p>
            <details class="kpi-availability">
              <summary>Availability of {plural(k.availability.length, "service")} against their SLO</summary>
              <div tabIndex={0} role="region" aria-label="Availability per service" class="table-wrap">
                <table class="table compact">
                  <caption class="sr-only">Availability of each service with an SLO over the window, from the time its incidents were open</caption>
                  <thead>
                    <tr>
                      <th scope="col">Service</th>
                      <th scope="col" class="num">Availability</th>
                      <th scope="col" class="num">SLO</th>
                      <th scope="col" class="num">Down</th>
                      <th scope="col">SLO met</th>
                    </tr>
                  </thead>
                  <tbody>
                    {[...k.availability]
                      .sort((a, b) => Number(b.breached) - Number(a.breached) || a.availability - b.availability || a.service.name.localeCompare(b.service.name))
                      .map((a) => (
                        <tr key={a.service.id} class={a.breached ? "breached" : undefined} data-service={a.service.id}>
                          <th scope="row">
                            <a href={hrefWith(PATH, {}, { service: a.service.id, status: "all" })}>{a.service.name}</a>{" "}
                            <span class="muted small">tier {a.service.tier}</span>
                          </th>
                          <td class="num">{availability(a.availability)}</td>
                          <td class="num">{a.sloTarget !== null ? `${a.sloTarget}%` : "—"}</td>
                          <td class="num">{duration(a.downtimeSeconds)}</td>
                          <td>{a.breached ? <Badge tone="bad">breached</Badge> : <Badge tone="ok">met</Badge>}</td>
                        </tr>
                      ))}
                  </tbody>
                </table>
              </div>
            </details>
            </>
          ) : (
            <p class="muted small">No service has an SLO target.</p>
          )}
        </>
      ) : null}
    </Section>
  );
}

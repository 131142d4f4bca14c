// Every alert Cairn holds, bound or not:
//
//   /alerts?status=FIRING|RESOLVED|all&bound=yes|no&suppressed=yes|no&after=|before=
//
// Unbound alerts (ambiguous or unknown) are kept and shown here, with why,
// like unregistered drift; each alert links its incident.
import { useLocation } from "preact-iso";
import { CursorPager } from "../components/CursorPager";
import { hrefWith, pageVars } from "../components/href";
import { ALERT_STATUSES, AlertStatus, BoundTo, IncidentStatus, Labels, type AlertConn } from "../components/incidents";
import { Empty, ErrorBox, Loading, Section } from "../components/ui";
import { dateTime, plural, relative, words } from "../format";
import { useQuery, useTitle } from "../hooks";
import LIST from "../queries/incident-alerts.graphql";

const PATH = "/alerts";
const PAGE = 50;

type Query = Record<string, string | undefined>;

/** The URL's filters as an AlertWhereInput; without a status, the firing ones. */
export function alertWhere(q: Query): Record<string, unknown> {
  const w: Record<string, unknown> = {};
  const st = q.status ?? "";
  if (st === "") w.status = "FIRING";
  else if (ALERT_STATUSES.includes(st)) w.status = st;
  if (q.bound === "yes") w.boundByNotNil = true;
  if (q.bound === "no") w.boundByIsNil = true;
  if (q.suppressed === "yes") w.suppressedByIDNotNil = true;
  if (q.suppressed === "no") w.suppressedByIDIsNil = true;
  return w;
}

export function AlertsPage() {
  const { query: q, route } = useLocation();
  useTitle("Alerts");
  const { data, error, loading } = useQuery<{ alerts: AlertConn }>(LIST, { ...pageVars(q, PAGE), where: alertWhere(q) }, false, { keepPrevious: true });
  const go = (changes: Record<string, string | null>) => route(hrefWith(PATH, q, { ...changes, after: null, before: null }));
  const rows = data?.alerts.edges.map((e) => e.node) ?? [];
  const st = q.status ?? "";
  return (
    <div class="page alerts">
      <header class="page-h">
        <div>
          <h1>Alerts</h1>
          <p class="sub muted">What monitoring sent, each bound to a CI or service where Cairn could tell which, and the incident it is in.</p>
        </div>
        <div class="actions">
          <a class="btn b-plain" href="/incidents">
            Incidents
          </a>
        </div>
      </header>
      <form class="filters inc-filters" aria-label="Filter alerts" onSubmit={(e) => e.preventDefault()}>
        <label>
          Status
          <select name="status" value={st} onChange={(e) => go({ status: e.currentTarget.value || null })}>
            <option value="">Firing</option>
            <option value="RESOLVED">Resolved</option>
            <option value="all">Any status</option>
          </select>
        </label>
        <label>
          Binding
          <select name="bound" value={q.bound ?? ""} onChange={(e) => go({ bound: e.currentTarget.value || null })}>
            <option value="">Bound or not</option>
            <option value="yes">Bound to a CI or service</option>
            <option value="no">Unbound</option>
          </select>
        </label>
        <label>
          Change window
          <select name="suppressed" value={q.suppressed ?? ""} onChange={(e) => go({ suppressed: e.currentTarget.value || null })}>
            <option value="">Either</option>
            <option value="yes">Expected (in an approved change)</option>
            <option value="no">Not in a change</option>
          </select>
        </label>
        {["status", "bound", "suppressed"].some((k) => q[k]) ? (
          <p>
            <a href={PATH}>Clear the filters</a>
          </p>
        ) : null}
      </form>
      <Section
        title="Alerts"
        id="alert-list"
        actions={
          data ? (
            <span class="muted small" aria-live="polite">
              {plural(data.alerts.totalCount, "alert")}
              {st === "" ? " firing" : st === "all" ? "" : ` ${words(st)}`}
            </span>
          ) : null
        }
      >
        {error ? <ErrorBox error={error} /> : null}
        {loading && !data ? <Loading what="Loading alerts" /> : null}
        {data && !rows.length ? <Empty>No alert matches these filters.</Empty> : null}
        {rows.length ? (
          <div tabIndex={0} role="region" aria-label="Alerts" class="table-wrap" aria-busy={loading ? "true" : undefined}>
            <table class="table alert-table">
              <caption class="sr-only">Alerts, latest start first: status, name, what it is bound to and how, change window, start, incident and labels</caption>
              <thead>
                <tr>
                  <th scope="col">Status</th>
                  <th scope="col">Alert</th>
                  <th scope="col">Bound to</th>
                  <th scope="col">Bound by</th>
                  <th scope="col">Expected</th>
                  <th scope="col">Started</th>
                  <th scope="col">Incident</th>
                  <th scope="col">Labels</th>
                </tr>
              </thead>
              <tbody>
                {rows.map((a) => (
                  <tr key={a.id} data-alert={a.id} data-status={a.status} data-bound={a.boundBy ? "yes" : "no"}>
                    <td>
                      <AlertStatus status={a.status} flapping={a.flapping} />
                    </td>
                    <td>
                      <strong>{a.name || "(no alertname)"}</strong>
                    </td>
                    <td>
                      <BoundTo a={a} />
                    </td>
                    <td class="small">{a.boundBy ? words(a.boundBy) : "—"}</td>
                    <td class="small">{a.suppressedBy ? <>in change {a.suppressedBy.number}</> : "—"}</td>
                    <td class="small">
                      <time dateTime={a.startsAt} title={dateTime(a.startsAt)}>
                        {relative(a.startsAt)}
                      </time>
                      {a.endsAt ? <span class="muted"> · ended {relative(a.endsAt)}</span> : null}
                    </td>
                    <td>
                      {a.incident ? (
                        <>
                          <a href={`/incidents/${a.incident.id}`}>{a.incident.title}</a> <IncidentStatus status={a.incident.status} />
                        </>
                      ) : (
                        <span class="muted small">{a.suppressedBy ? "none: expected" : a.flapping ? "none: flapping" : "none"}</span>
                      )}
                    </td>
                    <td>
                      <Labels labels={a.labels} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        ) : null}
        {data ? <CursorPager path={PATH} query={q} info={data.alerts.pageInfo} label="Pages of alerts" /> : null}
      </Section>
    </div>
  );
}

// The drift desk: what discovery saw that the record does not say.
//
//   /drifts?kind=&auth=yes|no&status=&service=<name>&owner=<id>&job=<name>
//          &ci=<id>&order=&days=14|30|60&after=|before=
//
// Every filter is in the URL (the incident view links here with ?ci=). The
// list pages with cursors; the summary and the trend chart cover the last
// `days` days. Editors acknowledge (with a note), accept, or make an ignore
// rule from a drift; viewers see no such control (the API refuses them
// anyway). The runs that saw a page's drifts come in a second query, so a
// caller who may not read runs still gets the desk.
import { RefByID } from "../components/ListFilters";
import { useEffect, useMemo, useRef, useState } from "preact/hooks";
import { useLocation } from "preact-iso";
import type { ApiError } from "../api";
import { Chart, type ChartSeries } from "../components/Chart";
import { CursorPager, type PageInfo } from "../components/CursorPager";
import { hrefWith, pageVars } from "../components/href";
import { Badge, Button, Empty, ErrorBox, Kind, Loading, Section } from "../components/ui";
import { dateTime, plural, relative, words } from "../format";
import { useMutation, useQuery, useTitle } from "../hooks";
import ACCEPT from "../queries/drift-accept.graphql";
import ACKNOWLEDGE from "../queries/drift-acknowledge.graphql";
import IGNORE from "../queries/drift-ignore.graphql";
import ROW from "../queries/drift-row.graphql";
import ENDS from "../queries/drift-ends.graphql";
import RUNS from "../queries/drift-runs.graphql";
import SUMMARY from "../queries/drift-summary.graphql";
import LIST from "../queries/drifts.graphql";
import { useSession } from "../session";

const PAGE = 25;
const PATH = "/drifts";

// The API's enums (schema/ent.graphql) the filters and the rule form offer.
const DRIFT_KINDS = ["ATTRIBUTE_CHANGED", "MISSING", "UNREGISTERED", "RELATIONSHIP_CHANGED", "AMBIGUOUS"];
const DRIFT_STATUSES = ["OPEN", "ACKNOWLEDGED", "RESOLVED", "ACCEPTED", "IGNORED"];
const CI_KINDS = ["SERVER", "VM", "CONTAINER", "NETWORK_DEVICE", "STORAGE", "DATABASE", "APPLICATION", "LOAD_BALANCER", "CLOUD_RESOURCE", "CLUSTER"];
const WINDOWS = [14, 30, 60];
const ACTIVE = ["OPEN", "ACKNOWLEDGED"];
/** Statuses a person may still act on (reconcile.activeDrift). */
const ACTIONABLE = ["OPEN", "ACKNOWLEDGED", "IGNORED"];

const ORDERS: Record<string, { label: string; orderBy: { field: string; direction: string }[] }> = {
  last: { label: "Last seen, newest first", orderBy: [{ field: "LAST_SEEN_AT", direction: "DESC" }] },
  first: { label: "First seen, newest first", orderBy: [{ field: "FIRST_SEEN_AT", direction: "DESC" }] },
  oldest: { label: "First seen, oldest first", orderBy: [{ field: "FIRST_SEEN_AT", direction: "ASC" }] },
  kind: { label: "Kind", orderBy: [{ field: "KIND", direction: "ASC" }, { field: "LAST_SEEN_AT", direction: "DESC" }] },
};

type Query = Record<string, string | undefined>;

export interface DriftRow {
  id: string;
  kind: string;
  status: string;
  authorized: boolean;
  field: string | null;
  recorded: string | null;
  observed: string | null;
  firstSeenAt: string;
  lastSeenAt: string;
  resolvedAt: string | null;
  note: string | null;
  acknowledgedBy: string | null;
  acknowledgedAt: string | null;
  ignoredBy: string | null;
  source: string | null;
  observationKey: string | null;
  identity: string | null;
  runID: string | null;
  discoveryJobID: string | null;
  configurationItem: { id: string; name: string; kind: string; tags: string[] | null } | null;
}

interface Conn {
  totalCount: number;
  pageInfo: PageInfo;
  edges: { node: DriftRow }[];
}

interface SeenBy {
  run: { id: string; status: string; startedAt: string; finishedAt: string | null } | null;
  job: { id: string; name: string } | null;
}

interface CIName {
  id: string;
  name: string;
  kind: string;
}

interface Count {
  key: string;
  count: number;
}

interface Summary {
  since: string;
  opened: number;
  open: number;
  acknowledged: number;
  resolved: number;
  accepted: number;
  ignored: number;
  authorized: number;
  unauthorized: number;
  byKind: Count[];
  byJob: Count[];
  byService: Count[];
}

/** The job's name of a drift's source, discovery:<job>. */
function jobOf(d: DriftRow): string | null {
  return d.source ? d.source.replace(/^discovery:/, "") : null;
}

/** The filters of the URL as a DriftWhereInput, without the status (the trend counts every status). */
export function driftFilter(q: Query): Record<string, unknown> {
  const w: Record<string, unknown> = {};
  if (q.kind && DRIFT_KINDS.includes(q.kind)) w.kind = q.kind;
  if (q.auth === "yes") w.authorized = true;
  if (q.auth === "no") w.authorized = false;
  if (q.ci) w.configurationItemID = q.ci;
  if (q.job === "(none)") w.sourceIsNil = true;
  else if (q.job) w.source = `discovery:${q.job}`;
  const ci: Record<string, unknown> = {};
  if (q.service) ci.hasServicesWith = [{ name: q.service }];
  if (q.owner) ci.hasOwnerWith = [{ id: q.owner }];
  if (Object.keys(ci).length) w.hasConfigurationItemWith = [ci];
  return w;
}

/** The list's where: the filters and the status (active, one status, or all). */
export function driftWhere(q: Query): Record<string, unknown> {
  const w = driftFilter(q);
  const st = q.status ?? "active";
  if (st === "active") w.statusIn = ACTIVE;
  else if (DRIFT_STATUSES.includes(st)) w.status = st;
  return w;
}

function windowDays(s: string | undefined): number {
  const n = Number(s);
  return WINDOWS.includes(n) ? n : 30;
}

/** Midnight UTC days-1 days ago: the window holds today and the days before it. */
function windowStart(days: number, now = new Date()): Date {
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() - (days - 1)));
}

/**
 * A recorded or observed value as a person reads it: reconciliation stores
 * the text itself ("present", "ams2-db01"); a JSON string literal is shown
 * unquoted.
 */
export function shown(v: string | null): string {
  if (v === null) return "—";
  if (v === "") return "(empty)";
  if (v.startsWith('"')) {
    try {
      const s = JSON.parse(v);
      if (typeof s === "string") return s === "" ? "(empty)" : s;
    } catch {
      // not JSON: as it is
    }
  }
  return v;
}

/**
 * The relationship a RELATIONSHIP_CHANGED drift's field names: relationship.TYPE.ID, or
 * relationship.TYPE.ID.ATTR for one attribute of the edge (a cable's port).
 */
export function relationshipOf(field: string | null): { type: string; to: string; attr?: string } | null {
  const m = field ? /^relationship\.([A-Z_]+)\.(\d+)(?:\.([a-z0-9_]+))?$/.exec(field) : null;
  return m ? { type: m[1], to: m[2], ...(m[3] ? { attr: m[3] } : {}) } : null;
}

function statusTone(s: string): "ok" | "warn" | "bad" | "info" | "plain" {
  switch (s) {
    case "OPEN":
      return "bad";
    case "ACKNOWLEDGED":
      return "warn";
    case "RESOLVED":
    case "ACCEPTED":
      return "ok";
  }
  return "plain";
}

export function DriftPage() {
  const { query: q, route } = useLocation();
  const { can } = useSession();
  const editor = can("EDITOR");
  useTitle("Drifts");
  const days = windowDays(q.days);
  const since = useMemo(() => windowStart(days).toISOString(), [days]);
  const order = ORDERS[q.order ?? ""] ?? ORDERS.last;

  const list = useQuery<{ drifts: Conn }>(ROW + LIST, { ...pageVars(q, PAGE), where: driftWhere(q), orderBy: order.orderBy }, false, { keepPrevious: true });
  const summary = useQuery<{ driftSummary: Summary; owners: { totalCount: number; edges: { node: { id: string; name: string } }[] } }>(SUMMARY, {
    since,
  });
  const rows = list.data?.drifts.edges.map((e) => e.node) ?? [];
  const ids = rows.map((r) => r.id);
  const runs = useQuery<{ drifts: { edges: { node: SeenBy & { id: string } }[] } }>(RUNS, { ids, first: ids.length }, ids.length === 0);
  const seenBy = useMemo(() => {
    const m = new Map<string, SeenBy>();
    for (const e of runs.data?.drifts.edges ?? []) m.set(e.node.id, e.node);
    return m;
  }, [runs.data]);

  const endIDs = [...new Set(rows.map((r) => relationshipOf(r.field)?.to).filter((x): x is string => !!x))];
  const endsQ = useQuery<{ configurationItems: { edges: { node: CIName }[] } }>(ENDS, { ids: endIDs, first: endIDs.length }, endIDs.length === 0);
  const ends = useMemo(() => new Map((endsQ.data?.configurationItems.edges ?? []).map((e) => [e.node.id, e.node])), [endsQ.data]);

  const [changed, setChanged] = useState<Record<string, DriftRow>>({});
  const [said, setSaid] = useState("");
  useEffect(() => setChanged({}), [list.data]);

  const go = (changes: Record<string, string | null>) => route(hrefWith(PATH, q, { ...changes, after: null, before: null }));
  const ciName = q.ci ? rows.find((r) => r.configurationItem?.id === q.ci)?.configurationItem?.name : undefined;

  return (
    <div class="page drifts">
      <header class="page-h">
        <div>
          <h1>Drifts</h1>
          <p class="sub muted">Where discovery saw something other than what the record says.</p>
        </div>
      </header>
      <div class="drift-top">
        <SummaryCard state={summary} days={days} q={q} />
        <TrendCard q={q} days={days} />
      </div>
      <Filters q={q} go={go} summary={summary.data?.driftSummary} owners={summary.data?.owners.edges.map((e) => e.node) ?? []} ownerTotal={summary.data?.owners.totalCount ?? 0} ciName={ciName} />
      <Section
        title="Drifts"
        id="drift-list"
        actions={
          list.data ? (
            <span class="muted small" aria-live="polite">
              {plural(list.data.drifts.totalCount, "drift")}
              {q.status === "all" ? "" : q.status && q.status !== "active" ? ` ${words(q.status)}` : " open or acknowledged"}
            </span>
          ) : null
        }
      >
        <p role="status" class={said ? "notice drift-said" : "sr-only"}>
          {said}
        </p>
        {list.error ? <ErrorBox error={list.error} /> : null}
        {list.loading && !list.data ? <Loading what="Loading drifts" /> : null}
        {list.data && rows.length === 0 ? <Empty>No drift matches these filters.</Empty> : null}
        {rows.length ? (
          <DriftTable
            busy={list.loading}
            rows={rows.map((r) => changed[r.id] ?? r)}
            seenBy={seenBy}
            ends={ends}
            runsError={runs.error}
            editor={editor}
            admin={can("ADMIN")}
            onChanged={(d, message) => {
              setChanged((c) => ({ ...c, [d.id]: d }));
              setSaid(message);
              summary.reload();
            }}
          />
        ) : null}
        {list.data ? <CursorPager path={PATH} query={q} info={list.data.drifts.pageInfo} label="Pages of drifts" /> : null}
      </Section>
    </div>
  );
}

function SummaryCard({ state, days, q }: { state: { data?: { driftSummary: Summary }; error?: ApiError; loading: boolean }; days: number; q: Query }) {
  const s = state.data?.driftSummary;
  const link = (changes: Record<string, string | null>) => hrefWith(PATH, q, { ...changes, after: null, before: null, status: null });
  return (
    <Section title="Summary" id="drift-summary">
      {state.error ? <ErrorBox error={state.error} /> : null}
      {!s && state.loading ? <Loading what="Counting drifts" /> : null}
      {s ? (
        <>
          <ul class="drift-figures">
            <li>
              <a href={link({ status: null })}>
                <strong>{s.open + s.acknowledged}</strong> active
              </a>
              <span class="muted small">
                {s.open} open, {s.acknowledged} acknowledged
              </span>
            </li>
            <li>
              <a href={link({ auth: "no" })}>
                <strong>{s.unauthorized}</strong> unauthorised
              </a>
              <span class="muted small">{s.authorized} inside an approved change</span>
            </li>
            <li>
              <strong>{s.opened}</strong> first seen
              <span class="muted small">in the last {days} days</span>
            </li>
            <li>
              <strong>{s.resolved + s.accepted}</strong> closed
              <span class="muted small">
                {s.resolved} resolved, {s.accepted} accepted, {s.ignored} ignored in {days} days
              </span>
            </li>
          </ul>
          <p class="small muted">Every drift, whatever the filters; the trend and the list below follow them.</p>
          <div class="drift-breakdown">
            <Breakdown title="Active by kind" counts={s.byKind} href={(k) => link({ kind: k })} label={words} />
            <Breakdown title="By job" counts={s.byJob} href={(k) => link({ job: k })} />
            <Breakdown title="By service" counts={s.byService} href={(k) => link({ service: k })} />
          </div>
        </>
      ) : null}
    </Section>
  );
}

function Breakdown({ title, counts, href, label = (s) => s }: { title: string; counts: Count[]; href: (key: string) => string; label?: (s: string) => string }) {
  const sorted = [...counts].sort((a, b) => b.count - a.count || a.key.localeCompare(b.key));
  return (
    <div>
      <h3>{title}</h3>
      {sorted.length ? (
        <ul class="rows">
          {sorted.slice(0, 8).map((c) => (
            <li key={c.key}>
              <a href={href(c.key)}>{label(c.key)}</a> <span class="muted">{c.count}</span>
            </li>
          ))}
          {sorted.length > 8 ? <li class="muted small">and {sorted.length - 8} more</li> : null}
        </ul>
      ) : (
        <Empty>None active.</Empty>
      )}
    </div>
  );
}

/** One aliased count per day and series: first seen that day, closed that day. */
function trendQuery(n: number): string {
  const vars: string[] = [];
  const parts: string[] = [];
  for (let i = 0; i < n; i++) {
    vars.push(`$o${i}: DriftWhereInput!, $c${i}: DriftWhereInput!`);
    parts.push(`o${i}: drifts(first: 0, where: $o${i}) { totalCount } c${i}: drifts(first: 0, where: $c${i}) { totalCount }`);
  }
  return `query DriftTrend(${vars.join(", ")}) { ${parts.join(" ")} }`;
}

/**
 * Drifts over time. driftSummary has no series, so the trend is derived
 * from the drifts themselves: per UTC day, how many were first seen
 * (firstSeenAt) and how many were closed (resolvedAt: resolved by a run or
 * accepted), counted by the API (totalCount of one filtered connection per
 * day, one request), under the filters of the page but every status.
 */
function TrendCard({ q, days }: { q: Query; days: number }) {
  const start = windowStart(days);
  const dayStarts = Array.from({ length: days + 1 }, (_, i) => new Date(start.getTime() + i * 86_400_000).toISOString());
  const base = driftFilter(q);
  const vars: Record<string, unknown> = {};
  for (let i = 0; i < days; i++) {
    // The filters never test these times, so the day's bounds add to them.
    vars[`o${i}`] = { ...base, firstSeenAtGTE: dayStarts[i], firstSeenAtLT: dayStarts[i + 1] };
    vars[`c${i}`] = { ...base, resolvedAtGTE: dayStarts[i], resolvedAtLT: dayStarts[i + 1] };
  }
  const query = useMemo(() => trendQuery(days), [days]);
  const { data, error, loading } = useQuery<Record<string, { totalCount: number }>>(query, vars, false, { keepPrevious: true });
  const chart = useMemo(() => {
    if (!data) return null;
    const x = dayStarts.slice(0, days).map((d) => Date.parse(d) / 1000);
    const opened = x.map((_, i) => data[`o${i}`]?.totalCount ?? 0);
    const closed = x.map((_, i) => data[`c${i}`]?.totalCount ?? 0);
    const series: ChartSeries[] = [
      { label: "First seen", values: opened, tone: "bad", bars: true },
      { label: "Closed (resolved or accepted)", values: closed, tone: "ok" },
    ];
    return { x, series, opened, closed };
  }, [data]);
  const total = (a: number[]) => a.reduce((s, n) => s + n, 0);
  return (
    <Section
      title="Trend"
      id="drift-trend"
      actions={
        <nav aria-label="Trend window" class="drift-window">
          {WINDOWS.map((w) => (
            <a key={w} href={hrefWith(PATH, q, { days: w === 30 ? null : w })} aria-current={w === days ? "true" : undefined}>
              {w} days
            </a>
          ))}
        </nav>
      }
    >
      {error ? <ErrorBox error={error} /> : null}
      {!chart && loading ? <Loading what="Counting drifts per day" /> : null}
      {chart ? (
        <>
          <Chart
            class="drift-chart"
            label={`Drifts per day over the last ${days} days: ${total(chart.opened)} first seen, ${total(chart.closed)} closed. The figures are in the table below the chart.`}
            x={chart.x}
            series={chart.series}
            height={180}
            yFormat={(v) => (Number.isInteger(v) ? String(v) : "")}
          />
          <details class="drift-trend-table">
            <summary>The figures per day</summary>
            <div tabIndex={0} role="region" aria-label="Drifts per day" class="table-wrap">
              <table class="table compact">
                <caption class="sr-only">Drifts first seen and closed per day (UTC)</caption>
                <thead>
                  <tr>
                    <th scope="col">Day (UTC)</th>
                    <th scope="col" class="num">First seen</th>
                    <th scope="col" class="num">Closed</th>
                  </tr>
                </thead>
                <tbody>
                  {chart.x.map((t, i) => (
                    <tr key={t}>
                      <th scope="row">{new Date(t * 1000).toISOString().slice(0, 10)}</th>
                      <td class="num">{chart.opened[i]}</td>
                      <td class="num">{chart.closed[i]}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          </details>
          <p class="small muted">Per UTC day, under the filters below (every status), counted from each drift's first-seen and resolved times.</p>
        </>
      ) : null}
    </Section>
  );
}

function Filters({
  q,
  go,
  summary,
  owners,
  ownerTotal,
  ciName,
}: {
  q: Query;
  go: (changes: Record<string, string | null>) => void;
  summary: Summary | undefined;
  owners: { id: string; name: string }[];
  /** How many owners there are: the choices stop at the first 200 by name. */
  ownerTotal: number;
  ciName: string | undefined;
}) {
  const withCurrent = (keys: string[], current: string | undefined) => (current && !keys.includes(current) ? [current, ...keys] : keys);
  const jobs = withCurrent((summary?.byJob ?? []).map((c) => c.key).sort(), q.job);
  const services = withCurrent((summary?.byService ?? []).map((c) => c.key).sort(), q.service);
  const ownerList = q.owner && !owners.some((o) => o.id === q.owner) ? [{ id: q.owner, name: `owner ${q.owner}` }, ...owners] : owners;
  const set = (key: string) => (e: Event) => go({ [key]: (e.currentTarget as HTMLSelectElement).value || null });
  const any = Object.keys(q).some((k) => ["kind", "auth", "status", "service", "owner", "job", "ci"].includes(k) && q[k]);
  return (
    <form class="filters drift-filters" aria-label="Filter drifts" onSubmit={(e) => e.preventDefault()}>
      <label>
        Kind
        <select name="kind" value={q.kind ?? ""} onChange={set("kind")}>
          <option value="">Any kind</option>
          {DRIFT_KINDS.map((k) => (
            <option key={k} value={k}>
              {words(k)}
            </option>
          ))}
        </select>
      </label>
      <label>
        Authorised
        <select name="auth" value={q.auth ?? ""} onChange={set("auth")}>
          <option value="">Either</option>
          <option value="no">Unauthorised</option>
          <option value="yes">Authorised (approved change)</option>
        </select>
      </label>
      <label>
        Status
        <select name="status" value={q.status ?? ""} onChange={set("status")}>
          <option value="">Open or acknowledged</option>
          {DRIFT_STATUSES.map((s) => (
            <option key={s} value={s}>
              {words(s)}
            </option>
          ))}
          <option value="all">Any status</option>
        </select>
      </label>
      <label>
        Service
        <select name="service" value={q.service ?? ""} onChange={set("service")}>
          <option value="">Any service</option>
          {services.map((s) => (
            <option key={s} value={s}>
              {s}
            </option>
          ))}
        </select>
      </label>
      <div class="drift-owner">
        <label>
          Owner
          <select
            name="owner"
            value={q.owner ?? ""}
            onChange={set("owner")}
            aria-describedby={ownerTotal > owners.length ? "drift-owner-more" : undefined}
          >
            <option value="">Any owner</option>
            {ownerList.map((o) => (
              <option key={o.id} value={o.id}>
                {o.name}
              </option>
            ))}
          </select>
        </label>
        {ownerTotal > owners.length ? (
          <div class="ref-more">
            <span id="drift-owner-more" class="muted">
              The first {owners.length} of {ownerTotal} owners by name; another by its ID:
            </span>
            <RefByID label="Owner ID" value={q.owner ?? ""} set={(v) => go({ owner: v })} />
          </div>
        ) : null}
      </div>
      <label>
        Job
        <select name="job" value={q.job ?? ""} onChange={set("job")}>
          <option value="">Any job</option>
          {jobs.map((j) => (
            <option key={j} value={j}>
              {j}
            </option>
          ))}
        </select>
      </label>
      <label>
        Order
        <select name="order" value={q.order ?? ""} onChange={set("order")}>
          {Object.entries(ORDERS).map(([k, o]) => (
            <option key={k} value={k === "last" ? "" : k}>
              {o.label}
            </option>
          ))}
        </select>
      </label>
      {q.ci ? (
        <p class="drift-ci-filter">
          Only the CI <a href={`/ci/${q.ci}`}>{ciName ?? q.ci}</a>{" "}
          <a href={hrefWith(PATH, q, { ci: null, after: null, before: null })}>(all CIs)</a>
        </p>
      ) : null}
      {any ? (
        <p>
          <a href={PATH}>Clear the filters</a>
        </p>
      ) : null}
    </form>
  );
}

type Panel = { id: string; what: "ack" | "accept" | "ignore" } | null;

function DriftTable({
  busy,
  rows,
  seenBy,
  ends,
  runsError,
  editor,
  admin,
  onChanged,
}: {
  busy: boolean;
  rows: DriftRow[];
  seenBy: Map<string, SeenBy>;
  ends: Map<string, CIName>;
  runsError: ApiError | undefined;
  editor: boolean;
  admin: boolean;
  onChanged: (d: DriftRow, message: string) => void;
}) {
  const [panel, setPanel] = useState<Panel>(null);
  const cols = editor ? 8 : 7;
  const close = (p: Panel) => {
    setPanel(null);
    if (p) setTimeout(() => document.getElementById(`act-${p.what}-${p.id}`)?.focus(), 0);
  };
  return (
    <div tabIndex={0} role="region" aria-label="Drifts" class="table-wrap" aria-busy={busy ? "true" : undefined}>
      <table class="table drift-table">
        <caption class="sr-only">Drifts: the CI, what differs, when it was seen, its status and the run that saw it</caption>
        <thead>
          <tr>
            <th scope="col">CI</th>
            <th scope="col">Kind</th>
            <th scope="col">Field</th>
            <th scope="col">Recorded → observed</th>
            <th scope="col">Seen</th>
            <th scope="col">Status</th>
            <th scope="col">Seen by</th>
            {editor ? <th scope="col">Actions</th> : null}
          </tr>
        </thead>
        <tbody>
          {rows.map((d) => {
            const open = panel?.id === d.id ? panel : null;
            return [
              <tr key={d.id} id={`drift-${d.id}`} data-drift={d.id} data-status={d.status}>
                <td>
                  {d.configurationItem ? (
                    <>
                      <a href={`/ci/${d.configurationItem.id}`}>{d.configurationItem.name}</a> <Kind kind={d.configurationItem.kind} />
                    </>
                  ) : (
                    <span>
                      <span class="muted small">not registered: </span>
                      {d.observationKey ?? d.identity ?? "—"}
                      {d.identity && d.observationKey ? <span class="muted small"> ({d.identity})</span> : null}
                    </span>
                  )}
                </td>
                <td>
                  {words(d.kind)}
                  {d.authorized ? (
                    <>
                      {" "}
                      <Badge tone="info">authorised</Badge>
                    </>
                  ) : null}
                </td>
                <td>
                  <FieldCell field={d.field} ends={ends} />
                </td>
                <td class="drift-values">
                  {d.kind === "MISSING" && !d.observed ? (
                    <span class="drift-observed">not seen</span>
                  ) : (
                    <>
                      <span class="drift-recorded">{shown(d.recorded)}</span> <span aria-hidden="true">→</span>
                      <span class="sr-only"> observed </span> <span class="drift-observed">{shown(d.observed)}</span>
                    </>
                  )}
                </td>
                <td class="small">
                  <span title={dateTime(d.firstSeenAt)}>first {relative(d.firstSeenAt)}</span>
                  <br />
                  <span title={dateTime(d.lastSeenAt)}>last {relative(d.lastSeenAt)}</span>
                </td>
                <td class="drift-status">
                  <Badge tone={statusTone(d.status)}>{words(d.status)}</Badge>
                  {d.note ? <p class="drift-note small">“{d.note}”</p> : null}
                  {d.acknowledgedBy && d.status === "ACKNOWLEDGED" ? (
                    <p class="muted small">
                      by {d.acknowledgedBy} {relative(d.acknowledgedAt)}
                    </p>
                  ) : null}
                  {d.ignoredBy ? <p class="muted small">rule {d.ignoredBy}</p> : null}
                </td>
                <td class="small">
                  <SeenByCell d={d} seen={seenBy.get(d.id)} runsError={runsError} admin={admin} />
                </td>
                {editor ? (
                  <td class="drift-actions">
                    {ACTIONABLE.includes(d.status) ? (
                      <Button id={`act-ack-${d.id}`} aria-expanded={open?.what === "ack"} onClick={() => setPanel(open?.what === "ack" ? null : { id: d.id, what: "ack" })}>
                        {d.status === "ACKNOWLEDGED" ? "Edit note" : "Acknowledge"}
                      </Button>
                    ) : null}
                    {ACTIONABLE.includes(d.status) && d.kind !== "AMBIGUOUS" ? (
                      <Button id={`act-accept-${d.id}`} aria-expanded={open?.what === "accept"} onClick={() => setPanel(open?.what === "accept" ? null : { id: d.id, what: "accept" })}>
                        Accept
                      </Button>
                    ) : null}
                    <Button id={`act-ignore-${d.id}`} aria-expanded={open?.what === "ignore"} onClick={() => setPanel(open?.what === "ignore" ? null : { id: d.id, what: "ignore" })}>
                      Ignore rule…
                    </Button>
                  </td>
                ) : null}
              </tr>,
              open ? (
                <tr key={`${d.id}-panel`} class="drift-panel">
                  <td colSpan={cols}>
                    {open.what === "ack" ? (
                      <AcknowledgeForm d={d} done={(nd) => (onChanged(nd, `Acknowledged the ${words(d.kind)} drift${nd.configurationItem ? ` of ${nd.configurationItem.name}` : ""}.`), close(open))} cancel={() => close(open)} />
                    ) : open.what === "accept" ? (
                      <AcceptForm d={d} ends={ends} done={(nd) => (onChanged(nd, `Accepted: the record of ${nd.configurationItem?.name ?? "the CI"} now says what discovery saw.`), close(open))} cancel={() => close(open)} />
                    ) : (
                      <IgnoreRuleForm d={d} done={(msg) => (onChanged(d, msg), close(open))} cancel={() => close(open)} />
                    )}
                  </td>
                </tr>
              ) : null,
            ];
          })}
        </tbody>
      </table>
    </div>
  );
}

function FieldCell({ field, ends }: { field: string | null; ends: Map<string, CIName> }) {
  const rel = relationshipOf(field);
  if (rel) {
    const to = ends.get(rel.to);
    return (
      <>
        {words(rel.type)} <a href={`/ci/${rel.to}`}>{to?.name ?? `CI ${rel.to}`}</a>
        {rel.attr ? <>: <code>{rel.attr}</code></> : null}
      </>
    );
  }
  return field ? <code>{field}</code> : <>—</>;
}

function SeenByCell({ d, seen, runsError, admin }: { d: DriftRow; seen: SeenBy | undefined; runsError: ApiError | undefined; admin: boolean }) {
  const job = seen?.job?.name ?? jobOf(d);
  const run = seen?.run;
  if (!job && !d.runID) return <span class="muted">—</span>;
  return (
    <>
      {job ? <span>{job}</span> : null}
      {run ? (
        <>
          <br />
          {admin && seen?.job ? (
            <a href={`/admin/jobs?job=${seen.job.id}&run=${run.id}`}>last run {dateTime(run.startedAt)}</a>
          ) : (
            <span>last run {dateTime(run.startedAt)}</span>
          )}{" "}
          <span class="muted">({words(run.status)})</span>
        </>
      ) : d.runID ? (
        <>
          <br />
          <span class="muted">{runsError ? "its runs are not shown to you" : "last run not readable"}</span>
        </>
      ) : null}
    </>
  );
}

/** Moves focus to the first field of a panel when it opens. */
function useFocusFirst() {
  const ref = useRef<HTMLFormElement>(null);
  useEffect(() => {
    ref.current?.querySelector<HTMLElement>("textarea, input, select, button")?.focus();
  }, []);
  return ref;
}

function FieldError({ id, msg }: { id: string; msg: string | undefined }) {
  return msg ? (
    <p class="field-error" id={id}>
      {msg}
    </p>
  ) : null;
}

function AcknowledgeForm({ d, done, cancel }: { d: DriftRow; done: (d: DriftRow) => void; cancel: () => void }) {
  const [note, setNote] = useState(d.note ?? "");
  const m = useMutation<{ acknowledgeDrift: DriftRow }>(ROW + ACKNOWLEDGE);
  const ref = useFocusFirst();
  const errs = m.error?.byField() ?? {};
  const id = `ack-note-${d.id}`;
  const submit = async (e: Event) => {
    e.preventDefault();
    try {
      const r = await m.run({ id: d.id, note: note.trim() || null });
      done(r.acknowledgeDrift);
    } catch {
      // shown below
    }
  };
  return (
    <form class="form drift-form" ref={ref} onSubmit={submit} onKeyDown={(e) => e.key === "Escape" && cancel()} aria-label="Acknowledge the drift">
      <label for={id}>Note (why it is known, who is on it)</label>
      <textarea
        id={id}
        name="note"
        rows={2}
        maxLength={4000}
        value={note}
        onInput={(e) => setNote(e.currentTarget.value)}
        aria-invalid={errs.note ? "true" : undefined}
        aria-describedby={errs.note ? `${id}-err` : undefined}
      />
      <FieldError id={`${id}-err`} msg={errs.note} />
      {m.error && !errs.note ? <ErrorBox error={m.error} /> : null}
      <div class="actions">
        <button type="submit" class="btn b-primary" disabled={m.busy}>
          {m.busy ? "Acknowledging…" : "Acknowledge"}
        </button>
        <Button onClick={cancel}>Cancel</Button>
      </div>
    </form>
  );
}

function acceptMeans(d: DriftRow, ends: Map<string, CIName>): string {
  const ci = d.configurationItem?.name ?? "the CI";
  switch (d.kind) {
    case "ATTRIBUTE_CHANGED":
      return `The record of ${ci} takes the observed value: ${d.field ?? "the field"} becomes “${shown(d.observed)}” (audited).`;
    case "MISSING":
      return `${ci} is retired: discovery no longer sees it.`;
    case "UNREGISTERED":
      return d.configurationItem ? `${ci} becomes active.` : `The observed thing is registered as a new CI.`;
    case "RELATIONSHIP_CHANGED": {
      const rel = relationshipOf(d.field);
      const what = rel ? `${words(rel.type)} ${ends.get(rel.to)?.name ?? `CI ${rel.to}`}` : "the relationship";
      if (rel?.attr) return `The ${rel.attr} of ${ci}'s ${what} becomes “${shown(d.observed)}” (audited).`;
      return d.observed === "absent" ? `${ci} loses ${what}, as discovery no longer sees it.` : `${ci} gets ${what}, as discovery sees it.`;
    }
  }
  return "The record takes what discovery observed.";
}

function AcceptForm({ d, ends, done, cancel }: { d: DriftRow; ends: Map<string, CIName>; done: (d: DriftRow) => void; cancel: () => void }) {
  const m = useMutation<{ acceptDrift: DriftRow }>(ROW + ACCEPT);
  const ref = useFocusFirst();
  const submit = async (e: Event) => {
    e.preventDefault();
    try {
      const r = await m.run({ id: d.id });
      done(r.acceptDrift);
    } catch {
      // shown below
    }
  };
  return (
    <form class="form drift-form" ref={ref} onSubmit={submit} onKeyDown={(e) => e.key === "Escape" && cancel()} aria-label="Accept the drift">
      <p>{acceptMeans(d, ends)}</p>
      <ErrorBox error={m.error} />
      <div class="actions">
        <button type="submit" class="btn b-primary" disabled={m.busy}>
          {m.busy ? "Accepting…" : "Accept what discovery saw"}
        </button>
        <Button onClick={cancel}>Cancel</Button>
      </div>
    </form>
  );
}

const RULE_FIELDS = ["name", "driftKind", "ciKind", "fieldPattern", "jobName", "tag", "note"] as const;
type RuleField = (typeof RULE_FIELDS)[number];

/** The ignore rule a drift suggests: its kind, field, CI kind and job. */
export function ruleFrom(d: DriftRow): Record<RuleField, string> & { enabled: boolean } {
  const job = jobOf(d) ?? "";
  const ciKind = d.configurationItem?.kind ?? "";
  const what = d.field ?? words(d.kind);
  const name = `Ignore ${what} on ${ciKind ? words(ciKind) : "any CI"}${job ? ` from ${job}` : ""}`.slice(0, 100);
  return { name, driftKind: d.kind, ciKind, fieldPattern: d.field ?? "", jobName: job, tag: "", note: "", enabled: true };
}

function IgnoreRuleForm({ d, done, cancel }: { d: DriftRow; done: (msg: string) => void; cancel: () => void }) {
  const [v, setV] = useState(() => ruleFrom(d));
  const m = useMutation<{ createDriftIgnoreRule: { id: string; name: string } }>(IGNORE);
  const ref = useFocusFirst();
  const errs = m.error?.byField() ?? {};
  const fid = (f: string) => `rule-${d.id}-${f}`;
  const field = (f: RuleField) => ({
    id: fid(f),
    name: f,
    value: v[f],
    "aria-invalid": errs[f] ? ("true" as const) : undefined,
    "aria-describedby": [errs[f] ? `${fid(f)}-err` : "", `${fid(f)}-hint`].filter(Boolean).join(" ") || undefined,
    onInput: (e: Event) => {
      const value = (e.currentTarget as HTMLInputElement).value;
      setV((cur) => ({ ...cur, [f]: value }));
    },
    onChange: (e: Event) => {
      const value = (e.currentTarget as HTMLInputElement).value;
      setV((cur) => ({ ...cur, [f]: value }));
    },
  });
  const submit = async (e: Event) => {
    e.preventDefault();
    const input: Record<string, unknown> = { enabled: v.enabled };
    for (const f of RULE_FIELDS) if (v[f].trim()) input[f] = v[f].trim();
    try {
      const r = await m.run({ input });
      done(`Ignore rule “${r.createDriftIgnoreRule.name}” created: drifts it matches are ignored from the next discovery run that sees them.`);
    } catch {
      // shown below
    }
  };
  const other = Object.keys(errs).filter((k) => !(RULE_FIELDS as readonly string[]).includes(k));
  const tags = d.configurationItem?.tags ?? [];
  return (
    <form class="form drift-form drift-rule" ref={ref} onSubmit={submit} onKeyDown={(e) => e.key === "Escape" && cancel()} aria-label="Create an ignore rule from the drift">
      <p class="small muted">A rule matches drifts that meet every criterion given; leave one empty to match anything. Drifts already open stay until a run sees them again.</p>
      <div class="drift-rule-grid">
        <div>
          <label for={fid("name")}>Rule name</label>
          <input type="text" maxLength={100} required {...field("name")} />
          <span id={`${fid("name")}-hint`} class="sr-only">unique, at most 100 characters</span>
          <FieldError id={`${fid("name")}-err`} msg={errs.name} />
        </div>
        <div>
          <label for={fid("driftKind")}>Drift kind</label>
          <select {...field("driftKind")}>
            <option value="">Any kind</option>
            {DRIFT_KINDS.map((k) => (
              <option key={k} value={k}>
                {words(k)}
              </option>
            ))}
          </select>
          <span id={`${fid("driftKind")}-hint`} class="sr-only">the kind of drift the rule ignores</span>
          <FieldError id={`${fid("driftKind")}-err`} msg={errs.driftKind} />
        </div>
        <div>
          <label for={fid("ciKind")}>CI kind</label>
          <select {...field("ciKind")}>
            <option value="">Any CI kind</option>
            {CI_KINDS.map((k) => (
              <option key={k} value={k}>
                {words(k)}
              </option>
            ))}
          </select>
          <span id={`${fid("ciKind")}-hint`} class="sr-only">the kind of CI the rule applies to</span>
          <FieldError id={`${fid("ciKind")}-err`} msg={errs.ciKind} />
        </div>
        <div>
          <label for={fid("fieldPattern")}>Field pattern</label>
          <input type="text" maxLength={255} placeholder="facts.port.*" {...field("fieldPattern")} />
          <span id={`${fid("fieldPattern")}-hint`} class="small muted">
            a glob over drift fields, such as facts.port.*
          </span>
          <FieldError id={`${fid("fieldPattern")}-err`} msg={errs.fieldPattern} />
        </div>
        <div>
          <label for={fid("jobName")}>Discovery job</label>
          <input type="text" maxLength={100} {...field("jobName")} />
          <span id={`${fid("jobName")}-hint`} class="sr-only">the job whose runs the rule applies to; empty for any job</span>
          <FieldError id={`${fid("jobName")}-err`} msg={errs.jobName} />
        </div>
        <div>
          <label for={fid("tag")}>CI tag</label>
          <input type="text" maxLength={255} {...field("tag")} />
          <span id={`${fid("tag")}-hint`} class="small muted">
            {tags.length ? `this CI's tags: ${tags.join(", ")}` : "CIs carrying this tag"}
          </span>
          <FieldError id={`${fid("tag")}-err`} msg={errs.tag} />
        </div>
      </div>
      <label for={fid("note")}>Note</label>
      <textarea rows={2} maxLength={4000} {...field("note")} />
      <span id={`${fid("note")}-hint`} class="sr-only">why these drifts do not matter</span>
      <FieldError id={`${fid("note")}-err`} msg={errs.note} />
      <label class="drift-check">
        <input type="checkbox" checked={v.enabled} onChange={(e) => {
            const enabled = e.currentTarget.checked;
            setV((cur) => ({ ...cur, enabled }));
          }} /> Enabled
      </label>
      {m.error && other.length ? <ErrorBox error={m.error} /> : null}
      <div class="actions">
        <button type="submit" class="btn b-primary" disabled={m.busy}>
          {m.busy ? "Creating…" : "Create the ignore rule"}
        </button>
        <Button onClick={cancel}>Cancel</Button>
      </div>
    </form>
  );
}

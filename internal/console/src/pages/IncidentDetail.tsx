// One incident: /incidents/:id[?aafter=|abefore=] (the alerts table pages
// with its own cursors).
//
// What it says: the lifecycle with who did what, the probable causes ranked
// with their reasons and dependency paths, the services hit and the top
// candidate's blast radius, the graph of alerted CIs, candidates and the
// CIs on the paths between them (the top candidate highlighted), and the
// alerts. Editors acknowledge, resolve, reopen, merge, link the causing
// change and move alerts out; viewers see no such control.
import type { ComponentChildren, FunctionComponent } from "preact";
import { useEffect, useMemo, useRef, useState } from "preact/hooks";
import { useLocation } from "preact-iso";
import { CursorPager } from "../components/CursorPager";
import type { GraphElements, GraphNode, GraphProps } from "../components/DepGraph";
import { pageVars } from "../components/href";
import { AlertStatus, BoundTo, duration, IncidentStatus, Labels, type AlertConn, type AlertRow } from "../components/incidents";
import { NodeList } from "../components/NodeList";
import { Badge, Button, Empty, ErrorBox, Facts, Kind, Loading, Section } from "../components/ui";
import { dateTime, plural, relative, webURL, words } from "../format";
import { useMutation, useQuery, useTitle } from "../hooks";
import ACKNOWLEDGE from "../queries/incident-acknowledge.graphql";
import ALERTS from "../queries/incident-alerts.graphql";
import CHANGES from "../queries/incident-changes.graphql";
import DETAIL from "../queries/incident-detail.graphql";
import MERGE from "../queries/incident-merge.graphql";
import MOVE from "../queries/incident-move-alert.graphql";
import REOPEN from "../queries/incident-reopen.graphql";
import RESOLVE from "../queries/incident-resolve.graphql";
import UPDATE from "../queries/incident-update.graphql";
import { useSession } from "../session";

const ALERT_PAGE = 50;
/** Alerted CIs asked for the graph; a storm beyond this is counted, not drawn. */
const ALERTED_DRAWN = 300;
const PATHS_SHOWN = 5;

interface CI {
  id: string;
  name: string;
  kind: string;
}

interface Candidate {
  configurationItem: (CI & { status: string }) | null;
  score: number;
  alerted: boolean;
  reasons: string[];
  pathCount: number;
  paths: { length: number; cis: CI[]; relationships: { type: string; fromID: string; toID: string }[] }[];
}

interface Incident {
  id: string;
  title: string;
  status: string;
  openedAt: string;
  firstAlertAt: string;
  lastAlertAt: string;
  impactStartedAt: string | null;
  acknowledgedAt: string | null;
  acknowledgedBy: string | null;
  escalatedAt: string | null;
  resolvedAt: string | null;
  resolvedBy: string | null;
  note: string | null;
  serviceLabel: string | null;
  manual: boolean;
  alertCount: number;
  firingCount: number;
  timeToDetect: number;
  timeToAcknowledge: number | null;
  timeToResolve: number | null;
  causedByChange: { id: string; number: string; title: string; status: string; outcome: string | null; windowStart: string; windowEnd: string } | null;
  rootCauseCandidates: Candidate[];
  impactedServices: { id: string; name: string; tier: number; sloTarget: number | null; rtoMinutes: number | null; runbookURL: string | null }[];
  topCandidateImpact: { count: number; truncated: boolean; services: { id: string; name: string }[] } | null;
}

interface Detail {
  node: (Incident & { __typename?: string }) | null;
  alerted: { totalCount: number; edges: { node: CI }[] };
}

export function IncidentDetailPage({ id }: { id: string }) {
  const vars = useMemo(() => ({ id, where: { hasIncidentsWith: [{ id }] }, drawn: ALERTED_DRAWN }), [id]);
  const { data, error, reload } = useQuery<Detail>(DETAIL, vars, !/^\d+$/.test(id), { keepPrevious: true });
  const inc = data?.node && "title" in data.node ? data.node : null;
  useTitle(inc ? inc.title : "Incident");
  if (!/^\d+$/.test(id))
    return (
      <div class="page">
        <h1>No such incident</h1>
        <Empty>{id} is no incident ID.</Empty>
      </div>
    );
  if (error && !data)
    return (
      <div class="page">
        <ErrorBox error={error} />
      </div>
    );
  if (!data) return <Loading what="Loading the incident" />;
  if (!inc)
    return (
      <div class="page">
        <h1>No such incident</h1>
        <Empty>
          No incident has the ID {id}. <a href="/incidents">All incidents</a>
        </Empty>
      </div>
    );
  return <IncidentView inc={inc} alerted={data.alerted} reload={reload} />;
}

function IncidentView({ inc, alerted, reload }: { inc: Incident; alerted: Detail["alerted"]; reload: () => void }) {
  const { can } = useSession();
  const editor = can("EDITOR");
  const [said, setSaid] = useState("");
  const [alertsTick, setAlertsTick] = useState(0);
  const top = inc.rootCauseCandidates[0]?.configurationItem ?? null;
  const changed = (msg: string) => {
    setSaid(msg);
    reload();
    setAlertsTick((t) => t + 1);
  };
  return (
    <div class="page incident-page">
      <header class="page-h">
        <div>
          <h1>{inc.title}</h1>
          <p class="sub">
            <IncidentStatus status={inc.status} />{" "}
            {inc.escalatedAt && inc.status === "OPEN" ? <Badge tone="bad">escalated</Badge> : null}{" "}
            {inc.manual ? <Badge tone="info">regrouped by hand</Badge> : null}{" "}
            <span class="muted">
              #{inc.id} · opened {relative(inc.openedAt)} · {plural(inc.alertCount, "alert")}
              {inc.status !== "RESOLVED" ? `, ${inc.firingCount} firing` : ""}
              {inc.serviceLabel ? ` · service label ${inc.serviceLabel}` : ""}
            </span>
          </p>
        </div>
        <div class="actions">
          <a class="btn b-plain" href="/incidents">
            All incidents
          </a>
          {top ? (
            <a class="btn b-plain" href={`/ci/${top.id}`}>
              Top candidate: {top.name}
            </a>
          ) : null}
        </div>
      </header>
      <p role="status" class={said ? "notice inc-said" : "sr-only"}>
        {said}
      </p>
      {editor ? <Actions inc={inc} changed={changed} /> : null}
      <div class="grid">
        <Section title="Timeline" id="timeline">
          <Timeline inc={inc} />
        </Section>
        <Section title="Impact" id="impact">
          <Impact inc={inc} top={top} />
        </Section>
      </div>
      <Section title="Probable causes" id="candidates">
        <Candidates inc={inc} />
      </Section>
      <GraphSection inc={inc} alerted={alerted} />
      <AlertsSection inc={inc} editor={editor} tick={alertsTick} changed={changed} />
    </div>
  );
}

function Timeline({ inc }: { inc: Incident }) {
  const items: { at: string; what: ComponentChildren }[] = [];
  if (inc.impactStartedAt) items.push({ at: inc.impactStartedAt, what: "Impact started (recorded)" });
  items.push({ at: inc.firstAlertAt, what: "First alert started" });
  items.push({ at: inc.openedAt, what: <>Opened <span class="muted small">(detected after {duration(inc.timeToDetect)})</span></> });
  if (inc.escalatedAt) items.push({ at: inc.escalatedAt, what: "Escalated: not acknowledged in time" });
  if (inc.acknowledgedAt)
    items.push({
      at: inc.acknowledgedAt,
      what: (
        <>
          Acknowledged{inc.acknowledgedBy ? <> by <strong>{inc.acknowledgedBy}</strong></> : null}{" "}
          <span class="muted small">(after {duration(inc.timeToAcknowledge)})</span>
        </>
      ),
    });
  if (inc.lastAlertAt !== inc.firstAlertAt) items.push({ at: inc.lastAlertAt, what: "Last alert joined" });
  if (inc.resolvedAt)
    items.push({
      at: inc.resolvedAt,
      what: (
        <>
          Resolved {inc.resolvedBy ? <>by <strong>{inc.resolvedBy}</strong></> : "by its alerts (all resolved)"}{" "}
          <span class="muted small">(after {duration(inc.timeToResolve)})</span>
        </>
      ),
    });
  items.sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
  return (
    <>
      <ol class="timeline">
        {items.map((i, n) => (
          <li key={n}>
            <time dateTime={i.at}>{dateTime(i.at)}</time>
            <br />
            {i.what}
          </li>
        ))}
      </ol>
      {inc.note ? (
        <p class="inc-note">
          <span class="muted small">Note: </span>“{inc.note}”
        </p>
      ) : null}
      {inc.causedByChange ? (
        <p>
          Caused by change <strong>{inc.causedByChange.number}</strong> {inc.causedByChange.title}{" "}
          <span class="muted small">
            ({words(inc.causedByChange.status)}
            {inc.causedByChange.outcome ? `, ${words(inc.causedByChange.outcome)}` : ""}; window {dateTime(inc.causedByChange.windowStart)} to{" "}
            {dateTime(inc.causedByChange.windowEnd)})
          </span>
        </p>
      ) : null}
    </>
  );
}

function Impact({ inc, top }: { inc: Incident; top: CI | null }) {
  const b = inc.topCandidateImpact;
  return (
    <>
      <h3>Services hit</h3>
      {inc.impactedServices.length ? (
        <ul class="rows">
          {inc.impactedServices.map((s) => (
            <li key={s.id}>
              <a href={`/services/${s.id}`}>{s.name}</a> <Badge tone={s.tier <= 1 ? "bad" : "plain"}>tier {s.tier}</Badge>
              <span class="muted">
                {s.sloTarget !== null ? ` SLO ${s.sloTarget}%` : " no SLO"}
                {s.rtoMinutes !== null ? ` · RTO ${s.rtoMinutes} min` : ""}
              </span>
              {webURL(s.runbookURL) ? (
                <>
                  {" "}
                  <a href={webURL(s.runbookURL)!} rel="noreferrer noopener" target="_blank">
                    runbook<span class="sr-only"> of {s.name}</span>
                  </a>
                </>
              ) : null}
            </li>
          ))}
        </ul>
      ) : (
        <Empty>No service is known to be hit.</Empty>
      )}
      <h3>Blast radius of the top candidate</h3>
      {top && b ? (
        <Facts
          rows={[
            [
              "What breaks with it",
              <a href={`/ci/${top.id}/graph?direction=DEPENDENTS`}>
                {plural(b.count, "dependent")}
                {b.truncated ? " (more beyond the cap)" : ""}
              </a>,
            ],
            ["Services reached", b.services.length ? b.services.map((s) => s.name).join(", ") : "none"],
          ]}
        />
      ) : (
        <Empty>No candidate, so no blast radius.</Empty>
      )}
    </>
  );
}

function Candidates({ inc }: { inc: Incident }) {
  const cs = inc.rootCauseCandidates;
  if (!cs.length) return <Empty>No probable cause: its alerts are bound to no CI.</Empty>;
  const max = Math.max(...cs.map((c) => c.score), 1);
  return (
    <ol class="candidates">
      {cs.map((c, i) => {
        const ci = c.configurationItem;
        const shown = i === 0 ? 20 : PATHS_SHOWN;
        return (
          <li key={ci?.id ?? `gone-${i}`} class={i === 0 ? "top" : undefined} data-candidate={ci?.id ?? ""}>
            <div class="cand-h">
              <span class="cand-rank" aria-hidden="true">
                {i + 1}
              </span>
              <span class="cand-name">
                {ci ? <a href={`/ci/${ci.id}`}>{ci.name}</a> : <span class="muted">a CI deleted since</span>} {ci ? <Kind kind={ci.kind} /> : null}{" "}
                {i === 0 ? <Badge tone="warn">top candidate</Badge> : null} {c.alerted ? <Badge tone="bad">alerted</Badge> : <Badge>silent</Badge>}
              </span>
              <span class="cand-score">
                <span class="score-bar" aria-hidden="true">
                  <span style={{ width: `${Math.max(2, Math.round((100 * c.score) / max))}%` }} />
                </span>
                <span>score {c.score.toFixed(2)}</span>
              </span>
            </div>
            {c.reasons.length ? (
              <ul class="reasons">
                {c.reasons.map((r, j) => (
                  <li key={j}>{r}</li>
                ))}
              </ul>
            ) : null}
            {c.paths.length ? (
              <details class="paths" open={i === 0}>
                <summary>
                  {plural(c.pathCount, "dependency path")} from alerted CIs
                  {c.pathCount > c.paths.length ? ` (${c.paths.length} shown by the API)` : ""}
                </summary>
                <ul class="rows">
                  {c.paths.slice(0, shown).map((p, j) => (
                    <li key={j}>
                      <Path p={p} />
                    </li>
                  ))}
                </ul>
                {c.paths.length > shown ? <p class="muted small">and {c.paths.length - shown} more in the graph below</p> : null}
              </details>
            ) : null}
          </li>
        );
      })}
    </ol>
  );
}

/** a —runs on→ b —connects to→ c, each CI a link. */
function Path({ p }: { p: Candidate["paths"][number] }) {
  return (
    <span class="path">
      {p.cis.map((c, k) => (
        <span key={k}>
          {k > 0 ? <span class="muted small"> {words(p.relationships[k - 1]?.type ?? "")} → </span> : null}
          <a href={`/ci/${c.id}`}>{c.name}</a>
        </span>
      ))}
    </span>
  );
}

/**
 * The incident's graph: the alerted CIs, the candidates and the CIs on
 * their paths, with the paths' relationships as edges (from depends on to).
 */
export function incidentElements(inc: Incident, alerted: CI[], alertedTotal: number): GraphElements {
  const nodes = new Map<string, GraphNode>();
  const edges = new Map<string, { from: string; to: string; type: string }>();
  const add = (c: CI): GraphNode => {
    let n = nodes.get(c.id);
    if (!n) {
      n = { id: c.id, label: c.name, kind: c.kind, href: `/ci/${c.id}` };
      nodes.set(c.id, n);
    }
    return n;
  };
  for (const c of alerted) add(c).alerted = true;
  inc.rootCauseCandidates.forEach((cand, i) => {
    if (!cand.configurationItem) return;
    const n = add(cand.configurationItem);
    n.candidate = true;
    if (i === 0) n.top = true;
    if (cand.alerted) n.alerted = true;
    for (const p of cand.paths) {
      p.cis.forEach((c, k) => {
        add(c);
        const rel = k > 0 ? p.relationships[k - 1] : undefined;
        // The relationship as recorded: from depends on to.
        if (rel) edges.set(`${rel.fromID}>${rel.toID}`, { from: rel.fromID, to: rel.toID, type: rel.type });
      });
    }
  });
  const note =
    alertedTotal > alerted.length ? `${alerted.length} of ${alertedTotal} alerted CIs are drawn (with the candidates and their paths); the alerts table lists them all.` : undefined;
  // Candidates first, then alerted, then path CIs: the list reads best first.
  const rank = (n: GraphNode) => (n.top ? 0 : n.candidate ? 1 : n.alerted ? 2 : 3);
  return { nodes: [...nodes.values()].sort((a, b) => rank(a) - rank(b) || a.label.localeCompare(b.label)), edges: [...edges.values()], note };
}

function GraphSection({ inc, alerted }: { inc: Incident; alerted: Detail["alerted"] }) {
  const elements = useMemo(
    () => incidentElements(inc, alerted.edges.map((e) => e.node), alerted.totalCount),
    [inc, alerted],
  );
  const [Graph, setGraph] = useState<FunctionComponent<GraphProps> | null>(null);
  const [failed, setFailed] = useState("");
  useEffect(() => {
    import("../components/DepGraph").then(
      (m) => setGraph(() => m.DepGraph),
      (e: Error) => setFailed(e.message),
    );
  }, []);
  const top = inc.rootCauseCandidates[0]?.configurationItem;
  return (
    <Section title="Graph" id="graph">
      {failed ? <ErrorBox error={new Error(failed)} title="The graph could not load" /> : null}
      {!elements.nodes.length ? (
        <Empty>No CI to draw: the alerts are bound to no CI.</Empty>
      ) : Graph ? (
        <Graph
          key={inc.id}
          root={top ?? { id: `incident-${inc.id}`, name: inc.title, kind: "GROUP" }}
          elements={elements}
          height={elements.nodes.length <= 12 ? 320 : 480}
          label={`The incident's graph: ${plural(alerted.totalCount, "alerted CI")}${top ? `, top candidate ${top.name}` : ""}`}
        />
      ) : (
        <Loading what="Drawing" />
      )}
      {elements.nodes.length ? <NodeList elements={elements} title={`${plural(elements.nodes.length, "CI")} in the graph, as a list`} /> : null}
    </Section>
  );
}

function AlertsSection({ inc, editor, tick, changed }: { inc: Incident; editor: boolean; tick: number; changed: (msg: string) => void }) {
  const { query: q, path } = useLocation();
  const { data, error, loading, reload } = useQuery<{ alerts: AlertConn }>(
    ALERTS,
    { ...pageVars(q, ALERT_PAGE, "a"), where: { incidentID: inc.id } },
    false,
    { keepPrevious: true },
  );
  const first = useRef(true);
  useEffect(() => {
    if (first.current) first.current = false;
    else reload();
  }, [tick]);
  const [moving, setMoving] = useState<string | null>(null);
  const rows = data?.alerts.edges.map((e) => e.node) ?? [];
  return (
    <Section title={`Alerts (${inc.alertCount})`} id="alerts">
      {error ? <ErrorBox error={error} /> : null}
      {loading && !data ? <Loading what="Loading the alerts" /> : null}
      {data && !rows.length ? <Empty>No alert is in this incident any more.</Empty> : null}
      {rows.length ? (
        <div tabIndex={0} role="region" aria-label="Alerts of the incident" class="table-wrap">
          <table class="table alert-table">
            <caption class="sr-only">The incident's alerts, latest start first</caption>
            <thead>
              <tr>
                <th scope="col">Status</th>
                <th scope="col">Alert</th>
                <th scope="col">CI</th>
                <th scope="col">Bound by</th>
                <th scope="col">Expected</th>
                <th scope="col">Started</th>
                <th scope="col">Labels</th>
                {editor ? <th scope="col">Actions</th> : null}
              </tr>
            </thead>
            <tbody>
              {rows.map((a) => [
                <tr key={a.id} data-alert={a.id} data-status={a.status}>
                  <td>
                    <AlertStatus status={a.status} flapping={a.flapping} />
                  </td>
                  <td>
                    <strong>{a.name || "(no alertname)"}</strong>
                    {a.refires ? <span class="muted small"> fired again {plural(a.refires, "time")}</span> : null}
                  </td>
                  <td>
                    <BoundTo a={a} />
                  </td>
                  <td class="small">
                    {a.boundBy ? words(a.boundBy) : "—"}
                    {a.boundBy && a.bindingNote ? <span class="muted"> {a.bindingNote}</span> : null}
                  </td>
                  <td class="small">{a.suppressedBy ? <>in change {a.suppressedBy.number}</> : "—"}</td>
                  <td class="small">
                    <time dateTime={a.startsAt} title={dateTime(a.startsAt)}>
                      {relative(a.startsAt)}
                    </time>
                    {a.endsAt ? <span class="muted"> · ended {relative(a.endsAt)}</span> : null}
                  </td>
                  <td>
                    <Labels labels={a.labels} />
                  </td>
                  {editor ? (
                    <td>
                      <Button id={`move-${a.id}`} aria-expanded={moving === a.id} onClick={() => setMoving(moving === a.id ? null : a.id)}>
                        Move out…
                      </Button>
                    </td>
                  ) : null}
                </tr>,
                moving === a.id ? (
                  <tr key={`${a.id}-move`} class="inc-panel">
                    <td colSpan={8}>
                      <MoveForm
                        a={a}
                        done={(to) => {
                          setMoving(null);
                          changed(`Moved the alert ${a.name} into incident #${to}.`);
                        }}
                        cancel={() => {
                          setMoving(null);
                          setTimeout(() => document.getElementById(`move-${a.id}`)?.focus(), 0);
                        }}
                      />
                    </td>
                  </tr>
                ) : null,
              ])}
            </tbody>
          </table>
        </div>
      ) : null}
      {data ? <CursorPager path={path} query={q} info={data.alerts.pageInfo} label="Pages of alerts" prefix="a" /> : null}
    </Section>
  );
}

/** Moves focus to a panel's first field when it opens. */
function useFocusFirst() {
  const ref = useRef<HTMLFormElement>(null);
  useEffect(() => {
    ref.current?.querySelector<HTMLElement>("textarea, input, select, button")?.focus();
  }, []);
  return ref;
}

function MoveForm({ a, done, cancel }: { a: AlertRow; done: (to: string) => void; cancel: () => void }) {
  const [to, setTo] = useState("");
  const m = useMutation<{ moveAlert: { id: string } }>(MOVE);
  const ref = useFocusFirst();
  const fid = `move-to-${a.id}`;
  const submit = async (e: Event) => {
    e.preventDefault();
    try {
      const r = await m.run({ alert: a.id, to: to.trim() || null });
      done(r.moveAlert.id);
    } catch {
      // shown below
    }
  };
  return (
    <form class="form inc-form" ref={ref} onSubmit={submit} onKeyDown={(e) => e.key === "Escape" && cancel()} aria-label={`Move the alert ${a.name} out`}>
      <label for={fid}>Into incident (ID; empty: a new incident of its own)</label>
      <input id={fid} name="to" inputMode="numeric" value={to} onInput={(e) => setTo(e.currentTarget.value)} />
      {m.error ? <ErrorBox error={m.error} /> : null}
      <div class="actions">
        <button type="submit" class="btn b-primary" disabled={m.busy}>
          {m.busy ? "Moving…" : "Move"}
        </button>
        <Button onClick={cancel}>Cancel</Button>
      </div>
    </form>
  );
}

type Panel = "ack" | "resolve" | "reopen" | "merge" | "change" | null;

/** An editor's actions on the incident, each opening its form below the bar. */
function Actions({ inc, changed }: { inc: Incident; changed: (msg: string) => void }) {
  const [panel, setPanel] = useState<Panel>(null);
  const toggle = (p: Panel) => setPanel(panel === p ? null : p);
  const close = (p: Panel) => {
    setPanel(null);
    setTimeout(() => document.getElementById(`inc-act-${p}`)?.focus(), 0);
  };
  const resolved = inc.status === "RESOLVED";
  const btn = (p: Exclude<Panel, null>, label: string, kind: "primary" | "plain" = "plain") => (
    <Button id={`inc-act-${p}`} kind={kind} aria-expanded={panel === p} aria-controls={panel === p ? "inc-panel" : undefined} onClick={() => toggle(p)}>
      {label}
    </Button>
  );
  return (
    <section class="card inc-actions" aria-label="Act on the incident">
      <div class="actions">
        {!resolved ? btn("ack", inc.status === "ACKNOWLEDGED" ? "Edit note" : "Acknowledge", inc.status === "OPEN" ? "primary" : "plain") : null}
        {!resolved ? btn("resolve", "Resolve") : null}
        {resolved ? btn("reopen", "Reopen") : null}
        {btn("merge", "Merge into…")}
        {btn("change", inc.causedByChange ? "Change the causing change…" : "Link the causing change…")}
      </div>
      {panel ? (
        <div id="inc-panel" class="inc-panel">
          {panel === "ack" || panel === "resolve" || panel === "reopen" ? (
            <NoteForm
              key={panel}
              what={panel}
              inc={inc}
              done={(msg) => {
                close(panel);
                changed(msg);
              }}
              cancel={() => close(panel)}
            />
          ) : panel === "merge" ? (
            <MergeForm inc={inc} cancel={() => close(panel)} />
          ) : (
            <ChangeForm
              inc={inc}
              done={(msg) => {
                close(panel);
                changed(msg);
              }}
              cancel={() => close(panel)}
            />
          )}
        </div>
      ) : null}
    </section>
  );
}

const NOTE_FORMS = {
  ack: { doc: ACKNOWLEDGE, verb: "Acknowledge", busy: "Acknowledging…", said: "Acknowledged.", label: "Note (who is on it, what is known)" },
  resolve: { doc: RESOLVE, verb: "Resolve", busy: "Resolving…", said: "Resolved.", label: "Note (what fixed it)" },
  reopen: { doc: REOPEN, verb: "Reopen", busy: "Reopening…", said: "Reopened.", label: "Note (why it is back)" },
};

function NoteForm({ what, inc, done, cancel }: { what: "ack" | "resolve" | "reopen"; inc: Incident; done: (msg: string) => void; cancel: () => void }) {
  const f = NOTE_FORMS[what];
  const [note, setNote] = useState(what === "ack" ? inc.note ?? "" : "");
  const m = useMutation<unknown>(f.doc);
  const ref = useFocusFirst();
  const errs = m.error?.byField() ?? {};
  const fid = `inc-note-${what}`;
  const submit = async (e: Event) => {
    e.preventDefault();
    try {
      await m.run({ id: inc.id, note: note.trim() || null });
      done(f.said);
    } catch {
      // shown below
    }
  };
  return (
    <form class="form inc-form" ref={ref} onSubmit={submit} onKeyDown={(e) => e.key === "Escape" && cancel()} aria-label={`${f.verb} the incident`}>
      <label for={fid}>{f.label}</label>
      <textarea
        id={fid}
        name="note"
        rows={2}
        maxLength={8000}
        value={note}
        onInput={(e) => setNote(e.currentTarget.value)}
        aria-invalid={errs.note ? "true" : undefined}
        aria-describedby={errs.note ? `${fid}-err` : undefined}
      />
      {errs.note ? (
        <p class="field-error" id={`${fid}-err`}>
          {errs.note}
        </p>
      ) : null}
      {m.error && !errs.note ? <ErrorBox error={m.error} /> : null}
      <div class="actions">
        <button type="submit" class="btn b-primary" disabled={m.busy}>
          {m.busy ? f.busy : f.verb}
        </button>
        <Button onClick={cancel}>Cancel</Button>
      </div>
    </form>
  );
}

function MergeForm({ inc, cancel }: { inc: Incident; cancel: () => void }) {
  const { route } = useLocation();
  const [keep, setKeep] = useState("");
  const m = useMutation<{ mergeIncidents: { id: string } }>(MERGE);
  const ref = useFocusFirst();
  const submit = async (e: Event) => {
    e.preventDefault();
    try {
      const r = await m.run({ keep: keep.trim(), remove: inc.id });
      route(`/incidents/${r.mergeIncidents.id}`);
    } catch {
      // shown below
    }
  };
  return (
    <form class="form inc-form" ref={ref} onSubmit={submit} onKeyDown={(e) => e.key === "Escape" && cancel()} aria-label="Merge the incident into another">
      <label for="inc-merge-keep">Merge into incident (ID)</label>
      <p class="muted small" id="inc-merge-help">
        Every alert of #{inc.id} moves into that incident; #{inc.id} stays, empty and resolved, its note saying where they went. Both are audited.
      </p>
      <input id="inc-merge-keep" name="keep" inputMode="numeric" required value={keep} aria-describedby="inc-merge-help" onInput={(e) => setKeep(e.currentTarget.value)} />
      {m.error ? <ErrorBox error={m.error} /> : null}
      <div class="actions">
        <button type="submit" class="btn b-danger" disabled={m.busy || !keep.trim()}>
          {m.busy ? "Merging…" : "Merge"}
        </button>
        <Button onClick={cancel}>Cancel</Button>
      </div>
    </form>
  );
}

function ChangeForm({ inc, done, cancel }: { inc: Incident; done: (msg: string) => void; cancel: () => void }) {
  const changes = useQuery<{ changeRecords: { edges: { node: { id: string; number: string; title: string; status: string; windowStart: string } }[] } }>(CHANGES, {
    before: inc.openedAt,
  });
  const [choice, setChoice] = useState(inc.causedByChange?.id ?? "");
  const m = useMutation<{ updateIncident: { causedByChange: { number: string } | null } }>(UPDATE);
  const ref = useFocusFirst();
  const list = changes.data?.changeRecords.edges.map((e) => e.node) ?? [];
  const submit = async (e: Event) => {
    e.preventDefault();
    try {
      const r = await m.run({ id: inc.id, input: choice ? { causedByChangeID: choice } : { clearCausedByChange: true } });
      done(r.updateIncident.causedByChange ? `Linked change ${r.updateIncident.causedByChange.number} as the cause.` : "Unlinked the causing change.");
    } catch {
      // shown below
    }
  };
  return (
    <form class="form inc-form" ref={ref} onSubmit={submit} onKeyDown={(e) => e.key === "Escape" && cancel()} aria-label="Link the change that caused the incident">
      <label for="inc-change">Causing change (the 50 latest that started before it opened)</label>
      <select id="inc-change" name="change" value={choice} onChange={(e) => setChoice(e.currentTarget.value)}>
        <option value="">None</option>
        {inc.causedByChange && !list.some((c) => c.id === inc.causedByChange!.id) ? (
          <option value={inc.causedByChange.id}>
            {inc.causedByChange.number} {inc.causedByChange.title}
          </option>
        ) : null}
        {list.map((c) => (
          <option key={c.id} value={c.id}>
            {c.number} {c.title} ({words(c.status)}, {dateTime(c.windowStart)})
          </option>
        ))}
      </select>
      {changes.error ? <ErrorBox error={changes.error} title="The change records could not load" /> : null}
      {m.error ? <ErrorBox error={m.error} /> : null}
      <div class="actions">
        <button type="submit" class="btn b-primary" disabled={m.busy}>
          {m.busy ? "Saving…" : "Save"}
        </button>
        <Button onClick={cancel}>Cancel</Button>
      </div>
    </form>
  );
}

// One discovery run as the admin reads it: status, times, counts, host
// errors, the changes it made (or, dry, would make) and its log.
import { Badge, Empty, Kind } from "./ui";
import { dateTime, plural, words } from "../format";

export interface RunCounts {
  observed: number;
  matched: number;
  created: number;
  filled: number;
  updated: number;
  unchanged?: number;
  driftsOpened: number;
  driftsUpdated?: number;
  driftsResolved: number;
  driftsIgnored?: number;
  missing: number;
  retired?: number;
  ambiguous?: number;
  unregistered: number;
}

export interface PlannedChange {
  action: string;
  configurationItem: { id: string; name: string; kind: string } | null;
  observationKey: string | null;
  field: string | null;
  before: string | null;
  after: string | null;
  driftKind: string | null;
  matchedBy: string | null;
}

export interface DiscoveryRunFull {
  id: string;
  status: string;
  sourceKind: string;
  trigger: string;
  dryRun: boolean;
  startedAt: string;
  finishedAt: string | null;
  duration: number | null;
  error: string | null;
  log: string | null;
  counts: RunCounts;
  hostErrors: { host: string; error: string }[];
  changes: PlannedChange[];
}

const tones: Record<string, "ok" | "warn" | "bad" | "info" | "plain"> = {
  SUCCEEDED: "ok",
  PARTIAL: "warn",
  FAILED: "bad",
  TIMED_OUT: "bad",
  CANCELLED: "warn",
  RUNNING: "info",
};

/** A run's status as a badge (words, not colour alone). */
export function RunStatus({ status, dry }: { status: string; dry?: boolean }) {
  return (
    <>
      <Badge tone={tones[status] ?? "plain"}>{words(status)}</Badge>
      {dry ? (
        <>
          {" "}
          <Badge tone="info">dry run</Badge>
        </>
      ) : null}
    </>
  );
}

export function seconds(d: number | null | undefined): string {
  if (d === null || d === undefined) return "—";
  return d < 10 ? `${d.toFixed(2)} s` : `${Math.round(d)} s`;
}

/** The counts that matter most, as one line. */
export function countLine(c: RunCounts): string {
  const parts = [`${c.observed} observed`, `${c.matched} matched`];
  if (c.created) parts.push(`${c.created} created`);
  if (c.filled) parts.push(`${c.filled} filled`);
  if (c.updated) parts.push(`${c.updated} updated`);
  if (c.driftsOpened) parts.push(plural(c.driftsOpened, "drift") + " opened");
  if (c.driftsResolved) parts.push(plural(c.driftsResolved, "drift") + " resolved");
  if (c.unregistered) parts.push(`${c.unregistered} unregistered`);
  if (c.missing) parts.push(`${c.missing} missing`);
  return parts.join(" · ");
}

const countLabels: [keyof RunCounts, string][] = [
  ["observed", "Observed"],
  ["matched", "Matched"],
  ["created", "Created"],
  ["filled", "Filled"],
  ["updated", "Updated"],
  ["unchanged", "Unchanged"],
  ["driftsOpened", "Drifts opened"],
  ["driftsUpdated", "Drifts updated"],
  ["driftsResolved", "Drifts resolved"],
  ["driftsIgnored", "Drifts ignored"],
  ["missing", "Missing"],
  ["retired", "Retired"],
  ["ambiguous", "Ambiguous"],
  ["unregistered", "Unregistered"],
];

/**
 * A run in full. headingLevel keeps the page's headings in order (the run
 * sits under an h2); title names it.
 */
export function AdminRunView({ run, title }: { run: DiscoveryRunFull; title: string }) {
  const c = run.counts;
  return (
    <div class="admin-run" id={`run-${run.id}`}>
      <h3>{title}</h3>
      <p>
        <RunStatus status={run.status} dry={run.dryRun} /> <span class="muted">{words(run.trigger)} · {run.sourceKind}</span>
      </p>
      {run.dryRun ? (
        <p class="notice small">
          A dry run changes nothing and is not stored: below is what a real run would do now.
        </p>
      ) : null}
      <dl class="facts admin-times">
        <div>
          <dt>Started</dt>
          <dd>{dateTime(run.startedAt)}</dd>
        </div>
        <div>
          <dt>Finished</dt>
          <dd>{dateTime(run.finishedAt)}</dd>
        </div>
        <div>
          <dt>Took</dt>
          <dd>{seconds(run.duration)}</dd>
        </div>
      </dl>
      {run.error ? (
        <div class="error">
          <strong>Error</strong>
          <pre class="admin-pre">{run.error}</pre>
        </div>
      ) : null}
      <ul class="admin-counts" aria-label="Counts">
        {countLabels
          .filter(([k]) => c[k] !== undefined)
          .map(([k, label]) => (
            <li key={k} class={c[k] ? "" : "zero"}>
              <strong>{c[k]}</strong> {label}
            </li>
          ))}
      </ul>
      {run.hostErrors.length ? (
        <>
          <h4>Host errors ({run.hostErrors.length})</h4>
          <div class="table-wrap">
            <table class="table compact">
              <thead>
                <tr>
                  <th scope="col">Host</th>
                  <th scope="col">Error</th>
                </tr>
              </thead>
              <tbody>
                {run.hostErrors.map((h) => (
                  <tr key={h.host}>
                    <td>
                      <code>{h.host}</code>
                    </td>
                    <td>{h.error}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </>
      ) : null}
      <h4>{run.dryRun ? "Planned changes" : "Changes"} ({run.changes.length}{run.changes.length >= 1000 ? ", the first 1,000" : ""})</h4>
      {run.changes.length ? <Changes changes={run.changes} /> : <Empty>{run.dryRun ? "A run now would change nothing." : "The run changed nothing."}</Empty>}
      <h4>Log</h4>
      {run.log ? (
        <pre class="admin-pre admin-log" tabIndex={0} aria-label="Run log">
          {run.log}
        </pre>
      ) : (
        <Empty>No log.</Empty>
      )}
    </div>
  );
}

function Changes({ changes }: { changes: PlannedChange[] }) {
  return (
    <div class="table-wrap">
      <table class="table compact admin-changes">
        <thead>
          <tr>
            <th scope="col">Action</th>
            <th scope="col">CI or observation</th>
            <th scope="col">Field</th>
            <th scope="col">Before</th>
            <th scope="col">After</th>
            <th scope="col">Drift</th>
            <th scope="col">Matched by</th>
          </tr>
        </thead>
        <tbody>
          {changes.map((ch, i) => (
            <tr key={i}>
              <td>
                <Badge tone={ch.action === "CREATE" || ch.action === "REVIVE" ? "ok" : ch.action === "RETIRE" || ch.action === "OPEN_DRIFT" ? "warn" : "plain"}>
                  {words(ch.action)}
                </Badge>
              </td>
              <td>
                {ch.configurationItem ? (
                  <>
                    <a href={`/ci/${ch.configurationItem.id}`}>{ch.configurationItem.name}</a> <Kind kind={ch.configurationItem.kind} />
                  </>
                ) : (
                  <code>{ch.observationKey ?? "—"}</code>
                )}
              </td>
              <td>{ch.field ? <code>{ch.field}</code> : "—"}</td>
              <td class="admin-val">{ch.before ?? "—"}</td>
              <td class="admin-val">{ch.after ?? "—"}</td>
              <td>{ch.driftKind ? words(ch.driftKind) : "—"}</td>
              <td>{ch.matchedBy ? words(ch.matchedBy) : "—"}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

// What the incident and alert pages share: status badges, durations, the
// shapes of the answers they read.
import { Badge } from "./ui";
import { words } from "../format";

export const INCIDENT_STATUSES = ["OPEN", "ACKNOWLEDGED", "RESOLVED"];
export const ALERT_STATUSES = ["FIRING", "RESOLVED"];

export function IncidentStatus({ status }: { status: string }) {
  const tone = status === "OPEN" ? "bad" : status === "ACKNOWLEDGED" ? "warn" : status === "RESOLVED" ? "ok" : "plain";
  return <Badge tone={tone}>{words(status)}</Badge>;
}

export function AlertStatus({ status, flapping }: { status: string; flapping?: boolean }) {
  return (
    <>
      <Badge tone={status === "FIRING" ? "bad" : "ok"}>{words(status)}</Badge>
      {flapping ? (
        <>
          {" "}
          <Badge tone="warn">flapping</Badge>
        </>
      ) : null}
    </>
  );
}

/** Seconds as a person reads a duration: 45 s, 12 min, 3 h 5 min, 2 d 4 h; a dash for none. */
export function duration(s: number | null | undefined): string {
  if (s === null || s === undefined || !Number.isFinite(s)) return "—";
  const n = Math.round(s);
  if (n < 60) return `${n} s`;
  const m = Math.round(n / 60);
  if (m < 60) return `${m} min`;
  const h = Math.floor(m / 60);
  if (h < 24) return m % 60 ? `${h} h ${m % 60} min` : `${h} h`;
  const d = Math.floor(h / 24);
  return h % 24 ? `${d} d ${h % 24} h` : `${d} d`;
}

/** A share (0..1) as a percentage with enough digits for SLOs: 0.99953 → 99.953%. */
export function percent(x: number | null | undefined, digits = 3): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return "—";
  return `${Number((x * 100).toFixed(digits))}%`;
}

export interface AlertRow {
  id: string;
  fingerprint: string;
  status: string;
  name: string;
  startsAt: string;
  endsAt: string | null;
  boundBy: string | null;
  bindingNote: string | null;
  flapping: boolean;
  refires: number;
  labels: Record<string, string>;
  configurationItem: { id: string; name: string; kind: string } | null;
  service: { id: string; name: string } | null;
  suppressedBy: { id: string; number: string; title: string } | null;
  incident: { id: string; title: string; status: string } | null;
}

export interface AlertConn {
  totalCount: number;
  pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string | null; endCursor: string | null };
  edges: { node: AlertRow }[];
}

/** Labels as name=value chips, alertname left out (it is the alert's name). */
export function Labels({ labels }: { labels: Record<string, string> | null }) {
  const entries = Object.entries(labels ?? {})
    .filter(([k]) => k !== "alertname")
    .sort(([a], [b]) => a.localeCompare(b));
  if (!entries.length) return <span class="muted">—</span>;
  return (
    <ul class="labels">
      {entries.map(([k, v]) => (
        <li key={k}>
          <code>
            {k}={v}
          </code>
        </li>
      ))}
    </ul>
  );
}

/** Where an alert is bound: its CI, else its service, else why not. */
export function BoundTo({ a }: { a: AlertRow }) {
  if (a.configurationItem)
    return (
      <>
        <a href={`/ci/${a.configurationItem.id}`}>{a.configurationItem.name}</a>
      </>
    );
  if (a.service) return <a href={`/services/${a.service.id}`}>{a.service.name}</a>;
  return (
    <span>
      <Badge tone="warn">unbound</Badge>
      {a.bindingNote ? <span class="muted small"> {a.bindingNote}</span> : null}
    </span>
  );
}

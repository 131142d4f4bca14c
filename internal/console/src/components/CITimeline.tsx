// The audit history of one record as a timeline, newest first, paged by
// cursor: who, when, what, and each field's value before → after.
import { Badge, Empty } from "./ui";
import { fieldWords, QUIET_FIELDS, relative, words } from "../format";

/** A moment to the second (events of one minute must tell apart): 2026-12-07 15:38:12 UTC. */
export function dateTimeSec(s: string | null | undefined): string {
  if (!s) return "—";
  const d = new Date(s);
  return Number.isNaN(d.getTime()) ? s : d.toISOString().replace("T", " ").slice(0, 19) + " UTC";
}

export interface AuditEvent {
  id: string;
  at: string;
  actor: string;
  action: string;
  entityType: string;
  requestID: string | null;
  changes: { field: string; before: unknown; after: unknown }[];
}

/** A value in a change: JSON for objects, clipped; an em dash for none; a name for a known ID. */
export function changeValue(v: unknown, field = "", names?: Record<string, { name: string }>): string {
  if (v === null || v === undefined || v === "") return "—";
  if (field.endsWith("_id") && names?.[String(v)]) return names[String(v)].name;
  const s = typeof v === "string" ? v : JSON.stringify(v);
  return s.length > 240 ? s.slice(0, 239) + "…" : s;
}

const tone: Record<string, "ok" | "info" | "bad"> = { CREATE: "ok", UPDATE: "info", DELETE: "bad" };

export function CITimeline(props: {
  events: AuditEvent[];
  /** Names of records the changes name by ID (owner_id, vendor_id, location_id). */
  names?: Record<string, { name: string }>;
  /** Link to the record as it was right after an event. */
  atHref: (at: string) => string;
}) {
  if (!props.events.length) return <Empty>No change recorded.</Empty>;
  return (
    <ol class="timeline ci-timeline">
      {props.events.map((e) => {
        const changes = e.changes.filter((c) => !QUIET_FIELDS.has(c.field));
        return (
          <li key={e.id}>
            <p class="ci-event-h">
              <time dateTime={e.at} title={relative(e.at)}>
                {dateTimeSec(e.at)}
              </time>{" "}
              <strong>{e.actor}</strong> <Badge tone={tone[e.action] ?? "plain"}>{words(e.action)}</Badge>{" "}
              <a class="small" href={props.atHref(e.at)}>
                as it was then
              </a>
            </p>
            {changes.length ? (
              <ul class="ci-changes">
                {changes.map((c) => (
                  <li key={c.field}>
                    <span class="ci-change-field">{fieldWords(c.field)}</span>{" "}
                    {e.action === "CREATE" ? (
                      <ins>{changeValue(c.after, c.field, props.names)}</ins>
                    ) : (
                      <>
                        <del>
                          <span class="sr-only">before: </span>
                          {changeValue(c.before, c.field, props.names)}
                        </del>{" "}
                        <span aria-hidden="true">→</span>{" "}
                        <ins>
                          <span class="sr-only">after: </span>
                          {changeValue(c.after, c.field, props.names)}
                        </ins>
                      </>
                    )}
                  </li>
                ))}
              </ul>
            ) : null}
          </li>
        );
      })}
    </ol>
  );
}

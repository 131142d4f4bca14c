// Building blocks of the admin forms: a labelled field whose API error sits
// next to it (aria-invalid, aria-describedby), an error summary that links
// to each field at fault, JSON and list inputs, a confirmation dialog, a
// pager and a copy button.
import type { ComponentChildren, JSX } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import type { ApiError, GqlError } from "../api";

/** Errors by form field: those the API named (extensions.field) that the form has, and the rest. */
export interface FieldErrors {
  byField: Record<string, string>;
  rest: GqlError[];
}

/**
 * Sorts an API error's messages onto the form's fields. A field path such
 * as "webhooks[1].url" or "scope.targets" lands on the longest form field
 * it starts with ("webhooks[1].url", then "webhooks", ...); alias maps an
 * API field to the form field that edits it. The "field: " prefix the API
 * puts before a message is dropped next to the field.
 */
export function sortErrors(err: ApiError | undefined, fields: string[], alias: Record<string, string> = {}): FieldErrors {
  const out: FieldErrors = { byField: {}, rest: [] };
  if (!err) return out;
  for (const e of err.errors) {
    const f = e.extensions?.field;
    let target: string | undefined;
    for (let p = f ?? ""; p; ) {
      const name = alias[p] ?? p;
      if (fields.includes(name)) {
        target = name;
        break;
      }
      const shorter = p.replace(/(\[\d+\]|\.[^.[\]]+)$/, "");
      if (shorter === p) break;
      p = shorter;
    }
    if (!target) {
      out.rest.push(e);
      continue;
    }
    let msg = e.message;
    if (f && msg.startsWith(f + ": ")) msg = msg.slice(f.length + 2);
    out.byField[target] = out.byField[target] ? `${out.byField[target]}; ${msg}` : msg;
  }
  return out;
}

/** Merges client-side checks (first) with the API's errors. */
export function mergeErrors(local: Record<string, string>, api: FieldErrors): FieldErrors {
  return { byField: { ...api.byField, ...local }, rest: api.rest };
}

/** The attributes that tie an input to its hint and error. */
export function fieldAttrs(id: string, error?: string, hint?: boolean) {
  const describedBy = [hint ? `${id}-hint` : "", error ? `${id}-err` : ""].filter(Boolean).join(" ");
  return { id, name: id, "aria-invalid": error ? ("true" as const) : undefined, "aria-describedby": describedBy || undefined };
}

/**
 * A labelled field: label, the control (given the attributes that tie it
 * to its hint and error), the hint, and the error next to it.
 */
export function AdminField({
  id,
  label,
  hint,
  error,
  class: cls,
  children,
}: {
  id: string;
  label: ComponentChildren;
  hint?: ComponentChildren;
  error?: string;
  class?: string;
  children: (attrs: ReturnType<typeof fieldAttrs>) => ComponentChildren;
}) {
  return (
    <div class={`admin-field ${cls ?? ""}`}>
      <label for={id}>{label}</label>
      {children(fieldAttrs(id, error, !!hint))}
      {hint ? (
        <p class="small muted admin-hint" id={`${id}-hint`}>
          {hint}
        </p>
      ) : null}
      {error ? (
        <p class="field-error" id={`${id}-err`}>
          {error}
        </p>
      ) : null}
    </div>
  );
}

/** A checkbox with its label after it, and its error. */
export function AdminCheck({
  id,
  label,
  checked,
  onChange,
  error,
  hint,
}: {
  id: string;
  label: ComponentChildren;
  checked: boolean;
  onChange: (v: boolean) => void;
  error?: string;
  hint?: ComponentChildren;
}) {
  return (
    <div class="admin-check">
      <input type="checkbox" {...fieldAttrs(id, error, !!hint)} checked={checked} onChange={(e) => onChange((e.target as HTMLInputElement).checked)} />
      <label for={id}>{label}</label>
      {hint ? (
        <p class="small muted admin-hint" id={`${id}-hint`}>
          {hint}
        </p>
      ) : null}
      {error ? (
        <p class="field-error" id={`${id}-err`}>
          {error}
        </p>
      ) : null}
    </div>
  );
}

/** A group of checkboxes choosing values of an enum. */
export function AdminChoices({
  id,
  legend,
  options,
  value,
  onChange,
  error,
  render = (v) => v.toLowerCase().replaceAll("_", " "),
}: {
  id: string;
  legend: string;
  options: string[];
  value: string[];
  onChange: (v: string[]) => void;
  error?: string;
  render?: (v: string) => string;
}) {
  return (
    <fieldset class="admin-choices" id={id} aria-describedby={error ? `${id}-err` : undefined}>
      <legend>{legend}</legend>
      {options.map((o) => (
        <label key={o} class="admin-choice">
          <input
            type="checkbox"
            name={id}
            value={o}
            checked={value.includes(o)}
            aria-invalid={error ? "true" : undefined}
            onChange={(e) => {
              const on = (e.target as HTMLInputElement).checked;
              onChange(on ? [...value.filter((v) => v !== o), o] : value.filter((v) => v !== o));
            }}
          />{" "}
          {render(o)}
        </label>
      ))}
      {error ? (
        <p class="field-error" id={`${id}-err`}>
          {error}
        </p>
      ) : null}
    </fieldset>
  );
}

/**
 * The form's errors at its top, as an alert: each field's message links to
 * the field; the rest are listed as the API said them. It takes the focus
 * when a submit (attempt, counting up) ends with errors, never while the
 * admin types.
 */
export function AdminErrorSummary({
  errors,
  labels,
  title,
  prefix,
  attempt,
}: {
  errors: FieldErrors;
  labels: Record<string, string>;
  title: string;
  prefix: string;
  attempt: number;
}) {
  const ref = useRef<HTMLDivElement>(null);
  const fields = Object.keys(errors.byField);
  const any = fields.length > 0 || errors.rest.length > 0;
  const focused = useRef(0);
  useEffect(() => {
    if (any && attempt !== focused.current) {
      focused.current = attempt;
      ref.current?.focus();
    }
  });
  if (!any) return null;
  return (
    <div class="error" role="alert" tabIndex={-1} ref={ref}>
      <strong>{title}</strong>
      <ul>
        {fields.map((f) => (
          <li key={f}>
            <a href={`#${prefix}${f}`} onClick={(e) => focusField(e, prefix + f)}>
              {labels[f] ?? f}
            </a>
            : {errors.byField[f]}
          </li>
        ))}
        {errors.rest.map((e, i) => (
          <li key={`r${i}`}>
            {e.message}
            {e.extensions?.code ? <code class="code">{e.extensions.code}</code> : null}
          </li>
        ))}
      </ul>
    </div>
  );
}

function focusField(e: Event, id: string) {
  const el = document.getElementById(id);
  if (!el) return;
  e.preventDefault();
  const target = el.tagName === "FIELDSET" ? (el.querySelector("input") as HTMLElement | null) ?? el : el;
  target.focus();
  target.scrollIntoView({ block: "center" });
}

/** Parses a JSON object typed into a form: null when empty, an error message when not an object. */
export function parseJSONObject(text: string): { value: Record<string, unknown> | null; error?: string } {
  if (!text.trim()) return { value: null };
  try {
    const v: unknown = JSON.parse(text);
    if (v === null || typeof v !== "object" || Array.isArray(v)) return { value: null, error: "must be a JSON object, such as {\"key\": \"value\"}" };
    return { value: v as Record<string, unknown> };
  } catch (e) {
    return { value: null, error: `not valid JSON: ${(e as Error).message}` };
  }
}

/** A list typed one per line or comma-separated, trimmed, empty entries dropped. */
export function splitList(text: string): string[] {
  return text
    .split(/[\n,]/)
    .map((s) => s.trim())
    .filter(Boolean);
}

/** A whole number typed into a form, or an error message. */
export function parseWhole(text: string, min: number, max: number): { value?: number; error?: string } {
  const t = text.trim();
  if (!/^-?\d+$/.test(t)) return { error: `want a whole number from ${min} to ${max}` };
  const n = Number(t);
  if (n < min || n > max) return { error: `want a whole number from ${min} to ${max}, got ${n}` };
  return { value: n };
}

/**
 * A button that asks before doing something that cannot be undone, in a
 * modal <dialog> (focus kept inside it; Escape cancels).
 */
export function AdminConfirm({
  label,
  question,
  confirm,
  onConfirm,
  busy,
  id,
}: {
  label: ComponentChildren;
  question: ComponentChildren;
  confirm: string;
  onConfirm: () => Promise<void> | void;
  busy?: boolean;
  id: string;
}) {
  const dialog = useRef<HTMLDialogElement>(null);
  const opener = useRef<HTMLButtonElement>(null);
  const close = () => {
    dialog.current?.close();
    opener.current?.focus();
  };
  return (
    <>
      <button type="button" class="btn b-danger" ref={opener} id={id} onClick={() => dialog.current?.showModal()} disabled={busy}>
        {label}
      </button>
      <dialog ref={dialog} class="admin-dialog" aria-labelledby={`${id}-q`}>
        <p id={`${id}-q`}>{question}</p>
        <div class="actions">
          <button
            type="button"
            class="btn b-danger"
            id={`${id}-yes`}
            onClick={async () => {
              dialog.current?.close();
              await onConfirm();
            }}
          >
            {confirm}
          </button>
          <button type="button" class="btn b-plain" onClick={close} autoFocus>
            Cancel
          </button>
        </div>
      </dialog>
    </>
  );
}

export interface PageInfo {
  hasNextPage: boolean;
  hasPreviousPage?: boolean;
  startCursor?: string | null;
  endCursor?: string | null;
}

/**
 * Previous and next links over a connection, keeping the rest of the URL:
 * next sets after=endCursor, previous sets before=startCursor.
 */
export function AdminPager({ info, href, label }: { info: PageInfo; href: (p: { after?: string; before?: string }) => string; label: string }) {
  const prev = info.hasPreviousPage && info.startCursor ? href({ before: info.startCursor }) : null;
  const next = info.hasNextPage && info.endCursor ? href({ after: info.endCursor }) : null;
  if (!prev && !next) return null;
  return (
    <nav class="admin-pager" aria-label={label}>
      {prev ? <a href={prev}>← Previous</a> : <span />}
      {next ? <a href={next}>Next →</a> : null}
    </nav>
  );
}

/** Copies text to the clipboard, saying whether it worked. */
export function AdminCopy({ text, label, field }: { text: string; label: string; field?: string }) {
  const [done, setDone] = useState("");
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(text);
      setDone("Copied to the clipboard");
    } catch {
      // Clipboard refused (no permission, not a secure context): select the text for Ctrl+C.
      const el = field ? (document.getElementById(field) as HTMLInputElement | null) : null;
      if (el) {
        el.focus();
        el.select();
        setDone("Selected: press Ctrl+C to copy");
      } else setDone("The browser refused the clipboard");
    }
  };
  return (
    <>
      <button type="button" class="btn b-primary" onClick={copy}>
        {label}
      </button>
      <span role="status" aria-live="polite" class="small">
        {done}
      </span>
    </>
  );
}

/** Renders a JSON value for reading. */
export function AdminJSON({ value, label }: { value: unknown; label: string }): JSX.Element {
  if (value === null || value === undefined || (typeof value === "object" && Object.keys(value as object).length === 0)) return <span class="muted">none</span>;
  return (
    <pre class="admin-pre" aria-label={label} tabIndex={0}>
      {JSON.stringify(value, null, 2)}
    </pre>
  );
}

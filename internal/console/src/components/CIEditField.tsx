// One field of the CI page, shown and, for editors, edited in place. The
// API's refusal shows next to the field it names (extensions.field), with
// aria-invalid and aria-describedby; a refusal that names no field of this
// editor shows as an error box in it.
import type { ComponentChildren } from "preact";
import { useEffect, useId, useRef, useState } from "preact/hooks";
import { ApiError } from "../api";
import { words } from "../format";
import { useQuery } from "../hooks";
import { ErrorBox } from "./ui";
import type { RefKind } from "./ListKinds";
import { RefByID, REF_FIELDS } from "./ListFilters";
import REFS from "../queries/list-refs.graphql";

export type Editor = "text" | "textarea" | "enum" | "tags" | "json" | "ref";

export interface EditFieldProps {
  /** The field's words ("serial number"). */
  label: string;
  /** What the page shows when not editing. */
  display: ComponentChildren;
  /** The editor's starting text. */
  initial: string;
  editor: Editor;
  options?: string[];
  refKind?: RefKind;
  /** extensions.field values that are about this field. */
  fields: string[];
  /** Shows the Edit button (the caller's role allows it). */
  canEdit: boolean;
  /** Saves the editor's text; throws ApiError when the API refuses. */
  save: (text: string) => Promise<void>;
}

const hints: Partial<Record<Editor, string>> = {
  text: "Empty clears it, where the field may be empty.",
  textarea: "Empty clears it.",
  json: "A JSON object; empty clears them.",
  tags: "Comma-separated; empty clears them.",
};

export function CIEditField(p: EditFieldProps) {
  const [editing, setEditing] = useState(false);
  const [text, setText] = useState(p.initial);
  const [error, setError] = useState<ApiError>();
  const [busy, setBusy] = useState(false);
  const id = useId();
  const control = useRef<HTMLInputElement & HTMLTextAreaElement & HTMLSelectElement>(null);
  const editButton = useRef<HTMLButtonElement>(null);
  const returnFocus = useRef(false);

  useEffect(() => {
    if (editing) control.current?.focus();
    else if (returnFocus.current) {
      returnFocus.current = false;
      editButton.current?.focus();
    }
  }, [editing]);

  const start = () => {
    setText(p.initial);
    setError(undefined);
    setEditing(true);
  };
  const stop = () => {
    returnFocus.current = true;
    setEditing(false);
    setError(undefined);
  };
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      await p.save(text);
      stop();
    } catch (err) {
      setError(err instanceof ApiError ? err : new ApiError([{ message: String(err) }], 0));
    } finally {
      setBusy(false);
    }
  };

  if (!editing) {
    return (
      <div class="ci-value">
        <div class="ci-shown">{p.display}</div>
        {p.canEdit ? (
          <button type="button" ref={editButton} class="btn b-plain ci-edit" aria-label={`Edit ${p.label}`} onClick={start}>
            Edit
          </button>
        ) : null}
      </div>
    );
  }

  // The message for this field, and whatever else the API said.
  let mine = "";
  let other: ApiError | undefined;
  if (error) {
    const by = error.byField();
    mine = p.fields.map((f) => by[f]).filter(Boolean).join("; ");
    const rest = error.errors.filter((x) => !p.fields.includes(x.extensions?.field ?? ""));
    if (rest.length) other = new ApiError(rest, error.status);
  }
  const errId = `${id}-err`;
  const hint = hints[p.editor] ?? "";
  const described = [mine ? errId : "", hint ? `${id}-hint` : ""].filter(Boolean).join(" ");
  const a11y = {
    id: `${id}-input`,
    ref: control,
    "aria-invalid": mine ? ("true" as const) : undefined,
    "aria-describedby": described || undefined,
  };
  const onText = (e: Event) => setText((e.target as HTMLInputElement).value);
  const onKey = (e: KeyboardEvent) => {
    if (e.key === "Escape") {
      e.preventDefault();
      stop();
    }
  };
  let input: ComponentChildren;
  switch (p.editor) {
    case "textarea":
      input = <textarea {...a11y} rows={3} value={text} onInput={onText} onKeyDown={onKey} />;
      break;
    case "json":
      input = <textarea {...a11y} rows={5} class="ci-json" value={text} onInput={onText} onKeyDown={onKey} spellcheck={false} />;
      break;
    case "enum":
      input = (
        <select {...a11y} value={text} onChange={onText} onKeyDown={onKey}>
          {(p.options ?? []).map((o) => (
            <option key={o} value={o}>
              {words(o)}
            </option>
          ))}
        </select>
      );
      break;
    case "ref":
      input = <RefSelect a11y={a11y} kind={p.refKind!} value={text} onChange={onText} setValue={setText} onKey={onKey} label={p.label} />;
      break;
    case "tags":
      input = <input {...a11y} type="text" value={text} onInput={onText} onKeyDown={onKey} />;
      break;
    default:
      input = <input {...a11y} type="text" value={text} onInput={onText} onKeyDown={onKey} />;
  }
  return (
    <form class="ci-edit-form" onSubmit={submit} aria-label={`Edit ${p.label}`}>
      <label class="sr-only" for={`${id}-input`}>
        New {p.label}
      </label>
      {input}
      {hint ? (
        <p id={`${id}-hint`} class="muted small ci-hint">
          {hint}
        </p>
      ) : null}
      {mine ? (
        <p id={errId} class="field-error" role="alert">
          {mine}
        </p>
      ) : null}
      <ErrorBox error={other} />
      <div class="actions">
        <button type="submit" class="btn b-primary" disabled={busy}>
          {busy ? "Saving…" : "Save"}
        </button>
        <button type="button" class="btn b-plain" onClick={stop} disabled={busy}>
          Cancel
        </button>
      </div>
    </form>
  );
}

function RefSelect(props: {
  a11y: Record<string, unknown>;
  kind: RefKind;
  value: string;
  onChange: (e: Event) => void;
  setValue: (id: string) => void;
  onKey: (e: KeyboardEvent) => void;
  label: string;
}) {
  const vars = { owners: false, vendors: false, locations: false, services: false, jobs: false, [props.kind]: true };
  const { data, error } = useQuery<Record<string, { totalCount: number; edges: { node: { id: string; name: string } }[] } | undefined>>(REFS, vars);
  const conn = data?.[REF_FIELDS[props.kind]];
  const opts = conn?.edges.map((e) => e.node) ?? [];
  // The choices are the first few hundred by name: say so, and take an ID for the others.
  const more = !!conn && conn.totalCount > opts.length;
  const moreId = `${String(props.a11y.id)}-more`;
  const described = [props.a11y["aria-describedby"], more ? moreId : ""].filter(Boolean).join(" ") || undefined;
  return (
    <>
      <select
        {...props.a11y}
        aria-describedby={described}
        value={props.value}
        onChange={props.onChange}
        onKeyDown={props.onKey}
        aria-busy={data ? undefined : "true"}
      >
        <option value="">none</option>
        {props.value && !opts.some((o) => o.id === props.value) ? <option value={props.value}>#{props.value}</option> : null}
        {opts.map((o) => (
          <option key={o.id} value={o.id}>
            {o.name}
          </option>
        ))}
      </select>
      {more ? (
        <div class="ref-more">
          <span id={moreId} class="muted">
            The first {opts.length} of {conn.totalCount} by name; another by its ID:
          </span>
          <RefByID label={`New ${props.label} ID`} value={props.value} set={props.setValue} live />
        </div>
      ) : null}
      <ErrorBox error={error} title="The choices could not load" />
    </>
  );
}

// The filter and order form of a list (pages/List.tsx). Every value lives
// in the URL: a select applies at once, a text box once typing settles
// (or on Enter), so a filtered list is a link that survives a reload.
import { useEffect, useId, useState } from "preact/hooks";
import { useDebounced } from "../hooks";
import { words } from "../format";
import type { FilterDef, ListDef, RefKind, Where } from "./ListKinds";

/** The records a ref filter offers (the first REF_FIRST by name) and how many there are. */
export type RefChoices = { id: string; name: string }[] & { total: number };
export type RefOptions = Partial<Record<RefKind, RefChoices>>;

/** The fields of list-refs.graphql by kind. */
export const REF_FIELDS: Record<RefKind, string> = { owners: "owners", vendors: "vendors", locations: "locations", services: "services", jobs: "discoveryJobs" };

/** An ID as the API writes them. */
export const ID_RE = /^\d{1,20}$/;

/** Sets URL parameters (null removes one); replace keeps history short while typing. */
export type SetParams = (changes: Record<string, string | null>, replace?: boolean) => void;

const maxText = 200;

/** Whether a filter's URL value is one the API can take. */
export function validFilterValue(f: FilterDef, v: string): boolean {
  switch (f.type) {
    case "enum":
      return !!f.options?.includes(v);
    case "bool":
      return v === "true" || v === "false";
    case "date":
      return /^\d{4}-\d{2}-\d{2}$/.test(v) && !Number.isNaN(Date.parse(`${v}T00:00:00Z`));
    case "ref":
    case "id":
      return ID_RE.test(v);
    default:
      return v.trim().length > 0 && v.length <= maxText;
  }
}

/**
 * The where input of the list from the URL: the filters with valid values,
 * each its own conjunct (two filters may use the same edge). Values the API
 * could not take are left out and named, never sent.
 */
export function buildWhere(def: ListDef, query: Record<string, string>): { where: Where | null; active: number; ignored: string[] } {
  const parts: Where[] = [];
  const ignored: string[] = [];
  for (const f of def.filters) {
    const v = query[f.key];
    if (v === undefined || v === "") continue;
    if (!validFilterValue(f, v)) {
      ignored.push(`${f.label} "${v.slice(0, 60)}"`);
      continue;
    }
    parts.push(f.where(f.type === "text" ? v.trim() : v));
  }
  const where = parts.length === 0 ? null : parts.length === 1 ? parts[0] : { and: parts };
  return { where, active: parts.length, ignored };
}

export function ListFilters(props: {
  def: ListDef;
  query: Record<string, string>;
  order: string;
  direction: string;
  refs: RefOptions | undefined;
  set: SetParams;
  clearHref: string;
}) {
  const { def, query, order, direction, refs, set, clearHref } = props;
  const anyFilter = def.filters.some((f) => query[f.key]);
  return (
    <form class="filters list-filters" role="search" aria-label={`Filter ${def.title.toLowerCase()}`} onSubmit={(e) => e.preventDefault()}>
      {def.filters.map((f) => (
        <FilterControl key={f.key} f={f} value={query[f.key] ?? ""} refs={refs} set={set} />
      ))}
      <label class="list-field">
        <span>Order by</span>
        <select value={order} onChange={(e) => set({ order: (e.target as HTMLSelectElement).value })}>
          {def.orders.map((o) => (
            <option key={o} value={o}>
              {words(o)}
            </option>
          ))}
        </select>
      </label>
      <label class="list-field">
        <span>Direction</span>
        <select value={direction} onChange={(e) => set({ dir: (e.target as HTMLSelectElement).value })}>
          <option value="ASC">ascending</option>
          <option value="DESC">descending</option>
        </select>
      </label>
      {anyFilter ? (
        <a class="btn b-plain list-clear" href={clearHref}>
          Clear filters
        </a>
      ) : null}
    </form>
  );
}

function FilterControl({ f, value, refs, set }: { f: FilterDef; value: string; refs: RefOptions | undefined; set: SetParams }) {
  const id = `filter-${f.key}`;
  const choose = (e: Event) => set({ [f.key]: (e.target as HTMLSelectElement | HTMLInputElement).value || null });
  let control;
  switch (f.type) {
    case "enum":
      control = (
        <select id={id} value={value} onChange={choose}>
          <option value="">any</option>
          {f.options!.map((o) => (
            <option key={o} value={o}>
              {words(o)}
            </option>
          ))}
        </select>
      );
      break;
    case "bool":
      control = (
        <select id={id} value={value} onChange={choose}>
          <option value="">any</option>
          <option value="true">{f.yesNo?.[0] ?? "yes"}</option>
          <option value="false">{f.yesNo?.[1] ?? "no"}</option>
        </select>
      );
      break;
    case "ref": {
      const opts = refs?.[f.ref!];
      const more = !!opts && opts.total > opts.length;
      return (
        <div class="list-field">
          <label for={id}>{f.label}</label>
          <select id={id} value={value} onChange={choose} aria-busy={opts ? undefined : "true"} aria-describedby={more ? `${id}-more` : undefined}>
            <option value="">any</option>
            {value && !opts?.some((o) => o.id === value) ? <option value={value}>#{value}</option> : null}
            {(opts ?? []).map((o) => (
              <option key={o.id} value={o.id}>
                {o.name}
              </option>
            ))}
          </select>
          {more ? (
            <div class="ref-more">
              <span id={`${id}-more`} class="muted">
                The first {opts.length} of {opts.total} by name; another by its ID:
              </span>
              <RefByID label={`${f.label} ID`} value={value} set={(v) => set({ [f.key]: v })} />
            </div>
          ) : null}
        </div>
      );
    }
    case "date":
      control = <input id={id} type="date" value={value} onChange={choose} />;
      break;
    default:
      return <TextFilter f={f} id={id} value={value} set={set} />;
  }
  return (
    <div class="list-field">
      <label for={id}>{f.label}</label>
      {control}
    </div>
  );
}

/**
 * A record typed by its ID, for when the choices stop before it (the
 * choices are the first few hundred by name): applied on Enter or when
 * the box is left, or as typed when live (an editor's value, not the URL);
 * an ID the API could not take is said, not sent. The box starts empty:
 * the choice above shows what is chosen.
 */
export function RefByID({ label, value, set, live = false }: { label: string; value: string; set: (id: string) => void; live?: boolean }) {
  const [text, setText] = useState("");
  const t = text.trim();
  const bad = t !== "" && !ID_RE.test(t);
  const apply = () => {
    if (t !== "" && t !== value && ID_RE.test(t)) set(t);
  };
  const errId = useId();
  return (
    <>
      <input
        type="text"
        inputMode="numeric"
        class="ref-by-id"
        aria-label={label}
        value={text}
        placeholder="ID"
        aria-invalid={bad ? "true" : undefined}
        aria-describedby={bad ? errId : undefined}
        onInput={(e) => {
          const v = (e.target as HTMLInputElement).value;
          setText(v);
          if (live && ID_RE.test(v.trim())) set(v.trim());
        }}
        onChange={apply}
        onKeyDown={(e) => {
          if (e.key === "Enter") {
            e.preventDefault();
            apply();
          }
        }}
      />
      {bad ? (
        <span id={errId} class="field-error">
          An ID is digits only.
        </span>
      ) : null}
    </>
  );
}

function TextFilter({ f, id, value, set }: { f: FilterDef; id: string; value: string; set: SetParams }) {
  const [text, setText] = useState(value);
  // The URL changed under us (back, a link): show what it says.
  useEffect(() => setText(value), [value]);
  const settled = useDebounced(text, 400);
  useEffect(() => {
    if (settled.trim() !== value.trim()) set({ [f.key]: settled.trim() || null }, true);
    // Only a settled edit writes the URL.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [settled]);
  return (
    <div class="list-field">
      <label for={id}>{f.label}</label>
      <input
        id={id}
        type="search"
        value={text}
        maxLength={maxText}
        inputMode={f.type === "id" ? "numeric" : undefined}
        onInput={(e) => setText((e.target as HTMLInputElement).value)}
        onKeyDown={(e) => {
          if (e.key === "Enter") {
            e.preventDefault();
            if (text.trim() !== value.trim()) set({ [f.key]: text.trim() || null });
          }
        }}
      />
    </div>
  );
}

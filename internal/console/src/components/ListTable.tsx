// The table and the pager of a list (pages/List.tsx): sortable column
// headers, a details panel per row, Previous/Next by cursor.
import { Fragment } from "preact";
import { Facts } from "./ui";
import { plural, words } from "../format";
import type { ListDef, Row } from "./ListKinds";
import type { SetParams } from "./ListFilters";

export interface PageInfo {
  hasNextPage: boolean;
  hasPreviousPage: boolean;
  startCursor: string | null;
  endCursor: string | null;
}

export interface Connection {
  totalCount: number;
  pageInfo: PageInfo;
  edges: { cursor: string; node: Row }[];
}

/**
 * The connection arguments for a page of size rows from a cursor: one row
 * more than shown, so that trimPage can drop the row the cursor names
 * should the API return it. On SQLite, times written with Go's monotonic
 * clock reading ("… m=+0.09") compare as text just above the same instant
 * in a cursor, so a page after (ascending) or before (descending) a time
 * cursor starts with the cursor's own row.
 */
export function pageArgs(size: number, after: string | undefined, before: string | undefined): Record<string, unknown> {
  return before ? { last: size + 1, before } : { first: size + 1, after: after || null };
}

/** The page pageArgs asked for: without the cursor's own row, at most size rows, its page info to match. */
export function trimPage(conn: Connection, size: number, after: string | undefined, before: string | undefined): Connection {
  const from = before || after;
  let edges = from ? conn.edges.filter((e) => e.cursor !== from) : conn.edges;
  const info = { ...conn.pageInfo };
  if (before) {
    if (edges.length > size) {
      edges = edges.slice(edges.length - size);
      info.hasPreviousPage = true;
    }
    info.hasNextPage = true;
  } else {
    if (edges.length > size) {
      edges = edges.slice(0, size);
      info.hasNextPage = true;
    }
    info.hasPreviousPage = !!after;
  }
  info.startCursor = edges[0]?.cursor ?? null;
  info.endCursor = edges[edges.length - 1]?.cursor ?? null;
  return { ...conn, edges, pageInfo: info };
}

/** A row's name for links and screen readers. */
export function rowName(r: Row): string {
  return r.name ?? r.number ?? r.configurationItem?.name ?? r.job?.name ?? `#${r.id}`;
}

export function ListTable(props: { def: ListDef; rows: Row[]; order: string; direction: string; open: string | undefined; set: SetParams }) {
  const { def, rows, order, direction, open, set } = props;
  const sortBy = (field: string) => {
    const dir = field === order ? (direction === "ASC" ? "DESC" : "ASC") : "ASC";
    set({ order: field, dir });
  };
  const span = def.columns.length + (def.details ? 1 : 0);
  return (
    <div class="table-wrap list-scroll">
      <table class="table list-table">
        <caption class="sr-only">
          {def.title}, ordered by {words(order)} {direction === "ASC" ? "ascending" : "descending"}
        </caption>
        <thead>
          <tr>
            {def.columns.map((c) => {
              const sorted = c.order && c.order === order;
              return (
                <th
                  key={c.key}
                  scope="col"
                  class={c.num ? "num" : undefined}
                  aria-sort={sorted ? (direction === "ASC" ? "ascending" : "descending") : undefined}
                >
                  {c.order ? (
                    <button type="button" class="list-sort" onClick={() => sortBy(c.order!)}>
                      {c.label}
                      <span aria-hidden="true" class="list-arrow">
                        {sorted ? (direction === "ASC" ? " ▲" : " ▼") : " ↕"}
                      </span>
                    </button>
                  ) : (
                    c.label
                  )}
                </th>
              );
            })}
            {def.details ? (
              <th scope="col">
                <span class="sr-only">More</span>
              </th>
            ) : null}
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => {
            const isOpen = open === r.id;
            const panel = `list-details-${r.id}`;
            return (
              <Fragment key={r.id}>
                <tr class={isOpen ? "list-open" : undefined}>
                  {def.columns.map((c, i) =>
                    i === 0 ? (
                      <th key={c.key} scope="row" class="list-rowhead">
                        {c.cell(r)}
                      </th>
                    ) : (
                      <td key={c.key} class={c.num ? "num" : undefined}>
                        {c.cell(r)}
                      </td>
                    ),
                  )}
                  {def.details ? (
                    <td>
                      <button
                        type="button"
                        class="btn b-plain list-more"
                        aria-expanded={isOpen}
                        aria-controls={isOpen ? panel : undefined}
                        onClick={() => set({ open: isOpen ? null : r.id }, true)}
                      >
                        {isOpen ? "Hide" : "Details"}
                        <span class="sr-only"> of {rowName(r)}</span>
                      </button>
                    </td>
                  ) : null}
                </tr>
                {isOpen && def.details ? (
                  <tr id={panel} class="list-details">
                    <td colSpan={span}>
                      <Facts rows={def.details(r)} />
                    </td>
                  </tr>
                ) : null}
              </Fragment>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}

export const PAGE_SIZES = [10, 20, 50, 100];

/** Previous / Next by cursor, the position when known, rows per page. */
export function ListPager(props: {
  def: ListDef;
  conn: Connection;
  from: number | null;
  size: number;
  href: (changes: Record<string, string | null>) => string;
  set: SetParams;
}) {
  const { def, conn, from, size, href, set } = props;
  const n = conn.edges.length;
  const { hasNextPage, hasPreviousPage, startCursor, endCursor } = conn.pageInfo;
  const prev =
    hasPreviousPage && startCursor
      ? href({ before: startCursor, after: null, open: null, from: from !== null ? String(Math.max(1, from - size)) : null })
      : null;
  const next = hasNextPage && endCursor ? href({ after: endCursor, before: null, open: null, from: from !== null ? String(from + n) : null }) : null;
  const many = plural(conn.totalCount, def.one);
  const where = n === 0 ? `none of ${many}` : from !== null ? `${from}–${from + n - 1} of ${many}` : `${n} of ${many}`;
  return (
    <nav class="list-pager" aria-label="Pages">
      {prev ? (
        <a class="btn b-plain" rel="prev" href={prev}>
          ← Previous
        </a>
      ) : (
        <button type="button" class="btn b-plain" disabled>
          ← Previous
        </button>
      )}
      <span class="list-range">Showing {where}</span>
      {next ? (
        <a class="btn b-plain" rel="next" href={next}>
          Next →
        </a>
      ) : (
        <button type="button" class="btn b-plain" disabled>
          Next →
        </button>
      )}
      <label class="list-size">
        Rows per page{" "}
        <select value={String(size)} onChange={(e) => set({ size: (e.target as HTMLSelectElement).value })}>
          {PAGE_SIZES.map((s) => (
            <option key={s} value={String(s)}>
              {s}
            </option>
          ))}
        </select>
      </label>
    </nav>
  );
}

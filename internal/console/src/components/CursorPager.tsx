import { hrefWith } from "./href";

export interface PageInfo {
  hasNextPage: boolean;
  hasPreviousPage: boolean;
  startCursor: string | null;
  endCursor: string | null;
}

/**
 * Previous / next links of a cursor-paged connection: the cursors go into
 * the URL (after= or before=, with prefix when a page shows several lists),
 * so each page has an address. On the first page (no cursor in the URL) the
 * API reports no previous page, and the link is left out.
 */
export function CursorPager({
  path,
  query,
  info,
  label,
  prefix = "",
}: {
  path: string;
  query: Record<string, string | undefined>;
  info: PageInfo;
  label: string;
  prefix?: string;
}) {
  const paged = !!(query[prefix + "after"] || query[prefix + "before"]);
  const backwards = !!query[prefix + "before"];
  // Going backwards, the API knows whether there are earlier rows; going
  // forwards from a cursor, there always are.
  const hasPrev = backwards ? info.hasPreviousPage : paged;
  const hasNext = backwards ? true : info.hasNextPage;
  const clear = { [prefix + "after"]: null, [prefix + "before"]: null };
  if (!hasPrev && !hasNext) return null;
  return (
    <nav class="cursor-pager" aria-label={label}>
      {hasPrev && info.startCursor ? (
        <a href={hrefWith(path, query, { ...clear, [prefix + "before"]: info.startCursor })} rel="prev">
          ← Previous
        </a>
      ) : (
        <span />
      )}
      {paged ? <a href={hrefWith(path, query, clear)}>First page</a> : null}
      {hasNext && info.endCursor ? (
        <a href={hrefWith(path, query, { ...clear, [prefix + "after"]: info.endCursor })} rel="next">
          Next →
        </a>
      ) : null}
    </nav>
  );
}

// Page state lives in the URL (filters, cursors, dates), so back, forward
// and shared links work. hrefWith builds the URL of the same page with some
// parameters changed: an empty value ("", null, undefined) drops one.

export type Params = Record<string, string | number | null | undefined>;

export function hrefWith(path: string, current: Record<string, string | undefined>, changes: Params): string {
  const q = new URLSearchParams();
  const merged: Params = { ...current, ...changes };
  for (const [k, v] of Object.entries(merged)) {
    if (v === null || v === undefined || v === "") continue;
    q.set(k, String(v));
  }
  const s = q.toString();
  return s ? `${path}?${s}` : path;
}

/** Cursor parameters of a page: after/before from the URL as first/last with the page size. */
export function pageVars(query: Record<string, string | undefined>, size: number, prefix = ""): Record<string, unknown> {
  const after = query[prefix + "after"];
  const before = query[prefix + "before"];
  if (before) return { last: size, before };
  return after ? { first: size, after } : { first: size };
}

/** A UTC day as the API's Time: 2027-06-15 → 2027-06-15T00:00:00Z; "" for a value that is no date. */
export function dayTime(day: string | undefined): string {
  if (!day || !/^\d{4}-\d{2}-\d{2}$/.test(day)) return "";
  const t = new Date(`${day}T00:00:00Z`);
  return Number.isNaN(t.getTime()) ? "" : t.toISOString().replace(".000Z", "Z");
}

/** Today as a UTC day, 2027-06-15. */
export function today(now = new Date()): string {
  return now.toISOString().slice(0, 10);
}

// What the admin tabs share: paging variables and links, and a one-time
// message carried over to the page a save or delete opens.
import { useState } from "preact/hooks";
import { handOver, takeOver } from "../../cache";

/** Connection variables for a page: forward from after, backward from before, else the first page. */
export function pageVars(size: number, after?: string, before?: string): Record<string, unknown> {
  if (before) return { last: size, before };
  return { first: size, after: after || undefined };
}

/** path with the given query parameters (undefined ones left out). */
export function withParams(path: string, params: Record<string, string | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== "") q.set(k, v);
  const s = q.toString();
  return s ? `${path}?${s}` : path;
}

const FLASH = "admin:flash";

/** Leaves a message for the next admin page to show once. */
export function flash(message: string): void {
  handOver(FLASH, message);
}

/** The message the previous page left, shown once as a status. */
export function AdminFlash() {
  const [message] = useState(() => takeOver<string>(FLASH));
  if (!message) return null;
  return (
    <p class="notice admin-flash" role="status">
      {message}
    </p>
  );
}

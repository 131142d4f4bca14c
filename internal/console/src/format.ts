// Formatting shared by every page: one rule each for dates, money, counts.

export interface Money {
  amount: string;
  currency: string;
}

export function money(m: Money | null | undefined): string {
  if (!m) return "—";
  const n = Number(m.amount);
  if (!Number.isFinite(n)) return `${m.amount} ${m.currency}`;
  try {
    return new Intl.NumberFormat(undefined, { style: "currency", currency: m.currency }).format(n);
  } catch {
    return `${n.toFixed(2)} ${m.currency}`;
  }
}

export function date(s: string | null | undefined): string {
  if (!s) return "—";
  const d = new Date(s);
  return Number.isNaN(d.getTime()) ? s : d.toISOString().slice(0, 10);
}

export function dateTime(s: string | null | undefined): string {
  if (!s) return "—";
  const d = new Date(s);
  return Number.isNaN(d.getTime()) ? s : d.toISOString().replace("T", " ").slice(0, 16) + " UTC";
}

/** "3 days ago", "in 12 days". */
export function relative(s: string | null | undefined, now = Date.now()): string {
  if (!s) return "";
  const t = new Date(s).getTime();
  if (Number.isNaN(t)) return "";
  const days = Math.round((t - now) / 86_400_000);
  if (days === 0) {
    const h = Math.round((t - now) / 3_600_000);
    if (h === 0) return "just now";
    return h < 0 ? `${-h} h ago` : `in ${h} h`;
  }
  return days < 0 ? `${-days} d ago` : `in ${days} d`;
}

/** An enum value as words: ATTRIBUTE_CHANGED → attribute changed. */
export function words(s: string | null | undefined): string {
  return s ? s.toLowerCase().replaceAll("_", " ") : "—";
}

export function plural(n: number, one: string, many = one + "s"): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** Book-keeping columns every write touches: not worth naming in a change. */
export const QUIET_FIELDS = new Set(["updated_at", "created_at", "provenance"]);

/**
 * A changed field as the audit trail stores it, in the words the pages use
 * for it: owner_id → owner, serial_number → serial number,
 * attributes.os → attributes.os.
 */
export function fieldWords(field: string): string {
  return words(field.replace(/_id$/, ""));
}

/** An http(s) address, or null: only those become links (no javascript:, data:, file:). */
export function webURL(s: string | null | undefined): string | null {
  if (!s) return null;
  const t = s.trim();
  return /^https?:\/\/[^\s<>"]+$/i.test(t) ? t : null;
}

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

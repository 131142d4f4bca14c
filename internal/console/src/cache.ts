// Hand-over between pages: the search page already holds the incident
// context of the CI it opens, so the incident view shows it without asking
// again. Entries are taken once and expire after a few seconds.

const ttlMs = 10_000;
const entries = new Map<string, { at: number; value: unknown }>();

export function handOver(key: string, value: unknown): void {
  entries.set(key, { at: Date.now(), value });
}

export function takeOver<T>(key: string): T | undefined {
  const e = entries.get(key);
  entries.delete(key);
  if (!e || Date.now() - e.at > ttlMs) return undefined;
  return e.value as T;
}

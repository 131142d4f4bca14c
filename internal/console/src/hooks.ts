import { useCallback, useEffect, useRef, useState } from "preact/hooks";
import { ApiError, gql } from "./api";

export interface QueryState<T> {
  data?: T;
  error?: ApiError;
  loading: boolean;
  reload: () => void;
}

/**
 * Runs query with vars whenever they change (compared as JSON), cancelling
 * the previous request; skip leaves it idle. Data answers the variables it
 * was asked with: once they change (another CI's ID) the old data is
 * dropped and the state is loading, so a page never shows one record under
 * another's address. keepPrevious keeps the old data (marked loading) until
 * the new answer: for the pages of one list, whose old rows stay dimmed.
 */
export function useQuery<T>(
  query: string,
  vars?: Record<string, unknown>,
  skip = false,
  opts: { keepPrevious?: boolean } = {},
): QueryState<T> {
  const vkey = JSON.stringify(vars ?? {});
  // What the state answers: the query, the variables, and whether it was skipped.
  const key = `${skip ? "skip" : "run"}\u0000${query}\u0000${vkey}`;
  const keep = !!opts.keepPrevious;
  const [state, setState] = useState<{ key: string; data?: T; error?: ApiError; loading: boolean }>({ key, loading: !skip });
  const [tick, setTick] = useState(0);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  useEffect(() => {
    if (skip) {
      setState({ key, loading: false });
      return;
    }
    const ctl = new AbortController();
    setState((s) => ({ key, data: s.key === key || keep ? s.data : undefined, loading: true }));
    gql<T>(query, JSON.parse(vkey), ctl.signal).then(
      (data) => setState({ key, data, loading: false }),
      (err: unknown) => {
        if ((err as Error).name === "AbortError") return;
        setState({ key, error: err instanceof ApiError ? err : new ApiError([{ message: String(err) }], 0), loading: false });
      },
    );
    return () => ctl.abort();
  }, [key, tick]);
  if (state.key !== key) {
    // Rendered before the effect for the new variables ran.
    return { data: keep ? state.data : undefined, loading: !skip, reload };
  }
  return { data: state.data, error: state.error, loading: state.loading, reload };
}

/** A mutation runner: run(vars) resolves to the data or throws ApiError. */
export function useMutation<T>(query: string): {
  run: (vars: Record<string, unknown>) => Promise<T>;
  busy: boolean;
  error: ApiError | undefined;
  reset: () => void;
} {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError>();
  const alive = useRef(true);
  useEffect(() => () => void (alive.current = false), []);
  const run = useCallback(
    async (vars: Record<string, unknown>) => {
      setBusy(true);
      setError(undefined);
      try {
        return await gql<T>(query, vars);
      } catch (e) {
        const err = e instanceof ApiError ? e : new ApiError([{ message: String(e) }], 0);
        if (alive.current) setError(err);
        throw err;
      } finally {
        if (alive.current) setBusy(false);
      }
    },
    [query],
  );
  return { run, busy, error, reset: () => setError(undefined) };
}

/** value, settled for ms. */
export function useDebounced<T>(value: T, ms: number): T {
  const [v, setV] = useState(value);
  useEffect(() => {
    const t = setTimeout(() => setV(value), ms);
    return () => clearTimeout(t);
  }, [value, ms]);
  return v;
}

/** Sets the document title (the page's name first). */
export function useTitle(title: string): void {
  useEffect(() => {
    document.title = title ? `${title} · Cairn` : "Cairn";
  }, [title]);
}

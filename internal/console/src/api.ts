// The one way the console talks to Cairn: POST /graphql, the same API every
// client uses. The token lives in sessionStorage (gone when the tab closes)
// and travels as a bearer header: no cookies, so no CSRF surface.

const TOKEN_KEY = "cairn.token";

export function getToken(): string | null {
  try {
    return sessionStorage.getItem(TOKEN_KEY);
  } catch {
    return null;
  }
}

export function setToken(token: string | null): void {
  try {
    if (token) sessionStorage.setItem(TOKEN_KEY, token);
    else sessionStorage.removeItem(TOKEN_KEY);
  } catch {
    // Storage refused (private mode): the token lives only in this page.
  }
}

export interface GqlError {
  message: string;
  path?: (string | number)[];
  extensions?: { code?: string; field?: string; [k: string]: unknown };
}

/** A failed request: GraphQL errors (with extensions.code and .field) or an HTTP failure. */
export class ApiError extends Error {
  readonly errors: GqlError[];
  readonly status: number;
  constructor(errors: GqlError[], status: number) {
    super(errors.map((e) => e.message).join("; ") || `HTTP ${status}`);
    this.name = "ApiError";
    this.errors = errors;
    this.status = status;
  }
  get code(): string | undefined {
    return this.errors[0]?.extensions?.code;
  }
  /** Messages by the input field they name (extensions.field); "" for the rest. */
  byField(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const e of this.errors) {
      const f = e.extensions?.field ?? "";
      out[f] = out[f] ? `${out[f]}; ${e.message}` : e.message;
    }
    return out;
  }
}

export async function gql<T>(
  query: string,
  variables?: Record<string, unknown>,
  signal?: AbortSignal,
): Promise<T> {
  const headers: Record<string, string> = { "Content-Type": "application/json", Accept: "application/json" };
  const token = getToken();
  if (token) headers.Authorization = `Bearer ${token}`;
  let res: Response;
  try {
    res = await fetch("/graphql", { method: "POST", headers, body: JSON.stringify({ query, variables }), signal });
  } catch (e) {
    if ((e as Error).name === "AbortError") throw e;
    throw new ApiError([{ message: `Cairn did not answer: ${(e as Error).message}`, extensions: { code: "UNAVAILABLE" } }], 0);
  }
  let body: { data?: T; errors?: GqlError[] } = {};
  try {
    body = await res.json();
  } catch {
    throw new ApiError([{ message: `Cairn answered HTTP ${res.status} without JSON` }], res.status);
  }
  if (body.errors?.length) throw new ApiError(body.errors, res.status);
  if (!res.ok || body.data === undefined) throw new ApiError([{ message: `HTTP ${res.status}` }], res.status);
  return body.data;
}

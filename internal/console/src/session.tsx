import { createContext, type ComponentChildren } from "preact";
import { useCallback, useContext, useEffect, useState } from "preact/hooks";
import { ApiError, getToken, gql, setToken } from "./api";

export type Role = "VIEWER" | "EDITOR" | "ADMIN";

export interface Viewer {
  name: string;
  role: Role | null;
  authenticated: boolean;
}

const rank: Record<Role, number> = { VIEWER: 1, EDITOR: 2, ADMIN: 3 };

export interface Session {
  /** null until the API answered; then who the API says we are. */
  viewer: Viewer | null;
  /** The API refused to answer without a token (anonymous read is off). */
  needsToken: boolean;
  /** Why the first question to the API failed (not a refused token): shown with a Retry. */
  error: ApiError | undefined;
  /** Asks the API again who we are (after error). */
  retry: () => void;
  /** The API refused the token this tab held (revoked, expired); it was forgotten. */
  tokenRefused: boolean;
  /** Hides the tokenRefused notice. */
  dismissTokenRefused: () => void;
  /** True when the caller's role is at least role. */
  can: (role: Role) => boolean;
  signIn: (token: string) => Promise<void>;
  signOut: () => void;
}

const SessionContext = createContext<Session>({
  viewer: null,
  needsToken: false,
  error: undefined,
  retry: () => {},
  tokenRefused: false,
  dismissTokenRefused: () => {},
  can: () => false,
  signIn: async () => {},
  signOut: () => {},
});

export const VIEWER_QUERY = `query Viewer { viewer { name role authenticated } }`;

export function SessionProvider({ children }: { children: ComponentChildren }) {
  const [viewer, setViewer] = useState<Viewer | null>(null);
  const [needsToken, setNeedsToken] = useState(false);
  const [error, setError] = useState<ApiError>();
  const [tokenRefused, setTokenRefused] = useState(false);

  // Who we are. A token the API refuses (revoked, expired) is forgotten and
  // the question asked again without it: with anonymous read on, the
  // console then reads anonymously and says the token was refused; without,
  // it asks for a token. Any other failure (Cairn down, shedding load) is
  // shown with a Retry instead of "Connecting…" for ever.
  const load = useCallback(async () => {
    setError(undefined);
    for (;;) {
      try {
        const d = await gql<{ viewer: Viewer }>(VIEWER_QUERY);
        setViewer(d.viewer);
        setNeedsToken(false);
        return;
      } catch (e) {
        const err = e instanceof ApiError ? e : new ApiError([{ message: String(e) }], 0);
        if (err.status === 401 || err.code === "UNAUTHENTICATED") {
          if (getToken()) {
            setToken(null);
            setTokenRefused(true);
            continue;
          }
          setViewer({ name: "", role: null, authenticated: false });
          setNeedsToken(true);
        } else {
          setError(err);
        }
        return;
      }
    }
  }, []);
  useEffect(() => void load(), [load]);
  const retry = useCallback(() => void load(), [load]);
  const dismissTokenRefused = useCallback(() => setTokenRefused(false), []);

  const signIn = useCallback(async (token: string) => {
    const previous = getToken();
    setToken(token.trim());
    try {
      const d = await gql<{ viewer: Viewer }>(VIEWER_QUERY);
      if (!d.viewer.authenticated) throw new ApiError([{ message: "the API did not accept this token" }], 401);
      setViewer(d.viewer);
      setNeedsToken(false);
      setTokenRefused(false);
    } catch (e) {
      setToken(previous);
      throw e;
    }
  }, []);
  const signOut = useCallback(() => {
    setToken(null);
    setTokenRefused(false);
    setViewer(null);
    void load();
  }, [load]);
  const can = useCallback((role: Role) => !!viewer?.role && rank[viewer.role] >= rank[role], [viewer]);

  return (
    <SessionContext.Provider value={{ viewer, needsToken, error, retry, tokenRefused, dismissTokenRefused, can, signIn, signOut }}>{children}</SessionContext.Provider>
  );
}

export function useSession(): Session {
  return useContext(SessionContext);
}

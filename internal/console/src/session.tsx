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
  error: ApiError | undefined;
  /** True when the caller's role is at least role. */
  can: (role: Role) => boolean;
  signIn: (token: string) => Promise<void>;
  signOut: () => void;
}

const SessionContext = createContext<Session>({
  viewer: null,
  needsToken: false,
  error: undefined,
  can: () => false,
  signIn: async () => {},
  signOut: () => {},
});

export const VIEWER_QUERY = `query Viewer { viewer { name role authenticated } }`;

export function SessionProvider({ children }: { children: ComponentChildren }) {
  const [viewer, setViewer] = useState<Viewer | null>(null);
  const [needsToken, setNeedsToken] = useState(false);
  const [error, setError] = useState<ApiError>();

  const load = useCallback(async () => {
    try {
      const d = await gql<{ viewer: Viewer }>(VIEWER_QUERY);
      setViewer(d.viewer);
      setNeedsToken(false);
      setError(undefined);
    } catch (e) {
      const err = e as ApiError;
      if (err.status === 401 || err.code === "UNAUTHENTICATED") {
        if (getToken()) setToken(null);
        setViewer({ name: "", role: null, authenticated: false });
        setNeedsToken(true);
      } else {
        setError(err);
      }
    }
  }, []);
  useEffect(() => void load(), [load]);

  const signIn = useCallback(async (token: string) => {
    const previous = getToken();
    setToken(token.trim());
    try {
      const d = await gql<{ viewer: Viewer }>(VIEWER_QUERY);
      if (!d.viewer.authenticated) throw new ApiError([{ message: "the API did not accept this token" }], 401);
      setViewer(d.viewer);
      setNeedsToken(false);
    } catch (e) {
      setToken(previous);
      throw e;
    }
  }, []);
  const signOut = useCallback(() => {
    setToken(null);
    setViewer(null);
    void load();
  }, [load]);
  const can = useCallback((role: Role) => !!viewer?.role && rank[viewer.role] >= rank[role], [viewer]);

  return (
    <SessionContext.Provider value={{ viewer, needsToken, error, can, signIn, signOut }}>{children}</SessionContext.Provider>
  );
}

export function useSession(): Session {
  return useContext(SessionContext);
}

import { useState } from "preact/hooks";
import { useLocation } from "preact-iso";
import type { ApiError } from "../api";
import { ErrorBox } from "../components/ui";
import { useTitle } from "../hooks";
import { useSession } from "../session";

/** Paste an API token; it stays in this tab (sessionStorage) and nowhere else. */
export function SignIn({ required = false }: { required?: boolean }) {
  useTitle("Sign in");
  const { signIn, tokenRefused } = useSession();
  const { query, route, url } = useLocation();
  const [token, setToken] = useState("");
  const [error, setError] = useState<ApiError>();
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      await signIn(token);
      // Where to go once signed in: the page asked for (?next=), or, when the
      // sign-in stands in for the page a deep link opened, that page.
      const wanted = query.next ?? (required ? url : "/");
      const next = wanted.startsWith("/") && !wanted.startsWith("//") ? wanted : "/";
      route(next === "/signin" ? "/" : next);
    } catch (err) {
      setError(err as ApiError);
    } finally {
      setBusy(false);
    }
  };
  return (
    <div class="page narrow">
      <h1>Sign in</h1>
      {required && tokenRefused ? (
        <p class="notice" role="alert">
          Cairn refused the token this tab held (revoked or expired); it was forgotten.
        </p>
      ) : null}
      {required ? <p>This Cairn does not answer without a token.</p> : null}
      <p>
        Paste an API token (an admin makes one with <code>cairn token create</code> or on the Admin page). It is kept in
        this tab only and sent as a bearer header; closing the tab forgets it.
      </p>
      <form onSubmit={submit} class="form">
        <label for="token">API token</label>
        <input
          id="token"
          type="password"
          autocomplete="off"
          required
          value={token}
          onInput={(e) => setToken((e.target as HTMLInputElement).value)}
          aria-describedby={error ? "token-err" : undefined}
          aria-invalid={error ? true : undefined}
        />
        <div id="token-err">
          <ErrorBox error={error} title="Sign-in failed" />
        </div>
        <button type="submit" class="btn b-primary" disabled={busy || !token.trim()}>
          {busy ? "Checking…" : "Sign in"}
        </button>
      </form>
    </div>
  );
}

// API tokens: the list (never a secret: its first characters only), a new
// token whose secret is shown once, in this page's memory only (not in the
// URL, not in storage) until dismissed, and revoking one.
import { useEffect, useRef, useState } from "preact/hooks";
import { useLocation } from "preact-iso";
import { AdminConfirm, AdminCopy, AdminErrorSummary, AdminField, AdminPager, sortErrors, type PageInfo } from "../../components/AdminForm";
import { Badge, Empty, ErrorBox, Loading, Section } from "../../components/ui";
import { dateTime, plural, relative, words } from "../../format";
import { useMutation, useQuery } from "../../hooks";
import CREATE from "../../queries/adminTokenCreate.graphql";
import DELETE from "../../queries/adminTokenDelete.graphql";
import TOKENS from "../../queries/adminTokens.graphql";
import { useSession } from "../../session";
import { pageVars, withParams } from "./common";

const PAGE = 50;

interface Token {
  id: string;
  name: string;
  role: string;
  prefix: string;
  createdAt: string;
  createdBy?: string;
  expiresAt: string | null;
  lastUsedAt?: string | null;
}

export function TokensTab() {
  const { query } = useLocation();
  const { viewer, signOut } = useSession();
  const { data, error, loading, reload } = useQuery<{ apiTokens: { totalCount: number; pageInfo: PageInfo; edges: { node: Token }[] } }>(
    TOKENS,
    pageVars(PAGE, query.after, query.before),
    false,
    { keepPrevious: true },
  );
  const del = useMutation<{ deleteAPIToken: string }>(DELETE);
  const [said, setSaid] = useState("");
  const [created, setCreated] = useState<{ token: string; apiToken: Token }>();
  const conn = data?.apiTokens;
  const now = Date.now();

  const revoke = async (t: Token) => {
    try {
      await del.run({ id: t.id });
      if (viewer?.name === t.name) {
        // This session's own token: it no longer opens anything.
        signOut();
        return;
      }
      setSaid(`Revoked the token ${t.name}.`);
      reload();
    } catch {
      setSaid("");
    }
  };

  return (
    <>
      {created ? (
        <NewSecret
          created={created}
          onDismiss={() => {
            setCreated(undefined);
            setSaid(`The secret of ${created.apiToken.name} is gone from this page.`);
          }}
        />
      ) : null}
      <div class="admin-split">
        <NewToken
          onCreated={(c) => {
            setCreated(c);
            setSaid("");
            reload();
          }}
        />
        <Section title="API tokens" id="tokens">
          <p role="status" aria-live="polite" class="admin-said">
            {said}
          </p>
          <ErrorBox error={del.error} title="The token was not revoked" />
          {error ? <ErrorBox error={error} /> : null}
          {loading && !data ? <Loading what="Loading the tokens" /> : null}
          {conn ? (
            conn.edges.length ? (
              <>
                <p class="small muted">{plural(conn.totalCount, "token")}, newest first. Secrets are never shown again: only their first characters.</p>
                <div class="table-wrap">
                  <table class="table admin-table">
                    <thead>
                      <tr>
                        <th scope="col">Name</th>
                        <th scope="col">Role</th>
                        <th scope="col">Starts with</th>
                        <th scope="col">Created</th>
                        <th scope="col">Expires</th>
                        <th scope="col">Last used</th>
                        <th scope="col">
                          <span class="sr-only">Actions</span>
                        </th>
                      </tr>
                    </thead>
                    <tbody>
                      {conn.edges.map(({ node: t }) => {
                        const mine = viewer?.name === t.name;
                        const expired = t.expiresAt ? new Date(t.expiresAt).getTime() <= now : false;
                        return (
                          <tr key={t.id} class={created?.apiToken.id === t.id ? "admin-current" : undefined}>
                            <th scope="row">
                              {t.name}
                              {mine ? <div class="small muted">this session</div> : null}
                            </th>
                            <td>
                              <Badge tone={t.role === "ADMIN" ? "bad" : t.role === "EDITOR" ? "warn" : "plain"}>{words(t.role)}</Badge>
                            </td>
                            <td>
                              <code>{t.prefix}…</code>
                            </td>
                            <td>
                              {dateTime(t.createdAt)}
                              {t.createdBy ? <div class="small muted">by {t.createdBy}</div> : null}
                            </td>
                            <td>
                              {t.expiresAt ? (
                                <>
                                  {dateTime(t.expiresAt)} {expired ? <Badge tone="bad">expired</Badge> : <div class="small muted">{relative(t.expiresAt)}</div>}
                                </>
                              ) : (
                                <span class="muted">never</span>
                              )}
                            </td>
                            <td>{t.lastUsedAt ? <span title={dateTime(t.lastUsedAt)}>{relative(t.lastUsedAt) || dateTime(t.lastUsedAt)}</span> : <span class="muted">never</span>}</td>
                            <td>
                              <AdminConfirm
                                id={`token-delete-${t.id}`}
                                label={
                                  <>
                                    Revoke<span class="sr-only"> {t.name}</span>
                                  </>
                                }
                                busy={del.busy}
                                question={
                                  <>
                                    Revoke the token <strong>{t.name}</strong> ({words(t.role)})? Whatever uses it is refused at once.
                                    {mine ? " It is the token this session signed in with: you will be signed out." : ""}
                                  </>
                                }
                                confirm="Revoke the token"
                                onConfirm={() => revoke(t)}
                              />
                            </td>
                          </tr>
                        );
                      })}
                    </tbody>
                  </table>
                </div>
                <AdminPager info={conn.pageInfo} label="Pages of tokens" href={(p) => withParams("/admin/tokens", p)} />
              </>
            ) : (
              <Empty>No token.</Empty>
            )
          ) : null}
        </Section>
      </div>
    </>
  );
}

const labels: Record<string, string> = { name: "Name", role: "Role", expiresAt: "Expires" };

function NewToken({ onCreated }: { onCreated: (c: { token: string; apiToken: Token }) => void }) {
  const create = useMutation<{ createAPIToken: { token: string; apiToken: Token } }>(CREATE);
  const [name, setName] = useState("");
  const [role, setRole] = useState("VIEWER");
  const [expires, setExpires] = useState("");
  const [attempt, setAttempt] = useState(0);
  const errs = sortErrors(create.error, Object.keys(labels));
  const e = errs.byField;
  const submit = async (ev: Event) => {
    ev.preventDefault();
    setAttempt((a) => a + 1);
    try {
      // A date means the end of that day, UTC.
      const expiresAt = expires ? `${expires}T23:59:59Z` : null;
      const { createAPIToken } = await create.run({ name: name.trim(), role, expiresAt });
      setName("");
      setExpires("");
      onCreated(createAPIToken);
    } catch {
      // shown by the fields and the summary
    }
  };
  return (
    <Section title="New token" id="token-new">
      <form class="admin-form" onSubmit={submit} noValidate>
        <AdminErrorSummary errors={errs} labels={labels} prefix="token-" attempt={attempt} title="The token was not created" />
        <AdminField id="token-name" label="Name" error={e.name} hint="Who or what uses it; it is the audit actor of its writes.">
          {(a) => <input {...a} type="text" required autocomplete="off" value={name} onInput={(ev) => setName((ev.target as HTMLInputElement).value)} />}
        </AdminField>
        <AdminField id="token-role" label="Role" error={e.role} hint="Viewer reads; editor also writes the estate; admin also manages jobs, reports and tokens.">
          {(a) => (
            <select {...a} value={role} onChange={(ev) => setRole((ev.target as HTMLSelectElement).value)}>
              <option value="VIEWER">viewer</option>
              <option value="EDITOR">editor</option>
              <option value="ADMIN">admin</option>
            </select>
          )}
        </AdminField>
        <AdminField id="token-expiresAt" label="Expires (optional)" error={e.expiresAt} hint="At the end of that day, UTC. Empty: never.">
          {(a) => <input {...a} type="date" value={expires} onInput={(ev) => setExpires((ev.target as HTMLInputElement).value)} />}
        </AdminField>
        <div class="actions">
          <button type="submit" class="btn b-primary" disabled={create.busy}>
            {create.busy ? "Creating…" : "Create the token"}
          </button>
        </div>
      </form>
    </Section>
  );
}

/** The new token's secret, once: copy it, then dismiss it. */
function NewSecret({ created, onDismiss }: { created: { token: string; apiToken: Token }; onDismiss: () => void }) {
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => heading.current?.focus(), [created.token]);
  const t = created.apiToken;
  return (
    <section class="card admin-secret-panel" aria-labelledby="secret-h" id="new-secret">
      <h2 id="secret-h" tabIndex={-1} ref={heading}>
        The secret of {t.name}
      </h2>
      <p class="admin-warning" role="alert">
        <strong>Copy it now: this is the only time Cairn shows it.</strong> Cairn keeps only a hash; once you dismiss this panel
        or leave the page, the secret cannot be shown again. Keep it in a password manager or secret store; if it is lost, revoke
        the token and create another.
      </p>
      <div class="admin-secret-row">
        <label for="new-secret-value">
          Secret of {t.name} ({words(t.role)})
        </label>
        <input id="new-secret-value" class="admin-code" type="text" readOnly value={created.token} spellcheck={false} autocomplete="off" onFocus={(e) => (e.target as HTMLInputElement).select()} />
      </div>
      <div class="actions">
        <AdminCopy text={created.token} label="Copy the secret" field="new-secret-value" />
        <button type="button" class="btn b-plain" id="new-secret-dismiss" onClick={onDismiss}>
          I have stored it: dismiss
        </button>
      </div>
    </section>
  );
}

import type { ButtonHTMLAttributes, ComponentChildren } from "preact";
import type { ApiError } from "../api";
import { words } from "../format";

export function Loading({ what = "Loading" }: { what?: string }) {
  return (
    <p class="loading" role="status" aria-live="polite">
      {what}…
    </p>
  );
}

/** An API error as the API said it, with its code. */
export function ErrorBox({ error, title = "Cairn refused the request" }: { error: ApiError | Error | undefined; title?: string }) {
  if (!error) return null;
  const errs = "errors" in error ? (error as ApiError).errors : [{ message: error.message }];
  return (
    <div class="error" role="alert">
      <strong>{title}</strong>
      <ul>
        {errs.map((e, i) => (
          <li key={i}>
            {e.message}
            {"extensions" in e && e.extensions?.code ? <code class="code">{e.extensions.code}</code> : null}
          </li>
        ))}
      </ul>
    </div>
  );
}

export function Section({ title, id, children, actions }: { title: string; id?: string; children: ComponentChildren; actions?: ComponentChildren }) {
  const hid = id ? `${id}-h` : undefined;
  return (
    <section class="card" id={id} aria-labelledby={hid}>
      <header class="card-h">
        <h2 id={hid}>{title}</h2>
        {actions ? <div class="actions">{actions}</div> : null}
      </header>
      {children}
    </section>
  );
}

/** A definition list from [label, value] pairs; empty values show a dash. */
export function Facts({ rows }: { rows: [string, ComponentChildren][] }) {
  return (
    <dl class="facts">
      {rows.map(([k, v]) => (
        <div key={k}>
          <dt>{k}</dt>
          <dd>{v === null || v === undefined || v === "" ? "—" : v}</dd>
        </div>
      ))}
    </dl>
  );
}

const kindClass: Record<string, string> = {
  SERVER: "k-server",
  VM: "k-vm",
  CLUSTER: "k-cluster",
  CONTAINER: "k-container",
  DATABASE: "k-db",
  APPLICATION: "k-app",
  NETWORK_DEVICE: "k-net",
  LOAD_BALANCER: "k-lb",
  STORAGE: "k-storage",
  CLOUD_RESOURCE: "k-cloud",
};

export function Kind({ kind }: { kind: string | null | undefined }) {
  if (!kind) return null;
  return <span class={`badge ${kindClass[kind] ?? "k-other"}`}>{words(kind)}</span>;
}

export function Badge({ children, tone = "plain" }: { children: ComponentChildren; tone?: "plain" | "ok" | "warn" | "bad" | "info" }) {
  return <span class={`badge t-${tone}`}>{children}</span>;
}

export function Empty({ children }: { children: ComponentChildren }) {
  return <p class="empty">{children}</p>;
}

export function Button(props: ButtonHTMLAttributes<HTMLButtonElement> & { kind?: "primary" | "plain" | "danger" }) {
  const { kind = "plain", class: cls, ...rest } = props;
  return <button type="button" class={`btn b-${kind} ${cls ?? ""}`} {...rest} />;
}

import { useLocation } from "preact-iso";
import { useTitle } from "../hooks";
import { useSession } from "../session";
import { NotFound } from "./NotFound";
import { JobsTab } from "./admin/Jobs";
import { ReportsTab } from "./admin/Reports";
import { TokensTab } from "./admin/Tokens";

const tabs = [
  { key: "jobs", label: "Discovery jobs" },
  { key: "reports", label: "Report schedules" },
  { key: "tokens", label: "API tokens" },
] as const;

type Tab = (typeof tabs)[number]["key"];

/**
 * The admin pages: discovery jobs, report schedules, API tokens. Only an
 * admin token sees them; anyone else is told so, and no admin-only query
 * is sent (the API would refuse it anyway).
 */
export function AdminPage({ tab }: { tab?: string }) {
  const { viewer, can } = useSession();
  const { url } = useLocation();
  const current = (tab ?? "jobs") as Tab;
  const known = tabs.find((t) => t.key === current);
  useTitle(known ? `Admin · ${known.label}` : "Admin");

  if (!can("ADMIN")) {
    return (
      <div class="page narrow">
        <h1>Admin</h1>
        <div class="notice" role="status">
          <p>
            <strong>These pages need an admin token.</strong>{" "}
            {viewer?.authenticated
              ? `You are signed in as ${viewer.name}, whose role is ${viewer.role?.toLowerCase() ?? "none"}.`
              : "You are browsing read-only, without a token."}
          </p>
          <p>
            Discovery jobs, report schedules and API tokens are managed by admins.{" "}
            <a href={`/signin?next=${encodeURIComponent(url)}`}>Sign in with an admin token</a>, or ask an admin (one makes a
            token with <code>cairn token create --name NAME --role admin</code>).
          </p>
        </div>
      </div>
    );
  }
  if (!known) return <NotFound />;
  return (
    <div class="page admin">
      <h1>Admin</h1>
      <nav class="admin-tabs" aria-label="Admin sections">
        <ul>
          {tabs.map((t) => (
            <li key={t.key}>
              <a href={`/admin/${t.key}`} aria-current={t.key === current ? "page" : undefined}>
                {t.label}
              </a>
            </li>
          ))}
        </ul>
      </nav>
      {current === "jobs" ? <JobsTab /> : current === "reports" ? <ReportsTab /> : <TokensTab />}
    </div>
  );
}

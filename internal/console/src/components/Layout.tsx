import type { ComponentChildren } from "preact";
import { useEffect, useRef } from "preact/hooks";
import { useLocation } from "preact-iso";
import { useSession } from "../session";
import { SearchBox } from "./SearchBox";

const nav: { href: string; label: string; admin?: boolean }[] = [
  { href: "/list/cis", label: "CIs" },
  { href: "/list/services", label: "Services" },
  { href: "/incidents", label: "Incidents" },
  { href: "/alerts", label: "Alerts" },
  { href: "/drifts", label: "Drift" },
  { href: "/finance", label: "Assets" },
  { href: "/health", label: "Health" },
  { href: "/admin", label: "Admin", admin: true },
];

export function Layout({ children }: { children: ComponentChildren }) {
  const { viewer, needsToken, can, signOut } = useSession();
  const { path, url } = useLocation();
  const search = useRef<HTMLInputElement>(null);
  const main = useRef<HTMLElement>(null);

  // "/" focuses the search box from anywhere but a text field: the key
  // press is swallowed and the focus moves when the key comes up, so the
  // "/" is never typed into the box.
  useEffect(() => {
    const inField = (e: KeyboardEvent) => {
      const t = e.target as HTMLElement;
      return !!t && (t.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(t.tagName));
    };
    const slash = (e: KeyboardEvent) => e.key === "/" && !e.ctrlKey && !e.metaKey && !e.altKey && !inField(e);
    const onDown = (e: KeyboardEvent) => {
      if (slash(e)) e.preventDefault();
    };
    const onUp = (e: KeyboardEvent) => {
      if (slash(e)) search.current?.focus();
    };
    window.addEventListener("keydown", onDown);
    window.addEventListener("keyup", onUp);
    return () => {
      window.removeEventListener("keydown", onDown);
      window.removeEventListener("keyup", onUp);
    };
  }, []);
  // A new page: move focus to it for keyboard and screen-reader users
  // (not on the first load, where the search box has it, nor when the page
  // changed its own URL from a control that is still there: a filter, a
  // pager link, so that focus and scroll stay where the user is).
  const first = useRef(true);
  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    const active = document.activeElement;
    if (active && active !== main.current && active.isConnected && main.current?.contains(active)) return;
    main.current?.focus({ preventScroll: true });
    window.scrollTo(0, 0);
  }, [url]);

  return (
    <>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="top">
        <a href="/" class="brand" aria-label="Cairn home">
          <span aria-hidden="true">▲</span> Cairn
        </a>
        <SearchBox inputRef={search} />
        <nav aria-label="Main">
          <ul>
            {nav
              .filter((n) => !n.admin || can("ADMIN"))
              .map((n) => (
                <li key={n.href}>
                  <a href={n.href} aria-current={path === n.href || path.startsWith(n.href + "/") ? "page" : undefined}>
                    {n.label}
                  </a>
                </li>
              ))}
          </ul>
        </nav>
        <div class="who">
          {viewer?.authenticated ? (
            <>
              <span class="role" title="Your token's role">
                {viewer.name} · {viewer.role?.toLowerCase()}
              </span>
              <button type="button" class="btn b-plain" onClick={signOut}>
                Sign out
              </button>
            </>
          ) : (
            <>
              <span class="role">{needsToken ? "not signed in" : "read-only"}</span>
              <a class="btn b-plain" href={`/signin?next=${encodeURIComponent(url)}`}>
                Sign in
              </a>
            </>
          )}
        </div>
      </header>
      <main id="main" ref={main} tabIndex={-1}>
        {children}
      </main>
    </>
  );
}

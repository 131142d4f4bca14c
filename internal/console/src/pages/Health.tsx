// CMDB health: the cmdbHealth figures, each with the CIs behind it.
//
//   /health?staleDays=&expiringDays=&show=<figure>[&kind=<CI kind>]&after=|before=
//
// A figure's link opens, below the figures, the CIs it counts: the API's
// configurationItems under the filter that says the same thing, paged with
// cursors, with its total next to the figure's. Two figures count sightings,
// which the API does not filter on; their lists use each CI's lastSeenAt,
// and the page says so when the two totals differ. Duplicate identifiers,
// orphans and failing jobs come with the figure itself.
import { useEffect, useRef } from "preact/hooks";
import { useLocation } from "preact-iso";
import { CursorPager, type PageInfo } from "../components/CursorPager";
import { hrefWith, pageVars } from "../components/href";
import { Badge, Empty, ErrorBox, Kind, Loading, Section } from "../components/ui";
import { date, dateTime, plural, relative, words } from "../format";
import { useQuery, useTitle } from "../hooks";
import QUERY from "../queries/health.graphql";
import CIS from "../queries/health-cis.graphql";
import CONTRACTS from "../queries/health-contracts.graphql";
import { useSession } from "../session";

const PATH = "/health";
const PAGE = 25;
const DAY = 86_400_000;
const STALE_CHOICES = [7, 14, 30, 60, 90];
const EXPIRING_CHOICES = [30, 60, 90, 180, 365];
/** Live CIs: what every figure counts (internal/report/health.go). */
const LIVE = { statusNotIn: ["RETIRED", "DISPOSED"] };

type Query = Record<string, string | undefined>;

interface CIRow {
  id: string;
  name: string;
  kind: string;
  environment?: string;
}

interface KindCompleteness {
  kind: string;
  count: number;
  withOwner: number;
  withService: number;
  withLocation: number;
  withAsset: number;
}

interface Health {
  generatedAt: string;
  totalCIs: number;
  stale: number;
  neverSeen: number;
  orphans: number;
  duplicateIdentifiers: number;
  warrantiesExpiring: number;
  contractsExpiring: number;
  completeness: KindCompleteness[];
  orphanSample: CIRow[];
  duplicates: { kind: string; value: string; configurationItems: CIRow[] }[];
  failingJobs: { name: string; status: string; at: string | null; error?: string | null }[];
}

/** What a drill-down shows: its title, the CI filter, and the figure it stands for. */
interface Figure {
  title: string;
  where: Record<string, unknown>;
  figure: number | null;
  /** Why the list may not add up to the figure. */
  caveat?: string;
}

const PARTS: Record<string, { field: string; has: string; label: string; short: string }> = {
  noOwner: { field: "withOwner", has: "hasOwner", label: "without an owner", short: "without" },
  noService: { field: "withService", has: "hasServices", label: "in no service", short: "in none" },
  noLocation: { field: "withLocation", has: "hasLocation", label: "without a location", short: "without" },
  noAsset: { field: "withAsset", has: "hasAsset", label: "without an asset record", short: "without" },
};

function choice(s: string | undefined, choices: number[], dflt: number): number {
  const n = Number(s);
  return choices.includes(n) ? n : dflt;
}

/** The CI filter of figure show, as of the health report's time. */
export function figureOf(show: string, kind: string | undefined, h: Health, staleDays: number, expiringDays: number): Figure | null {
  const now = Date.parse(h.generatedAt);
  const iso = (t: number) => new Date(t).toISOString();
  const sightings =
    "Cairn counts this figure from discovery's sightings, which the API does not filter on; the list uses each CI's last-seen time, which an import may also set.";
  switch (show) {
    case "total":
      return { title: "Live CIs", where: LIVE, figure: h.totalCIs };
    case "stale":
      return {
        title: `CIs not seen for ${staleDays} days`,
        where: { ...LIVE, lastSeenAtLT: iso(now - staleDays * DAY) },
        figure: h.stale,
        caveat: sightings,
      };
    case "never":
      return { title: "CIs no discovery has seen", where: { ...LIVE, lastSeenAtIsNil: true }, figure: h.neverSeen, caveat: sightings };
    case "orphans":
      return { title: "Orphans: CIs with neither an owner nor a service", where: { ...LIVE, hasOwner: false, hasServices: false }, figure: h.orphans };
    case "warranties":
      return {
        title: `CIs whose warranty ends within ${expiringDays} days`,
        where: { ...LIVE, hasAssetWith: [{ warrantyEndGTE: iso(now), warrantyEndLTE: iso(now + expiringDays * DAY) }] },
        figure: h.warrantiesExpiring,
      };
    case "contracts":
      return {
        title: `CIs covered by a contract ending within ${expiringDays} days`,
        where: { ...LIVE, hasContractsWith: [{ endDateGTE: iso(now), endDateLTE: iso(now + expiringDays * DAY) }] },
        figure: null,
      };
  }
  const part = PARTS[show];
  const k = h.completeness.find((c) => c.kind === kind);
  if (part && k) {
    const share = (k as unknown as Record<string, number>)[part.field];
    return {
      title: `CIs of kind ${words(k.kind)} ${part.label}`,
      where: { ...LIVE, kind: k.kind, [part.has]: false },
      figure: Math.round(k.count * (1 - share)),
    };
  }
  return null;
}

export function HealthPage() {
  const { query: q } = useLocation();
  const { can } = useSession();
  useTitle("Health");
  const staleDays = choice(q.staleDays, STALE_CHOICES, 30);
  const expiringDays = choice(q.expiringDays, EXPIRING_CHOICES, 30);
  const { data, error, loading } = useQuery<{ cmdbHealth: Health }>(QUERY, { staleDays, expiringDays, admin: can("ADMIN") }, false, { keepPrevious: true });
  const h = data?.cmdbHealth;
  const show = (figure: string, kind?: string) => hrefWith(PATH, q, { show: figure, kind: kind ?? null, after: null, before: null });

  return (
    <div class="page health">
      <header class="page-h">
        <div>
          <h1>Health</h1>
          <p class="sub muted">How complete and how current the CMDB is{h ? `, as of ${dateTime(h.generatedAt)}` : ""}.</p>
        </div>
        <Settings q={q} staleDays={staleDays} expiringDays={expiringDays} />
      </header>
      {error ? <ErrorBox error={error} /> : null}
      {!h && loading ? <Loading what="Measuring the CMDB" /> : null}
      {h ? (
        <>
          <ul class="health-figures" aria-label="Figures">
            {tiles(h, staleDays, expiringDays).map(([key, n, label, tone, anchor]) => (
              <Tile key={key} n={n} label={label} tone={tone} href={`${show(key)}${anchor ?? ""}`} current={q.show === key} />
            ))}
          </ul>
          {q.show ? <DrillDown q={q} h={h} staleDays={staleDays} expiringDays={expiringDays} /> : null}
          <Completeness h={h} show={show} />
          <div class="grid">
            <Duplicates h={h} />
            <Orphans h={h} more={show("orphans")} />
            <FailingJobs h={h} admin={can("ADMIN")} />
          </div>
        </>
      ) : null}
    </div>
  );
}

function Settings({ q, staleDays, expiringDays }: { q: Query; staleDays: number; expiringDays: number }) {
  const { route } = useLocation();
  const set = (key: string, dflt: number) => (e: Event) => {
    const v = Number((e.currentTarget as HTMLSelectElement).value);
    route(hrefWith(PATH, q, { [key]: v === dflt ? null : v, after: null, before: null }));
  };
  return (
    <form class="filters health-settings" aria-label="Health settings" onSubmit={(e) => e.preventDefault()}>
      <label>
        Stale after
        <select value={staleDays} onChange={set("staleDays", 30)}>
          {STALE_CHOICES.map((n) => (
            <option key={n} value={n}>
              {n} days
            </option>
          ))}
        </select>
      </label>
      <label>
        Expiring within
        <select value={expiringDays} onChange={set("expiringDays", 30)}>
          {EXPIRING_CHOICES.map((n) => (
            <option key={n} value={n}>
              {n} days
            </option>
          ))}
        </select>
      </label>
    </form>
  );
}

type Tone = "ok" | "warn" | "bad" | "plain";

/** The figures: key (the drill-down), number, label, tone, and an anchor for those shown further down. */
function tiles(h: Health, staleDays: number, expiringDays: number): [string, number, string, Tone, string?][] {
  const t = (n: number, bad: Tone): Tone => (n ? bad : "ok");
  return [
    ["total", h.totalCIs, "live CIs", "plain"],
    ["stale", h.stale, `not seen for ${staleDays} days`, t(h.stale, "warn")],
    ["never", h.neverSeen, "never seen by discovery", t(h.neverSeen, "warn")],
    ["orphans", h.orphans, "orphans (no owner, no service)", t(h.orphans, "bad")],
    ["duplicates", h.duplicateIdentifiers, "identifiers on several CIs", t(h.duplicateIdentifiers, "bad"), "#health-duplicates"],
    ["warranties", h.warrantiesExpiring, `warranties ending within ${expiringDays} days`, t(h.warrantiesExpiring, "warn")],
    ["contracts", h.contractsExpiring, `contracts ending within ${expiringDays} days`, t(h.contractsExpiring, "warn")],
    ["jobs", h.failingJobs.length, "failing discovery jobs", t(h.failingJobs.length, "bad"), "#health-jobs"],
  ];
}

function Tile({ n, label, href, tone = "plain", current }: { n: number; label: string; href: string; tone?: Tone; current?: boolean }) {
  return (
    <li class={`health-tile h-${tone}`}>
      <a href={href} aria-current={current ? "true" : undefined}>
        <strong>{n.toLocaleString()}</strong> <span>{label}</span>
      </a>
    </li>
  );
}

function pct(share: number): string {
  return `${Math.round(share * 1000) / 10}%`;
}

function Completeness({ h, show }: { h: Health; show: (figure: string, kind?: string) => string }) {
  return (
    <Section title="Completeness by kind" id="health-completeness">
      <div tabIndex={0} role="region" aria-label="Completeness by kind" class="table-wrap">
        <table class="table health-completeness">
          <caption class="sr-only">Share of live CIs of each kind with an owner, a service, a location and an asset record; the links list the CIs without</caption>
          <thead>
            <tr>
              <th scope="col">Kind</th>
              <th scope="col" class="num">CIs</th>
              <th scope="col">With owner</th>
              <th scope="col">In a service</th>
              <th scope="col">With location</th>
              <th scope="col">With asset</th>
            </tr>
          </thead>
          <tbody>
            {h.completeness.map((k) => (
              <tr key={k.kind}>
                <th scope="row">
                  <Kind kind={k.kind} />
                </th>
                <td class="num">{k.count}</td>
                {(["noOwner", "noService", "noLocation", "noAsset"] as const).map((p) => {
                  const share = (k as unknown as Record<string, number>)[PARTS[p].field];
                  const missing = Math.round(k.count * (1 - share));
                  return (
                    <td key={p}>
                      <span class="health-bar" aria-hidden="true">
                        <span style={{ width: pct(share) }} />
                      </span>
                      {pct(share)}
                      {missing ? (
                        <>
                          {" "}
                          <a href={show(p, k.kind)} class="small">
                            {missing} <span class="sr-only">{words(k.kind)} CIs {PARTS[p].label}</span>
                            <span aria-hidden="true">{PARTS[p].short}</span>
                          </a>
                        </>
                      ) : null}
                    </td>
                  );
                })}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </Section>
  );
}

function DrillDown({ q, h, staleDays, expiringDays }: { q: Query; h: Health; staleDays: number; expiringDays: number }) {
  const heading = useRef<HTMLHeadingElement>(null);
  const show = q.show ?? "";
  useEffect(() => {
    // A figure's link in the page moves focus here; a page loaded with
    // ?show= leaves it where the console puts it (the search box).
    const from = document.activeElement;
    if (!from || !from.closest("main")) return;
    heading.current?.focus();
    heading.current?.scrollIntoView({ block: "start" });
  }, [show, q.kind]);
  if (show === "duplicates" || show === "jobs") return null;
  const f = figureOf(show, q.kind, h, staleDays, expiringDays);
  if (!f) {
    return (
      <Section title="No such figure" id="health-drill">
        <Empty>The page has no figure called “{show}”.</Empty>
      </Section>
    );
  }
  return (
    <section class="card health-drill" id="health-drill" aria-labelledby="health-drill-h">
      <header class="card-h">
        <h2 id="health-drill-h" tabIndex={-1} ref={heading}>
          {f.title}
        </h2>
        <a href={hrefWith(PATH, q, { show: null, kind: null, after: null, before: null })}>Close</a>
      </header>
      {show === "contracts" ? <ExpiringContracts within={expiringDays} figure={h.contractsExpiring} /> : null}
      {/* A new figure starts afresh (no rows of the last one); its pages replace each other. */}
      <CIList key={`${show}:${q.kind ?? ""}:${q.staleDays ?? ""}:${q.expiringDays ?? ""}`} q={q} f={f} />
    </section>
  );
}

function CIList({ q, f }: { q: Query; f: Figure }) {
  const { data, error, loading } = useQuery<{
    configurationItems: {
      totalCount: number;
      pageInfo: PageInfo;
      edges: { node: CIRow & { status: string; lastSeenAt: string | null; owner: { id: string; name: string } | null } }[];
    };
  }>(CIS, { ...pageVars(q, PAGE), where: f.where }, false, { keepPrevious: true });
  if (error) return <ErrorBox error={error} />;
  if (!data) return loading ? <Loading what="Finding the CIs" /> : null;
  const c = data.configurationItems;
  return <CITable q={q} f={f} c={c} loading={loading} />;
}

function CITable({
  q,
  f,
  c,
  loading,
}: {
  q: Query;
  f: Figure;
  c: { totalCount: number; pageInfo: PageInfo; edges: { node: CIRow & { status: string; lastSeenAt: string | null; owner: { id: string; name: string } | null } }[] };
  loading: boolean;
}) {
  const differs = f.figure !== null && c.totalCount !== f.figure;
  return (
    <>
      <p class="health-count" role="status">
        <strong data-total={c.totalCount}>{plural(c.totalCount, "CI")}</strong>
        {f.figure !== null ? (
          <span class="muted">
            {" "}
            (the figure says {f.figure}
            {differs ? "" : ", the same"})
          </span>
        ) : null}
      </p>
      {differs && f.caveat ? <p class="notice small">{f.caveat}</p> : null}
      {c.edges.length ? (
        <div tabIndex={0} role="region" aria-label="The CIs behind the figure" class="table-wrap" aria-busy={loading ? "true" : undefined}>
          <table class="table compact health-cis">
            <caption class="sr-only">The CIs behind the figure</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Kind</th>
                <th scope="col">Status</th>
                <th scope="col">Environment</th>
                <th scope="col">Owner</th>
                <th scope="col">Last seen</th>
              </tr>
            </thead>
            <tbody>
              {c.edges.map(({ node: ci }) => (
                <tr key={ci.id}>
                  <td>
                    <a href={`/ci/${ci.id}`}>{ci.name}</a>
                  </td>
                  <td>
                    <Kind kind={ci.kind} />
                  </td>
                  <td>{words(ci.status)}</td>
                  <td>{words(ci.environment)}</td>
                  <td>{ci.owner?.name ?? <span class="muted">none</span>}</td>
                  <td title={ci.lastSeenAt ? dateTime(ci.lastSeenAt) : undefined}>{ci.lastSeenAt ? relative(ci.lastSeenAt) : <span class="muted">never</span>}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : (
        <Empty>No CI.</Empty>
      )}
      <CursorPager path={PATH} query={q} info={c.pageInfo} label="Pages of CIs" />
    </>
  );
}

function ExpiringContracts({ within, figure }: { within: number; figure: number }) {
  const { data, error, loading } = useQuery<{
    expiringContracts: { id: string; number: string; name: string | null; kind: string; endDate: string; daysToEnd: number; autoRenew: boolean; vendor: { name: string } | null; coveredCis: { id: string }[] | null }[];
  }>(CONTRACTS, { within }, false, { keepPrevious: true });
  if (error) return <ErrorBox error={error} />;
  if (!data) return loading ? <Loading what="Finding the contracts" /> : null;
  return (
    <>
      <h3>
        {plural(data.expiringContracts.length, "contract")} <span class="muted">(the figure says {figure})</span>
      </h3>
      <div tabIndex={0} role="region" aria-label="Expiring contracts" class="table-wrap">
        <table class="table compact">
          <caption class="sr-only">Contracts ending within {within} days</caption>
          <thead>
            <tr>
              <th scope="col">Contract</th>
              <th scope="col">Kind</th>
              <th scope="col">Vendor</th>
              <th scope="col">Ends</th>
              <th scope="col" class="num">CIs covered</th>
            </tr>
          </thead>
          <tbody>
            {data.expiringContracts.map((c) => (
              <tr key={c.id}>
                <td>
                  {c.number}
                  {c.name ? <span class="muted"> {c.name}</span> : null}
                </td>
                <td>{words(c.kind)}</td>
                <td>{c.vendor?.name ?? "—"}</td>
                <td>
                  {date(c.endDate)} <span class="muted small">in {plural(c.daysToEnd, "day")}</span>
                  {c.autoRenew ? (
                    <>
                      {" "}
                      <Badge tone="info">auto-renews</Badge>
                    </>
                  ) : null}
                </td>
                <td class="num">{c.coveredCis?.length ?? 0}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <h3>The CIs they cover</h3>
    </>
  );
}

function CILinks({ cis }: { cis: CIRow[] }) {
  return (
    <>
      {cis.map((c, i) => (
        <span key={c.id}>
          {i ? ", " : ""}
          <a href={`/ci/${c.id}`}>{c.name}</a>
        </span>
      ))}
    </>
  );
}

function Duplicates({ h }: { h: Health }) {
  return (
    <Section title={`Identifiers on several CIs (${h.duplicateIdentifiers})`} id="health-duplicates">
      {h.duplicates.length ? (
        <>
          <ul class="rows">
            {h.duplicates.map((d) => (
              <li key={`${d.kind}:${d.value}`}>
                <Badge>{words(d.kind)}</Badge> <code>{d.value}</code>: <CILinks cis={d.configurationItems} />
              </li>
            ))}
          </ul>
          {h.duplicateIdentifiers > h.duplicates.length ? (
            <p class="small muted">The first {h.duplicates.length} of {h.duplicateIdentifiers}; the health report (cairn report) lists them all.</p>
          ) : null}
        </>
      ) : (
        <Empty>No identifier names two live CIs.</Empty>
      )}
    </Section>
  );
}

function Orphans({ h, more }: { h: Health; more: string }) {
  return (
    <Section title={`Orphans (${h.orphans})`} id="health-orphans" actions={h.orphans ? <a href={more}>All of them</a> : null}>
      {h.orphanSample.length ? (
        <ul class="rows">
          {h.orphanSample.map((c) => (
            <li key={c.id}>
              <a href={`/ci/${c.id}`}>{c.name}</a> <Kind kind={c.kind} />
            </li>
          ))}
        </ul>
      ) : (
        <Empty>Every live CI has an owner or a service.</Empty>
      )}
    </Section>
  );
}

function FailingJobs({ h, admin }: { h: Health; admin: boolean }) {
  return (
    <Section title={`Failing discovery jobs (${h.failingJobs.length})`} id="health-jobs" actions={admin ? <a href="/admin/jobs">Discovery jobs</a> : null}>
      {h.failingJobs.length ? (
        <ul class="rows">
          {h.failingJobs.map((j) => (
            <li key={j.name}>
              <strong>{j.name}</strong> <Badge tone="bad">{words(j.status)}</Badge> <span class="muted small">{j.at ? relative(j.at) : ""}</span>
              {j.error ? <p class="small">{j.error}</p> : null}
            </li>
          ))}
        </ul>
      ) : (
        <Empty>The last run of every enabled job succeeded.</Empty>
      )}
    </Section>
  );
}

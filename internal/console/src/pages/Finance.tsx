// Assets: what the estate is worth, today and at a chosen date.
//
//   /finance?asOf=YYYY-MM-DD&asset=<id>&period=MONTH|YEAR&groupBy=SERVICE|OWNER|VENDOR|COST_CENTER|LOCATION
//           &within=<days>&aq=<CI name>&method=<depreciation method>&order=&after=|before=
//
// Every figure is the API's: book values and schedules come from
// Asset.bookValue / depreciationSchedule, totals and roll-ups from
// costRollup (the console adds up nothing but the per-cost-centre rows of
// one currency for the totals, in exact decimal arithmetic). All of the
// page's state is in the URL.
import { useEffect, useMemo, useRef, useState } from "preact/hooks";
import { useLocation } from "preact-iso";
import { Chart, type ChartSeries } from "../components/Chart";
import { CursorPager, type PageInfo } from "../components/CursorPager";
import { dayTime, hrefWith, pageVars, today } from "../components/href";
import { Badge, Empty, ErrorBox, Facts, Kind, Loading, Section } from "../components/ui";
import { date, money, plural, words, type Money } from "../format";
import { useQuery, useTitle } from "../hooks";
import ASSET from "../queries/finance-asset.graphql";
import ASSETS from "../queries/finance-assets.graphql";
import EXPIRING from "../queries/finance-expiring.graphql";
import QUERY from "../queries/finance.graphql";

const PATH = "/finance";
const PAGE = 20;
const DAY = 86_400_000;

const GROUPS: [string, string][] = [
  ["SERVICE", "Service"],
  ["OWNER", "Owner"],
  ["VENDOR", "Vendor"],
  ["COST_CENTER", "Cost centre"],
  ["LOCATION", "Location"],
];
const WITHIN = [30, 60, 90, 180, 365];
const METHODS = ["STRAIGHT_LINE", "DECLINING_BALANCE", "DOUBLE_DECLINING_BALANCE", "SUM_OF_YEARS_DIGITS", "NONE"];
const ORDERS: Record<string, { label: string; orderBy: { field: string; direction: string }[] }> = {
  service: { label: "In service, newest first", orderBy: [{ field: "IN_SERVICE_DATE", direction: "DESC" }] },
  warranty: { label: "Warranty end, soonest first", orderBy: [{ field: "WARRANTY_END", direction: "ASC" }] },
  cc: { label: "Cost centre", orderBy: [{ field: "COST_CENTER", direction: "ASC" }, { field: "IN_SERVICE_DATE", direction: "DESC" }] },
};

type Query = Record<string, string | undefined>;

interface RollupRow {
  key: string;
  group: string;
  currency: string;
  assetCount: number;
  purchaseCost: Money;
  bookValue: Money;
  depreciationThisYear: Money;
  contractCostPerYear: Money;
  totalCostOfOwnership: Money;
}

interface ScheduleRow {
  periodStart: string;
  periodEnd: string;
  depreciation: Money;
  accumulated: Money;
  bookValue: Money;
}

interface AssetDetail {
  id: string;
  currency: string;
  usefulLifeMonths: number;
  depreciationMethod: string;
  decliningRate: number | null;
  convention: string;
  purchaseDate: string | null;
  inServiceDate: string | null;
  disposalDate: string | null;
  warrantyEnd: string | null;
  costCenter: string | null;
  poNumber: string | null;
  invoiceNumber: string | null;
  cost: Money;
  salvageValue: Money;
  disposalProceeds: Money | null;
  disposalGainOrLoss: Money | null;
  today: Money;
  at: Money;
  accumulatedDepreciation: Money;
  depreciationSchedule: ScheduleRow[];
  configurationItem: {
    id: string;
    name: string;
    kind: string;
    warranty: { active: boolean; endDate: string | null; daysLeft: number | null; contract: { id: string; number: string; vendor: { name: string } | null } | null } | null;
  };
}

interface AssetRow {
  id: string;
  currency: string;
  depreciationMethod: string;
  usefulLifeMonths: number;
  inServiceDate: string | null;
  warrantyEnd: string | null;
  disposalDate: string | null;
  costCenter: string | null;
  cost: Money;
  today: Money;
  at: Money;
  configurationItem: { id: string; name: string; kind: string };
}

/** Adds decimal amounts exactly (as scaled integers); the result has the most decimals any addend has. */
export function addAmounts(amounts: string[]): string {
  let scale = 0;
  for (const a of amounts) scale = Math.max(scale, (a.split(".")[1] ?? "").length);
  let sum = 0n;
  for (const a of amounts) {
    const neg = a.startsWith("-");
    const [i, f = ""] = a.replace(/^[-+]/, "").split(".");
    const v = BigInt(i || "0") * 10n ** BigInt(scale) + BigInt((f + "0".repeat(scale)).slice(0, scale) || "0");
    sum += neg ? -v : v;
  }
  const neg = sum < 0n;
  const s = (neg ? -sum : sum).toString().padStart(scale + 1, "0");
  const out = scale ? `${s.slice(0, -scale)}.${s.slice(-scale)}` : s;
  return neg ? `-${out}` : out;
}

/** Sums the money of rows per currency, in the order currencies first appear. */
function totals<T extends { currency: string }>(rows: T[], pick: (r: T) => Money): Money[] {
  const by = new Map<string, string[]>();
  for (const r of rows) by.set(r.currency, [...(by.get(r.currency) ?? []), pick(r).amount]);
  return [...by.entries()].map(([currency, amounts]) => ({ currency, amount: addAmounts(amounts) }));
}

/** Money with its exact amount in the markup (data value), for people and programs. */
function M({ m }: { m: Money | null | undefined }) {
  if (!m) return <>—</>;
  return <data value={m.amount}>{money(m)}</data>;
}

function Monies({ ms }: { ms: Money[] }) {
  if (!ms.length) return <>—</>;
  return (
    <>
      {ms.map((m, i) => (
        <span key={m.currency}>
          {i ? " + " : ""}
          <M m={m} />
        </span>
      ))}
    </>
  );
}

const compact = new Intl.NumberFormat(undefined, { notation: "compact", maximumFractionDigits: 1 });

export function FinancePage() {
  const { query: q } = useLocation();
  useTitle("Assets");
  const day = dayTime(q.asOf) ? q.asOf! : today();
  const asOf = dayTime(day);
  const groupBy = GROUPS.some(([k]) => k === q.groupBy) ? q.groupBy! : "SERVICE";
  const { data, error, loading } = useQuery<{ today: RollupRow[]; at: RollupRow[]; rollup: RollupRow[] }>(QUERY, { asOf, groupBy }, false, { keepPrevious: true });

  return (
    <div class="page finance">
      <header class="page-h">
        <div>
          <h1>Assets</h1>
          <p class="sub muted">Book values, depreciation, costs, and what ends soon.</p>
        </div>
        <AsOfForm q={q} day={day} />
      </header>
      {error ? <ErrorBox error={error} /> : null}
      {!data && loading ? <Loading what="Adding up the assets" /> : null}
      {data ? <Totals data={data} day={day} chosen={!!q.asOf} /> : null}
      {q.asset ? <AssetCard q={q} id={q.asset} asOf={asOf} day={day} /> : null}
      <AssetList q={q} asOf={asOf} day={day} />
      {data ? <Rollups q={q} rows={data.rollup} groupBy={groupBy} day={day} /> : null}
      <Expiring q={q} />
    </div>
  );
}

function AsOfForm({ q, day }: { q: Query; day: string }) {
  const { route } = useLocation();
  const [value, setValue] = useState(day);
  const [bad, setBad] = useState(false);
  useEffect(() => setValue(day), [day]);
  const submit = (e: Event) => {
    e.preventDefault();
    if (!dayTime(value)) {
      setBad(true);
      return;
    }
    setBad(false);
    route(hrefWith(PATH, q, { asOf: value === today() ? null : value }));
  };
  return (
    <form class="fin-asof" onSubmit={submit} aria-label="Book value date">
      <label for="fin-asof">Book value at</label>
      <input
        id="fin-asof"
        name="asOf"
        type="date"
        value={value}
        onInput={(e) => setValue(e.currentTarget.value)}
        aria-invalid={bad ? "true" : undefined}
        aria-describedby={bad ? "fin-asof-err" : undefined}
      />
      <button type="submit" class="btn b-primary">
        Show
      </button>
      {q.asOf ? <a href={hrefWith(PATH, q, { asOf: null })}>Today</a> : null}
      {bad ? (
        <p class="field-error" id="fin-asof-err">
          A date, such as {today()}.
        </p>
      ) : null}
    </form>
  );
}

function Totals({ data, day, chosen }: { data: { today: RollupRow[]; at: RollupRow[] }; day: string; chosen: boolean }) {
  const count = data.today.reduce((n, r) => n + r.assetCount, 0);
  return (
    <ul class="fin-totals" aria-label="Totals">
      <li id="fin-total-today">
        <span class="muted">Book value today</span>
        <strong>
          <Monies ms={totals(data.today, (r) => r.bookValue)} />
        </strong>
      </li>
      {chosen ? (
        <li id="fin-total-at">
          <span class="muted">Book value at {day}</span>
          <strong>
            <Monies ms={totals(data.at, (r) => r.bookValue)} />
          </strong>
        </li>
      ) : null}
      <li>
        <span class="muted">Purchase cost</span>
        <strong>
          <Monies ms={totals(data.today, (r) => r.purchaseCost)} />
        </strong>
      </li>
      <li>
        <span class="muted">Assets</span>
        <strong>{count}</strong>
      </li>
    </ul>
  );
}

function AssetList({ q, asOf, day }: { q: Query; asOf: string; day: string }) {
  const { route } = useLocation();
  const where: Record<string, unknown> = {};
  if (q.aq?.trim()) where.hasConfigurationItemWith = [{ nameContainsFold: q.aq.trim() }];
  if (q.method && METHODS.includes(q.method)) where.depreciationMethod = q.method;
  const order = ORDERS[q.order ?? ""] ?? ORDERS.service;
  const { data, error, loading } = useQuery<{ assets: { totalCount: number; pageInfo: PageInfo; edges: { node: AssetRow }[] } }>(ASSETS, {
    ...pageVars(q, PAGE),
    asOf,
    where,
    orderBy: order.orderBy,
  }, false, { keepPrevious: true });
  const [text, setText] = useState(q.aq ?? "");
  useEffect(() => setText(q.aq ?? ""), [q.aq]);
  const go = (changes: Record<string, string | null>) => route(hrefWith(PATH, q, { ...changes, after: null, before: null }));
  const a = data?.assets;
  return (
    <Section title="Asset register" id="fin-assets" actions={a ? <span class="muted small">{plural(a.totalCount, "asset")}</span> : null}>
      <form
        class="filters"
        aria-label="Filter assets"
        onSubmit={(e) => {
          e.preventDefault();
          go({ aq: text.trim() || null });
        }}
      >
        <label>
          CI name contains
          <input type="search" name="aq" value={text} onInput={(e) => setText(e.currentTarget.value)} />
        </label>
        <button type="submit" class="btn">
          Filter
        </button>
        <label>
          Method
          <select value={q.method ?? ""} onChange={(e) => go({ method: e.currentTarget.value || null })}>
            <option value="">Any method</option>
            {METHODS.map((m) => (
              <option key={m} value={m}>
                {words(m)}
              </option>
            ))}
          </select>
        </label>
        <label>
          Order
          <select value={q.order ?? ""} onChange={(e) => go({ order: e.currentTarget.value || null })}>
            {Object.entries(ORDERS).map(([k, o]) => (
              <option key={k} value={k === "service" ? "" : k}>
                {o.label}
              </option>
            ))}
          </select>
        </label>
      </form>
      {error ? <ErrorBox error={error} /> : null}
      {!a && loading ? <Loading what="Loading assets" /> : null}
      {a && !a.edges.length ? <Empty>No asset matches.</Empty> : null}
      {a && a.edges.length ? (
        <div tabIndex={0} role="region" aria-label="Asset register" class="table-wrap">
          <table class="table fin-asset-table">
            <caption class="sr-only">Assets with their book value today and at {day}</caption>
            <thead>
              <tr>
                <th scope="col">CI</th>
                <th scope="col">Method</th>
                <th scope="col">In service</th>
                <th scope="col" class="num">Cost</th>
                <th scope="col" class="num">Book value today</th>
                <th scope="col" class="num">At {day}</th>
                <th scope="col">Warranty end</th>
                <th scope="col">
                  <span class="sr-only">Schedule</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {a.edges.map(({ node: r }) => (
                <tr key={r.id} data-asset={r.id} aria-current={r.id === q.asset ? "true" : undefined}>
                  <td>
                    <a href={`/ci/${r.configurationItem.id}`}>{r.configurationItem.name}</a> <Kind kind={r.configurationItem.kind} />
                    {r.disposalDate ? (
                      <>
                        {" "}
                        <Badge>disposed</Badge>
                      </>
                    ) : null}
                  </td>
                  <td>{words(r.depreciationMethod)}</td>
                  <td>{date(r.inServiceDate)}</td>
                  <td class="num">
                    <M m={r.cost} />
                  </td>
                  <td class="num">
                    <M m={r.today} />
                  </td>
                  <td class="num fin-at">
                    <M m={r.at} />
                  </td>
                  <td>{date(r.warrantyEnd)}</td>
                  <td>
                    <a href={hrefWith(PATH, q, { asset: r.id })} aria-label={`Depreciation schedule of ${r.configurationItem.name}`}>
                      Schedule
                    </a>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      {a ? <CursorPager path={PATH} query={q} info={a.pageInfo} label="Pages of assets" /> : null}
    </Section>
  );
}

/** Whether day (YYYY-MM-DD) falls in a schedule row's period. */
function inPeriod(r: ScheduleRow, day: string): boolean {
  return r.periodStart.slice(0, 10) <= day && day <= r.periodEnd.slice(0, 10);
}

function AssetCard({ q, id, asOf, day }: { q: Query; id: string; asOf: string; day: string }) {
  const period = q.period === "YEAR" ? "YEAR" : "MONTH";
  const { data, error, loading } = useQuery<{ node: AssetDetail | null }>(ASSET, { id, asOf, period });
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    // A Schedule link in the page moves focus here; a page loaded with
    // ?asset= leaves it where the console puts it (the search box).
    const from = document.activeElement;
    if (!from || !from.closest("main") || from.closest(".fin-period")) return;
    heading.current?.focus();
  }, [id]);
  const a = data?.node;
  // The schedule scrolls (inside its own box) to the period holding the date.
  const wrap = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const box = wrap.current;
    const row = box?.querySelector<HTMLElement>("tr.fin-here");
    if (box && row) box.scrollTop = Math.max(0, row.offsetTop - box.clientHeight / 2);
  }, [a, day]);
  const chart = useMemo(() => {
    if (!a || !a.depreciationSchedule.length) return null;
    const rows = a.depreciationSchedule;
    const x = rows.map((r) => Date.parse(r.periodEnd) / 1000);
    const series: ChartSeries[] = [
      { label: "Book value", values: rows.map((r) => Number(r.bookValue.amount)), tone: "accent" },
      { label: "Accumulated depreciation", values: rows.map((r) => Number(r.accumulated.amount)), tone: "warn" },
    ];
    return { x, series };
  }, [a]);
  const title = a ? `Asset: ${a.configurationItem.name}` : "Asset";
  return (
    <section class="card fin-asset" id="fin-asset" aria-labelledby="fin-asset-h">
      <header class="card-h">
        <h2 id="fin-asset-h" tabIndex={-1} ref={heading}>
          {title}
        </h2>
        <a href={hrefWith(PATH, q, { asset: null, period: null })}>Close</a>
      </header>
      {error ? <ErrorBox error={error} /> : null}
      {!data && loading ? <Loading what="Loading the asset" /> : null}
      {data && !a ? <Empty>No asset has the ID {id}.</Empty> : null}
      {a ? (
        <>
          <div class="fin-asset-top">
            <ul class="fin-totals fin-asset-figures" aria-label="Book value">
              <li id="fin-asset-today">
                <span class="muted">Book value today</span>
                <strong>
                  <M m={a.today} />
                </strong>
              </li>
              <li id="fin-asset-at">
                <span class="muted">Book value at {day}</span>
                <strong>
                  <M m={a.at} />
                </strong>
              </li>
              <li id="fin-asset-accumulated">
                <span class="muted">Depreciated by {day}</span>
                <strong>
                  <M m={a.accumulatedDepreciation} />
                </strong>
              </li>
            </ul>
            <Facts
              rows={[
                ["CI", <><a href={`/ci/${a.configurationItem.id}`}>{a.configurationItem.name}</a> <Kind kind={a.configurationItem.kind} /></>],
                ["Cost", <M m={a.cost} />],
                ["Salvage value", <M m={a.salvageValue} />],
                [
                  "Method",
                  `${words(a.depreciationMethod)}${a.decliningRate !== null ? ` at ${Math.round(a.decliningRate * 1000) / 10}% a year` : ""}, ${a.usefulLifeMonths} months, ${words(a.convention)}`,
                ],
                ["Purchased", date(a.purchaseDate)],
                ["In service", date(a.inServiceDate)],
                ["Cost centre", a.costCenter],
                ["Warranty", <Warranty w={a.configurationItem.warranty} end={a.warrantyEnd} />],
                ...(a.disposalDate
                  ? ([
                      ["Disposed", date(a.disposalDate)],
                      ["Proceeds", <M m={a.disposalProceeds} />],
                      ["Gain or loss", <M m={a.disposalGainOrLoss} />],
                    ] as [string, preact.ComponentChildren][])
                  : []),
                ["PO / invoice", [a.poNumber, a.invoiceNumber].filter(Boolean).join(" / ")],
              ]}
            />
          </div>
          <div class="fin-schedule-h">
            <h3 id="fin-schedule-h">Depreciation schedule</h3>
            <nav class="fin-period" aria-label="Schedule period">
              <a href={hrefWith(PATH, q, { period: null })} aria-current={period === "MONTH" ? "true" : undefined}>
                Monthly
              </a>
              <a href={hrefWith(PATH, q, { period: "YEAR" })} aria-current={period === "YEAR" ? "true" : undefined}>
                Yearly
              </a>
            </nav>
          </div>
          {chart ? (
            <Chart
              class="fin-chart"
              label={`Book value and accumulated depreciation of ${a.configurationItem.name}, ${period === "YEAR" ? "per year" : "per month"}, from ${date(a.depreciationSchedule[0].periodStart)} to ${date(a.depreciationSchedule[a.depreciationSchedule.length - 1].periodEnd)}; the figures are in the table below.`}
              x={chart.x}
              series={chart.series}
              yFormat={(v) => compact.format(v)}
            />
          ) : null}
          {a.depreciationSchedule.length ? (
            <div tabIndex={0} role="region" aria-label="Depreciation schedule" class="table-wrap fin-schedule-wrap" ref={wrap}>
              <table class="table compact fin-schedule" aria-labelledby="fin-schedule-h">
                <thead>
                  <tr>
                    <th scope="col">Period</th>
                    <th scope="col" class="num">Depreciation</th>
                    <th scope="col" class="num">Accumulated</th>
                    <th scope="col" class="num">Book value</th>
                  </tr>
                </thead>
                <tbody>
                  {a.depreciationSchedule.map((r) => {
                    const here = inPeriod(r, day);
                    return (
                      <tr key={r.periodStart} class={here ? "fin-here" : undefined} aria-current={here ? "date" : undefined} data-start={r.periodStart}>
                        <th scope="row">
                          {period === "YEAR" ? `${date(r.periodStart)} – ${date(r.periodEnd)}` : r.periodStart.slice(0, 7)}
                          {here ? <span class="sr-only"> (holds {day})</span> : null}
                        </th>
                        <td class="num">
                          <M m={r.depreciation} />
                        </td>
                        <td class="num">
                          <M m={r.accumulated} />
                        </td>
                        <td class="num">
                          <M m={r.bookValue} />
                        </td>
                      </tr>
                    );
                  })}
                </tbody>
              </table>
            </div>
          ) : (
            <Empty>No schedule: the asset is not depreciated{a.inServiceDate ? "" : " (no in-service date)"}.</Empty>
          )}
        </>
      ) : null}
    </section>
  );
}

function Warranty({ w, end }: { w: AssetDetail["configurationItem"]["warranty"]; end: string | null }) {
  if (!w) return <>{end ? `ended ${date(end)}` : "none recorded"}</>;
  return (
    <>
      <Badge tone={w.active ? (w.daysLeft !== null && w.daysLeft <= 90 ? "warn" : "ok") : "bad"}>{w.active ? "active" : "expired"}</Badge>{" "}
      {w.endDate ? `${w.active ? "until" : "ended"} ${date(w.endDate)}` : ""}
      {w.daysLeft !== null ? <span class="muted"> ({w.daysLeft >= 0 ? `${plural(w.daysLeft, "day")} left` : `${plural(-w.daysLeft, "day")} ago`})</span> : null}
      {w.contract ? (
        <span class="muted">
          {" "}
          · contract {w.contract.number}
          {w.contract.vendor ? ` (${w.contract.vendor.name})` : ""}
        </span>
      ) : null}
    </>
  );
}

function Rollups({ q, rows, groupBy, day }: { q: Query; rows: RollupRow[]; groupBy: string; day: string }) {
  const label = GROUPS.find(([k]) => k === groupBy)?.[1] ?? groupBy;
  return (
    <Section title="Cost roll-ups" id="fin-rollup">
      <nav class="fin-tabs" aria-label="Roll up by">
        {GROUPS.map(([k, l]) => (
          <a key={k} href={`${hrefWith(PATH, q, { groupBy: k === "SERVICE" ? null : k })}#fin-rollup`} aria-current={k === groupBy ? "true" : undefined}>
            {l}
          </a>
        ))}
      </nav>
      {rows.length ? (
        <div tabIndex={0} role="region" aria-label="Cost roll-up" class="table-wrap">
          <table class="table fin-rollup-table">
            <caption class="sr-only">
              Costs per {label.toLowerCase()}, book value at {day}
            </caption>
            <thead>
              <tr>
                <th scope="col">{label}</th>
                <th scope="col" class="num">Assets</th>
                <th scope="col" class="num">Purchase cost</th>
                <th scope="col" class="num">Book value</th>
                <th scope="col" class="num">Depreciation this year</th>
                <th scope="col" class="num">Contracts a year</th>
                <th scope="col" class="num">Total cost of ownership</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((r) => (
                <tr key={`${r.group}-${r.currency}`}>
                  <th scope="row">{r.group === "(none)" ? <span class="muted">(none)</span> : r.group}</th>
                  <td class="num">{r.assetCount}</td>
                  <td class="num">
                    <M m={r.purchaseCost} />
                  </td>
                  <td class="num">
                    <M m={r.bookValue} />
                  </td>
                  <td class="num">
                    <M m={r.depreciationThisYear} />
                  </td>
                  <td class="num">
                    <M m={r.contractCostPerYear} />
                  </td>
                  <td class="num">
                    <M m={r.totalCostOfOwnership} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : (
        <Empty>No asset to roll up.</Empty>
      )}
      <p class="small muted">
        An asset in several {label.toLowerCase()}s counts in each; amounts in different currencies are never converted. Contract costs cover the
        contracts of the group's CIs, a year's worth.
      </p>
    </Section>
  );
}

function Expiring({ q }: { q: Query }) {
  const within = WITHIN.includes(Number(q.within)) ? Number(q.within) : 90;
  const { from, to } = useMemo(() => {
    const now = Date.now();
    return { from: new Date(now).toISOString(), to: new Date(now + within * DAY).toISOString() };
  }, [within]);
  const { data, error, loading } = useQuery<{
    expiringContracts: {
      id: string;
      number: string;
      name: string | null;
      kind: string;
      endDate: string;
      daysToEnd: number;
      renewalNoticeDate: string;
      autoRenew: boolean;
      cost: Money;
      vendor: { name: string } | null;
    }[];
    warranties: { totalCount: number; edges: { node: { id: string; warrantyEnd: string; configurationItem: { id: string; name: string; kind: string; warranty: { active: boolean; daysLeft: number | null } | null } } }[] };
  }>(EXPIRING, { within, from, to }, false, { keepPrevious: true });
  return (
    <Section
      title={`Ending within ${within} days`}
      id="fin-expiring"
      actions={
        <nav class="fin-tabs" aria-label="Window">
          {WITHIN.map((w) => (
            <a key={w} href={`${hrefWith(PATH, q, { within: w === 90 ? null : w })}#fin-expiring`} aria-current={w === within ? "true" : undefined}>
              {w} days
            </a>
          ))}
        </nav>
      }
    >
      {error ? <ErrorBox error={error} /> : null}
      {!data && loading ? <Loading what="Finding what ends soon" /> : null}
      {data ? (
        <div class="grid fin-expiring">
          <div>
            <h3>Contracts ({data.expiringContracts.length})</h3>
            {data.expiringContracts.length ? (
              <div tabIndex={0} role="region" aria-label="Expiring contracts" class="table-wrap">
                <table class="table compact">
                  <caption class="sr-only">Contracts ending within {within} days, soonest first</caption>
                  <thead>
                    <tr>
                      <th scope="col">Contract</th>
                      <th scope="col">Vendor</th>
                      <th scope="col">Ends</th>
                      <th scope="col">Notice by</th>
                      <th scope="col" class="num">Value</th>
                    </tr>
                  </thead>
                  <tbody>
                    {data.expiringContracts.map((c) => (
                      <tr key={c.id}>
                        <td>
                          {c.number} <span class="muted small">{words(c.kind)}</span>
                          {c.name ? <div class="small">{c.name}</div> : null}
                        </td>
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
                        <td>{date(c.renewalNoticeDate)}</td>
                        <td class="num">
                          <M m={c.cost} />
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            ) : (
              <Empty>No contract ends in this window.</Empty>
            )}
          </div>
          <div>
            <h3>Warranties ({data.warranties.totalCount})</h3>
            {data.warranties.edges.length ? (
              <ul class="rows">
                {data.warranties.edges.map(({ node: w }) => (
                  <li key={w.id}>
                    <a href={`/ci/${w.configurationItem.id}`}>{w.configurationItem.name}</a> <Kind kind={w.configurationItem.kind} />{" "}
                    <span class="muted">ends {date(w.warrantyEnd)}</span>
                    {w.configurationItem.warranty?.daysLeft !== null && w.configurationItem.warranty?.daysLeft !== undefined ? (
                      <span class="muted small"> · {plural(w.configurationItem.warranty.daysLeft, "day")} left</span>
                    ) : null}
                  </li>
                ))}
                {data.warranties.totalCount > data.warranties.edges.length ? (
                  <li class="muted small">and {data.warranties.totalCount - data.warranties.edges.length} more</li>
                ) : null}
              </ul>
            ) : (
              <Empty>No asset's warranty ends in this window.</Empty>
            )}
          </div>
        </div>
      ) : null}
    </Section>
  );
}

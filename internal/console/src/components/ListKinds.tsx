// What each list at /list/:kind shows: its query, columns, filters (the
// API's where inputs), order fields and where a row leads. pages/List.tsx
// renders any of them with one table, one filter form and one pager.
import type { ComponentChildren } from "preact";
import { Badge, Kind } from "./ui";
import { date, dateTime, money, relative, webURL, words } from "../format";
import {
  CHANGE_STATUSES,
  CI_KINDS,
  CI_STATUSES,
  CONTRACT_KINDS,
  CRITICALITIES,
  DEPRECIATION_METHODS,
  DISCOVERY_MODES,
  DRIFT_KINDS,
  DRIFT_STATUSES,
  ENVIRONMENTS,
  LOCATION_KINDS,
  OWNER_KINDS,
  RUN_STATUSES,
  SERVICE_TIERS,
} from "./ListEnums";
import ASSETS from "../queries/list-assets.graphql";
import CHANGES from "../queries/list-changes.graphql";
import CIS from "../queries/list-cis.graphql";
import CONTRACTS from "../queries/list-contracts.graphql";
import DRIFTS from "../queries/list-drifts.graphql";
import JOBS from "../queries/list-jobs.graphql";
import LOCATIONS from "../queries/list-locations.graphql";
import OWNERS from "../queries/list-owners.graphql";
import RUNS from "../queries/list-runs.graphql";
import SERVICES from "../queries/list-services.graphql";
import VENDORS from "../queries/list-vendors.graphql";

// Rows are what the kind's query selects.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Row = { id: string; [field: string]: any };
export type Where = Record<string, unknown>;

/** The other records a filter or an editor can name (list-refs.graphql). */
export type RefKind = "owners" | "vendors" | "locations" | "services" | "jobs";

/** One filter: a URL parameter, its control, and the where input it makes. */
export interface FilterDef {
  /** URL parameter. */
  key: string;
  label: string;
  /** text: contains; id: an exact ID typed or linked; ref: a record chosen by name. */
  type: "text" | "id" | "enum" | "bool" | "date" | "ref";
  /** Values of an enum filter. */
  options?: string[];
  /** Words for a bool filter's true and false. */
  yesNo?: [string, string];
  ref?: RefKind;
  /** The where input for a valid value. */
  where: (value: string) => Where;
}

export interface ColumnDef {
  key: string;
  label: string;
  /** The order field this column sorts by, when it can. */
  order?: string;
  num?: boolean;
  cell: (r: Row) => ComponentChildren;
}

export interface ListDef {
  kind: string;
  title: string;
  /** One row, in words ("CI", "contract"). */
  one: string;
  query: string;
  /** The API lets only admins read it. */
  admin?: boolean;
  columns: ColumnDef[];
  filters: FilterDef[];
  orders: string[];
  defaultOrder: { field: string; direction: "ASC" | "DESC" };
  /** A details panel below the row: label, value pairs. */
  details?: (r: Row) => [string, ComponentChildren][];
}

const text = (key: string, label: string, field: string): FilterDef => ({
  key,
  label,
  type: "text",
  where: (v) => ({ [`${field}ContainsFold`]: v }),
});
const oneOf = (key: string, label: string, field: string, options: string[]): FilterDef => ({
  key,
  label,
  type: "enum",
  options,
  where: (v) => ({ [field]: v }),
});
const ref = (key: string, label: string, kind: RefKind, where: (id: string) => Where): FilterDef => ({ key, label, type: "ref", ref: kind, where });
const yes = (key: string, label: string, field: string, yesNo: [string, string] = ["yes", "no"]): FilterDef => ({
  key,
  label,
  type: "bool",
  yesNo,
  where: (v) => ({ [field]: v === "true" }),
});
/** Dates in filters are whole UTC days: "before 2027-01-01" is before its first instant. */
const dayStart = (v: string) => `${v}T00:00:00Z`;
const before = (key: string, label: string, field: string): FilterDef => ({ key, label, type: "date", where: (v) => ({ [`${field}LT`]: dayStart(v) }) });
const onOrAfter = (key: string, label: string, field: string): FilterDef => ({ key, label, type: "date", where: (v) => ({ [`${field}GTE`]: dayStart(v) }) });

const orNone = (v: ComponentChildren) => (v === null || v === undefined || v === "" ? <span class="muted">—</span> : v);
const ciLink = (ci: { id: string; name: string } | null | undefined) => (ci ? <a href={`/ci/${ci.id}`}>{ci.name}</a> : orNone(null));
const listOf = (cis: { id: string; name: string }[] | null | undefined, max = 12) => {
  if (!cis?.length) return orNone(null);
  const shown = cis.slice(0, max);
  return (
    <ul class="chips">
      {shown.map((c) => (
        <li key={c.id}>{ciLink(c)}</li>
      ))}
      {cis.length > shown.length ? <li class="muted">and {cis.length - shown.length} more</li> : null}
    </ul>
  );
};
const mail = (e: string | null) => (e ? <a href={`mailto:${e}`}>{e}</a> : null);
const web = (u: string | null) => (webURL(u) ? <a href={webURL(u)!} rel="noreferrer noopener" target="_blank">{u}</a> : u);
type Tone = "ok" | "warn" | "bad" | "info" | "plain";
const tones: Record<string, Tone> = { ACTIVE: "ok", SUCCEEDED: "ok", IMPLEMENTED: "ok", APPROVED: "info", RESOLVED: "ok", ACCEPTED: "info", OPEN: "bad", FAILED: "bad", TIMED_OUT: "bad", PARTIAL: "warn", MAINTENANCE: "warn", RETIRED: "warn", DISPOSED: "warn", ACKNOWLEDGED: "warn", REJECTED: "bad" };
const tone = (s: string): Tone => tones[s] ?? "plain";
const status = (s: string) => <Badge tone={tone(s)}>{words(s)}</Badge>;
const seen = (t: string | null) => (t ? <time dateTime={t} title={dateTime(t)}>{relative(t)}</time> : orNone(null));

export const LISTS: Record<string, ListDef> = {
  cis: {
    kind: "cis",
    title: "Configuration items",
    one: "CI",
    query: CIS,
    columns: [
      {
        key: "name",
        label: "Name",
        order: "NAME",
        cell: (r) => (
          <>
            <a href={`/ci/${r.id}`}>{r.name}</a>{" "}
            <a class="small" href={`/ci/${r.id}/details`}>
              details<span class="sr-only"> of {r.name}</span>
            </a>
          </>
        ),
      },
      { key: "kind", label: "Kind", order: "KIND", cell: (r) => <Kind kind={r.kind} /> },
      { key: "status", label: "Status", order: "STATUS", cell: (r) => status(r.status) },
      { key: "environment", label: "Environment", order: "ENVIRONMENT", cell: (r) => words(r.environment) },
      { key: "criticality", label: "Criticality", order: "CRITICALITY", cell: (r) => words(r.criticality) },
      { key: "fqdn", label: "FQDN", order: "FQDN", cell: (r) => orNone(r.fqdn ?? r.hostname) },
      { key: "owner", label: "Owner", cell: (r) => (r.owner ? <a href={`/list/cis?owner=${r.owner.id}`}>{r.owner.name}</a> : orNone(null)) },
      { key: "location", label: "Location", cell: (r) => orNone(r.location?.name) },
      { key: "lastSeenAt", label: "Last seen", order: "LAST_SEEN_AT", cell: (r) => seen(r.lastSeenAt) },
    ],
    filters: [
      text("q", "Name contains", "name"),
      oneOf("kind", "Kind", "kind", CI_KINDS),
      oneOf("status", "Status", "status", CI_STATUSES),
      oneOf("env", "Environment", "environment", ENVIRONMENTS),
      oneOf("crit", "Criticality", "criticality", CRITICALITIES),
      ref("owner", "Owner", "owners", (id) => ({ ownerID: id })),
      ref("service", "Service", "services", (id) => ({ hasServicesWith: [{ id }] })),
      ref("location", "Location", "locations", (id) => ({ locationID: id })),
      ref("vendor", "Vendor", "vendors", (id) => ({ vendorID: id })),
      text("fqdn", "FQDN contains", "fqdn"),
    ],
    orders: ["NAME", "KIND", "STATUS", "ENVIRONMENT", "CRITICALITY", "HOSTNAME", "FQDN", "LAST_SEEN_AT", "CREATED_AT", "UPDATED_AT"],
    defaultOrder: { field: "NAME", direction: "ASC" },
  },
  services: {
    kind: "services",
    title: "Services",
    one: "service",
    query: SERVICES,
    columns: [
      { key: "name", label: "Name", order: "NAME", cell: (r) => <a href={`/services/${r.id}`}>{r.name}</a> },
      { key: "tier", label: "Tier", order: "TIER", num: true, cell: (r) => r.tier },
      { key: "slo", label: "SLO", num: true, cell: (r) => orNone(r.sloTarget !== null ? `${r.sloTarget}%` : null) },
      { key: "rto", label: "RTO", num: true, cell: (r) => orNone(r.rtoMinutes !== null ? `${r.rtoMinutes} min` : null) },
      { key: "rpo", label: "RPO", num: true, cell: (r) => orNone(r.rpoMinutes !== null ? `${r.rpoMinutes} min` : null) },
      { key: "owner", label: "Owner", cell: (r) => orNone(r.owner?.name) },
      { key: "oncall", label: "On call", cell: (r) => orNone(r.owner?.oncallContact) },
      { key: "runbook", label: "Runbook", cell: (r) =>
          orNone(
            webURL(r.runbookURL) ? (
              <a href={webURL(r.runbookURL)!} rel="noreferrer noopener" target="_blank">
                runbook<span class="sr-only"> of {r.name}</span>
              </a>
            ) : (
              r.runbookURL
            ),
          ),
      },
    ],
    filters: [
      text("q", "Name contains", "name"),
      { key: "tier", label: "Tier", type: "enum", options: SERVICE_TIERS, where: (v) => ({ tier: Number(v) }) },
      ref("owner", "Owner", "owners", (id) => ({ ownerID: id })),
    ],
    orders: ["NAME", "TIER", "CREATED_AT", "UPDATED_AT"],
    defaultOrder: { field: "NAME", direction: "ASC" },
  },
  owners: {
    kind: "owners",
    title: "Owners",
    one: "owner",
    query: OWNERS,
    columns: [
      { key: "name", label: "Name", order: "NAME", cell: (r) => r.name },
      { key: "kind", label: "Kind", order: "KIND", cell: (r) => words(r.kind) },
      { key: "oncall", label: "On call", cell: (r) => orNone(r.oncallContact) },
      { key: "email", label: "Email", cell: (r) => orNone(mail(r.email)) },
      { key: "team", label: "Team", cell: (r) => orNone(r.team?.name) },
      {
        key: "links",
        label: "Owns",
        cell: (r) => (
          <>
            <a href={`/list/cis?owner=${r.id}`}>CIs<span class="sr-only"> of {r.name}</span></a> ·{" "}
            <a href={`/list/services?owner=${r.id}`}>services<span class="sr-only"> of {r.name}</span></a>
          </>
        ),
      },
    ],
    filters: [text("q", "Name contains", "name"), oneOf("kind", "Kind", "kind", OWNER_KINDS)],
    orders: ["NAME", "KIND", "CREATED_AT", "UPDATED_AT"],
    defaultOrder: { field: "NAME", direction: "ASC" },
    details: (r) => [
      ["Escalation", r.escalation],
      ["Chat", r.chatChannel],
      ["Email", mail(r.email)],
      ["On call", r.oncallContact],
      ["Team", r.team?.name],
    ],
  },
  vendors: {
    kind: "vendors",
    title: "Vendors",
    one: "vendor",
    query: VENDORS,
    columns: [
      { key: "name", label: "Name", order: "NAME", cell: (r) => r.name },
      { key: "phone", label: "Support phone", cell: (r) => orNone(r.supportPhone) },
      { key: "email", label: "Support email", cell: (r) => orNone(mail(r.supportEmail)) },
      {
        key: "links",
        label: "Records",
        cell: (r) => (
          <>
            <a href={`/list/cis?vendor=${r.id}`}>CIs<span class="sr-only"> from {r.name}</span></a> ·{" "}
            <a href={`/list/contracts?vendor=${r.id}`}>contracts<span class="sr-only"> with {r.name}</span></a>
          </>
        ),
      },
    ],
    filters: [text("q", "Name contains", "name")],
    orders: ["NAME", "CREATED_AT", "UPDATED_AT"],
    defaultOrder: { field: "NAME", direction: "ASC" },
    details: (r) => [
      ["Website", web(r.website)],
      ["Account number", r.accountNumber],
      ["Notes", r.notes],
    ],
  },
  contracts: {
    kind: "contracts",
    title: "Contracts",
    one: "contract",
    query: CONTRACTS,
    columns: [
      { key: "number", label: "Number", order: "NUMBER", cell: (r) => <code>{r.number}</code> },
      { key: "name", label: "Name", cell: (r) => orNone(r.name) },
      { key: "kind", label: "Kind", order: "KIND", cell: (r) => words(r.kind) },
      { key: "vendor", label: "Vendor", cell: (r) => (r.vendor ? <a href={`/list/contracts?vendor=${r.vendor.id}`}>{r.vendor.name}</a> : orNone(null)) },
      { key: "start", label: "Starts", order: "START_DATE", cell: (r) => date(r.startDate) },
      { key: "end", label: "Ends", order: "END_DATE", cell: (r) => <time dateTime={r.endDate} title={relative(r.endDate)}>{date(r.endDate)}</time> },
      { key: "cost", label: "Cost", num: true, cell: (r) => money(r.cost) },
      { key: "covers", label: "Covers", num: true, cell: (r) => r.coveredCis?.length ?? 0 },
    ],
    filters: [
      text("q", "Number contains", "number"),
      oneOf("kind", "Kind", "kind", CONTRACT_KINDS),
      ref("vendor", "Vendor", "vendors", (id) => ({ vendorID: id })),
      before("endsBefore", "Ending before", "endDate"),
      onOrAfter("endsFrom", "Ending on or after", "endDate"),
    ],
    orders: ["END_DATE", "START_DATE", "NUMBER", "KIND", "CURRENCY", "CREATED_AT", "UPDATED_AT"],
    defaultOrder: { field: "END_DATE", direction: "ASC" },
    details: (r) => [
      ["SLA response", r.slaResponseMinutes !== null ? `${r.slaResponseMinutes} min` : null],
      ["Support contact", r.supportContact],
      ["Notice period", `${r.noticePeriodDays} days`],
      ["Renews automatically", r.autoRenew ? "yes" : "no"],
      ["Notes", r.notes],
      ["Covered CIs", listOf(r.coveredCis)],
    ],
  },
  assets: {
    kind: "assets",
    title: "Assets",
    one: "asset",
    query: ASSETS,
    columns: [
      {
        key: "ci",
        label: "CI",
        cell: (r) =>
          r.configurationItem ? (
            <>
              <a href={`/ci/${r.configurationItem.id}/details`}>{r.configurationItem.name}</a> <Kind kind={r.configurationItem.kind} />
            </>
          ) : (
            orNone(null)
          ),
      },
      { key: "purchase", label: "Purchased", order: "PURCHASE_DATE", cell: (r) => date(r.purchaseDate) },
      { key: "cost", label: "Cost", num: true, cell: (r) => money(r.cost) },
      { key: "method", label: "Depreciation", cell: (r) => words(r.depreciationMethod) },
      { key: "life", label: "Life", order: "USEFUL_LIFE_MONTHS", num: true, cell: (r) => `${r.usefulLifeMonths} mo` },
      { key: "warranty", label: "Warranty ends", order: "WARRANTY_END", cell: (r) => date(r.warrantyEnd) },
      { key: "costCenter", label: "Cost centre", order: "COST_CENTER", cell: (r) => orNone(r.costCenter) },
    ],
    filters: [
      { key: "ci", label: "CI name contains", type: "text", where: (v) => ({ hasConfigurationItemWith: [{ nameContainsFold: v }] }) },
      text("costCenter", "Cost centre contains", "costCenter"),
      oneOf("method", "Depreciation", "depreciationMethod", DEPRECIATION_METHODS),
      before("warrantyBefore", "Warranty ending before", "warrantyEnd"),
    ],
    orders: ["PURCHASE_DATE", "IN_SERVICE_DATE", "WARRANTY_END", "USEFUL_LIFE_MONTHS", "COST_CENTER", "CURRENCY", "CREATED_AT", "UPDATED_AT"],
    defaultOrder: { field: "PURCHASE_DATE", direction: "DESC" },
    details: (r) => [
      ["In service", date(r.inServiceDate)],
      ["Disposed", r.disposalDate ? date(r.disposalDate) : null],
      ["PO number", r.poNumber],
      ["Invoice", r.invoiceNumber],
    ],
  },
  changes: {
    kind: "changes",
    title: "Change records",
    one: "change record",
    query: CHANGES,
    columns: [
      { key: "number", label: "Number", order: "NUMBER", cell: (r) => <code>{r.number}</code> },
      { key: "title", label: "Title", cell: (r) => r.title },
      { key: "status", label: "Status", order: "STATUS", cell: (r) => status(r.status) },
      { key: "start", label: "Window starts", order: "WINDOW_START", cell: (r) => dateTime(r.windowStart) },
      { key: "end", label: "Window ends", order: "WINDOW_END", cell: (r) => dateTime(r.windowEnd) },
      { key: "cis", label: "CIs", cell: (r) => listOf(r.configurationItems, 3) },
    ],
    filters: [
      text("q", "Title contains", "title"),
      oneOf("status", "Status", "status", CHANGE_STATUSES),
      { key: "ci", label: "CI name contains", type: "text", where: (v) => ({ hasConfigurationItemsWith: [{ nameContainsFold: v }] }) },
      onOrAfter("from", "Window ending on or after", "windowEnd"),
      before("to", "Window starting before", "windowStart"),
    ],
    orders: ["WINDOW_START", "WINDOW_END", "NUMBER", "STATUS", "CREATED_AT", "UPDATED_AT"],
    defaultOrder: { field: "WINDOW_START", direction: "DESC" },
    details: (r) => [
      ["Description", r.description],
      ["Requester", r.requester],
      ["Approver", r.approver],
      ["CIs", listOf(r.configurationItems, 50)],
    ],
  },
  jobs: {
    kind: "jobs",
    title: "Discovery jobs",
    one: "discovery job",
    query: JOBS,
    admin: true,
    columns: [
      { key: "name", label: "Name", order: "NAME", cell: (r) => r.name },
      { key: "source", label: "Source", order: "SOURCE_KIND", cell: (r) => <code>{r.sourceKind}</code> },
      { key: "mode", label: "Mode", cell: (r) => words(r.mode) },
      { key: "schedule", label: "Schedule", cell: (r) => (r.schedule ? <code>{r.schedule}</code> : <span class="muted">on demand</span>) },
      { key: "enabled", label: "Enabled", cell: (r) => (r.enabled ? <Badge tone="ok">enabled</Badge> : <Badge tone="warn">disabled</Badge>) },
      { key: "lastRun", label: "Last run", cell: (r) => seen(r.lastRunAt) },
      { key: "runs", label: "Runs", cell: (r) => <a href={`/list/runs?job=${r.id}`}>runs<span class="sr-only"> of {r.name}</span></a> },
    ],
    filters: [
      text("q", "Name contains", "name"),
      text("source", "Source contains", "sourceKind"),
      oneOf("mode", "Mode", "mode", DISCOVERY_MODES),
      yes("enabled", "Enabled", "enabled", ["enabled", "disabled"]),
    ],
    orders: ["NAME", "SOURCE_KIND", "CREATED_AT", "UPDATED_AT"],
    defaultOrder: { field: "NAME", direction: "ASC" },
    details: (r) => [
      ["Time zone", r.timeZone],
      ["Network scope", r.networkScope ?? "global"],
      ["Priority", r.priority],
      ["Timeout", `${r.timeoutSeconds} s`],
      ["Credentials", r.hasCredentials ? "stored (never shown)" : "none"],
      ["Edit", <a href="/admin/jobs">in Admin</a>],
    ],
  },
  runs: {
    kind: "runs",
    title: "Discovery runs",
    one: "discovery run",
    query: RUNS,
    admin: true,
    columns: [
      { key: "started", label: "Started", order: "STARTED_AT", cell: (r) => dateTime(r.startedAt) },
      { key: "job", label: "Job", cell: (r) => (r.job ? <a href={`/list/runs?job=${r.job.id}`}>{r.job.name}</a> : orNone(null)) },
      { key: "status", label: "Status", order: "STATUS", cell: (r) => <>{status(r.status)}{r.dryRun ? <> <Badge tone="info">dry run</Badge></> : null}</> },
      { key: "trigger", label: "Trigger", cell: (r) => r.trigger },
      { key: "duration", label: "Took", num: true, cell: (r) => (r.duration !== null ? `${r.duration.toFixed(1)} s` : "running") },
      { key: "observed", label: "Observed", num: true, cell: (r) => r.counts.observed },
      { key: "drifts", label: "Drifts opened", num: true, cell: (r) => (r.counts.driftsOpened ? <a href={`/list/drifts?run=${r.id}`}>{r.counts.driftsOpened}<span class="sr-only"> drifts this run saw</span></a> : 0) },
    ],
    filters: [
      oneOf("status", "Status", "status", RUN_STATUSES),
      ref("job", "Job", "jobs", (id) => ({ discoveryJobID: id })),
      yes("dry", "Dry run", "dryRun"),
      onOrAfter("since", "Started on or after", "startedAt"),
    ],
    orders: ["STARTED_AT", "FINISHED_AT", "STATUS"],
    defaultOrder: { field: "STARTED_AT", direction: "DESC" },
    details: (r) => [
      ["Source", <code>{r.sourceKind}</code>],
      ["Finished", dateTime(r.finishedAt)],
      ["Error", r.error],
      [
        "Counts",
        `matched ${r.counts.matched} · created ${r.counts.created} · updated ${r.counts.updated} · drifts resolved ${r.counts.driftsResolved} · missing ${r.counts.missing} · retired ${r.counts.retired}`,
      ],
      ["Drifts", <a href={`/list/drifts?run=${r.id}`}>drifts this run saw</a>],
    ],
  },
  drifts: {
    kind: "drifts",
    title: "Drifts",
    one: "drift",
    query: DRIFTS,
    columns: [
      { key: "ci", label: "CI", cell: (r) => (r.configurationItem ? ciLink(r.configurationItem) : orNone(r.observationKey ?? r.identity)) },
      { key: "kind", label: "Kind", order: "KIND", cell: (r) => words(r.kind) },
      { key: "field", label: "Field", cell: (r) => orNone(r.field) },
      {
        key: "diff",
        label: "Recorded → observed",
        cell: (r) => (r.recorded !== null || r.observed !== null ? <span class="list-diff">{r.recorded ?? "—"} → {r.observed ?? "—"}</span> : orNone(null)),
      },
      { key: "status", label: "Status", order: "STATUS", cell: (r) => <>{status(r.status)} {r.authorized ? <Badge tone="info">authorised</Badge> : null}</> },
      { key: "lastSeen", label: "Last seen", order: "LAST_SEEN_AT", cell: (r) => seen(r.lastSeenAt) },
    ],
    filters: [
      oneOf("kind", "Kind", "kind", DRIFT_KINDS),
      oneOf("status", "Status", "status", DRIFT_STATUSES),
      yes("authorized", "Authorised", "authorized", ["authorised", "unauthorised"]),
      { key: "ci", label: "CI name contains", type: "text", where: (v) => ({ hasConfigurationItemWith: [{ nameContainsFold: v }] }) },
      text("source", "Source contains", "source"),
      { key: "run", label: "Run ID", type: "id", where: (v) => ({ runID: v }) },
    ],
    orders: ["LAST_SEEN_AT", "FIRST_SEEN_AT", "KIND", "STATUS", "CREATED_AT", "UPDATED_AT"],
    defaultOrder: { field: "LAST_SEEN_AT", direction: "DESC" },
    details: (r) => [
      ["First seen", dateTime(r.firstSeenAt)],
      ["Source", r.source],
      ["Identity", r.identity],
      ["Note", r.note],
      ["Drift desk", r.configurationItem ? <a href={`/drifts?ci=${r.configurationItem.id}`}>drifts of {r.configurationItem.name}</a> : <a href="/drifts">drift desk</a>],
    ],
  },
  locations: {
    kind: "locations",
    title: "Locations",
    one: "location",
    query: LOCATIONS,
    columns: [
      { key: "name", label: "Name", order: "NAME", cell: (r) => r.name },
      { key: "kind", label: "Kind", order: "KIND", cell: (r) => words(r.kind) },
      { key: "parent", label: "Within", cell: (r) => orNone(r.parent?.name) },
      { key: "region", label: "Region", cell: (r) => orNone(r.region ? `${r.provider ?? ""} ${r.region}`.trim() : null) },
      { key: "cis", label: "CIs", cell: (r) => <a href={`/list/cis?location=${r.id}`}>CIs<span class="sr-only"> in {r.name}</span></a> },
    ],
    filters: [text("q", "Name contains", "name"), oneOf("kind", "Kind", "kind", LOCATION_KINDS)],
    orders: ["NAME", "KIND", "CREATED_AT", "UPDATED_AT"],
    defaultOrder: { field: "NAME", direction: "ASC" },
    details: (r) => [
      ["Address", r.address],
      ["Provider", r.provider],
      ["Region", r.region],
    ],
  },
};

/** The lists in the order the page's tabs show them. */
export const LIST_ORDER = ["cis", "services", "owners", "vendors", "contracts", "assets", "changes", "drifts", "locations", "jobs", "runs"];

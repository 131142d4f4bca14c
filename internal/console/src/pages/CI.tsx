import type { ComponentChildren } from "preact";
import { useEffect, useState } from "preact/hooks";
import { useLocation } from "preact-iso";
import { ApiError } from "../api";
import { CIEditField, type Editor } from "../components/CIEditField";
import { CIPicker, type PickedCI } from "../components/CIPicker";
import { CITimeline, dateTimeSec, type AuditEvent } from "../components/CITimeline";
import { CI_KINDS, CI_STATUSES, CRITICALITIES, ENVIRONMENTS, RELATIONSHIP_TYPES } from "../components/ListEnums";
import type { RefKind } from "../components/ListKinds";
import { pageArgs, trimPage, type Connection } from "../components/ListTable";
import { Badge, Empty, ErrorBox, Facts, Kind, Loading, Section } from "../components/ui";
import { date, dateTime, money, plural, relative, words } from "../format";
import { useMutation, useQuery, useTitle } from "../hooks";
import { useSession } from "../session";
import type { Money } from "../format";
import DETAILS from "../queries/ci-details.graphql";
import HISTORY from "../queries/ci-history.graphql";
import AT from "../queries/ci-at.graphql";
import NAMES from "../queries/ci-names.graphql";
import UPDATE from "../queries/ci-update.graphql";
import ADD_REL from "../queries/ci-relationship-add.graphql";
import REMOVE_REL from "../queries/ci-relationship-remove.graphql";

interface Ref {
  id: string;
  name: string;
  kind?: string;
}

interface Rel {
  id: string;
  type: string;
  source: string;
  description: string | null;
  /** Attributes of the edge, such as the ports of a CONNECTS_TO. */
  attributes: Record<string, string> | null;
  createdAt: string;
  to?: Ref;
  from?: Ref;
}

interface Provenance {
  field: string;
  by: string;
  at: string;
  priority: number;
}

interface CI {
  id: string;
  name: string;
  kind: string;
  status: string;
  environment: string;
  criticality: string;
  hostname: string | null;
  fqdn: string | null;
  serialNumber: string | null;
  assetTag: string | null;
  description: string | null;
  tags: string[] | null;
  attributes: Record<string, unknown> | null;
  facts: Record<string, unknown> | null;
  lastSeenAt: string | null;
  createdAt: string;
  updatedAt: string;
  owner: (Ref & { oncallContact: string | null }) | null;
  vendor: Ref | null;
  location: Ref | null;
  provenance: Provenance[];
  identifiers: { id: string; kind: string; value: string; scope: string | null; source: string; createdAt: string; updatedAt: string }[] | null;
  services: { id: string; name: string; tier: number }[] | null;
  outgoing: Rel[] | null;
  incoming: Rel[] | null;
  asset: {
    id: string;
    purchaseDate: string | null;
    inServiceDate: string | null;
    warrantyEnd: string | null;
    disposalDate: string | null;
    depreciationMethod: string;
    usefulLifeMonths: number;
    costCenter: string | null;
    poNumber: string | null;
    cost: Money;
  } | null;
}

interface Snapshot {
  at: string;
  existed: boolean;
  name: string;
  kind: string;
  status: string;
  environment: string;
  criticality: string;
  hostname: string | null;
  fqdn: string | null;
  serialNumber: string | null;
  assetTag: string | null;
  description: string | null;
  tags: string[] | null;
  attributes: Record<string, unknown> | null;
  ownerID: string | null;
  vendorID: string | null;
  locationID: string | null;
  relationships: { id: string; type: string; fromID: string; toID: string }[];
  lastChange: { id: string; at: string; actor: string; action: string } | null;
}

type Names = Record<string, Ref>;

/** One row of the fields table: how to show, compare, edit and save a field. */
interface FieldSpec {
  key: string;
  label: string;
  /** Provenance entries about it: storage names, or a prefix ending in "." */
  prov: string;
  editor?: Editor;
  options?: string[];
  refKind?: RefKind;
  /** extensions.field names the API uses for it. */
  fields: string[];
  now: (ci: CI) => unknown;
  then: (s: Snapshot) => unknown;
  show: (v: unknown, names: Names) => ComponentChildren;
  /** The editor's starting text. */
  text?: (ci: CI) => string;
  /** The mutation input for the editor's text (throws ApiError for text it cannot take). */
  input?: (text: string) => Record<string, unknown>;
}

const none = <span class="muted">—</span>;
const plain = (v: unknown) => (v === null || v === undefined || v === "" ? none : String(v));
const enumShown = (v: unknown) => (v ? words(String(v)) : none);
const refShown = (path: (id: string) => string | null) => (v: unknown, names: Names) => {
  if (!v) return none;
  const id = String(v);
  const n = names[id];
  const href = path(id);
  const label = n?.name ?? `#${id}`;
  return href ? <a href={href}>{label}</a> : label;
};
const tagsShown = (v: unknown) =>
  Array.isArray(v) && v.length ? (
    <ul class="chips ci-tags">
      {v.map((t) => (
        <li key={String(t)}>{String(t)}</li>
      ))}
    </ul>
  ) : (
    none
  );
const jsonShown = (v: unknown) => (v && typeof v === "object" && Object.keys(v).length ? <KeyValues values={v as Record<string, unknown>} /> : none);

/** A text field that may be empty: empty text clears it. */
const optionalText = (key: string, clear: string) => (t: string) => (t.trim() === "" ? { [clear]: true } : { [key]: t.trim() });
const badInput = (field: string, message: string) => new ApiError([{ message, extensions: { code: "BAD_USER_INPUT", field } }], 0);

const FIELDS: FieldSpec[] = [
  { key: "name", label: "name", prov: "name", editor: "text", fields: ["name"], now: (c) => c.name, then: (s) => s.name, show: plain, text: (c) => c.name, input: (t) => ({ name: t.trim() }) },
  { key: "kind", label: "kind", prov: "kind", editor: "enum", options: CI_KINDS, fields: ["kind"], now: (c) => c.kind, then: (s) => s.kind, show: (v) => <Kind kind={String(v)} />, text: (c) => c.kind, input: (t) => ({ kind: t }) },
  { key: "status", label: "status", prov: "status", editor: "enum", options: CI_STATUSES, fields: ["status"], now: (c) => c.status, then: (s) => s.status, show: enumShown, text: (c) => c.status, input: (t) => ({ status: t }) },
  { key: "environment", label: "environment", prov: "environment", editor: "enum", options: ENVIRONMENTS, fields: ["environment"], now: (c) => c.environment, then: (s) => s.environment, show: enumShown, text: (c) => c.environment, input: (t) => ({ environment: t }) },
  { key: "criticality", label: "criticality", prov: "criticality", editor: "enum", options: CRITICALITIES, fields: ["criticality"], now: (c) => c.criticality, then: (s) => s.criticality, show: enumShown, text: (c) => c.criticality, input: (t) => ({ criticality: t }) },
  { key: "hostname", label: "host name", prov: "hostname", editor: "text", fields: ["hostname"], now: (c) => c.hostname, then: (s) => s.hostname, show: plain, text: (c) => c.hostname ?? "", input: optionalText("hostname", "clearHostname") },
  { key: "fqdn", label: "FQDN", prov: "fqdn", editor: "text", fields: ["fqdn"], now: (c) => c.fqdn, then: (s) => s.fqdn, show: plain, text: (c) => c.fqdn ?? "", input: optionalText("fqdn", "clearFqdn") },
  { key: "serialNumber", label: "serial number", prov: "serial_number", editor: "text", fields: ["serialNumber"], now: (c) => c.serialNumber, then: (s) => s.serialNumber, show: plain, text: (c) => c.serialNumber ?? "", input: optionalText("serialNumber", "clearSerialNumber") },
  { key: "assetTag", label: "asset tag", prov: "asset_tag", editor: "text", fields: ["assetTag"], now: (c) => c.assetTag, then: (s) => s.assetTag, show: plain, text: (c) => c.assetTag ?? "", input: optionalText("assetTag", "clearAssetTag") },
  { key: "description", label: "description", prov: "description", editor: "textarea", fields: ["description"], now: (c) => c.description, then: (s) => s.description, show: plain, text: (c) => c.description ?? "", input: optionalText("description", "clearDescription") },
  {
    key: "tags",
    label: "tags",
    prov: "tags",
    editor: "tags",
    fields: ["tags", "appendTags"],
    now: (c) => c.tags ?? [],
    then: (s) => s.tags ?? [],
    show: tagsShown,
    text: (c) => (c.tags ?? []).join(", "),
    input: (t) => {
      const tags = t.split(",").map((x) => x.trim()).filter(Boolean);
      return tags.length ? { tags } : { clearTags: true };
    },
  },
  {
    key: "attributes",
    label: "attributes",
    prov: "attributes.",
    editor: "json",
    fields: ["attributes"],
    now: (c) => c.attributes ?? {},
    then: (s) => s.attributes ?? {},
    show: jsonShown,
    text: (c) => (c.attributes && Object.keys(c.attributes).length ? JSON.stringify(c.attributes, null, 2) : ""),
    input: (t) => {
      if (!t.trim()) return { clearAttributes: true };
      let v: unknown;
      try {
        v = JSON.parse(t);
      } catch (e) {
        throw badInput("attributes", `attributes: not JSON: ${(e as Error).message}`);
      }
      if (!v || typeof v !== "object" || Array.isArray(v)) throw badInput("attributes", "attributes: want a JSON object, such as {\"os\": \"Debian 12\"}");
      return { attributes: v };
    },
  },
  {
    key: "owner",
    label: "owner",
    prov: "owner_id",
    editor: "ref",
    refKind: "owners",
    fields: ["ownerID", "owner", "clearOwner"],
    now: (c) => c.owner?.id ?? null,
    then: (s) => s.ownerID,
    show: refShown((id) => `/list/cis?owner=${id}`),
    text: (c) => c.owner?.id ?? "",
    input: (t) => (t ? { ownerID: t } : { clearOwner: true }),
  },
  {
    key: "vendor",
    label: "vendor",
    prov: "vendor_id",
    editor: "ref",
    refKind: "vendors",
    fields: ["vendorID", "vendor", "clearVendor"],
    now: (c) => c.vendor?.id ?? null,
    then: (s) => s.vendorID,
    show: refShown((id) => `/list/cis?vendor=${id}`),
    text: (c) => c.vendor?.id ?? "",
    input: (t) => (t ? { vendorID: t } : { clearVendor: true }),
  },
  {
    key: "location",
    label: "location",
    prov: "location_id",
    editor: "ref",
    refKind: "locations",
    fields: ["locationID", "location", "clearLocation"],
    now: (c) => c.location?.id ?? null,
    then: (s) => s.locationID,
    show: refShown((id) => `/list/cis?location=${id}`),
    text: (c) => c.location?.id ?? "",
    input: (t) => (t ? { locationID: t } : { clearLocation: true }),
  },
];

const HISTORY_PAGE = 10;

/** An ISO time as the value of a datetime-local input (the browser's zone). */
function toLocalInput(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return "";
  return new Date(d.getTime() - d.getTimezoneOffset() * 60_000).toISOString().slice(0, 19);
}

/** /ci/:id/details: every field with who set it, identifiers, relationships, history, and the CI as it was at a time. */
export function CIPage({ id }: { id: string }) {
  const { path, query, route } = useLocation();
  const { can } = useSession();
  const editor = can("EDITOR");
  const ciQ = useQuery<{ node: CI | null }>(DETAILS, { id });
  const ci = ciQ.data?.node && "name" in ciQ.data.node ? ciQ.data.node : null;
  useTitle(ci ? `${ci.name} details` : "CI details");

  const atValid = !!query.at && !Number.isNaN(Date.parse(query.at));
  const at = atValid ? new Date(query.at).toISOString() : null;

  const href = (changes: Record<string, string | null>, hash = "") => {
    const p = new URLSearchParams();
    for (const [k, v] of Object.entries(query)) if (v) p.set(k, v);
    for (const [k, v] of Object.entries(changes)) {
      if (v === null || v === "") p.delete(k);
      else p.set(k, v);
    }
    const s = p.toString();
    return (s ? `${path}?${s}` : path) + hash;
  };
  const set = (changes: Record<string, string | null>) => route(href(changes));

  const histVars = {
    where: { entityID: id },
    ...pageArgs(HISTORY_PAGE, query.hafter, query.hbefore),
  };
  const histQ = useQuery<{ auditEvents: Connection }>(HISTORY, histVars, false, { keepPrevious: true });
  const history = histQ.data ? trimPage(histQ.data.auditEvents, HISTORY_PAGE, query.hafter, query.hbefore) : undefined;
  const snapQ = useQuery<{ configurationItemAt: Snapshot | null }>(AT, { id, at }, !at);
  const snap = at ? snapQ.data?.configurationItemAt : undefined;

  // Names of what the page names by ID: the snapshot's owner, vendor, location, relationship ends.
  const known: Names = {};
  if (ci) {
    for (const r of [ci.owner, ci.vendor, ci.location]) if (r) known[r.id] = r;
    for (const r of ci.outgoing ?? []) if (r.to) known[r.to.id] = r.to;
    for (const r of ci.incoming ?? []) if (r.from) known[r.from.id] = r.from;
    known[ci.id] = { id: ci.id, name: ci.name, kind: ci.kind };
  }
  const wanted = snap
    ? [...new Set([snap.ownerID, snap.vendorID, snap.locationID, ...snap.relationships.flatMap((r) => [r.fromID, r.toID])].filter((x): x is string => !!x && !known[x]))]
    : [];
  const namesQ = useQuery<{ nodes: (Ref | null)[] }>(NAMES, { ids: wanted }, wanted.length === 0);
  const names: Names = { ...known };
  for (const n of namesQ.data?.nodes ?? []) if (n && n.id) names[n.id] = n;

  // A link within the page (an older history page, "as it was then") names
  // the section to show; scroll to it once the page has settled.
  useEffect(() => {
    if (!location.hash) return;
    const t = setTimeout(() => document.getElementById(location.hash.slice(1))?.scrollIntoView({ block: "start" }), 0);
    return () => clearTimeout(t);
  }, [query.at, query.hafter, query.hbefore, !!ci]);

  const saved = () => {
    ciQ.reload();
    histQ.reload();
    if (at) snapQ.reload();
  };

  if (ciQ.loading && !ciQ.data) return <Loading what="Loading the CI" />;
  if (ciQ.error && !ci) return <div class="page"><ErrorBox error={ciQ.error} /></div>;
  if (!ci)
    return (
      <div class="page">
        <h1>No such CI</h1>
        <Empty>No configuration item has the ID {id}.</Empty>
      </div>
    );

  return (
    <div class="page ci-page">
      <header class="page-h">
        <div>
          <h1>{ci.name}</h1>
          <p class="sub">
            <Kind kind={ci.kind} /> <Badge>{words(ci.environment)}</Badge> <Badge tone={ci.status === "ACTIVE" ? "ok" : "warn"}>{words(ci.status)}</Badge>{" "}
            <Badge tone={ci.criticality === "CRITICAL" || ci.criticality === "HIGH" ? "bad" : "plain"}>{words(ci.criticality)} criticality</Badge>
            <span class="muted small">
              {" "}
              · recorded {dateTime(ci.createdAt)} · changed {relative(ci.updatedAt)}
              {ci.lastSeenAt ? ` · last seen ${relative(ci.lastSeenAt)}` : " · never seen by discovery"}
            </span>
          </p>
        </div>
        <div class="actions">
          <a class="btn b-plain" href={`/ci/${ci.id}`}>Incident view</a>
          <a class="btn b-plain" href={`/ci/${ci.id}/graph`}>Dependency graph</a>
          <a class="btn b-plain" href={`/drifts?ci=${ci.id}`}>Drifts</a>
        </div>
      </header>
      {!editor ? <p class="muted small ci-readonly">Read only: editing needs an editor token.</p> : null}

      <AsAtForm at={at} invalid={!!query.at && !atValid} set={set} now={href({ at: null })} />
      {at ? <SnapshotNotice at={at} snap={snap} loading={snapQ.loading} error={snapQ.error} /> : null}

      <Section title="Fields" id="fields">
        <ScrollBox label={`Fields of ${ci.name}`}>
          <table class={at ? "table ci-fields ci-with-then" : "table ci-fields"}>
            <caption class="sr-only">Fields of {ci.name}{at ? `, now and at ${dateTimeSec(at)}` : ""}, and who set each</caption>
            <thead>
              <tr>
                <th scope="col">Field</th>
                <th scope="col">{at ? "Now" : "Value"}</th>
                {at ? <th scope="col">At {dateTimeSec(at)}</th> : null}
                <th scope="col">Set by</th>
              </tr>
            </thead>
            <tbody>
              {FIELDS.map((f) => (
                <FieldRow key={f.key} f={f} ci={ci} snap={snap ?? null} showThen={!!at} names={names} editor={editor} saved={saved} />
              ))}
            </tbody>
          </table>
        </ScrollBox>
      </Section>

      <Section title="Identifiers" id="identifiers">
        {ci.identifiers?.length ? (
          <ScrollBox label={`Identifiers of ${ci.name}`}>
            <table class="table compact">
              <caption class="sr-only">Identifiers of {ci.name} and who asserted each</caption>
              <thead>
                <tr>
                  <th scope="col">Kind</th>
                  <th scope="col">Value</th>
                  <th scope="col">Scope</th>
                  <th scope="col">Asserted by</th>
                  <th scope="col">Since</th>
                </tr>
              </thead>
              <tbody>
                {ci.identifiers.map((i) => (
                  <tr key={i.id}>
                    <td>{words(i.kind)}</td>
                    <td><code>{i.value}</code></td>
                    <td>{i.scope ?? <span class="muted">global</span>}</td>
                    <td>{i.source}</td>
                    <td><time dateTime={i.createdAt} title={dateTime(i.updatedAt)}>{date(i.createdAt)}</time></td>
                  </tr>
                ))}
              </tbody>
            </table>
          </ScrollBox>
        ) : (
          <Empty>No identifier recorded.</Empty>
        )}
      </Section>
      <div class="grid">
        <Section title="Services" id="services">
          {ci.services?.length ? (
            <ul class="rows">
              {ci.services.map((s) => (
                <li key={s.id}>
                  <a href={`/services/${s.id}`}>{s.name}</a> <Badge tone={s.tier <= 1 ? "bad" : "plain"}>tier {s.tier}</Badge>
                </li>
              ))}
            </ul>
          ) : (
            <Empty>In no service.</Empty>
          )}
        </Section>
        <Section title="Asset" id="asset">
          {ci.asset ? (
            <Facts
              rows={[
                ["Cost", money(ci.asset.cost)],
                ["Purchased", date(ci.asset.purchaseDate)],
                ["In service", date(ci.asset.inServiceDate)],
                ["Depreciation", `${words(ci.asset.depreciationMethod)} over ${ci.asset.usefulLifeMonths} months`],
                ["Warranty ends", ci.asset.warrantyEnd ? `${date(ci.asset.warrantyEnd)} (${relative(ci.asset.warrantyEnd)})` : null],
                ["Cost centre", ci.asset.costCenter],
                ["PO number", ci.asset.poNumber],
                ["Disposed", ci.asset.disposalDate ? date(ci.asset.disposalDate) : null],
              ]}
            />
          ) : (
            <Empty>No asset record.</Empty>
          )}
        </Section>
      </div>

      <Section title={`Facts (${Object.keys(ci.facts ?? {}).length})`} id="facts">
        {ci.facts && Object.keys(ci.facts).length ? (
          <KeyValues values={ci.facts} prefix="facts." provenance={ci.provenance} caption={`Facts discovery observed on ${ci.name}`} />
        ) : (
          <Empty>No fact observed: discovery has not reported on this CI.</Empty>
        )}
      </Section>

      <Relationships ci={ci} editor={editor} saved={saved} snap={at ? snap ?? null : undefined} names={names} />

      <History
        events={history}
        error={histQ.error}
        loading={histQ.loading}
        href={href}
        atHref={(t) => href({ at: t }, "#fields")}
        names={names}
      />
    </div>
  );
}

function FieldRow(props: { f: FieldSpec; ci: CI; snap: Snapshot | null; showThen: boolean; names: Names; editor: boolean; saved: () => void }) {
  const { f, ci, snap, showThen, names, editor, saved } = props;
  const { run } = useMutation<unknown>(UPDATE);
  const now = f.now(ci);
  const then = snap ? f.then(snap) : undefined;
  const changed = snap && snap.existed && JSON.stringify(norm(now)) !== JSON.stringify(norm(then));
  const prov = f.prov.endsWith(".")
    ? ci.provenance.filter((p) => p.field.startsWith(f.prov)).sort((a, b) => b.at.localeCompare(a.at))[0]
    : ci.provenance.find((p) => p.field === f.prov);
  return (
    <tr>
      <th scope="row">{f.label[0].toUpperCase() + f.label.slice(1)}</th>
      <td class="ci-now">
        <CIEditField
          label={f.label}
          display={f.show(now, names)}
          initial={f.text ? f.text(ci) : ""}
          editor={f.editor ?? "text"}
          options={f.options}
          refKind={f.refKind}
          fields={f.fields}
          canEdit={editor && !!f.input}
          save={async (t) => {
            await run({ id: ci.id, input: f.input!(t) });
            saved();
          }}
        />
      </td>
      {showThen ? (
        <td class={changed ? "ci-then ci-changed" : "ci-then"}>
          {snap ? f.show(then, names) : <span class="muted">—</span>}
          {changed ? <span class="ci-diff-mark"> (differs from now)</span> : null}
        </td>
      ) : null}
      <td class="ci-prov">{prov ? <ProvenanceCell p={prov} /> : <span class="muted">—</span>}</td>
    </tr>
  );
}

/**
 * A table that may scroll sideways on a narrow screen: a named region
 * reachable by keyboard, so that its hidden columns can be scrolled to.
 */
function ScrollBox({ label, children }: { label: string; children: ComponentChildren }) {
  return (
    <div class="table-wrap ci-scroll" tabIndex={0} role="region" aria-label={label}>
      {children}
    </div>
  );
}

/** Values compared as the API would store them: empty is nothing. */
function norm(v: unknown): unknown {
  if (v === undefined || v === "" || (Array.isArray(v) && v.length === 0)) return null;
  if (v && typeof v === "object" && !Array.isArray(v) && Object.keys(v).length === 0) return null;
  return v;
}

function ProvenanceCell({ p }: { p: Provenance }) {
  return (
    <>
      {p.by}{" "}
      <time class="muted small" dateTime={p.at} title={`${dateTime(p.at)}, priority ${p.priority}`}>
        {relative(p.at)}
      </time>
    </>
  );
}

/** Keys and values of attributes or facts, with who set each when known. */
function KeyValues({ values, prefix, provenance, caption }: { values: Record<string, unknown>; prefix?: string; provenance?: Provenance[]; caption?: string }) {
  const keys = Object.keys(values).sort();
  const table = (
    <table class="table compact ci-kv">
      {caption ? <caption class="sr-only">{caption}</caption> : null}
      {provenance ? (
        <thead>
          <tr>
            <th scope="col">Key</th>
            <th scope="col">Value</th>
            <th scope="col">Set by</th>
          </tr>
        </thead>
      ) : null}
      <tbody>
        {keys.map((k) => {
          const v = values[k];
          const p = provenance?.find((x) => x.field === `${prefix}${k}`);
          return (
            <tr key={k}>
              <th scope="row">{k}</th>
              <td>{typeof v === "string" ? v : <code>{JSON.stringify(v)}</code>}</td>
              {provenance ? <td class="ci-prov">{p ? <ProvenanceCell p={p} /> : <span class="muted">—</span>}</td> : null}
            </tr>
          );
        })}
      </tbody>
    </table>
  );
  // Within the fields table (attributes) the table scrolls with it; on its own (facts) it is its own region.
  return caption ? <ScrollBox label={caption}>{table}</ScrollBox> : table;
}

function AsAtForm({ at, invalid, set, now }: { at: string | null; invalid: boolean; set: (c: Record<string, string | null>) => void; now: string }) {
  const [value, setValue] = useState(at ? toLocalInput(at) : "");
  const [bad, setBad] = useState("");
  const submit = (e: Event) => {
    e.preventDefault();
    const t = Date.parse(value);
    if (!value || Number.isNaN(t)) {
      setBad("Choose a date and time.");
      return;
    }
    setBad("");
    set({ at: new Date(t).toISOString() });
  };
  return (
    <form class="card ci-asat" onSubmit={submit} aria-label="As it was at a time">
      <label for="ci-at">As it was at</label>
      <input
        id="ci-at"
        type="datetime-local"
        step={1}
        value={value}
        onInput={(e) => setValue((e.target as HTMLInputElement).value)}
        aria-invalid={bad ? "true" : undefined}
        aria-describedby={bad ? "ci-at-err" : undefined}
      />
      <button type="submit" class="btn b-plain">
        Show
      </button>
      {at ? (
        <a class="btn b-plain" href={now}>
          Back to now
        </a>
      ) : null}
      {bad ? (
        <p id="ci-at-err" class="field-error" role="alert">
          {bad}
        </p>
      ) : null}
      {invalid ? <p class="field-error">The time in the address is not one Cairn can read; showing the CI as it is now.</p> : null}
    </form>
  );
}

function SnapshotNotice({ at, snap, loading, error }: { at: string; snap: Snapshot | null | undefined; loading: boolean; error: ApiError | undefined }) {
  if (error) return <ErrorBox error={error} title="The CI as it was could not be rebuilt" />;
  if (snap === undefined || (loading && !snap)) return <Loading what="Rebuilding the CI from its audit trail" />;
  return (
    <p class="notice ci-snapnote" role="status">
      {snap === null ? (
        <>This CI did not exist yet at {dateTimeSec(at)}.</>
      ) : (
        <>
          Showing the CI as it was at <strong>{dateTimeSec(at)}</strong> next to its values now
          {snap.lastChange ? (
            <>
              {" "}
              (the last change before then: {words(snap.lastChange.action)} by {snap.lastChange.actor}, {dateTimeSec(snap.lastChange.at)})
            </>
          ) : null}
          {!snap.existed ? "; it had been deleted by then (its last values are shown)" : ""}.
        </>
      )}
    </p>
  );
}

function Relationships({ ci, editor, saved, snap, names }: { ci: CI; editor: boolean; saved: () => void; snap: Snapshot | null | undefined; names: Names }) {
  const out = ci.outgoing ?? [];
  const inc = ci.incoming ?? [];
  return (
    <Section title={`Relationships (${out.length + inc.length})`} id="relationships">
      <h3>What {ci.name} depends on</h3>
      <RelTable rels={out} dir="out" ci={ci} editor={editor} saved={saved} />
      <h3>What depends on {ci.name}</h3>
      <RelTable rels={inc} dir="in" ci={ci} editor={editor} saved={saved} />
      {snap ? (
        <>
          <h3>At {dateTimeSec(snap.at)}</h3>
          {snap.relationships.length ? (
            <ul class="rows">
              {snap.relationships.map((r) => {
                const from = names[r.fromID]?.name ?? `#${r.fromID}`;
                const to = names[r.toID]?.name ?? `#${r.toID}`;
                const still = [...(ci.outgoing ?? []), ...(ci.incoming ?? [])].some((x) => x.id === r.id);
                return (
                  <li key={r.id}>
                    {r.fromID === ci.id ? from : <a href={`/ci/${r.fromID}/details`}>{from}</a>} <span class="muted">{words(r.type)}</span>{" "}
                    {r.toID === ci.id ? to : <a href={`/ci/${r.toID}/details`}>{to}</a>}
                    {still ? null : <Badge tone="warn">gone since</Badge>}
                  </li>
                );
              })}
            </ul>
          ) : (
            <Empty>No relationship then.</Empty>
          )}
        </>
      ) : null}
      {editor ? <AddRelationship ci={ci} saved={saved} /> : null}
    </Section>
  );
}

function RelTable({ rels, dir, ci, editor, saved }: { rels: Rel[]; dir: "in" | "out"; ci: CI; editor: boolean; saved: () => void }) {
  if (!rels.length) return <Empty>{dir === "out" ? "It depends on nothing recorded." : "Nothing recorded depends on it."}</Empty>;
  return (
    <ScrollBox label={dir === "out" ? `What ${ci.name} depends on` : `What depends on ${ci.name}`}>
      <table class="table compact ci-rels">
        <caption class="sr-only">{dir === "out" ? `What ${ci.name} depends on` : `What depends on ${ci.name}`}</caption>
        <thead>
          <tr>
            <th scope="col">{dir === "out" ? "Relationship" : "CI"}</th>
            <th scope="col">{dir === "out" ? "CI" : "Relationship"}</th>
            <th scope="col">Source</th>
            <th scope="col">Ports and attributes</th>
            <th scope="col">Description</th>
            {editor ? (
              <th scope="col">
                <span class="sr-only">Actions</span>
              </th>
            ) : null}
          </tr>
        </thead>
        <tbody>
          {rels.map((r) => (
            <RelRow key={r.id} r={r} dir={dir} editor={editor} saved={saved} />
          ))}
        </tbody>
      </table>
    </ScrollBox>
  );
}

/**
 * An edge's attributes. The ports of a CONNECTS_TO are the FROM end's (local_port) and the TO
 * end's (remote_port): on this CI's page they read as "here" and "there".
 */
function RelAttributes({ attrs, dir }: { attrs: Record<string, string> | null; dir: "in" | "out" }) {
  const entries = Object.entries(attrs ?? {}).sort(([a], [b]) => a.localeCompare(b));
  if (!entries.length) return <span class="muted">—</span>;
  const here = dir === "out" ? "local_port" : "remote_port";
  const there = dir === "out" ? "remote_port" : "local_port";
  const a = attrs ?? {};
  const rest = entries.filter(([k]) => k !== here && k !== there && !k.endsWith("_port_description"));
  return (
    <>
      {a[here] || a[there] ? (
        <span class="rel-ports">
          here <code>{a[here] ?? "?"}</code> ↔ there <code>{a[there] ?? "?"}</code>
        </span>
      ) : null}
      {rest.map(([k, v]) => (
        <span key={k} class="rel-attr">
          {" "}
          {words(k)} <code>{v}</code>
        </span>
      ))}
    </>
  );
}

function RelRow({ r, dir, editor, saved }: { r: Rel; dir: "in" | "out"; editor: boolean; saved: () => void }) {
  const other = (dir === "out" ? r.to : r.from)!;
  const [confirming, setConfirming] = useState(false);
  const { run, busy, error } = useMutation<unknown>(REMOVE_REL);
  const link = (
    <>
      <a href={`/ci/${other.id}/details`}>{other.name}</a> <Kind kind={other.kind} />
    </>
  );
  const what = `${words(r.type)} ${other.name}`;
  return (
    <tr>
      {dir === "out" ? (
        <>
          <td>{words(r.type)}</td>
          <td>{link}</td>
        </>
      ) : (
        <>
          <td>{link}</td>
          <td>{words(r.type)} it</td>
        </>
      )}
      <td>{r.source}</td>
      <td>
        <RelAttributes attrs={r.attributes} dir={dir} />
      </td>
      <td>{r.description ?? <span class="muted">—</span>}</td>
      {editor ? (
        <td class="ci-rel-actions">
          {confirming ? (
            <>
              <button
                type="button"
                class="btn b-danger"
                disabled={busy}
                onClick={() => run({ id: r.id }).then(saved, () => undefined)}
              >
                Confirm removal<span class="sr-only"> of {what}</span>
              </button>{" "}
              <button type="button" class="btn b-plain" onClick={() => setConfirming(false)}>
                Keep
              </button>
            </>
          ) : (
            <button type="button" class="btn b-plain" onClick={() => setConfirming(true)}>
              Remove<span class="sr-only"> {what}</span>
            </button>
          )}
          <ErrorBox error={error} />
        </td>
      ) : null}
    </tr>
  );
}

function AddRelationship({ ci, saved }: { ci: CI; saved: () => void }) {
  const [direction, setDirection] = useState<"out" | "in">("out");
  const [type, setType] = useState("DEPENDS_ON");
  const [other, setOther] = useState<PickedCI | null>(null);
  const [description, setDescription] = useState("");
  const [done, setDone] = useState("");
  const { run, busy, error, reset } = useMutation<unknown>(ADD_REL);
  const by = error?.byField() ?? {};
  // The picker is "to" when this CI depends on the other, "from" the other way round.
  const otherField = direction === "out" ? "to" : "from";
  const otherErr = by[otherField] ?? "";
  const rest = error ? error.errors.filter((e) => ![otherField, "type", "description"].includes(e.extensions?.field ?? "")) : [];
  const submit = async (e: Event) => {
    e.preventDefault();
    setDone("");
    if (!other) return;
    const vars = direction === "out" ? { from: ci.id, to: other.id } : { from: other.id, to: ci.id };
    try {
      await run({ ...vars, type, description: description.trim() || null });
      setDone(`Added: ${direction === "out" ? ci.name : other.name} ${words(type)} ${direction === "out" ? other.name : ci.name}.`);
      setOther(null);
      setDescription("");
      saved();
    } catch {
      // shown below, next to the field it names
    }
  };
  return (
    <form class="ci-addrel" onSubmit={submit} aria-labelledby="ci-addrel-h">
      <h3 id="ci-addrel-h">Add a relationship</h3>
      <div class="ci-addrel-grid">
        <div class="list-field">
          <label for="ci-rel-dir">Direction</label>
          <select
            id="ci-rel-dir"
            value={direction}
            onChange={(e) => {
              setDirection((e.target as HTMLSelectElement).value as "out" | "in");
              reset();
            }}
          >
            <option value="out">{ci.name} → the other</option>
            <option value="in">the other → {ci.name}</option>
          </select>
        </div>
        <div class="list-field">
          <label for="ci-rel-type">Type</label>
          <select
            id="ci-rel-type"
            value={type}
            onChange={(e) => setType((e.target as HTMLSelectElement).value)}
            aria-invalid={by.type ? "true" : undefined}
            aria-describedby={by.type ? "ci-rel-type-err" : undefined}
          >
            {RELATIONSHIP_TYPES.map((t) => (
              <option key={t} value={t}>
                {words(t)}
              </option>
            ))}
          </select>
          {by.type ? (
            <p id="ci-rel-type-err" class="field-error">
              {by.type}
            </p>
          ) : null}
        </div>
        <CIPicker id="ci-rel-other" label="The other CI" value={other} onChange={setOther} exclude={ci.id} invalid={otherErr} errorId="ci-rel-other-err" />
        {otherErr ? (
          <p id="ci-rel-other-err" class="field-error">
            {otherErr}
          </p>
        ) : null}
        <div class="list-field">
          <label for="ci-rel-desc">Description (optional)</label>
          <input
            id="ci-rel-desc"
            type="text"
            value={description}
            onInput={(e) => setDescription((e.target as HTMLInputElement).value)}
            aria-invalid={by.description ? "true" : undefined}
            aria-describedby={by.description ? "ci-rel-desc-err" : undefined}
          />
          {by.description ? (
            <p id="ci-rel-desc-err" class="field-error">
              {by.description}
            </p>
          ) : null}
        </div>
      </div>
      {rest.length ? <ErrorBox error={new ApiError(rest, error!.status)} /> : null}
      <div class="actions">
        <button type="submit" class="btn b-primary" disabled={busy || !other}>
          {busy ? "Adding…" : "Add relationship"}
        </button>
        <span role="status" class="muted">
          {done}
        </span>
      </div>
    </form>
  );
}

function History(props: {
  events: Connection | undefined;
  error: ApiError | undefined;
  loading: boolean;
  href: (c: Record<string, string | null>, hash?: string) => string;
  atHref: (at: string) => string;
  names: Names;
}) {
  const { events, error, href, atHref } = props;
  const info = events?.pageInfo;
  return (
    <Section title={events ? `History (${plural(events.totalCount, "change")})` : "History"} id="history">
      <p class="muted small ci-history-note">
        Changes to this CI's own fields. Added and removed relationships and identifiers are audited as records of their own and
        are not listed here: <a href="#relationships">its relationships</a> and <a href="#identifiers">identifiers</a> are above as
        they are now.
      </p>
      {error ? <ErrorBox error={error} /> : null}
      {!events && !error ? <Loading what="Loading the audit trail" /> : null}
      {events ? (
        <>
          <CITimeline events={events.edges.map((e) => e.node as unknown as AuditEvent)} atHref={atHref} names={props.names} />
          {info && (info.hasNextPage || info.hasPreviousPage) ? (
            <nav class="list-pager" aria-label="History pages">
              {info.hasPreviousPage && info.startCursor ? (
                <a class="btn b-plain" href={href({ hbefore: info.startCursor, hafter: null }, "#history")}>
                  ← Newer
                </a>
              ) : null}
              {info.hasNextPage && info.endCursor ? (
                <a class="btn b-plain" href={href({ hafter: info.endCursor, hbefore: null }, "#history")}>
                  Older →
                </a>
              ) : null}
            </nav>
          ) : null}
        </>
      ) : null}
    </Section>
  );
}

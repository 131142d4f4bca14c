// Report schedules: the list, one schedule with its runs and their
// deliveries, the create and edit form, run now. Every view has its URL:
//   /admin/reports[?after=|before=]                 the list
//   /admin/reports?schedule=ID[&runsAfter=]         one schedule
//   /admin/reports?edit=new | edit=ID               the form
import { useMemo, useState } from "preact/hooks";
import { useLocation } from "preact-iso";
import {
  AdminCheck,
  AdminChoices,
  AdminConfirm,
  AdminErrorSummary,
  AdminField,
  AdminPager,
  mergeErrors,
  parseWhole,
  sortErrors,
  splitList,
  type PageInfo,
} from "../../components/AdminForm";
import { RunStatus, seconds } from "../../components/AdminRun";
import { Badge, Empty, ErrorBox, Facts, Loading, Section } from "../../components/ui";
import { dateTime, plural, relative, words } from "../../format";
import { useMutation, useQuery } from "../../hooks";
import REPORT from "../../queries/adminReport.graphql";
import CREATE from "../../queries/adminReportCreate.graphql";
import DELETE from "../../queries/adminReportDelete.graphql";
import FIELDS from "../../queries/adminReportFields.graphql";
import FORM from "../../queries/adminReportForm.graphql";
import RUN from "../../queries/adminReportRun.graphql";
import RUN_FIELDS from "../../queries/adminReportRunFields.graphql";
import REPORTS from "../../queries/adminReports.graphql";
import UPDATE from "../../queries/adminReportUpdate.graphql";
import { AdminFlash, flash, pageVars, withParams } from "./common";

const PAGE = 25;
const RUNS_PAGE = 10;

interface ScheduleRow {
  id: string;
  name: string;
  schedule: string;
  timeZone: string;
  formats: string[];
  directory: string | null;
  enabled: boolean;
  webhooks: { url: string }[];
  nextRuns: string[];
  latest: { edges: { node: { id: string; status: string; startedAt: string; deliveries: { ok: boolean }[]; error: string | null } }[] };
}

interface Schedule {
  id: string;
  name: string;
  schedule: string;
  timeZone: string;
  windowHours: number;
  formats: string[];
  directory: string | null;
  retain: number;
  enabled: boolean;
  scope: { services: string[]; environments: string[]; kinds: string[]; owners: string[] };
  webhooks: { url: string; hasSecret: boolean }[];
  nextRuns: string[];
  lastRunAt: string | null;
  createdAt: string;
  updatedAt: string;
}

interface Delivery {
  destination: string;
  format: string;
  ok: boolean;
  attempts: number;
  status: number | null;
  path: string | null;
  error: string | null;
}

interface ReportRun {
  id: string;
  status: string;
  trigger: string;
  startedAt: string;
  finishedAt: string | null;
  duration: number | null;
  windowStart: string;
  windowEnd: string;
  driftCount: number;
  error: string | null;
  sizes: Record<string, number> | null;
  deliveries: Delivery[];
}

export function ReportsTab() {
  const { query } = useLocation();
  if (query.edit === "new") return <ScheduleForm />;
  if (query.edit) return <ScheduleEdit id={query.edit} />;
  if (query.schedule) return <ScheduleDetail id={query.schedule} runsAfter={query.runsAfter} />;
  return <ScheduleList after={query.after} before={query.before} />;
}

function delivered(ds: { ok: boolean }[]): string {
  if (!ds.length) return "";
  const ok = ds.filter((d) => d.ok).length;
  return `${ok} of ${plural(ds.length, "delivery", "deliveries")} ok`;
}

function ScheduleList({ after, before }: { after?: string; before?: string }) {
  const { data, error, loading } = useQuery<{
    reportSchedules: { totalCount: number; pageInfo: PageInfo; edges: { node: ScheduleRow }[] };
  }>(REPORTS, pageVars(PAGE, after, before), false, { keepPrevious: true });
  const conn = data?.reportSchedules;
  return (
    <>
      <AdminFlash />
      <Section
        title="Report schedules"
        id="reports"
        actions={
          <a class="btn b-primary" href="/admin/reports?edit=new">
            New report schedule
          </a>
        }
      >
        {error ? <ErrorBox error={error} /> : null}
        {loading && !data ? <Loading what="Loading the schedules" /> : null}
        {conn ? (
          conn.edges.length ? (
            <>
              <p class="small muted">{plural(conn.totalCount, "schedule")}</p>
              <div class="table-wrap">
                <table class="table admin-table">
                  <thead>
                    <tr>
                      <th scope="col">Name</th>
                      <th scope="col">Schedule</th>
                      <th scope="col">Formats</th>
                      <th scope="col">Destinations</th>
                      <th scope="col">State</th>
                      <th scope="col">Last run</th>
                    </tr>
                  </thead>
                  <tbody>
                    {conn.edges.map(({ node: s }) => {
                      const last = s.latest.edges[0]?.node;
                      return (
                        <tr key={s.id}>
                          <th scope="row">
                            <a href={`/admin/reports?schedule=${s.id}`}>{s.name}</a>
                          </th>
                          <td>
                            <code>{s.schedule}</code> {s.timeZone !== "UTC" ? <span class="small muted">{s.timeZone}</span> : null}
                            {s.nextRuns[0] ? <div class="small muted">next {relative(s.nextRuns[0]) || dateTime(s.nextRuns[0])}</div> : null}
                          </td>
                          <td>{s.formats.join(", ")}</td>
                          <td class="small">
                            {s.directory ? (
                              <div>
                                directory <code>{s.directory}</code>
                              </div>
                            ) : null}
                            {s.webhooks.length ? <div>{plural(s.webhooks.length, "webhook")}</div> : null}
                          </td>
                          <td>{s.enabled ? <Badge tone="ok">enabled</Badge> : <Badge>disabled</Badge>}</td>
                          <td>
                            {last ? (
                              <>
                                <RunStatus status={last.status} /> <span title={dateTime(last.startedAt)}>{relative(last.startedAt) || dateTime(last.startedAt)}</span>
                                <div class="small muted">{delivered(last.deliveries)}</div>
                              </>
                            ) : (
                              <span class="muted">never run</span>
                            )}
                          </td>
                        </tr>
                      );
                    })}
                  </tbody>
                </table>
              </div>
              <AdminPager info={conn.pageInfo} label="Pages of schedules" href={(p) => withParams("/admin/reports", p)} />
            </>
          ) : (
            <Empty>
              No report schedule yet. <a href="/admin/reports?edit=new">Create one</a> to have the morning drift and CMDB-health
              report written to a directory or sent to a webhook.
            </Empty>
          )
        ) : null}
      </Section>
    </>
  );
}

function BackToSchedules() {
  return (
    <p class="admin-back">
      <a href="/admin/reports">← All report schedules</a>
    </p>
  );
}

function ScheduleDetail({ id, runsAfter }: { id: string; runsAfter?: string }) {
  const { route } = useLocation();
  const { data, error, loading, reload } = useQuery<{
    node: (Schedule & { runs: { totalCount: number; pageInfo: PageInfo; edges: { node: ReportRun }[] } }) | null;
  }>(FIELDS + RUN_FIELDS + REPORT, { id, runsFirst: RUNS_PAGE, runsAfter });
  const run = useMutation<{ runReportSchedule: ReportRun }>(RUN_FIELDS + RUN);
  const del = useMutation<{ deleteReportSchedule: string }>(DELETE);
  const [said, setSaid] = useState("");
  const [latest, setLatest] = useState<string>();

  const s = data?.node;
  if (loading && !data) return <Loading what="Loading the schedule" />;
  if (error) return <ErrorBox error={error} />;
  if (!s || !("schedule" in s)) {
    return (
      <>
        <BackToSchedules />
        <Empty>No report schedule has the ID {id}: it may have been deleted.</Empty>
      </>
    );
  }
  const runNow = async () => {
    setSaid("Report run started: waiting for it to finish…");
    try {
      const { runReportSchedule: r } = await run.run({ id: s.id });
      setSaid(`Report run ${words(r.status)}: ${plural(r.driftCount, "drift")}, ${delivered(r.deliveries) || "no delivery"}.`);
      setLatest(r.id);
      if (runsAfter) route(`/admin/reports?schedule=${s.id}`);
      else reload();
    } catch {
      setSaid("");
    }
  };
  const remove = async () => {
    try {
      await del.run({ id: s.id });
      flash(`Deleted the report schedule ${s.name}.`);
      route("/admin/reports");
    } catch {
      // shown below
    }
  };
  const sc = s.scope;
  return (
    <>
      <BackToSchedules />
      <AdminFlash />
      <Section
        title={s.name}
        id="schedule"
        actions={
          <>
            <button type="button" class="btn b-primary" id="report-run" disabled={run.busy} onClick={runNow}>
              {run.busy ? "Running…" : "Run now"}
            </button>
            <a class="btn b-plain" href={`/admin/reports?edit=${s.id}`}>
              Edit
            </a>
            <AdminConfirm
              id="report-delete"
              label="Delete"
              busy={del.busy}
              question={
                <>
                  Delete the report schedule <strong>{s.name}</strong>? Its runs go with it; reports already written stay.
                </>
              }
              confirm="Delete the schedule"
              onConfirm={remove}
            />
          </>
        }
      >
        <p role="status" aria-live="polite" class="admin-said">
          {said}
        </p>
        <ErrorBox error={run.error} title="The report did not run" />
        <ErrorBox error={del.error} title="The schedule was not deleted" />
        <Facts
          rows={[
            ["State", s.enabled ? <Badge tone="ok">enabled</Badge> : <Badge>disabled</Badge>],
            [
              "Schedule",
              <>
                <code>{s.schedule}</code> ({s.timeZone})
                {s.nextRuns.length ? <span class="muted"> · next {s.nextRuns.map((t) => dateTime(t)).join(", ")}</span> : null}
              </>,
            ],
            ["Covers", s.windowHours ? `the ${s.windowHours} hours before each run` : "everything since the last run"],
            ["Formats", s.formats.join(", ")],
            ["Directory", s.directory ? <><code>{s.directory}</code> (keeps {s.retain} of each format)</> : null],
            [
              "Webhooks",
              s.webhooks.length ? (
                <ul class="rows">
                  {s.webhooks.map((w) => (
                    <li key={w.url}>
                      <code>{w.url}</code> {w.hasSecret ? <Badge tone="info">signed</Badge> : <Badge>unsigned</Badge>}
                    </li>
                  ))}
                </ul>
              ) : null,
            ],
            ["Services", sc.services.length ? sc.services.join(", ") : "all"],
            ["Owners", sc.owners.length ? sc.owners.join(", ") : "all"],
            ["Kinds", sc.kinds.length ? sc.kinds.map(words).join(", ") : "all"],
            ["Environments", sc.environments.length ? sc.environments.map(words).join(", ") : "all"],
            ["Updated", dateTime(s.updatedAt)],
          ]}
        />
      </Section>
      <Section title="Runs" id="report-runs">
        {s.runs.edges.length ? (
          <>
            <p class="small muted">{plural(s.runs.totalCount, "run")}, newest first</p>
            <ul class="admin-report-runs">
              {s.runs.edges.map(({ node: r }) => (
                <li key={r.id} class={r.id === latest ? "admin-current" : undefined}>
                  <ReportRunView run={r} />
                </li>
              ))}
            </ul>
            <nav class="admin-pager" aria-label="Pages of runs">
              {runsAfter ? <a href={`/admin/reports?schedule=${s.id}`}>← Newest runs</a> : <span />}
              {s.runs.pageInfo.hasNextPage && s.runs.pageInfo.endCursor ? (
                <a href={withParams("/admin/reports", { schedule: s.id, runsAfter: s.runs.pageInfo.endCursor })}>Older runs →</a>
              ) : null}
            </nav>
          </>
        ) : (
          <Empty>Never run. “Run now” builds and delivers the report at once.</Empty>
        )}
      </Section>
    </>
  );
}

function ReportRunView({ run: r }: { run: ReportRun }) {
  return (
    <article aria-label={`Run of ${dateTime(r.startedAt)}`}>
      <h3>
        {dateTime(r.startedAt)} <RunStatus status={r.status} />
      </h3>
      <p class="small muted">
        {words(r.trigger)} · took {seconds(r.duration)} · covers {dateTime(r.windowStart)} to {dateTime(r.windowEnd)} ·{" "}
        {plural(r.driftCount, "drift")}
        {r.sizes && Object.keys(r.sizes).length
          ? " · " +
            Object.entries(r.sizes)
              .map(([f, b]) => `${f} ${Number(b).toLocaleString()} B`)
              .join(", ")
          : ""}
      </p>
      {r.error ? <p class="field-error">{r.error}</p> : null}
      {r.deliveries.length ? (
        <div class="table-wrap">
          <table class="table compact">
            <caption class="sr-only">Deliveries of the run of {dateTime(r.startedAt)}</caption>
            <thead>
              <tr>
                <th scope="col">Delivery</th>
                <th scope="col">Destination</th>
                <th scope="col">Format</th>
                <th scope="col" class="num">
                  Attempts
                </th>
                <th scope="col">Result</th>
              </tr>
            </thead>
            <tbody>
              {r.deliveries.map((d, i) => (
                <tr key={i}>
                  <td>{d.ok ? <Badge tone="ok">delivered</Badge> : <Badge tone="bad">failed</Badge>}</td>
                  <td>
                    <code>{d.destination}</code>
                  </td>
                  <td>{d.format}</td>
                  <td class="num">{d.attempts}</td>
                  <td class="small admin-clip">
                    {d.path ? <code>{d.path}</code> : null}
                    {d.status ? ` HTTP ${d.status}` : ""}
                    {d.error ? <span class="t-bad"> {d.error}</span> : null}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : (
        <p class="small muted">No delivery.</p>
      )}
    </article>
  );
}

function ScheduleEdit({ id }: { id: string }) {
  const { data, error, loading } = useQuery<{ node: Schedule | null }>(FIELDS + RUN_FIELDS + REPORT, { id, runsFirst: 0 });
  if (loading && !data) return <Loading what="Loading the schedule" />;
  if (error) return <ErrorBox error={error} />;
  if (!data?.node || !("schedule" in data.node)) return <Empty>No report schedule has the ID {id}.</Empty>;
  return <ScheduleForm schedule={data.node} />;
}

// ---- the form ----

interface Hook {
  url: string;
  secret: string;
  hasSecret: boolean;
}

interface FormState {
  name: string;
  schedule: string;
  timeZone: string;
  windowHours: string;
  formats: string[];
  directory: string;
  retain: string;
  enabled: boolean;
  services: string;
  owners: string;
  kinds: string[];
  environments: string[];
  webhooks: Hook[];
  webhooksTouched: boolean;
}

function stateOf(s?: Schedule): FormState {
  return {
    name: s?.name ?? "",
    schedule: s?.schedule ?? "0 7 * * *",
    timeZone: s?.timeZone ?? "UTC",
    windowHours: String(s?.windowHours ?? 0),
    formats: s ? s.formats.map((f) => f.toUpperCase()) : ["MARKDOWN", "HTML"],
    directory: s?.directory ?? "",
    retain: String(s?.retain ?? 30),
    enabled: s?.enabled ?? true,
    services: s?.scope.services.join(", ") ?? "",
    owners: s?.scope.owners.join(", ") ?? "",
    kinds: s?.scope.kinds ?? [],
    environments: s?.scope.environments ?? [],
    webhooks: s?.webhooks.map((w) => ({ url: w.url, secret: "", hasSecret: w.hasSecret })) ?? [],
    webhooksTouched: false,
  };
}

function inputOf(f: FormState): { input: Record<string, unknown>; errors: Record<string, string> } {
  const errors: Record<string, string> = {};
  const input: Record<string, unknown> = {
    name: f.name.trim(),
    schedule: f.schedule.trim(),
    timeZone: f.timeZone.trim() || "UTC",
    formats: f.formats,
    directory: f.directory.trim(),
    enabled: f.enabled,
    scope: { services: splitList(f.services), owners: splitList(f.owners), kinds: f.kinds, environments: f.environments },
  };
  const w = parseWhole(f.windowHours, 0, 24 * 366);
  if (w.error) errors.windowHours = w.error;
  else input.windowHours = w.value;
  const r = parseWhole(f.retain, 1, 10000);
  if (r.error) errors.retain = r.error;
  else input.retain = r.value;
  if (f.webhooksTouched) {
    input.webhooks = f.webhooks.map((h) => (h.secret ? { url: h.url.trim(), secret: h.secret } : { url: h.url.trim() }));
  }
  return { input, errors };
}

function changed(before: Record<string, unknown>, after: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(after)) {
    if (k === "webhooks" || JSON.stringify(v) !== JSON.stringify(before[k])) out[k] = v;
  }
  return out;
}

const baseLabels: Record<string, string> = {
  name: "Name",
  schedule: "Schedule",
  timeZone: "Time zone",
  windowHours: "Window",
  formats: "Formats",
  directory: "Directory",
  retain: "Keep",
  enabled: "Enabled",
  services: "Services",
  owners: "Owners",
  kinds: "Kinds",
  environments: "Environments",
  webhooks: "Webhooks",
};
const alias: Record<string, string> = {
  scope: "services",
  "scope.services": "services",
  "scope.owners": "owners",
  "scope.kinds": "kinds",
  "scope.environments": "environments",
};

function ScheduleForm({ schedule }: { schedule?: Schedule }) {
  const { route } = useLocation();
  const opts = useQuery<{
    formats: { enumValues: { name: string }[] };
    kinds: { enumValues: { name: string }[] };
    environments: { enumValues: { name: string }[] };
  }>(FORM);
  const initial = useMemo(() => stateOf(schedule), [schedule]);
  const [f, setF] = useState<FormState>(initial);
  const [local, setLocal] = useState<Record<string, string>>({});
  const [attempt, setAttempt] = useState(0);
  const create = useMutation<{ createReportSchedule: Schedule }>(FIELDS + CREATE);
  const update = useMutation<{ updateReportSchedule: Schedule }>(FIELDS + UPDATE);
  const m = schedule ? update : create;
  const set = <K extends keyof FormState>(k: K, v: FormState[K]) => setF((s) => ({ ...s, [k]: v }));
  const text = (k: keyof FormState) => (e: Event) => set(k, (e.target as HTMLInputElement).value as never);
  const setHook = (i: number, h: Partial<Hook>) =>
    setF((s) => ({ ...s, webhooksTouched: true, webhooks: s.webhooks.map((w, j) => (j === i ? { ...w, ...h } : w)) }));

  const labels: Record<string, string> = { ...baseLabels };
  f.webhooks.forEach((_, i) => {
    labels[`webhooks[${i}].url`] = `Webhook ${i + 1} URL`;
    labels[`webhooks[${i}].secret`] = `Webhook ${i + 1} secret`;
  });
  const errs = mergeErrors(local, sortErrors(m.error, Object.keys(labels), alias));
  const e = errs.byField;

  const submit = async (ev: Event) => {
    ev.preventDefault();
    setAttempt((a) => a + 1);
    m.reset();
    const { input, errors } = inputOf(f);
    setLocal(errors);
    if (Object.keys(errors).length) return;
    try {
      if (schedule) {
        const body = changed(inputOf(initial).input, input);
        if (!f.webhooksTouched) delete body.webhooks;
        await update.run({ id: schedule.id, input: body });
        flash(`Saved the report schedule ${String(input.name)}.`);
        route(`/admin/reports?schedule=${schedule.id}`);
      } else {
        const { createReportSchedule: saved } = await create.run({ input });
        flash(`Created the report schedule ${saved.name}.`);
        route(`/admin/reports?schedule=${saved.id}`);
      }
    } catch {
      // m.error holds it
    }
  };

  const formats = opts.data?.formats.enumValues.map((v) => v.name) ?? ["MARKDOWN", "HTML", "JSON", "CSV"];
  const signedDropped = schedule && f.webhooksTouched && schedule.webhooks.some((w) => w.hasSecret);
  return (
    <Section title={schedule ? `Edit ${schedule.name}` : "New report schedule"} id="report-form">
      <p class="admin-back">
        <a href={schedule ? `/admin/reports?schedule=${schedule.id}` : "/admin/reports"}>← Cancel</a>
      </p>
      <ErrorBox error={opts.error} title="The form's choices could not load" />
      <form class="admin-form" onSubmit={submit} noValidate>
        <AdminErrorSummary errors={errs} labels={labels} prefix="report-" attempt={attempt} title={schedule ? "The schedule was not saved" : "The schedule was not created"} />
        <fieldset>
          <legend>The report</legend>
          <AdminField id="report-name" label="Name" error={e.name}>
            {(a) => <input {...a} type="text" required value={f.name} onInput={text("name")} autocomplete="off" />}
          </AdminField>
          <div class="admin-row">
            <AdminField id="report-schedule" label="Schedule (cron)" error={e.schedule} hint={<>e.g. <code>0 7 * * 1-5</code>: 07:00 on weekdays.</>}>
              {(a) => <input {...a} type="text" class="admin-code" required value={f.schedule} onInput={text("schedule")} autocomplete="off" spellcheck={false} />}
            </AdminField>
            <AdminField id="report-timeZone" label="Time zone" error={e.timeZone} hint="IANA name, e.g. Europe/Amsterdam.">
              {(a) => <input {...a} type="text" value={f.timeZone} onInput={text("timeZone")} autocomplete="off" />}
            </AdminField>
            <AdminField id="report-windowHours" label="Window (hours)" error={e.windowHours} hint="Hours before the run it covers; 0: since the last run.">
              {(a) => <input {...a} type="number" min={0} max={8784} value={f.windowHours} onInput={text("windowHours")} />}
            </AdminField>
          </div>
          <AdminChoices id="report-formats" legend="Formats" options={formats} value={f.formats} onChange={(v) => set("formats", v)} error={e.formats} render={(v) => v.toLowerCase()} />
          <AdminCheck id="report-enabled" label="Enabled (runs on its schedule)" checked={f.enabled} onChange={(v) => set("enabled", v)} error={e.enabled} />
        </fieldset>
        <fieldset>
          <legend>Where it goes</legend>
          <div class="admin-row">
            <AdminField id="report-directory" label="Directory" error={e.directory} hint="Reports are written here with dated names. Empty: webhooks only.">
              {(a) => <input {...a} type="text" class="admin-code" value={f.directory} onInput={text("directory")} autocomplete="off" spellcheck={false} />}
            </AdminField>
            <AdminField id="report-retain" label="Keep (reports of each format)" error={e.retain}>
              {(a) => <input {...a} type="number" min={1} max={10000} value={f.retain} onInput={text("retain")} />}
            </AdminField>
          </div>
          <div class="admin-webhooks" id="report-webhooks" tabIndex={-1}>
            <p class="admin-label">Webhooks</p>
            <p class="small muted">
              Each run is POSTed to every webhook, signed with HMAC-SHA256 in <code>X-Cairn-Signature</code> when it has a secret.
              Secrets are write-only.
              {schedule?.webhooks.length ? " Saving changed webhooks replaces them all: type each secret again, or it is dropped." : ""}
            </p>
            {e.webhooks ? <p class="field-error">{e.webhooks}</p> : null}
            {signedDropped ? (
              <p class="notice small" role="status">
                The stored webhook secrets are dropped on save unless you type them again.
              </p>
            ) : null}
            {f.webhooks.map((h, i) => (
              <div class="admin-row admin-hook" key={i}>
                <AdminField id={`report-webhooks[${i}].url`} label={`Webhook ${i + 1} URL`} error={e[`webhooks[${i}].url`]}>
                  {(a) => <input {...a} type="url" class="admin-code" value={h.url} onInput={(ev) => setHook(i, { url: (ev.target as HTMLInputElement).value })} autocomplete="off" />}
                </AdminField>
                <AdminField
                  id={`report-webhooks[${i}].secret`}
                  label={`Webhook ${i + 1} secret`}
                  error={e[`webhooks[${i}].secret`]}
                  hint={h.hasSecret && !f.webhooksTouched ? "A secret is stored." : undefined}
                >
                  {(a) => (
                    <input {...a} type="password" autocomplete="new-password" value={h.secret} onInput={(ev) => setHook(i, { secret: (ev.target as HTMLInputElement).value })} />
                  )}
                </AdminField>
                <button
                  type="button"
                  class="btn b-plain admin-hook-remove"
                  onClick={() => setF((s) => ({ ...s, webhooksTouched: true, webhooks: s.webhooks.filter((_, j) => j !== i) }))}
                >
                  Remove webhook {i + 1}
                </button>
              </div>
            ))}
            <button
              type="button"
              class="btn b-plain"
              onClick={() => setF((s) => ({ ...s, webhooksTouched: true, webhooks: [...s.webhooks, { url: "", secret: "", hasSecret: false }] }))}
            >
              Add a webhook
            </button>
          </div>
        </fieldset>
        <fieldset>
          <legend>What it covers (empty: everything)</legend>
          <div class="admin-row">
            <AdminField id="report-services" label="Services" error={e.services} hint="Service names, comma-separated.">
              {(a) => <input {...a} type="text" value={f.services} onInput={text("services")} autocomplete="off" />}
            </AdminField>
            <AdminField id="report-owners" label="Owners" error={e.owners} hint="Owner names, comma-separated.">
              {(a) => <input {...a} type="text" value={f.owners} onInput={text("owners")} autocomplete="off" />}
            </AdminField>
          </div>
          <AdminChoices
            id="report-kinds"
            legend="Kinds"
            options={opts.data?.kinds.enumValues.map((v) => v.name) ?? []}
            value={f.kinds}
            onChange={(v) => set("kinds", v)}
            error={e.kinds}
          />
          <AdminChoices
            id="report-environments"
            legend="Environments"
            options={opts.data?.environments.enumValues.map((v) => v.name) ?? []}
            value={f.environments}
            onChange={(v) => set("environments", v)}
            error={e.environments}
          />
        </fieldset>
        <div class="actions">
          <button type="submit" class="btn b-primary" disabled={m.busy}>
            {m.busy ? "Saving…" : schedule ? "Save the schedule" : "Create the schedule"}
          </button>
          <a class="btn b-plain" href={schedule ? `/admin/reports?schedule=${schedule.id}` : "/admin/reports"}>
            Cancel
          </a>
        </div>
      </form>
    </Section>
  );
}

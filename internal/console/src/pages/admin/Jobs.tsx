// Discovery jobs: the list, one job with its runs, the create and edit
// form, run now and dry run. Every view has its own URL:
//   /admin/jobs[?after=|before=]             the list
//   /admin/jobs?job=ID[&run=RID][&runsAfter=] one job, a run of it
//   /admin/jobs?edit=new | edit=ID           the form
import { useMemo, useState } from "preact/hooks";
import { useLocation } from "preact-iso";
import { handOver, takeOver } from "../../cache";
import {
  AdminCheck,
  AdminChoices,
  AdminConfirm,
  AdminErrorSummary,
  AdminField,
  AdminJSON,
  AdminPager,
  mergeErrors,
  parseJSONObject,
  parseWhole,
  sortErrors,
  splitList,
  type PageInfo,
} from "../../components/AdminForm";
import { AdminRunView, countLine, RunStatus, seconds, type DiscoveryRunFull, type RunCounts } from "../../components/AdminRun";
import { Badge, Empty, ErrorBox, Facts, Loading, Section } from "../../components/ui";
import { dateTime, plural, relative, words } from "../../format";
import { useMutation, useQuery } from "../../hooks";
import JOB from "../../queries/adminJob.graphql";
import CREATE from "../../queries/adminJobCreate.graphql";
import DELETE from "../../queries/adminJobDelete.graphql";
import FIELDS from "../../queries/adminJobFields.graphql";
import FORM from "../../queries/adminJobForm.graphql";
import RUN_JOB from "../../queries/adminJobRun.graphql";
import JOBS from "../../queries/adminJobs.graphql";
import UPDATE from "../../queries/adminJobUpdate.graphql";
import RUN from "../../queries/adminRun.graphql";
import RUN_FIELDS from "../../queries/adminRunFields.graphql";
import { AdminFlash, flash, pageVars, withParams } from "./common";

const PAGE = 25;
const RUNS_PAGE = 10;

interface JobRow {
  id: string;
  name: string;
  sourceKind: string;
  schedule: string | null;
  timeZone: string;
  mode: string;
  enabled: boolean;
  networkScope: string | null;
  nextRuns: string[];
  latest: { edges: { node: { id: string; status: string; dryRun: boolean; startedAt: string; finishedAt: string | null; error: string | null; counts: RunCounts } }[] };
}

export interface Job {
  id: string;
  name: string;
  sourceKind: string;
  config: Record<string, unknown> | null;
  hasCredentials: boolean;
  schedule: string | null;
  timeZone: string;
  mode: string;
  enabled: boolean;
  createUnregistered: boolean;
  networkScope: string | null;
  maxMissingPercent: number;
  timeoutSeconds: number;
  missingGrace: number;
  retireAfter: number;
  priority: number;
  staleAfterHours: number;
  fieldPriorities: Record<string, number> | null;
  scope: { targets: string[]; kinds: string[]; environments: string[]; tags: string[] };
  nextRuns: string[];
  createdAt: string;
  updatedAt: string;
}

interface RunRow {
  id: string;
  status: string;
  trigger: string;
  dryRun: boolean;
  startedAt: string;
  finishedAt: string | null;
  duration: number | null;
  error: string | null;
  counts: RunCounts;
  hostErrors: { host: string }[];
}

export function JobsTab() {
  const { query } = useLocation();
  if (query.edit === "new") return <JobForm />;
  if (query.edit) return <JobEdit id={query.edit} />;
  if (query.job) return <JobDetail id={query.job} runId={query.run} runsAfter={query.runsAfter} />;
  return <JobList after={query.after} before={query.before} />;
}

function JobList({ after, before }: { after?: string; before?: string }) {
  const { data, error, loading } = useQuery<{
    discoveryJobs: { totalCount: number; pageInfo: PageInfo; edges: { node: JobRow }[] };
  }>(JOBS, pageVars(PAGE, after, before), false, { keepPrevious: true });
  const conn = data?.discoveryJobs;
  return (
    <>
      <AdminFlash />
      <Section
        title="Discovery jobs"
        id="jobs"
        actions={
          <a class="btn b-primary" href="/admin/jobs?edit=new">
            New discovery job
          </a>
        }
      >
        {error ? <ErrorBox error={error} /> : null}
        {loading && !data ? <Loading what="Loading the jobs" /> : null}
        {conn ? (
          conn.edges.length ? (
            <>
              <p class="small muted">{plural(conn.totalCount, "job")}</p>
              <div class="table-wrap">
                <table class="table admin-table">
                  <thead>
                    <tr>
                      <th scope="col">Name</th>
                      <th scope="col">Source</th>
                      <th scope="col">Schedule</th>
                      <th scope="col">Mode</th>
                      <th scope="col">State</th>
                      <th scope="col">Last run</th>
                    </tr>
                  </thead>
                  <tbody>
                    {conn.edges.map(({ node: j }) => {
                      const last = j.latest.edges[0]?.node;
                      return (
                        <tr key={j.id}>
                          <th scope="row">
                            <a href={`/admin/jobs?job=${j.id}`}>{j.name}</a>
                            {j.networkScope ? <div class="small muted">scope {j.networkScope}</div> : null}
                          </th>
                          <td>
                            <code>{j.sourceKind}</code>
                          </td>
                          <td>
                            <Schedule schedule={j.schedule} tz={j.timeZone} next={j.nextRuns[0]} />
                          </td>
                          <td>{words(j.mode)}</td>
                          <td>{j.enabled ? <Badge tone="ok">enabled</Badge> : <Badge>disabled</Badge>}</td>
                          <td>
                            {last ? (
                              <>
                                <RunStatus status={last.status} dry={last.dryRun} />{" "}
                                <a href={`/admin/jobs?job=${j.id}&run=${last.id}`} title={dateTime(last.startedAt)}>
                                  {relative(last.startedAt) || dateTime(last.startedAt)}
                                </a>
                                <div class="small muted">{countLine(last.counts)}</div>
                                {last.error ? <div class="small admin-clip">{last.error}</div> : null}
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
              <AdminPager info={conn.pageInfo} label="Pages of jobs" href={(p) => withParams("/admin/jobs", p)} />
            </>
          ) : (
            <Empty>
              No discovery job yet. <a href="/admin/jobs?edit=new">Create one</a> to scan a network, read an inventory file or a
              Terraform state.
            </Empty>
          )
        ) : null}
      </Section>
    </>
  );
}

function Schedule({ schedule, tz, next }: { schedule: string | null; tz: string; next?: string }) {
  if (!schedule) return <span class="muted">on demand</span>;
  return (
    <>
      <code>{schedule}</code> {tz !== "UTC" ? <span class="small muted">{tz}</span> : null}
      {next ? <div class="small muted">next {relative(next) || dateTime(next)}</div> : null}
    </>
  );
}

function JobDetail({ id, runId, runsAfter }: { id: string; runId?: string; runsAfter?: string }) {
  const { route } = useLocation();
  const { data, error, loading, reload } = useQuery<{
    node: (Job & { runs: { totalCount: number; pageInfo: PageInfo; edges: { node: RunRow }[] } }) | null;
  }>(FIELDS + JOB, { id, runsFirst: RUNS_PAGE, runsAfter });
  const runJob = useMutation<{ runDiscoveryJob: DiscoveryRunFull }>(RUN_FIELDS + RUN_JOB);
  const del = useMutation<{ deleteDiscoveryJob: string }>(DELETE);
  const [dry, setDry] = useState<DiscoveryRunFull>();
  const [running, setRunning] = useState<"" | "run" | "dry">("");
  const [said, setSaid] = useState("");

  const job = data?.node;
  if (loading && !data) return <Loading what="Loading the job" />;
  if (error) return <ErrorBox error={error} />;
  if (!job || !("sourceKind" in job)) {
    return (
      <>
        <BackToJobs />
        <Empty>No discovery job has the ID {id}: it may have been deleted.</Empty>
      </>
    );
  }

  const start = async (isDry: boolean) => {
    setRunning(isDry ? "dry" : "run");
    setSaid(isDry ? "Dry run started: waiting for it to finish…" : "Run started: waiting for it to finish…");
    setDry(undefined);
    try {
      const { runDiscoveryJob: run } = await runJob.run({ id: job.id, dryRun: isDry });
      const what = `${isDry ? "Dry run" : "Run"} ${words(run.status)}: ${plural(run.changes.length, isDry ? "planned change" : "change")}.`;
      setSaid(what);
      if (isDry) {
        setDry(run);
      } else {
        handOver(`run:${run.id}`, run);
        route(`/admin/jobs?job=${job.id}&run=${run.id}`);
        reload();
      }
    } catch {
      setSaid("");
      // A run that outlived the request may still have been recorded.
      if (!isDry) reload();
    } finally {
      setRunning("");
    }
  };
  const remove = async () => {
    try {
      await del.run({ id: job.id });
      flash(`Deleted the discovery job ${job.name}.`);
      route("/admin/jobs");
    } catch {
      // shown below
    }
  };

  return (
    <>
      <BackToJobs />
      <AdminFlash />
      <Section
        title={job.name}
        id="job"
        actions={
          <>
            <button type="button" class="btn b-primary" id="job-run" disabled={!!running} onClick={() => start(false)}>
              {running === "run" ? "Running…" : "Run now"}
            </button>
            <button type="button" class="btn b-plain" id="job-dry-run" disabled={!!running} onClick={() => start(true)}>
              {running === "dry" ? "Dry run…" : "Dry run"}
            </button>
            <a class="btn b-plain" href={`/admin/jobs?edit=${job.id}`}>
              Edit
            </a>
            <AdminConfirm
              id="job-delete"
              label="Delete"
              busy={del.busy}
              question={
                <>
                  Delete the discovery job <strong>{job.name}</strong>? Its runs go with it; the CIs it found stay.
                </>
              }
              confirm="Delete the job"
              onConfirm={remove}
            />
          </>
        }
      >
        <p role="status" aria-live="polite" class="admin-said">
          {said}
        </p>
        <ErrorBox error={runJob.error} title="The run could not start" />
        <ErrorBox error={del.error} title="The job was not deleted" />
        <JobFacts job={job} />
      </Section>
      {dry ? (
        <Section title="Dry run result" id="dry-run">
          <AdminRunView run={dry} title={`Dry run of ${dateTime(dry.startedAt)}`} />
        </Section>
      ) : null}
      {runId ? <RunDetail id={runId} jobId={job.id} /> : null}
      <Section title="Runs" id="runs">
        {job.runs.edges.length ? (
          <>
            <p class="small muted">{plural(job.runs.totalCount, "run")}, newest first</p>
            <div class="table-wrap">
              <table class="table admin-table">
                <thead>
                  <tr>
                    <th scope="col">Started</th>
                    <th scope="col">Status</th>
                    <th scope="col">Trigger</th>
                    <th scope="col" class="num">
                      Took
                    </th>
                    <th scope="col">Counts</th>
                    <th scope="col">Error</th>
                  </tr>
                </thead>
                <tbody>
                  {job.runs.edges.map(({ node: r }) => (
                    <tr key={r.id} class={r.id === runId ? "admin-current" : undefined}>
                      <th scope="row">
                        <a href={`/admin/jobs?job=${job.id}&run=${r.id}`} aria-current={r.id === runId ? "true" : undefined}>
                          {dateTime(r.startedAt)}
                        </a>
                      </th>
                      <td>
                        <RunStatus status={r.status} dry={r.dryRun} />
                      </td>
                      <td>{words(r.trigger)}</td>
                      <td class="num">{seconds(r.duration)}</td>
                      <td class="small">
                        {countLine(r.counts)}
                        {r.hostErrors.length ? <div class="t-bad">{plural(r.hostErrors.length, "host error")}</div> : null}
                      </td>
                      <td class="small admin-clip">{r.error ?? ""}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
            <nav class="admin-pager" aria-label="Pages of runs">
              {runsAfter ? <a href={`/admin/jobs?job=${job.id}`}>← Newest runs</a> : <span />}
              {job.runs.pageInfo.hasNextPage && job.runs.pageInfo.endCursor ? (
                <a href={withParams("/admin/jobs", { job: job.id, runsAfter: job.runs.pageInfo.endCursor })}>Older runs →</a>
              ) : null}
            </nav>
          </>
        ) : (
          <Empty>Never run. “Run now” runs it at once; “Dry run” shows what it would change, changing nothing.</Empty>
        )}
      </Section>
    </>
  );
}

function BackToJobs() {
  return (
    <p class="admin-back">
      <a href="/admin/jobs">← All discovery jobs</a>
    </p>
  );
}

function JobFacts({ job }: { job: Job }) {
  const s = job.scope;
  return (
    <Facts
      rows={[
        ["Source kind", <code>{job.sourceKind}</code>],
        ["State", job.enabled ? <Badge tone="ok">enabled</Badge> : <Badge>disabled</Badge>],
        ["Mode", words(job.mode) + (job.mode === "REPORT" ? " (opens drifts, changes no record)" : " (updates records)")],
        [
          "Schedule",
          job.schedule ? (
            <>
              <code>{job.schedule}</code> ({job.timeZone})
              {job.nextRuns.length ? <span class="muted"> · next {job.nextRuns.map((t) => dateTime(t)).join(", ")}</span> : null}
            </>
          ) : (
            "on demand only"
          ),
        ],
        ["Targets", s.targets.length ? s.targets.map((t) => <code class="admin-chip">{t}</code>) : null],
        ["Kinds", s.kinds.length ? s.kinds.map(words).join(", ") : "any"],
        ["Environments", s.environments.length ? s.environments.map(words).join(", ") : "any"],
        ["Tags", s.tags.length ? s.tags.join(", ") : null],
        ["Network scope", job.networkScope || "global"],
        ["Configuration", <AdminJSON value={job.config} label="Configuration" />],
        ["Credentials", job.hasCredentials ? "stored (sealed; never shown)" : "none"],
        ["Create unregistered", job.createUnregistered ? "yes: unseen things become DISCOVERED CIs" : "no: they open unregistered drifts"],
        ["Missing guard", job.maxMissingPercent ? `hold a run as partial when it would mark over ${job.maxMissingPercent} % missing` : "off"],
        ["Missing after", plural(job.missingGrace, "complete run")],
        ["Retire after", job.retireAfter ? plural(job.retireAfter, "further run") : "never"],
        ["Priority", String(job.priority)],
        ["Field priorities", job.fieldPriorities && Object.keys(job.fieldPriorities).length ? <AdminJSON value={job.fieldPriorities} label="Field priorities" /> : null],
        ["Stale after", job.staleAfterHours ? `${job.staleAfterHours} h` : "never"],
        ["Timeout", `${job.timeoutSeconds} s`],
        ["Updated", dateTime(job.updatedAt)],
      ]}
    />
  );
}

function RunDetail({ id, jobId }: { id: string; jobId: string }) {
  const handed = useMemo(() => takeOver<DiscoveryRunFull>(`run:${id}`), [id]);
  const { data, error, loading } = useQuery<{ node: DiscoveryRunFull | null }>(RUN_FIELDS + RUN, { id }, !!handed);
  const run = handed ?? data?.node ?? null;
  return (
    <Section title="Run" id="run" actions={<a href={`/admin/jobs?job=${jobId}`}>Close</a>}>
      {loading && !run ? <Loading what="Loading the run" /> : null}
      {error ? <ErrorBox error={error} /> : null}
      {!loading && !error && !run ? <Empty>No run has the ID {id}.</Empty> : null}
      {run && "status" in run ? <AdminRunView run={run} title={`Run of ${dateTime(run.startedAt)}`} /> : null}
    </Section>
  );
}

function JobEdit({ id }: { id: string }) {
  const { data, error, loading } = useQuery<{ node: Job | null }>(FIELDS + JOB, { id, runsFirst: 0 });
  if (loading && !data) return <Loading what="Loading the job" />;
  if (error) return <ErrorBox error={error} />;
  if (!data?.node || !("sourceKind" in data.node)) return <Empty>No discovery job has the ID {id}.</Empty>;
  return <JobForm job={data.node} />;
}

// ---- the form ----

interface FormState {
  name: string;
  sourceKind: string;
  config: string;
  credentials: string;
  clearCredentials: boolean;
  schedule: string;
  timeZone: string;
  mode: string;
  enabled: boolean;
  createUnregistered: boolean;
  networkScope: string;
  maxMissingPercent: string;
  timeoutSeconds: string;
  missingGrace: string;
  retireAfter: string;
  priority: string;
  staleAfterHours: string;
  fieldPriorities: string;
  targets: string;
  kinds: string[];
  environments: string[];
  tags: string;
}

function stateOf(job?: Job): FormState {
  return {
    name: job?.name ?? "",
    sourceKind: job?.sourceKind ?? "",
    config: job?.config && Object.keys(job.config).length ? JSON.stringify(job.config, null, 2) : "",
    credentials: "",
    clearCredentials: false,
    schedule: job?.schedule ?? "",
    timeZone: job?.timeZone ?? "UTC",
    mode: job?.mode ?? "REPORT",
    enabled: job?.enabled ?? true,
    createUnregistered: job?.createUnregistered ?? false,
    networkScope: job?.networkScope ?? "",
    maxMissingPercent: String(job?.maxMissingPercent ?? 50),
    timeoutSeconds: String(job?.timeoutSeconds ?? 600),
    missingGrace: String(job?.missingGrace ?? 1),
    retireAfter: String(job?.retireAfter ?? 0),
    priority: String(job?.priority ?? 50),
    staleAfterHours: String(job?.staleAfterHours ?? 0),
    fieldPriorities: job?.fieldPriorities && Object.keys(job.fieldPriorities).length ? JSON.stringify(job.fieldPriorities, null, 2) : "",
    targets: job?.scope.targets.join("\n") ?? "",
    kinds: job?.scope.kinds ?? [],
    environments: job?.scope.environments ?? [],
    tags: job?.scope.tags.join(", ") ?? "",
  };
}

const numbers: [keyof FormState & string, number, number][] = [
  ["maxMissingPercent", 0, 100],
  ["timeoutSeconds", 1, 86400],
  ["missingGrace", 1, 1000],
  ["retireAfter", 0, 1000],
  ["priority", 0, 1000],
  ["staleAfterHours", 0, 1_000_000],
];

/** The API input from the form, or the fields the form itself refuses. */
function inputOf(f: FormState): { input: Record<string, unknown>; errors: Record<string, string> } {
  const errors: Record<string, string> = {};
  const input: Record<string, unknown> = {
    name: f.name.trim(),
    sourceKind: f.sourceKind,
    schedule: f.schedule.trim(),
    timeZone: f.timeZone.trim() || "UTC",
    mode: f.mode,
    enabled: f.enabled,
    createUnregistered: f.createUnregistered,
    networkScope: f.networkScope.trim(),
    scope: { targets: splitList(f.targets), kinds: f.kinds, environments: f.environments, tags: splitList(f.tags) },
  };
  const config = parseJSONObject(f.config);
  if (config.error) errors.config = config.error;
  else input.config = config.value ?? {};
  const prios = parseJSONObject(f.fieldPriorities);
  if (prios.error) errors.fieldPriorities = prios.error;
  else input.fieldPriorities = prios.value ?? {};
  for (const [k, min, max] of numbers) {
    const n = parseWhole(f[k] as string, min, max);
    if (n.error) errors[k] = n.error;
    else input[k] = n.value;
  }
  if (f.credentials.trim()) {
    const creds = parseJSONObject(f.credentials);
    if (creds.error) errors.credentials = creds.error;
    else if (creds.value && Object.values(creds.value).some((v) => typeof v !== "string"))
      errors.credentials = "every credential must be a string";
    else input.credentials = creds.value;
  }
  return { input, errors };
}

/** Only what changed, so an edit never rewrites what the admin did not touch. */
function changed(before: Record<string, unknown>, after: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(after)) {
    if (JSON.stringify(v) !== JSON.stringify(before[k])) out[k] = v;
  }
  return out;
}

const labels: Record<string, string> = {
  name: "Name",
  sourceKind: "Source kind",
  config: "Configuration",
  credentials: "Credentials",
  schedule: "Schedule",
  timeZone: "Time zone",
  mode: "Mode",
  enabled: "Enabled",
  createUnregistered: "Create unregistered",
  networkScope: "Network scope",
  maxMissingPercent: "Missing guard",
  timeoutSeconds: "Timeout",
  missingGrace: "Missing after",
  retireAfter: "Retire after",
  priority: "Priority",
  staleAfterHours: "Stale after",
  fieldPriorities: "Field priorities",
  targets: "Targets",
  kinds: "Kinds",
  environments: "Environments",
  tags: "Tags",
};
const alias: Record<string, string> = {
  scope: "targets",
  "scope.targets": "targets",
  "scope.kinds": "kinds",
  "scope.environments": "environments",
  "scope.tags": "tags",
  clearCredentials: "credentials",
};

/** What each source kind reads, with an example configuration and its credentials. */
const kindHelp: Record<string, { what: string; example: Record<string, unknown>; credentials?: string }> = {
  tcpscan: { what: "TCP connect scan of the targets: open ports and banners; needs no root and no nmap.", example: { ports: "22,80,443", connectTimeout: "1s" } },
  "nmap-scan": {
    what: "Runs nmap (a program the operator allows) over the targets.",
    example: { binary: "/usr/bin/nmap", ports: "22,80,443", serviceDetection: true, timeout: "10m" },
  },
  nmap: { what: "Reads an nmap XML report from the discovery directory.", example: { file: "scans/latest.xml" } },
  file: { what: "Reads a CSV, JSON or JSON Lines inventory from the discovery directory.", example: { file: "inventory.csv", format: "csv", kind: "SERVER" } },
  terraform: { what: "Reads a Terraform state (v4) from the discovery directory.", example: { file: "terraform.tfstate" } },
  ssh: {
    what: "Logs in over SSH and runs the inventory script; host keys are checked against known_hosts.",
    example: { user: "cairn", knownHostsFile: "known_hosts" },
    credentials: '{"private_key": "-----BEGIN OPENSSH PRIVATE KEY-----\\n…", "passphrase": "…"} or {"password": "…"}',
  },
  vsphere: {
    what: "Reads a vCenter or ESXi through its API: clusters, ESXi hosts, VMs, datastores, distributed switches, and which VM runs on which host.",
    example: { url: "https://vcenter.example.com/sdk", caFile: "vcenter-ca.pem", datacenters: ["DC1"] },
    credentials: '{"username": "…", "password": "…"}',
  },
  aws: {
    what: "Reads an AWS account per region: EC2, EBS, VPCs, load balancers, RDS, S3, Lambda; converges with Terraform state.",
    example: { regions: ["eu-west-1"], assumeRoleArn: "arn:aws:iam::123456789012:role/cairn-read", expectedIn: ["tf-prod"] },
    credentials: '{"access_key_id": "…", "secret_access_key": "…"}',
  },
  snmp: { what: "Walks SNMP agents (v2c or v3).", example: { version: "2c", port: 161 }, credentials: '{"community": "…"} (v2c) or {"user": "…", "auth_password": "…", "priv_password": "…"} (v3)' },
  node_exporter: { what: "Scrapes Prometheus node_exporter metrics.", example: { port: 9100, path: "/metrics", scheme: "http" }, credentials: '{"username": "…", "password": "…"} (optional, HTTP basic auth)' },
  local: { what: "This machine, the one Cairn runs on.", example: {} },
  push: { what: "Agents push what they see (cairn discover local --job NAME); the job only names and scopes them.", example: {} },
};

function JobForm({ job }: { job?: Job }) {
  const { route } = useLocation();
  const opts = useQuery<{ discoverySourceKinds: string[]; kinds: { enumValues: { name: string }[] }; environments: { enumValues: { name: string }[] } }>(FORM);
  const initial = useMemo(() => stateOf(job), [job]);
  const [f, setF] = useState<FormState>(initial);
  const [local, setLocal] = useState<Record<string, string>>({});
  const [attempt, setAttempt] = useState(0);
  const create = useMutation<{ createDiscoveryJob: Job }>(FIELDS + CREATE);
  const update = useMutation<{ updateDiscoveryJob: Job }>(FIELDS + UPDATE);
  const m = job ? update : create;
  const set = <K extends keyof FormState>(k: K, v: FormState[K]) => setF((s) => ({ ...s, [k]: v }));
  const text = (k: keyof FormState) => (e: Event) => set(k, (e.target as HTMLInputElement).value as never);

  const errs = mergeErrors(local, sortErrors(m.error, Object.keys(labels), alias));
  const e = errs.byField;
  const help = kindHelp[f.sourceKind];

  const submit = async (ev: Event) => {
    ev.preventDefault();
    setAttempt((a) => a + 1);
    m.reset();
    const { input, errors } = inputOf(f);
    setLocal(errors);
    if (Object.keys(errors).length) return;
    try {
      if (job) {
        const body = changed(inputOf(initial).input, input);
        if (f.clearCredentials) body.clearCredentials = true;
        if (!Object.keys(body).length) {
          flash("Nothing changed.");
          route(`/admin/jobs?job=${job.id}`);
          return;
        }
        await update.run({ id: job.id, input: body });
        flash(`Saved the discovery job ${String(input.name)}.`);
        route(`/admin/jobs?job=${job.id}`);
      } else {
        const { createDiscoveryJob: saved } = await create.run({ input });
        flash(`Created the discovery job ${saved.name}. “Dry run” shows what it would change.`);
        route(`/admin/jobs?job=${saved.id}`);
      }
    } catch {
      // m.error holds it; the summary and the fields show it.
    }
  };

  const kinds = opts.data?.discoverySourceKinds ?? (job ? [job.sourceKind] : []);
  return (
    <Section title={job ? `Edit ${job.name}` : "New discovery job"} id="job-form">
      <p class="admin-back">
        <a href={job ? `/admin/jobs?job=${job.id}` : "/admin/jobs"}>← Cancel</a>
      </p>
      <ErrorBox error={opts.error} title="The form's choices could not load" />
      <form class="admin-form" onSubmit={submit} noValidate>
        <AdminErrorSummary errors={errs} labels={labels} prefix="job-" attempt={attempt} title={job ? "The job was not saved" : "The job was not created"} />
        <fieldset>
          <legend>What it runs</legend>
          <AdminField id="job-name" label="Name" error={e.name} hint="Shown in the audit trail as discovery:NAME.">
            {(a) => <input {...a} type="text" required value={f.name} onInput={text("name")} autocomplete="off" />}
          </AdminField>
          <AdminField id="job-sourceKind" label="Source kind" error={e.sourceKind} hint={help?.what}>
            {(a) => (
              <select {...a} required value={f.sourceKind} onChange={text("sourceKind")}>
                <option value="">Choose…</option>
                {kinds.map((k) => (
                  <option key={k} value={k}>
                    {k}
                  </option>
                ))}
              </select>
            )}
          </AdminField>
          <AdminField
            id="job-config"
            label="Configuration (JSON)"
            error={e.config}
            hint={
              <>
                The source's settings as a JSON object; what is left out takes the source's default.
                {help && Object.keys(help.example).length ? (
                  <>
                    {" "}
                    For example <code>{JSON.stringify(help.example)}</code>{" "}
                    {!f.config.trim() ? (
                      <button type="button" class="btn b-plain admin-inline" onClick={() => set("config", JSON.stringify(help.example, null, 2))}>
                        Use this example
                      </button>
                    ) : null}
                  </>
                ) : null}
              </>
            }
          >
            {(a) => (
              <textarea
                {...a}
                rows={6}
                spellcheck={false}
                class="admin-code"
                value={f.config}
                onInput={text("config")}
                onBlur={() => {
                  const c = parseJSONObject(f.config);
                  setLocal((l) => {
                    const { config: _, ...rest } = l;
                    return c.error ? { ...rest, config: c.error } : rest;
                  });
                }}
              />
            )}
          </AdminField>
          <AdminField
            id="job-credentials"
            label="Credentials (JSON, write-only)"
            error={e.credentials}
            hint={
              <>
                {job ? (job.hasCredentials ? "Credentials are stored (sealed); they are never shown. " : "No credentials are stored. ") : null}
                {job?.hasCredentials ? "Leave empty to keep them; what you type replaces them. " : "Leave empty for none. "}
                {help?.credentials ? (
                  <>
                    This source reads <code>{help.credentials}</code>.
                  </>
                ) : null}
              </>
            }
          >
            {(a) => (
              <textarea {...a} rows={3} spellcheck={false} autocomplete="off" class="admin-code admin-secret" value={f.credentials} onInput={text("credentials")} />
            )}
          </AdminField>
          {job?.hasCredentials ? (
            <AdminCheck id="job-clearCredentials" label="Remove the stored credentials" checked={f.clearCredentials} onChange={(v) => set("clearCredentials", v)} />
          ) : null}
        </fieldset>
        <fieldset>
          <legend>When</legend>
          <div class="admin-row">
            <AdminField
              id="job-schedule"
              label="Schedule (cron)"
              error={e.schedule}
              hint={
                <>
                  Five fields (six with seconds), e.g. <code>0 3 * * *</code> for 03:00 daily, or <code>@every 6h</code>. Empty: on
                  demand only.
                </>
              }
            >
              {(a) => <input {...a} type="text" class="admin-code" value={f.schedule} onInput={text("schedule")} autocomplete="off" spellcheck={false} />}
            </AdminField>
            <AdminField id="job-timeZone" label="Time zone" error={e.timeZone} hint="IANA name, e.g. Europe/Amsterdam.">
              {(a) => <input {...a} type="text" value={f.timeZone} onInput={text("timeZone")} autocomplete="off" />}
            </AdminField>
            <AdminField id="job-timeoutSeconds" label="Timeout (seconds)" error={e.timeoutSeconds}>
              {(a) => <input {...a} type="number" min={1} max={86400} value={f.timeoutSeconds} onInput={text("timeoutSeconds")} />}
            </AdminField>
          </div>
          <AdminCheck id="job-enabled" label="Enabled (runs on its schedule)" checked={f.enabled} onChange={(v) => set("enabled", v)} error={e.enabled} />
        </fieldset>
        <fieldset>
          <legend>What it covers</legend>
          <AdminField
            id="job-targets"
            label="Targets"
            error={e.targets}
            hint="Addresses, CIDR ranges and host names, one per line or comma-separated."
          >
            {(a) => <textarea {...a} rows={3} spellcheck={false} class="admin-code" value={f.targets} onInput={text("targets")} />}
          </AdminField>
          <AdminField
            id="job-networkScope"
            label="Network scope"
            error={e.networkScope}
            hint="The site, VRF, VPC or datacenter the private addresses it sees are unique in. Empty: global."
          >
            {(a) => <input {...a} type="text" value={f.networkScope} onInput={text("networkScope")} autocomplete="off" />}
          </AdminField>
          <AdminChoices
            id="job-kinds"
            legend="Kinds it speaks for (none: any)"
            options={opts.data?.kinds.enumValues.map((v) => v.name) ?? []}
            value={f.kinds}
            onChange={(v) => set("kinds", v)}
            error={e.kinds}
          />
          <AdminChoices
            id="job-environments"
            legend="Environments it speaks for (none: any)"
            options={opts.data?.environments.enumValues.map((v) => v.name) ?? []}
            value={f.environments}
            onChange={(v) => set("environments", v)}
            error={e.environments}
          />
          <AdminField id="job-tags" label="Tags" error={e.tags} hint="Comma-separated.">
            {(a) => <input {...a} type="text" value={f.tags} onInput={text("tags")} autocomplete="off" />}
          </AdminField>
        </fieldset>
        <fieldset>
          <legend>How it reconciles</legend>
          <div class="admin-row">
            <AdminField id="job-mode" label="Mode" error={e.mode} hint="Report opens drifts and changes no record; update writes what it sees.">
              {(a) => (
                <select {...a} value={f.mode} onChange={text("mode")}>
                  <option value="REPORT">report</option>
                  <option value="UPDATE">update</option>
                </select>
              )}
            </AdminField>
            <AdminField id="job-priority" label="Priority" error={e.priority} hint="0–1000; people count 100.">
              {(a) => <input {...a} type="number" min={0} max={1000} value={f.priority} onInput={text("priority")} />}
            </AdminField>
            <AdminField id="job-maxMissingPercent" label="Missing guard (%)" error={e.maxMissingPercent} hint="A run that would mark more missing is held as partial; 0: off.">
              {(a) => <input {...a} type="number" min={0} max={100} value={f.maxMissingPercent} onInput={text("maxMissingPercent")} />}
            </AdminField>
          </div>
          <div class="admin-row">
            <AdminField id="job-missingGrace" label="Missing after (runs)" error={e.missingGrace} hint="Complete runs unseen before a missing drift opens.">
              {(a) => <input {...a} type="number" min={1} max={1000} value={f.missingGrace} onInput={text("missingGrace")} />}
            </AdminField>
            <AdminField id="job-retireAfter" label="Retire after (runs)" error={e.retireAfter} hint="Further missing runs before retiring; 0: never.">
              {(a) => <input {...a} type="number" min={0} max={1000} value={f.retireAfter} onInput={text("retireAfter")} />}
            </AdminField>
            <AdminField id="job-staleAfterHours" label="Stale after (hours)" error={e.staleAfterHours} hint="0: never.">
              {(a) => <input {...a} type="number" min={0} value={f.staleAfterHours} onInput={text("staleAfterHours")} />}
            </AdminField>
          </div>
          <AdminCheck
            id="job-createUnregistered"
            label="Create unregistered things as DISCOVERED CIs"
            checked={f.createUnregistered}
            onChange={(v) => set("createUnregistered", v)}
            error={e.createUnregistered}
            hint="Otherwise each opens an unregistered drift."
          />
          <AdminField
            id="job-fieldPriorities"
            label="Field priorities (JSON)"
            error={e.fieldPriorities}
            hint={
              <>
                Field or fact pattern → priority, e.g. <code>{'{"facts.os.*": 80}'}</code>. Empty: none.
              </>
            }
          >
            {(a) => <textarea {...a} rows={2} spellcheck={false} class="admin-code" value={f.fieldPriorities} onInput={text("fieldPriorities")} />}
          </AdminField>
        </fieldset>
        <div class="actions">
          <button type="submit" class="btn b-primary" disabled={m.busy}>
            {m.busy ? "Saving…" : job ? "Save the job" : "Create the job"}
          </button>
          <a class="btn b-plain" href={job ? `/admin/jobs?job=${job.id}` : "/admin/jobs"}>
            Cancel
          </a>
        </div>
      </form>
    </Section>
  );
}

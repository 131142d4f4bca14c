import { Badge, Empty, ErrorBox, Facts, Kind, Loading, Section } from "../components/ui";
import { dateTime, plural, relative, words } from "../format";
import { useQuery, useTitle } from "../hooks";
import DETAILS from "../queries/service-details.graphql";

interface SvcRef {
  id: string;
  name: string;
  tier: number;
}

interface OwnerInfo {
  id: string;
  name: string;
  kind: string;
  email: string | null;
  oncallContact: string | null;
  escalation: string | null;
  chatChannel: string | null;
  team?: Omit<OwnerInfo, "kind" | "email" | "team"> | null;
}

interface Service extends SvcRef {
  description: string | null;
  sloTarget: number | null;
  rtoMinutes: number | null;
  rpoMinutes: number | null;
  runbookURL: string | null;
  createdAt: string;
  updatedAt: string;
  owner: OwnerInfo | null;
  dependsOn: SvcRef[] | null;
  dependents: SvcRef[] | null;
}

interface ImpactNode {
  depth: number;
  via: string;
  service: SvcRef;
}

interface Data {
  node: Service | null;
  members: {
    totalCount: number;
    edges: { node: { id: string; name: string; kind: string; status: string; environment: string; criticality: string; owner: { id: string; name: string } | null } }[];
  };
  needs: { services: ImpactNode[] };
  breaks: { services: ImpactNode[] };
}

/** Members shown on the page; the CI list holds the rest. */
const MEMBERS = 50;

/** /services/:id: the service's levels, owner and on-call, members, the services around it. */
export function ServicePage({ id }: { id: string }) {
  const { data, error, loading } = useQuery<Data>(DETAILS, { id, members: MEMBERS });
  const svc = data?.node && "tier" in data.node ? data.node : null;
  useTitle(svc ? svc.name : "Service");
  if (loading && !data) return <Loading what="Loading the service" />;
  if (error?.code === "NOT_FOUND" || (data && !svc))
    return (
      <div class="page">
        <h1>No such service</h1>
        <Empty>
          No service has the ID {id}. <a href="/list/services">All services</a>
        </Empty>
      </div>
    );
  if (error || !data || !svc) return <div class="page"><ErrorBox error={error} /></div>;
  return <ServiceView svc={svc} data={data} />;
}

/** An on-call contact: a link when it is a web address (a rota), else as written (a phone number). */
const contact = (c: string | null) =>
  c && /^https?:\/\//i.test(c) ? (
    <a href={c} rel="noreferrer noopener" target="_blank">
      {c}
    </a>
  ) : (
    c
  );

const link = (s: SvcRef) => (
  <>
    <a href={`/services/${s.id}`}>{s.name}</a> <Badge tone={s.tier <= 1 ? "bad" : "plain"}>tier {s.tier}</Badge>
  </>
);

function ServiceView({ svc, data }: { svc: Service; data: Data }) {
  const members = data.members;
  const needs = data.needs.services.filter((n) => n.service.id !== svc.id);
  const breaks = data.breaks.services.filter((n) => n.service.id !== svc.id);
  const o = svc.owner;
  return (
    <div class="page svc-page">
      <header class="page-h">
        <div>
          <h1>{svc.name}</h1>
          <p class="sub">
            <Badge tone={svc.tier <= 1 ? "bad" : "plain"}>tier {svc.tier}</Badge>{" "}
            {svc.sloTarget !== null ? <Badge tone="info">SLO {svc.sloTarget}%</Badge> : null}
            <span class="muted small"> · recorded {dateTime(svc.createdAt)} · changed {relative(svc.updatedAt)}</span>
          </p>
        </div>
        <div class="actions">
          <a class="btn b-primary" href={`/services/${svc.id}/map`}>Service map</a>
          <a class="btn b-plain" href={`/list/cis?service=${svc.id}`}>Members in the CI list</a>
        </div>
      </header>
      {svc.description ? <p>{svc.description}</p> : null}
      <div class="grid">
        <Section title="Service levels" id="levels">
          <Facts
            rows={[
              ["Tier", `${svc.tier} (0 is the most critical)`],
              ["SLO", svc.sloTarget !== null ? `${svc.sloTarget}% availability` : null],
              ["RTO", svc.rtoMinutes !== null ? `${svc.rtoMinutes} minutes` : null],
              ["RPO", svc.rpoMinutes !== null ? `${svc.rpoMinutes} minutes` : null],
              [
                "Runbook",
                svc.runbookURL ? (
                  /^https?:\/\//i.test(svc.runbookURL) ? (
                    <a href={svc.runbookURL} rel="noreferrer noopener" target="_blank">
                      {svc.runbookURL}
                    </a>
                  ) : (
                    svc.runbookURL
                  )
                ) : null,
              ],
            ]}
          />
        </Section>
        <Section title="Owner and on call" id="owner">
          {o ? (
            <>
              <Facts
                rows={[
                  ["Owner", <strong>{o.name}</strong>],
                  ["On call", contact(o.oncallContact)],
                  ["Escalation", o.escalation],
                  ["Chat", o.chatChannel],
                  ["Email", o.email ? <a href={`mailto:${o.email}`}>{o.email}</a> : null],
                ]}
              />
              {o.team ? (
                <>
                  <h3>Team {o.team.name}</h3>
                  <Facts rows={[["On call", contact(o.team.oncallContact)], ["Escalation", o.team.escalation], ["Chat", o.team.chatChannel]]} />
                </>
              ) : null}
            </>
          ) : (
            <Empty>No owner recorded: this service has nobody to call.</Empty>
          )}
        </Section>
        <Section title="Impact" id="impact" actions={<a href={`/services/${svc.id}/map`}>Map</a>}>
          <ul class="svc-counts">
            <li>
              <strong>{breaks.length}</strong> {breaks.length === 1 ? "service breaks" : "services break"} with it
            </li>
            <li>
              <strong>{needs.length}</strong> {needs.length === 1 ? "service" : "services"} it needs
            </li>
            <li>
              <strong>{members.totalCount}</strong> member {members.totalCount === 1 ? "CI" : "CIs"}
            </li>
          </ul>
          <ImpactList title="What breaks with it" nodes={breaks} none="No other service depends on it." />
          <ImpactList title="What it needs" nodes={needs} none="It needs no other service." />
        </Section>
      </div>
      <div class="grid">
        <Section title="Depends on" id="depends-on">
          {svc.dependsOn?.length ? (
            <ul class="rows">
              {svc.dependsOn.map((s) => (
                <li key={s.id}>{link(s)}</li>
              ))}
            </ul>
          ) : (
            <Empty>No service dependency recorded.</Empty>
          )}
        </Section>
        <Section title="Depended on by" id="dependents">
          {svc.dependents?.length ? (
            <ul class="rows">
              {svc.dependents.map((s) => (
                <li key={s.id}>{link(s)}</li>
              ))}
            </ul>
          ) : (
            <Empty>No service records a dependency on it.</Empty>
          )}
        </Section>
      </div>
      <Section
        title={`Members (${members.totalCount})`}
        id="members"
        actions={members.totalCount > members.edges.length ? <a href={`/list/cis?service=${svc.id}`}>All {members.totalCount} in the CI list</a> : null}
      >
        {members.edges.length ? (
          <div class="table-wrap ci-scroll">
            <table class="table">
              <caption class="sr-only">Member CIs of {svc.name}</caption>
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Kind</th>
                  <th scope="col">Status</th>
                  <th scope="col">Environment</th>
                  <th scope="col">Criticality</th>
                  <th scope="col">Owner</th>
                </tr>
              </thead>
              <tbody>
                {members.edges.map(({ node: c }) => (
                  <tr key={c.id}>
                    <th scope="row" class="list-rowhead">
                      <a href={`/ci/${c.id}`}>{c.name}</a>{" "}
                      <a class="small" href={`/ci/${c.id}/details`}>
                        details<span class="sr-only"> of {c.name}</span>
                      </a>
                    </th>
                    <td><Kind kind={c.kind} /></td>
                    <td>{words(c.status)}</td>
                    <td>{words(c.environment)}</td>
                    <td>{words(c.criticality)}</td>
                    <td>{c.owner?.name ?? <span class="muted">—</span>}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        ) : (
          <Empty>No member CI.</Empty>
        )}
        {members.totalCount > members.edges.length ? (
          <p class="muted small">
            Showing the first {plural(members.edges.length, "member")} by name.
          </p>
        ) : null}
      </Section>
    </div>
  );
}

function ImpactList({ title, nodes, none }: { title: string; nodes: ImpactNode[]; none: string }) {
  return (
    <>
      <h3>{title}</h3>
      {nodes.length ? (
        <ul class="rows">
          {[...nodes]
            .sort((a, b) => a.depth - b.depth || a.service.name.localeCompare(b.service.name))
            .map((n) => (
              <li key={n.service.id}>
                {link(n.service)}{" "}
                <span class="muted small">
                  {n.depth === 1 ? "directly" : `${n.depth} hops away`}, {n.via === "SERVICE" ? "service link" : "through member CIs"}
                </span>
              </li>
            ))}
        </ul>
      ) : (
        <Empty>{none}</Empty>
      )}
    </>
  );
}

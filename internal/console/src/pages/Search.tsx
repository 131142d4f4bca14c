import { useEffect } from "preact/hooks";
import { useLocation } from "preact-iso";
import { handOver } from "../cache";
import { hitHref, type LookupHit } from "../components/SearchBox";
import { Empty, ErrorBox, Kind, Loading } from "../components/ui";
import { words } from "../format";
import { useQuery, useTitle } from "../hooks";
import FRAGMENT from "../queries/fragments/incident.graphql";
import RESOLVE from "../queries/resolve.graphql";
import RESOLVE_MORE from "../queries/resolve-more.graphql";
import LOOKUP from "../queries/lookup.graphql";
import type { CIRef, IncidentContext } from "../types";

const query = FRAGMENT + RESOLVE;

interface Answer {
  incidentContext: IncidentContext | null;
}

interface More {
  whyNoMatch: string | null;
  lookup: LookupHit[];
}

/**
 * What Enter in the search box opens: the incident view of the one CI the
 * input names, or every alternative when it names several (never one of
 * them picked), or why nothing matched and what the input resembles.
 */
export function SearchPage() {
  const { query: params, route } = useLocation();
  const q = (params.q ?? "").trim();
  const scope = params.scope?.trim() || undefined;
  useTitle(q ? `Search: ${q}` : "Search");
  const first = useQuery<Answer>(query, { identifier: q, scope }, q === "");
  const ic = first.data?.incidentContext;
  const none = !!first.data && !ic;
  const more = useQuery<More>(RESOLVE_MORE, { identifier: q, scope }, !none);
  const data = none ? more.data : undefined;
  // Several CIs match: a service may bear the input as its name (a service
  // is no CI, so the match leaves it out). Asked only then, so that the
  // common case (one host) stays one request.
  const ambiguous = !!ic?.ambiguous;
  const named = useQuery<{ lookup: LookupHit[] }>(LOOKUP, { query: q, first: 20 }, !ambiguous);
  const services = sameName(q, (ambiguous ? named.data?.lookup : data?.lookup) ?? []);
  const error = first.error ?? more.error ?? named.error;
  const loading = first.loading || (none && more.loading) || (ambiguous && named.loading);

  const single = ic && !ic.ambiguous ? ic : null;
  // Nothing matched: open what resembles it when that is one thing, or the
  // one service of exactly that name.
  const onlyHit = data ? (data.lookup.length === 1 ? data.lookup[0] : services.length === 1 ? services[0] : null) : null;
  useEffect(() => {
    if (single) {
      handOver(`ci:${single.ci.id}`, single);
      route(`/ci/${single.ci.id}`, true);
    } else if (onlyHit) {
      route(hitHref(onlyHit), true);
    }
  }, [single, onlyHit]);

  if (!q) return <Page q={q}>Type what the alert said into the search box.</Page>;
  if (loading || single || onlyHit) return <Page q={q}><Loading what="Looking" /></Page>;
  if (error) return <Page q={q}><ErrorBox error={error} /></Page>;
  if (ic?.ambiguous) {
    const all: CIRef[] = [ic.ci, ...ic.alternatives];
    return (
      <Page q={q}>
        <p class="notice" role="status">
          <strong>Ambiguous:</strong> {all.length} CIs match {words(ic.matchedBy)} <code>{ic.matchedValue}</code>
          {ic.matchedScope ? ` in scope ${ic.matchedScope}` : ""} equally well
          {services.length ? <>, and {services.length === 1 ? "a service has" : `${services.length} services have`} that name</> : ""}. Cairn will not
          pick one for you
          {ic.matchedBy === "IP" && !scope ? "; add the network scope (site, VRF, VPC) to narrow it" : ""}.
        </p>
        {services.length ? (
          <>
            <h2>{services.length === 1 ? "Service" : "Services"}</h2>
            <ul class="rows search-services">
              {services.map((h) => (
                <li key={h.service!.id}>
                  <a href={hitHref(h)}>{h.service!.name}</a> <span class="badge">service</span> <span class="muted">tier {h.service!.tier}</span>
                </li>
              ))}
            </ul>
            <h2>CIs</h2>
          </>
        ) : null}
        <CIList cis={all} />
      </Page>
    );
  }
  if (!data) return null;
  return (
    <Page q={q}>
      <p class="notice" role="status">
        <strong>Nothing matches exactly.</strong> {data.whyNoMatch ?? "No CI has that identifier or name."}
      </p>
      {data.lookup.length ? (
        <>
          <h2>Similar</h2>
          <ul class="rows">
            {data.lookup.map((h) => (
              <li key={`${h.type}-${h.ci?.id ?? h.service?.id}`}>
                <a href={hitHref(h)}>{h.ci?.name ?? h.service?.name}</a> {h.ci ? <Kind kind={h.ci.kind} /> : <span class="badge">service</span>}{" "}
                <span class="muted">
                  {words(h.matchedBy)} {h.matchedValue}
                </span>
              </li>
            ))}
          </ul>
        </>
      ) : (
        <Empty>No CI or service resembles it either.</Empty>
      )}
    </Page>
  );
}

function Page({ q, children }: { q: string; children: preact.ComponentChildren }) {
  return (
    <div class="page">
      <h1>
        Search{q ? <>: <q>{q}</q></> : null}
      </h1>
      {children}
    </div>
  );
}

/** The services among the hits whose name is the input (case aside). */
function sameName(q: string, hits: LookupHit[]): LookupHit[] {
  const want = q.toLowerCase();
  return hits.filter((h) => h.service && h.service.name.toLowerCase() === want);
}

function CIList({ cis }: { cis: CIRef[] }) {
  // A phone scrolls the table, not the page: a region a keyboard can reach.
  return (
    <div class="table-wrap" tabIndex={0} role="region" aria-label="Matching CIs">
    <table class="table">
      <caption class="sr-only">Matching CIs</caption>
      <thead>
        <tr>
          <th scope="col">Name</th>
          <th scope="col">Kind</th>
          <th scope="col">Environment</th>
          <th scope="col">Status</th>
          <th scope="col">FQDN</th>
        </tr>
      </thead>
      <tbody>
        {cis.map((c) => (
          <tr key={c.id}>
            <td>
              <a href={`/ci/${c.id}`}>{c.name}</a>
            </td>
            <td>
              <Kind kind={c.kind} />
            </td>
            <td>{words(c.environment)}</td>
            <td>{words(c.status)}</td>
            <td>{c.fqdn ?? "—"}</td>
          </tr>
        ))}
      </tbody>
    </table>
    </div>
  );
}

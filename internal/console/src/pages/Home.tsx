import { ErrorBox, Kind, Loading, Section } from "../components/ui";
import { words } from "../format";
import { useQuery, useTitle } from "../hooks";
import HOME from "../queries/home.graphql";

interface HomeData {
  critical: { totalCount: number; edges: { node: { id: string; name: string; kind: string; environment: string; owner: { name: string } | null } }[] };
  cis: { totalCount: number };
  services: { totalCount: number };
  drifts: { totalCount: number };
}

export function Home() {
  useTitle("");
  const { data, error, loading } = useQuery<HomeData>(HOME);
  return (
    <div class="page">
      <h1>What is it, who owns it, what breaks?</h1>
      <p class="lead">
        Paste what the alert said into the search box above — a host name, FQDN, IP address, MAC (any notation), serial,
        asset tag, cloud ID, or a CI or service name — and press Enter. Press <kbd>/</kbd> from anywhere to get back to it.
      </p>
      {error ? <ErrorBox error={error} /> : null}
      {loading && !data ? <Loading /> : null}
      {data ? (
        <>
          <ul class="stats" aria-label="The estate">
            <li><a href="/list/cis"><strong>{data.cis.totalCount}</strong> configuration items</a></li>
            <li><a href="/list/services"><strong>{data.services.totalCount}</strong> services</a></li>
            <li><a href="/drifts"><strong>{data.drifts.totalCount}</strong> open drifts</a></li>
          </ul>
          <Section title="Critical CIs" id="critical">
            {data.critical.edges.length ? (
              <ul class="rows">
                {data.critical.edges.map(({ node: c }) => (
                  <li key={c.id}>
                    <a href={`/ci/${c.id}`}>{c.name}</a> <Kind kind={c.kind} /> <span class="muted">{words(c.environment)} · {c.owner?.name ?? "no owner"}</span>
                  </li>
                ))}
              </ul>
            ) : (
              <p>No active critical CI.</p>
            )}
          </Section>
        </>
      ) : null}
    </div>
  );
}

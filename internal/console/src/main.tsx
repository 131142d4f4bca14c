import { render, type ComponentType } from "preact";
import { ErrorBoundary, LocationProvider, Route, Router, lazy, useLocation } from "preact-iso";
import type { ApiError } from "./api";
import "./styles.css";
import { Layout } from "./components/Layout";
import { ErrorBox, Loading } from "./components/ui";
import { useTitle } from "./hooks";
import { SessionProvider, useSession } from "./session";
import { Home } from "./pages/Home";
import { SearchPage } from "./pages/Search";
import { IncidentPage } from "./pages/Incident";
import { SignIn } from "./pages/SignIn";
import { NotFound } from "./pages/NotFound";
import { ListPage } from "./pages/List";
import { CIPage } from "./pages/CI";
import { ServicePage } from "./pages/Service";
import { HealthPage } from "./pages/Health";

// Pages that draw graphs or charts load their libraries only when opened.
const GraphPage = lazy(() => import("./pages/Graph").then((m) => m.GraphPage));
const DriftPage = lazy(() => import("./pages/Drifts").then((m) => m.DriftPage));
const FinancePage = lazy(() => import("./pages/Finance").then((m) => m.FinancePage));
const AdminPage = lazy(() => import("./pages/Admin").then((m) => m.AdminPage));
const IncidentsPage = lazy(() => import("./pages/Incidents").then((m) => m.IncidentsPage));
const IncidentDetailPage = lazy(() => import("./pages/IncidentDetail").then((m) => m.IncidentDetailPage));
const AlertsPage = lazy(() => import("./pages/Alerts").then((m) => m.AlertsPage));

/**
 * The page remounted for each record: the router reuses a page's
 * component when only :id changes, which would keep one record's state
 * (an open editor, a drawn graph) under another's address.
 */
function byID<P extends { id: string }>(Page: ComponentType<P>): ComponentType<P> {
  return (props: P) => <Page key={props.id} {...props} />;
}
const IncidentByID = byID(IncidentPage);
const CIByID = byID(CIPage);
const ServiceByID = byID(ServicePage);
const GraphByID = byID(GraphPage);
const IncidentDetailByID = byID(IncidentDetailPage);

/** The first question to the API failed: say why, and offer to ask again. */
function Unreachable({ error, retry }: { error: ApiError; retry: () => void }) {
  useTitle("Cairn did not answer");
  return (
    <div class="page narrow">
      <h1>Cairn did not answer</h1>
      <ErrorBox error={error} title="The console could not ask Cairn who you are" />
      <p>
        <button type="button" class="btn b-primary" onClick={retry}>
          Retry
        </button>
      </p>
    </div>
  );
}

/** The token this tab held was refused; the console reads anonymously. */
function TokenRefused() {
  const { dismissTokenRefused } = useSession();
  const { url } = useLocation();
  return (
    <p class="notice" role="alert">
      Cairn refused the token this tab held (revoked or expired), so it was forgotten: you are reading anonymously, read only.{" "}
      <a href={`/signin?next=${encodeURIComponent(url)}`}>Sign in again</a>{" "}
      <button type="button" class="btn b-plain" onClick={dismissTokenRefused}>
        Dismiss
      </button>
    </p>
  );
}

function Routes() {
  const { viewer, needsToken, error, retry, tokenRefused } = useSession();
  if (!viewer) return error ? <Unreachable error={error} retry={retry} /> : <Loading what="Connecting to Cairn" />;
  if (needsToken) return <SignIn required />;
  return (
    <ErrorBoundary>
      {tokenRefused && !viewer.authenticated ? <TokenRefused /> : null}
      <Router>
        <Route path="/" component={Home} />
        <Route path="/search" component={SearchPage} />
        <Route path="/signin" component={SignIn} />
        <Route path="/ci/:id" component={IncidentByID} />
        <Route path="/ci/:id/graph" component={GraphByID} />
        <Route path="/ci/:id/details" component={CIByID} />
        <Route path="/services/:id" component={ServiceByID} />
        <Route path="/services/:id/map" component={GraphByID} />
        <Route path="/list/:kind" component={ListPage} />
        <Route path="/incidents" component={IncidentsPage} />
        <Route path="/incidents/:id" component={IncidentDetailByID} />
        <Route path="/alerts" component={AlertsPage} />
        <Route path="/drifts" component={DriftPage} />
        <Route path="/finance" component={FinancePage} />
        <Route path="/health" component={HealthPage} />
        <Route path="/admin" component={AdminPage} />
        <Route path="/admin/:tab" component={AdminPage} />
        <Route default component={NotFound} />
      </Router>
    </ErrorBoundary>
  );
}

function App() {
  return (
    <LocationProvider>
      <SessionProvider>
        <Layout>
          <Routes />
        </Layout>
      </SessionProvider>
    </LocationProvider>
  );
}

render(<App />, document.getElementById("app")!);

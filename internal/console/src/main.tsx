import { render } from "preact";
import { ErrorBoundary, LocationProvider, Route, Router, lazy } from "preact-iso";
import "./styles.css";
import { Layout } from "./components/Layout";
import { Loading } from "./components/ui";
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

function Routes() {
  const { viewer, needsToken } = useSession();
  if (!viewer) return <Loading what="Connecting to Cairn" />;
  if (needsToken) return <SignIn required />;
  return (
    <ErrorBoundary>
      <Router>
        <Route path="/" component={Home} />
        <Route path="/search" component={SearchPage} />
        <Route path="/signin" component={SignIn} />
        <Route path="/ci/:id" component={IncidentPage} />
        <Route path="/ci/:id/graph" component={GraphPage} />
        <Route path="/ci/:id/details" component={CIPage} />
        <Route path="/services/:id" component={ServicePage} />
        <Route path="/services/:id/map" component={GraphPage} />
        <Route path="/list/:kind" component={ListPage} />
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

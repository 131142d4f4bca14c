package server

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/vektah/gqlparser/v2/ast"

	"github.com/cairn-cmdb/cairn/ent/asset"
	"github.com/cairn-cmdb/cairn/ent/changerecord"
	"github.com/cairn-cmdb/cairn/ent/configurationitem"
	"github.com/cairn-cmdb/cairn/ent/contract"
	"github.com/cairn-cmdb/cairn/ent/discoveryjob"
	"github.com/cairn-cmdb/cairn/ent/drift"
	"github.com/cairn-cmdb/cairn/ent/identifier"
	"github.com/cairn-cmdb/cairn/ent/location"
	"github.com/cairn-cmdb/cairn/ent/owner"
	"github.com/cairn-cmdb/cairn/ent/service"
	"github.com/cairn-cmdb/cairn/ent/vendor"
	"github.com/cairn-cmdb/cairn/internal/graphwalk"
	"github.com/cairn-cmdb/cairn/internal/report"
	"github.com/cairn-cmdb/cairn/internal/store"
)

// The cost model. A unit of cost is about one row read or one value
// written: a field costs 1 plus the work its resolver does once per parent
// (rows it reads that it does not return: a walk, a roll-up, a scan), plus
// its children times the rows it returns. Rows returned come from
// first/last on connections, from the database's real cardinality on plain
// list edges (the most children any parent has, measured at start-up and
// every StatsInterval), and from the bounds the domain code keeps elsewhere.

// listEstimate is the smallest row count a plain list is priced at, and
// the price of lists whose length nothing bounds better (small in-memory
// lists of one row: webhooks, deliveries, evidence).
const listEstimate = 10

// Bounds of lists that the domain keeps but does not export.
const (
	// maxRunChanges is reconcile's default cap on a run's change list.
	maxRunChanges = 1000
	// maxRunHostErrors prices a run's host errors (one per failed host).
	maxRunHostErrors = 1000
	// maxMatches prices the CIs one identifier names (incident
	// alternatives, a duplicate identifier's CIs).
	maxMatches = 100
	// maxFieldChanges prices an audit event's changed fields, and a CI's
	// provenance entries.
	maxFieldChanges = 64
	// maxSmallEnum prices lists with one row per enum value (CI kinds,
	// drift kinds).
	maxSmallEnum = 16
	// entityHistory prices configurationItemAt, which replays one CI's
	// audit trail.
	entityHistory = 1000
	// statementWork prices one indexed statement (about 0.1 ms, where a
	// unit, one row returned, is a few µs).
	statementWork = 50
	// scanWork prices a resolver that runs several statements over whole
	// tables (roll-ups, health, summaries, searches: 2-10 ms on the demo
	// estate), on top of the rows it reads.
	scanWork = 2000
)

// listEdge is a plain list edge that ent loads from a table: the columns
// holding the parent's ID (both ends of a self-referencing join table).
type listEdge struct {
	field   string
	table   string
	columns []string
}

// listEdges are the schema's plain list edges over ent tables.
func listEdges() []listEdge {
	return []listEdge{
		{"ConfigurationItem.identifiers", configurationitem.IdentifiersTable, []string{configurationitem.IdentifiersColumn}},
		{"ConfigurationItem.outgoing", configurationitem.OutgoingTable, []string{configurationitem.OutgoingColumn}},
		{"ConfigurationItem.incoming", configurationitem.IncomingTable, []string{configurationitem.IncomingColumn}},
		{"ConfigurationItem.drifts", configurationitem.DriftsTable, []string{configurationitem.DriftsColumn}},
		{"ConfigurationItem.services", configurationitem.ServicesTable, []string{configurationitem.ServicesPrimaryKey[1]}},
		{"ConfigurationItem.contracts", configurationitem.ContractsTable, []string{configurationitem.ContractsPrimaryKey[1]}},
		{"ConfigurationItem.changeRecords", configurationitem.ChangeRecordsTable, []string{configurationitem.ChangeRecordsPrimaryKey[1]}},
		{"ChangeRecord.configurationItems", changerecord.ConfigurationItemsTable, []string{changerecord.ConfigurationItemsPrimaryKey[0]}},
		{"Contract.coveredCis", contract.CoveredCisTable, []string{contract.CoveredCisPrimaryKey[0]}},
		{"Location.children", location.ChildrenTable, []string{location.ChildrenColumn}},
		{"Location.configurationItems", location.ConfigurationItemsTable, []string{location.ConfigurationItemsColumn}},
		{"Owner.configurationItems", owner.ConfigurationItemsTable, []string{owner.ConfigurationItemsColumn}},
		{"Owner.members", owner.MembersTable, []string{owner.MembersColumn}},
		{"Owner.services", owner.ServicesTable, []string{owner.ServicesColumn}},
		{"Service.members", service.MembersTable, []string{service.MembersPrimaryKey[0]}},
		{"Service.dependents", service.DependentsTable, service.DependentsPrimaryKey},
		{"Service.dependsOn", service.DependsOnTable, service.DependsOnPrimaryKey},
		{"Vendor.configurationItems", vendor.ConfigurationItemsTable, []string{vendor.ConfigurationItemsColumn}},
		{"Vendor.contracts", vendor.ContractsTable, []string{vendor.ContractsColumn}},
	}
}

// countedTables are the tables whose row counts price scans and walks.
func countedTables() []string {
	return []string{
		configurationitem.Table, identifier.Table, service.Table, owner.Table, vendor.Table,
		contract.Table, asset.Table, location.Table, drift.Table, discoveryjob.Table,
	}
}

// costStats is what the cost model knows of the database.
type costStats struct {
	// rows counts each countedTables table.
	rows map[string]int
	// fanout is, per listEdges field, the most children one parent has.
	fanout map[string]int
	// lifeMonths is the longest useful life of an asset.
	lifeMonths int
	at         time.Time
}

func (s *costStats) count(table string) int { return max(s.rows[table], 1) }

// listRows prices a plain list edge: its real fan-out, at least
// listEstimate (the estate grows between two measurements).
func (s *costStats) listRows(field string) (int, bool) {
	n, ok := s.fanout[field]
	return max(n, listEstimate), ok
}

// walkRows is the most CIs a walk with limit reaches.
func (s *costStats) walkRows(limit int) int {
	if limit <= 0 {
		limit = graphwalk.DefaultLimit
	}
	return min(limit, s.count(configurationitem.Table)) + 1
}

// costModel keeps costStats fresh: measured when the server starts, then
// again in the background when a request finds them older than interval.
type costModel struct {
	db       *store.DB
	log      *slog.Logger
	interval time.Duration
	stats    atomic.Pointer[costStats]
	busy     atomic.Bool
}

// statsTimeout bounds one measurement.
const statsTimeout = time.Minute

func newCostModel(db *store.DB, interval time.Duration, log *slog.Logger) (*costModel, error) {
	m := &costModel{db: db, log: log, interval: interval}
	ctx, cancel := context.WithTimeout(context.Background(), statsTimeout)
	defer cancel()
	s, err := measure(ctx, db)
	if err != nil {
		return nil, err
	}
	m.stats.Store(s)
	return m, nil
}

// MeasureEstate measures the estate for the cost model now; the server does
// so when it starts and every Config.StatsInterval. Tests call it after
// seeding.
func (s *Server) MeasureEstate(ctx context.Context) error {
	fresh, err := measure(ctx, s.costs.db)
	if err != nil {
		return err
	}
	s.costs.stats.Store(fresh)
	return nil
}

// current returns the latest statistics, starting a new measurement when
// they are stale and none is running.
func (m *costModel) current() *costStats {
	s := m.stats.Load()
	if time.Since(s.at) > m.interval && m.busy.CompareAndSwap(false, true) {
		go func() {
			defer m.busy.Store(false)
			ctx, cancel := context.WithTimeout(context.Background(), statsTimeout)
			defer cancel()
			fresh, err := measure(ctx, m.db)
			if err != nil {
				m.log.Warn("measuring the estate for query costs; keeping the last figures", "err", err)
				return
			}
			m.stats.Store(fresh)
		}()
	}
	return s
}

// measure reads the row counts and list fan-outs of the database.
func measure(ctx context.Context, db *store.DB) (*costStats, error) {
	s := &costStats{rows: map[string]int{}, fanout: map[string]int{}, at: time.Now()}
	one := func(what, query string, dst *int) error {
		var n sql.NullInt64
		if err := db.Reader().QueryRowContext(ctx, query).Scan(&n); err != nil {
			return fmt.Errorf("measuring %s for query costs: %w", what, err)
		}
		*dst = int(n.Int64)
		return nil
	}
	for _, t := range countedTables() {
		var n int
		if err := one(t, "SELECT COUNT(*) FROM "+t, &n); err != nil {
			return nil, err
		}
		s.rows[t] = n
	}
	for _, e := range listEdges() {
		most := 0
		for _, col := range e.columns {
			var n int
			q := fmt.Sprintf("SELECT MAX(n) FROM (SELECT COUNT(*) AS n FROM %s WHERE %s IS NOT NULL GROUP BY %s) g", e.table, col, col)
			if err := one(e.field, q, &n); err != nil {
				return nil, err
			}
			most = max(most, n)
		}
		s.fanout[e.field] = most
	}
	if err := one("asset lives", "SELECT MAX("+asset.FieldUsefulLifeMonths+") FROM "+asset.Table, &s.lifeMonths); err != nil {
		return nil, err
	}
	return s, nil
}

// price is what f costs besides its children: work its resolver does once
// per parent, and rows, how many times its children count. Connections
// (first/last or the default page) and their edges are priced by the
// caller; price covers every other field.
func (c *coster) price(f *ast.Field, args func() map[string]any) (work, rows int) {
	s := c.stats
	parent := ""
	if f.ObjectDefinition != nil {
		parent = f.ObjectDefinition.Name
	}
	intArg := func(name string) int {
		n, _ := toInt(args()[name])
		return n
	}
	switch key := parent + "." + f.Name; key {
	// Walks over relationships: the CIs they reach, then their children once
	// per CI reached.
	case "Query.impact":
		n := s.walkRows(intArg("limit"))
		return statementWork + n, n
	case "IncidentContext.dependents", "IncidentContext.dependencies":
		n := s.walkRows(0)
		return statementWork + n, n
	case "Query.serviceImpact":
		n := s.count(service.Table)
		return scanWork + s.walkRows(0) + n, n
	case "Query.serviceMap":
		n := s.count(service.Table) + s.fanout["Service.members"]
		return scanWork + n, n
	case "Query.dependencyPath":
		n := s.walkRows(0)
		if d := intArg("maxDepth"); d > 0 {
			return statementWork + n, min(d+1, n)
		}
		return statementWork + n, n
	case "Impact.nodes", "Impact.services", "ServiceImpact.services", "ServiceMap.nodes", "ServiceMap.edges",
		"DependencyPath.cis", "DependencyPath.relationships":
		return 0, 1 // counted where the walk is asked for
	// Matching and search.
	case "Query.incidentContext", "Query.configurationItemContext", "Query.whyNoMatch":
		return 4 * statementWork, 1
	case "Query.lookup":
		// Name searches read every CI and service name; rows are first.
		return scanWork + s.count(configurationitem.Table) + s.count(service.Table), 0
	case "Query.duplicateCandidates":
		return scanWork + s.count(identifier.Table) + s.count(configurationitem.Table), 0
	case "Query.configurationItemAt":
		return entityHistory, 1
	case "ConfigurationItemSnapshot.relationships":
		return 0, max(s.fanout["ConfigurationItem.outgoing"]+s.fanout["ConfigurationItem.incoming"], listEstimate)
	case "IncidentContext.alternatives", "DuplicateIdentifier.configurationItems":
		return 0, maxMatches
	case "IncidentContext.services":
		n, _ := s.listRows("ConfigurationItem.services")
		return 0, n
	case "IncidentContext.supportContracts":
		n, _ := s.listRows("ConfigurationItem.contracts")
		return 0, n
	case "IncidentContext.openDrifts":
		n, _ := s.listRows("ConfigurationItem.drifts")
		return 0, n
	case "IncidentContext.recentChanges":
		return 0, listEstimate
	// Roll-ups, reports and health read whole tables.
	case "Query.costRollup":
		work := scanWork + s.count(asset.Table) + s.count(contract.Table) + s.count(configurationitem.Table)
		groups := map[string]string{"SERVICE": service.Table, "OWNER": owner.Table, "VENDOR": vendor.Table, "LOCATION": location.Table, "COST_CENTER": asset.Table}
		t, ok := groups[fmt.Sprint(args()["groupBy"])]
		if !ok {
			t = asset.Table
		}
		return work, s.count(t) + 1
	case "Query.expiringContracts":
		return scanWork + s.count(contract.Table), s.count(contract.Table)
	case "Query.cmdbHealth", "Mutation.runReportSchedule":
		return scanWork + s.count(configurationitem.Table) + s.count(identifier.Table) + s.count(contract.Table) + s.count(asset.Table) + s.count(drift.Table), 1
	case "Query.driftSummary":
		return scanWork + s.count(drift.Table), 1
	case "CMDBHealth.completeness", "DriftSummary.byKind":
		return 0, maxSmallEnum
	case "CMDBHealth.orphanSample", "CMDBHealth.duplicates":
		return 0, report.SampleSize
	case "CMDBHealth.failingJobs", "DriftSummary.byJob":
		return 0, s.count(discoveryjob.Table)
	case "DriftSummary.byService":
		return 0, s.count(service.Table) + 1
	// Lists kept in a row.
	case "DiscoveryRun.changes":
		return statementWork, maxRunChanges
	case "DiscoveryRun.hostErrors":
		return 0, maxRunHostErrors
	case "AuditEvent.changes", "ConfigurationItem.provenance":
		return 0, maxFieldChanges
	case "Asset.depreciationSchedule":
		n := max(s.lifeMonths, 12) + 1
		if fmt.Sprint(args()["period"]) == "YEAR" {
			n = n/12 + 2
		}
		return n, n
	case "Query.nodes":
		ids, _ := args()["ids"].([]any)
		return 0, max(len(ids), 1)
	default:
		if n, ok := s.listRows(key); ok {
			return 0, n
		}
	}
	if f.Definition != nil && f.Definition.Type.Elem != nil {
		return 0, listEstimate
	}
	return 0, 1
}

// pricedLists names every list field price knows, for the test that keeps
// the schema and the model in step.
func pricedLists() map[string]bool {
	out := map[string]bool{}
	for _, e := range listEdges() {
		out[e.field] = true
	}
	for _, k := range []string{
		"Impact.nodes", "Impact.services", "ServiceImpact.services", "ServiceMap.nodes", "ServiceMap.edges",
		"DependencyPath.cis", "DependencyPath.relationships", "ConfigurationItemSnapshot.relationships",
		"IncidentContext.alternatives", "DuplicateIdentifier.configurationItems", "IncidentContext.services",
		"IncidentContext.supportContracts", "IncidentContext.openDrifts", "IncidentContext.recentChanges",
		"Query.costRollup", "Query.expiringContracts", "Query.lookup", "Query.duplicateCandidates", "Query.nodes",
		"CMDBHealth.completeness", "DriftSummary.byKind", "CMDBHealth.orphanSample", "CMDBHealth.duplicates",
		"CMDBHealth.failingJobs", "DriftSummary.byJob", "DriftSummary.byService",
		"DiscoveryRun.changes", "DiscoveryRun.hostErrors", "AuditEvent.changes", "ConfigurationItem.provenance",
		"Asset.depreciationSchedule",
		// Small lists kept in one row, priced at listEstimate.
		"ReportRun.deliveries", "ReportSchedule.webhooks", "DuplicateCandidate.evidence", "MergePlan.conflicts", "MergePlan.moves",
	} {
		out[k] = true
	}
	return out
}

package server

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/vektah/gqlparser/v2/ast"

	"github.com/cairn-cmdb/cairn/ent/alert"
	"github.com/cairn-cmdb/cairn/ent/asset"
	"github.com/cairn-cmdb/cairn/ent/changerecord"
	"github.com/cairn-cmdb/cairn/ent/configurationitem"
	"github.com/cairn-cmdb/cairn/ent/contract"
	"github.com/cairn-cmdb/cairn/ent/discoveryjob"
	"github.com/cairn-cmdb/cairn/ent/drift"
	"github.com/cairn-cmdb/cairn/ent/identifier"
	"github.com/cairn-cmdb/cairn/ent/incident"
	"github.com/cairn-cmdb/cairn/ent/location"
	"github.com/cairn-cmdb/cairn/ent/owner"
	"github.com/cairn-cmdb/cairn/ent/service"
	"github.com/cairn-cmdb/cairn/ent/vendor"
	"github.com/cairn-cmdb/cairn/internal/alerts/correlate"
	"github.com/cairn-cmdb/cairn/internal/graphwalk"
	"github.com/cairn-cmdb/cairn/internal/report"
	"github.com/cairn-cmdb/cairn/internal/store"
)

// The cost model. A unit of cost is about one row read or one value
// written: a field costs 1 plus the work its resolver does once per parent
// (rows it reads that it does not return: a walk, a roll-up, a scan), plus
// its children times the rows it returns. Rows returned come from
// first/last on connections, from the database's real cardinality on plain
// list edges, and from the bounds the domain code keeps elsewhere.
//
// Real cardinality: for each plain list edge the model measures (at
// start-up and every StatsInterval) how many children the parents with the
// most children have together: the largest 1, 2, 5, 10, 20, 50… fan-outs
// summed. P parents of a list then return at most the sum of the largest P
// fan-outs, which is what a field costs them per parent on average: one CI
// costs its edge's largest fan-out (the core switch's thousands of
// dependents), a page of 1,000 CIs the average of the 1,000 largest, never
// 1,000 times the largest. Each sum is taken at the largest checkpoint at
// or below P, whose average is at least that of the largest P: the price
// stays an upper bound.

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
	// estate), on top of the rows it reads (scanned).
	scanWork = 2000
	// rowsPerScanUnit is how many rows a statement scans (or aggregates)
	// for the price of one row returned.
	rowsPerScanUnit = 10
)

// scanned prices reading whole tables of rows rows.
func scanned(rows ...int) int {
	n := 0
	for _, r := range rows {
		n = satAdd(n, r)
	}
	return scanWork + n/rowsPerScanUnit
}

// listEdge is a plain list edge that ent loads from a table: the columns
// holding the parent's ID (both ends of a self-referencing join table), and
// whether each child has one parent (one-to-many: a foreign key in the
// child's table), so that the children of distinct parents are distinct.
type listEdge struct {
	field     string
	table     string
	columns   []string
	oneParent bool
}

// listEdges are the schema's plain list edges over ent tables.
func listEdges() []listEdge {
	return []listEdge{
		{"ConfigurationItem.identifiers", configurationitem.IdentifiersTable, []string{configurationitem.IdentifiersColumn}, true},
		{"ConfigurationItem.outgoing", configurationitem.OutgoingTable, []string{configurationitem.OutgoingColumn}, true},
		{"ConfigurationItem.incoming", configurationitem.IncomingTable, []string{configurationitem.IncomingColumn}, true},
		{"ConfigurationItem.drifts", configurationitem.DriftsTable, []string{configurationitem.DriftsColumn}, true},
		{"ConfigurationItem.services", configurationitem.ServicesTable, []string{configurationitem.ServicesPrimaryKey[1]}, false},
		{"ConfigurationItem.contracts", configurationitem.ContractsTable, []string{configurationitem.ContractsPrimaryKey[1]}, false},
		{"ConfigurationItem.changeRecords", configurationitem.ChangeRecordsTable, []string{configurationitem.ChangeRecordsPrimaryKey[1]}, false},
		{"ChangeRecord.configurationItems", changerecord.ConfigurationItemsTable, []string{changerecord.ConfigurationItemsPrimaryKey[0]}, false},
		{"Contract.coveredCis", contract.CoveredCisTable, []string{contract.CoveredCisPrimaryKey[0]}, false},
		{"Location.children", location.ChildrenTable, []string{location.ChildrenColumn}, true},
		{"Location.configurationItems", location.ConfigurationItemsTable, []string{location.ConfigurationItemsColumn}, true},
		{"Owner.configurationItems", owner.ConfigurationItemsTable, []string{owner.ConfigurationItemsColumn}, true},
		{"Owner.members", owner.MembersTable, []string{owner.MembersColumn}, true},
		{"Owner.services", owner.ServicesTable, []string{owner.ServicesColumn}, true},
		{"Service.members", service.MembersTable, []string{service.MembersPrimaryKey[0]}, false},
		{"Service.dependents", service.DependentsTable, service.DependentsPrimaryKey, false},
		{"Service.dependsOn", service.DependsOnTable, service.DependsOnPrimaryKey, false},
		{"Vendor.configurationItems", vendor.ConfigurationItemsTable, []string{vendor.ConfigurationItemsColumn}, true},
		{"Vendor.contracts", vendor.ContractsTable, []string{vendor.ContractsColumn}, true},
		{"Incident.alerts", incident.AlertsTable, []string{incident.AlertsColumn}, true},
		{"Incident.configurationItems", incident.ConfigurationItemsTable, []string{incident.ConfigurationItemsPrimaryKey[0]}, false},
		{"Incident.services", incident.ServicesTable, []string{incident.ServicesPrimaryKey[0]}, false},
		{"Incident.mergedFrom", incident.MergedFromTable, []string{incident.MergedFromColumn}, true},
		{"ChangeRecord.causedIncidents", changerecord.CausedIncidentsTable, []string{changerecord.CausedIncidentsColumn}, true},
	}
}

// countedTables are the tables whose row counts price scans and walks.
func countedTables() []string {
	return []string{
		configurationitem.Table, identifier.Table, service.Table, owner.Table, vendor.Table,
		contract.Table, asset.Table, location.Table, drift.Table, discoveryjob.Table,
		incident.Table, alert.Table, changerecord.Table,
	}
}

// parentScales is the number of checkpoints: the numbers of parents whose
// largest fan-outs are summed, 1, 2, 5, 10, 20, 50… up to 5·10^9
// (scaleParents).
const parentScales = 30

// scaleParents is the checkpoint of a scale: 1, 2, 5, 10, 20, 50…
func scaleParents(scale int) int {
	n := [3]int{1, 2, 5}[scale%3]
	for range scale / 3 {
		n *= 10
	}
	return n
}

// measuredFanouts is how many of the largest fan-outs measure reads of one
// edge; beyond them, every further parent is counted at the last one read.
const measuredFanouts = 10_000

// parentScale is the scale of the largest checkpoint at or below parents.
func parentScale(parents int) int {
	scale := 0
	for scale+1 < parentScales && scaleParents(scale+1) <= parents {
		scale++
	}
	return scale
}

// fanout is one list edge's measure: top[scale] sums the largest
// scaleParents(scale) fan-outs.
type fanout struct{ top []int }

// perParent is the most children one of parents parents has on average:
// the largest fan-outs of the checkpoint at or below parents, averaged.
func (f fanout) perParent(parents int) int {
	if len(f.top) == 0 {
		return 0
	}
	scale := parentScale(max(parents, 1))
	n := scaleParents(scale)
	return (f.top[scale] + n - 1) / n
}

// fanoutOf sums sorted (the largest fan-outs, largest first, at most
// measuredFanouts of them; complete when fewer) at every checkpoint.
func fanoutOf(sorted []int, total int) fanout {
	f := fanout{top: make([]int, parentScales)}
	sum, j := 0, 0
	for i := range parentScales {
		n := scaleParents(i)
		for j < len(sorted) && j < n {
			sum += sorted[j]
			j++
		}
		top := sum
		if n > len(sorted) && len(sorted) == measuredFanouts {
			// More parents than were read: each further one has at most
			// the last fan-out read, and all of them the edge's total.
			top = min(total, satAdd(sum, satMul(n-len(sorted), sorted[len(sorted)-1])))
		}
		f.top[i] = top
	}
	return f
}

// costStats is what the cost model knows of the database.
type costStats struct {
	// rows counts each countedTables table.
	rows map[string]int
	// fanout measures each listEdges field.
	fanout map[string]fanout
	// oneParent names the one-to-many listEdges fields.
	oneParent map[string]bool
	// lifeMonths is the longest useful life of an asset.
	lifeMonths int
	at         time.Time
}

func (s *costStats) count(table string) int { return max(s.rows[table], 1) }

// most is the largest fan-out of a list edge.
func (s *costStats) most(field string) int { return s.fanout[field].perParent(1) }

// listRows prices a plain list edge at a level: the largest fan-out when
// its parents may repeat (all of them may be the one with the most), the
// average of the largest fan-outs of that many when they are distinct rows;
// at least listEstimate (the estate grows between two measurements).
func (s *costStats) listRows(field string, at level) (int, bool) {
	f, ok := s.fanout[field]
	if !at.distinct {
		return max(f.perParent(1), listEstimate), ok
	}
	return max(f.perParent(at.parents), listEstimate), ok
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
	s := &costStats{rows: map[string]int{}, fanout: map[string]fanout{}, oneParent: map[string]bool{}, at: time.Now()}
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
		// Both ends of a self-referencing join table: the larger fan-out of
		// each rank, and the larger total.
		var sorted []int
		total := 0
		for _, col := range e.columns {
			var n int
			if err := one(e.field, fmt.Sprintf("SELECT COUNT(*) FROM %s WHERE %s IS NOT NULL", e.table, col), &n); err != nil {
				return nil, err
			}
			total = max(total, n)
			q := fmt.Sprintf("SELECT COUNT(*) AS n FROM %s WHERE %s IS NOT NULL GROUP BY %s ORDER BY n DESC LIMIT %d", e.table, col, col, measuredFanouts)
			i := 0
			err := store.EachRow(ctx, db.Reader(), "measuring "+e.field+" for query costs", q, nil, func(rows *sql.Rows) error {
				var n int
				if err := rows.Scan(&n); err != nil {
					return err
				}
				if i < len(sorted) {
					sorted[i] = max(sorted[i], n)
				} else {
					sorted = append(sorted, n)
				}
				i++
				return nil
			})
			if err != nil {
				return nil, err
			}
		}
		s.fanout[e.field] = fanoutOf(sorted, total)
		s.oneParent[e.field] = e.oneParent
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
func (c *coster) price(f *ast.Field, args func() map[string]any, at level) (work, rows int, distinct bool) {
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
		return statementWork + n, n, false
	case "IncidentContext.dependents", "IncidentContext.dependencies":
		n := s.walkRows(0)
		return statementWork + n, n, false
	case "Query.serviceImpact":
		n := s.count(service.Table)
		return scanned(n) + s.walkRows(0), n, false
	case "Query.serviceMap":
		n := s.count(service.Table) + s.most("Service.members")
		return scanned(n), n, false
	case "Query.dependencyPath":
		n := s.walkRows(0)
		if d := intArg("maxDepth"); d > 0 {
			return statementWork + n, min(d+1, n), false
		}
		return statementWork + n, n, false
	case "Impact.nodes", "Impact.services", "ServiceImpact.services", "ServiceMap.nodes", "ServiceMap.edges",
		"DependencyPath.cis", "DependencyPath.relationships":
		return 0, 1, false // counted where the walk is asked for
	// Matching and search.
	case "Query.incidentContext", "Query.configurationItemContext", "Query.whyNoMatch":
		return 4 * statementWork, 1, false
	case "Query.lookup":
		// Name searches read every CI and service name; rows are first.
		return scanned(s.count(configurationitem.Table), s.count(service.Table)), 0, false
	case "Query.softwareInstallations":
		// Every installation of the package (about one a CI), filtered by
		// version and sorted in memory before paging.
		return scanned(s.count(configurationitem.Table)), 0, false
	case "Query.duplicateCandidates":
		return scanned(s.count(identifier.Table), s.count(configurationitem.Table)), 0, false
	case "Query.configurationItemAt":
		return entityHistory, 1, false
	case "ConfigurationItemSnapshot.relationships":
		return 0, max(s.most("ConfigurationItem.outgoing")+s.most("ConfigurationItem.incoming"), listEstimate), false
	case "IncidentContext.alternatives", "DuplicateIdentifier.configurationItems":
		return 0, maxMatches, false
	case "IncidentContext.services":
		n, _ := s.listRows("ConfigurationItem.services", level{parents: 1})
		return 0, n, false
	case "IncidentContext.supportContracts":
		n, _ := s.listRows("ConfigurationItem.contracts", level{parents: 1})
		return 0, n, false
	case "IncidentContext.openDrifts":
		n, _ := s.listRows("ConfigurationItem.drifts", level{parents: 1})
		return 0, n, false
	case "IncidentContext.recentChanges":
		return 0, listEstimate, false
	// Roll-ups, reports and health read whole tables.
	case "Query.costRollup":
		work := scanned(s.count(asset.Table), s.count(contract.Table), s.count(configurationitem.Table))
		groups := map[string]string{"SERVICE": service.Table, "OWNER": owner.Table, "VENDOR": vendor.Table, "LOCATION": location.Table, "COST_CENTER": asset.Table}
		t, ok := groups[fmt.Sprint(args()["groupBy"])]
		if !ok {
			t = asset.Table
		}
		return work, s.count(t) + 1, false
	case "Query.expiringContracts":
		return scanned(s.count(contract.Table)), s.count(contract.Table), false
	case "Query.cmdbHealth", "Mutation.runReportSchedule":
		return scanned(s.count(configurationitem.Table), s.count(identifier.Table), s.count(contract.Table), s.count(asset.Table), s.count(drift.Table)), 1, false
	case "Query.driftSummary":
		return scanned(s.count(drift.Table)), 1, false
	case "CMDBHealth.completeness", "DriftSummary.byKind":
		return 0, maxSmallEnum, false
	case "CMDBHealth.orphanSample", "CMDBHealth.duplicates":
		return 0, report.SampleSize, false
	case "CMDBHealth.failingJobs", "DriftSummary.byJob":
		return 0, s.count(discoveryjob.Table), false
	case "DriftSummary.byService":
		return 0, s.count(service.Table) + 1, false
	// Lists kept in a row.
	case "DiscoveryRun.changes":
		return statementWork, maxRunChanges, false
	case "DiscoveryRun.hostErrors":
		return 0, maxRunHostErrors, false
	case "AuditEvent.changes", "ConfigurationItem.provenance":
		return 0, maxFieldChanges, false
	case "Asset.depreciationSchedule":
		n := max(s.lifeMonths, 12) + 1
		if fmt.Sprint(args()["period"]) == "YEAR" {
			n = n/12 + 2
		}
		return n, n, false
	case "Query.nodes":
		ids, _ := args()["ids"].([]any)
		return 0, max(len(ids), 1), false
	// Incidents (internal/alerts): candidates and their paths are kept in
	// the row and their CIs and relationships load once per list
	// (graph.Loaders); the top candidate's impact is a walk per incident.
	case "Incident.rootCauseCandidates":
		return 0, correlate.DefaultMaxCandidates, false
	case "RootCauseCandidate.paths":
		// Kept in the row, at most MaxPaths; a path's CIs and relationships
		// (at most Hops+1 and Hops, loaded once per list) count once per
		// path, as DependencyPath's do.
		return 0, correlate.DefaultMaxPaths, false
	case "Incident.impactedServices":
		n, _ := s.listRows("Incident.services", at)
		return 0, n, false
	case "Incident.topCandidateImpact":
		n := s.walkRows(0)
		return statementWork + n, n, false
	case "Query.operationsKPIs":
		return scanned(s.count(incident.Table), s.count(alert.Table), s.count(changerecord.Table), s.count(service.Table)), 1, false
	case "OperationsKPIs.groups":
		// One per service, owner or probable-cause CI, and one for none.
		return 0, s.count(service.Table) + s.count(owner.Table) + min(s.count(configurationitem.Table), s.count(incident.Table)+s.count(alert.Table)) + 1, false
	case "OperationsKPIs.availability":
		return 0, s.count(service.Table), false
	default:
		if n, ok := s.listRows(key, at); ok {
			return 0, n, at.distinct && s.oneParent[key]
		}
	}
	if f.Definition != nil && f.Definition.Type.Elem != nil {
		return 0, listEstimate, false
	}
	return 0, 1, false
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
		"Incident.rootCauseCandidates", "RootCauseCandidate.paths", "Incident.impactedServices",
		"OperationsKPIs.groups", "OperationsKPIs.availability",
		// Small lists kept in one row, priced at listEstimate.
		"ReportRun.deliveries", "ReportSchedule.webhooks", "DuplicateCandidate.evidence", "MergePlan.conflicts", "MergePlan.moves",
	} {
		out[k] = true
	}
	return out
}

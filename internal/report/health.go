package report

import (
	"context"
	"database/sql"
	"math"
	"sort"
	"time"

	"github.com/cairn-cmdb/cairn/ent"
	"github.com/cairn-cmdb/cairn/internal/finance"
)

// HealthOptions shape a CMDB health report.
type HealthOptions struct {
	// Now is the instant the report is computed for (default: now).
	Now time.Time
	// StaleDays: CIs whose latest sighting by any discovery job is older
	// than this are stale (default 30).
	StaleDays int
	// ExpiringDays: warranties and contracts ending between Now and this
	// many days later are listed (default 30).
	ExpiringDays int
	Scope        Scope
}

// HealthReport is how complete and how current the CMDB is. It covers
// live CIs: every status but RETIRED and DISPOSED.
type HealthReport struct {
	GeneratedAt  time.Time          `json:"generatedAt"`
	StaleDays    int                `json:"staleDays"`
	ExpiringDays int                `json:"expiringDays"`
	TotalCIs     int                `json:"totalCIs"`
	Completeness []KindCompleteness `json:"completeness"`
	// Stale counts CIs discovery has seen, but not within StaleDays;
	// StaleSample lists the SampleSize seen longest ago.
	Stale       int       `json:"stale"`
	StaleSample []StaleCI `json:"staleSample"`
	// NeverSeen counts CIs no discovery job has ever seen.
	NeverSeen int `json:"neverSeen"`
	// Orphans counts CIs with neither an owner nor a service; OrphanSample
	// lists the first SampleSize (by ID), sorted by name.
	Orphans      int     `json:"orphans"`
	OrphanSample []CIRef `json:"orphanSample"`
	// DuplicateIdentifiers counts (kind, value) pairs recorded on more
	// than one CI; Duplicates lists the first SampleSize (by when the
	// identifier was first recorded) with their CIs.
	DuplicateIdentifiers int              `json:"duplicateIdentifiers"`
	Duplicates           []DuplicateGroup `json:"duplicates"`
	// WarrantiesExpiring counts assets whose warranty ends within
	// ExpiringDays; Warranties lists the first SampleSize, soonest first.
	WarrantiesExpiring int        `json:"warrantiesExpiring"`
	Warranties         []Warranty `json:"warranties"`
	// ContractsExpiring counts contracts (any kind) ending within
	// ExpiringDays; Contracts lists the first SampleSize, soonest first.
	ContractsExpiring int           `json:"contractsExpiring"`
	Contracts         []ContractEnd `json:"contracts"`
	// FailingJobs are the enabled discovery jobs whose most recent
	// finished run FAILED or TIMED_OUT.
	FailingJobs []FailingJob `json:"failingJobs"`
}

// KindCompleteness is how complete the records of one CI kind are: counts,
// and the same as shares from 0 to 1 (rounded to 4 decimals).
type KindCompleteness struct {
	Kind              string  `json:"kind"`
	Count             int     `json:"count"`
	WithOwner         int     `json:"withOwner"`
	WithService       int     `json:"withService"`
	WithLocation      int     `json:"withLocation"`
	WithAsset         int     `json:"withAsset"`
	NeverSeen         int     `json:"neverSeen"`
	Stale             int     `json:"stale"`
	Orphans           int     `json:"orphans"`
	WithOwnerShare    float64 `json:"withOwnerShare"`
	WithServiceShare  float64 `json:"withServiceShare"`
	WithLocationShare float64 `json:"withLocationShare"`
	WithAssetShare    float64 `json:"withAssetShare"`
}

// StaleCI is a CI discovery has not seen for too long.
type StaleCI struct {
	CI         CIRef     `json:"ci"`
	LastSeenAt time.Time `json:"lastSeenAt"`
}

// DuplicateGroup is one identifier recorded on several CIs.
type DuplicateGroup struct {
	Kind  string  `json:"kind"`
	Value string  `json:"value"`
	CIs   []CIRef `json:"cis"`
}

// Warranty is an asset warranty ending soon.
type Warranty struct {
	CI          CIRef     `json:"ci"`
	Owner       string    `json:"owner"`
	WarrantyEnd time.Time `json:"warrantyEnd"`
	DaysLeft    int       `json:"daysLeft"`
}

// ContractEnd is a contract ending soon.
type ContractEnd struct {
	ID               int       `json:"id"`
	Number           string    `json:"number"`
	Name             string    `json:"name"`
	Kind             string    `json:"kind"`
	Vendor           string    `json:"vendor"`
	EndDate          time.Time `json:"endDate"`
	DaysLeft         int       `json:"daysLeft"`
	AutoRenew        bool      `json:"autoRenew"`
	NoticePeriodDays int       `json:"noticePeriodDays"`
	CoveredCIs       int       `json:"coveredCIs"`
}

// FailingJob is a discovery job whose last run failed.
type FailingJob struct {
	ID         int    `json:"id"`
	Name       string `json:"name"`
	SourceKind string `json:"sourceKind"`
	// Status is FAILED or TIMED_OUT.
	Status string `json:"status"`
	Error  string `json:"error"`
	// At is when that run finished (when it started if it never did).
	At            time.Time  `json:"at"`
	LastSuccessAt *time.Time `json:"lastSuccessAt"`
}

// Health computes the CMDB health report with a handful of grouped
// queries (for the GraphQL cmdbHealth query and the drift report).
func Health(ctx context.Context, c *ent.Client, o HealthOptions) (*HealthReport, error) {
	return health(ctx, c, o, true)
}

func health(ctx context.Context, c *ent.Client, o HealthOptions, validate bool) (*HealthReport, error) {
	if o.Now.IsZero() {
		o.Now = time.Now()
	}
	o.Now = o.Now.UTC()
	var err error
	if o.StaleDays, err = days("stale days", o.StaleDays, DefaultStaleDays, 100000); err != nil {
		return nil, err
	}
	if o.ExpiringDays, err = days("expiring days", o.ExpiringDays, DefaultExpiringDays, 100000); err != nil {
		return nil, err
	}
	o.Scope = o.Scope.clean()
	if validate {
		if err := validateScope(ctx, c, o.Scope); err != nil {
			return nil, err
		}
	}
	h := &HealthReport{
		GeneratedAt: o.Now, StaleDays: o.StaleDays, ExpiringDays: o.ExpiringDays,
		Completeness: []KindCompleteness{}, StaleSample: []StaleCI{}, OrphanSample: []CIRef{},
		Duplicates: []DuplicateGroup{}, Warranties: []Warranty{}, Contracts: []ContractEnd{}, FailingJobs: []FailingJob{},
	}
	hb := &healthBuilder{c: c, o: o, h: h}
	for _, step := range []func(context.Context) error{hb.completeness, hb.orphans, hb.stale, hb.duplicates, hb.warranties, hb.contracts, hb.failingJobs} {
		if err := step(ctx); err != nil {
			return nil, err
		}
	}
	return h, nil
}

type healthBuilder struct {
	c *ent.Client
	o HealthOptions
	h *HealthReport
}

// live keeps CIs that still exist in the estate.
const live = `ci.status NOT IN ('RETIRED', 'DISPOSED')`

const (
	hasService = `EXISTS (SELECT 1 FROM service_members sm WHERE sm.configuration_item_id = ci.id)`
	isOrphan   = `ci.owner_id IS NULL AND NOT ` + hasService
)

func (hb *healthBuilder) staleCutoff() time.Time {
	return hb.o.Now.AddDate(0, 0, -hb.o.StaleDays)
}

func (hb *healthBuilder) expiryEnd() time.Time {
	return hb.o.Now.AddDate(0, 0, hb.o.ExpiringDays)
}

func share(n, of int) float64 {
	if of == 0 {
		return 0
	}
	return math.Round(float64(n)/float64(of)*10000) / 10000
}

// completeness counts, per kind, CIs with an owner, a service, a location,
// an asset record, a sighting, a recent sighting, and orphans.
func (hb *healthBuilder) completeness(ctx context.Context) error {
	a := &args{}
	q := `SELECT ci.kind, COUNT(*),
  SUM(CASE WHEN ci.owner_id IS NOT NULL THEN 1 ELSE 0 END),
  SUM(CASE WHEN ` + hasService + ` THEN 1 ELSE 0 END),
  SUM(CASE WHEN ci.location_id IS NOT NULL THEN 1 ELSE 0 END),
  SUM(CASE WHEN EXISTS (SELECT 1 FROM assets a WHERE a.configuration_item_id = ci.id) THEN 1 ELSE 0 END),
  SUM(CASE WHEN NOT EXISTS (SELECT 1 FROM sightings sg WHERE sg.configuration_item_id = ci.id) THEN 1 ELSE 0 END),
  SUM(CASE WHEN (SELECT MAX(sg.last_seen_at) FROM sightings sg WHERE sg.configuration_item_id = ci.id) < ` + a.p(hb.staleCutoff()) + ` THEN 1 ELSE 0 END),
  SUM(CASE WHEN ` + isOrphan + ` THEN 1 ELSE 0 END)
FROM configuration_items ci
WHERE ` + live + scopeSQL(hb.o.Scope, a) + `
GROUP BY ci.kind`
	h := hb.h
	err := query(ctx, hb.c, "measuring completeness", q, a, func(rows *sql.Rows) error {
		var k KindCompleteness
		if err := rows.Scan(&k.Kind, &k.Count, &k.WithOwner, &k.WithService, &k.WithLocation, &k.WithAsset, &k.NeverSeen, &k.Stale, &k.Orphans); err != nil {
			return err
		}
		k.WithOwnerShare = share(k.WithOwner, k.Count)
		k.WithServiceShare = share(k.WithService, k.Count)
		k.WithLocationShare = share(k.WithLocation, k.Count)
		k.WithAssetShare = share(k.WithAsset, k.Count)
		h.Completeness = append(h.Completeness, k)
		h.TotalCIs += k.Count
		h.NeverSeen += k.NeverSeen
		h.Stale += k.Stale
		h.Orphans += k.Orphans
		return nil
	})
	sort.Slice(h.Completeness, func(i, j int) bool { return h.Completeness[i].Kind < h.Completeness[j].Kind })
	return err
}

func scanCI(ref *CIRef, id *int, env *sql.NullString) {
	ref.ID = *id
	ref.Environment = str(*env)
}

// orphans lists the first SampleSize orphans by ID, sorted by name.
func (hb *healthBuilder) orphans(ctx context.Context) error {
	if hb.h.Orphans == 0 {
		return nil
	}
	a := &args{}
	q := `SELECT ci.id, ci.name, ci.kind, ci.environment FROM configuration_items ci
WHERE ` + live + ` AND ` + isOrphan + scopeSQL(hb.o.Scope, a) + `
ORDER BY ci.id LIMIT ` + a.p(SampleSize)
	h := hb.h
	err := query(ctx, hb.c, "listing orphan CIs", q, a, func(rows *sql.Rows) error {
		var ref CIRef
		var id int
		var env sql.NullString
		if err := rows.Scan(&id, &ref.Name, &ref.Kind, &env); err != nil {
			return err
		}
		scanCI(&ref, &id, &env)
		h.OrphanSample = append(h.OrphanSample, ref)
		return nil
	})
	sort.SliceStable(h.OrphanSample, func(i, j int) bool { return h.OrphanSample[i].Name < h.OrphanSample[j].Name })
	return err
}

// stale lists the SampleSize CIs seen longest ago.
func (hb *healthBuilder) stale(ctx context.Context) error {
	if hb.h.Stale == 0 {
		return nil
	}
	a := &args{}
	q := `SELECT ci.id, ci.name, ci.kind, ci.environment, m.last FROM configuration_items ci
JOIN (SELECT configuration_item_id, MAX(last_seen_at) AS last FROM sightings GROUP BY configuration_item_id) m
  ON m.configuration_item_id = ci.id
WHERE m.last < ` + a.p(hb.staleCutoff()) + ` AND ` + live + scopeSQL(hb.o.Scope, a) + `
ORDER BY m.last, ci.id LIMIT ` + a.p(SampleSize)
	h := hb.h
	return query(ctx, hb.c, "listing stale CIs", q, a, func(rows *sql.Rows) error {
		var s StaleCI
		var id int
		var env sql.NullString
		var last nullTime
		if err := rows.Scan(&id, &s.CI.Name, &s.CI.Kind, &env, &last); err != nil {
			return err
		}
		scanCI(&s.CI, &id, &env)
		s.LastSeenAt = last.Time
		h.StaleSample = append(h.StaleSample, s)
		return nil
	})
}

// duplicates counts identifiers on several live CIs and lists the first
// SampleSize groups with their CIs, in one statement.
func (hb *healthBuilder) duplicates(ctx context.Context) error {
	a := &args{}
	scope := scopeSQL(hb.o.Scope, a)
	// c groups the identifiers alone, which the (kind, value) index answers
	// without reading the CIs (an identifier is on a CI at most once); only
	// its candidates are checked against the CIs' status and the scope.
	q := `WITH c AS (
  SELECT kind, value FROM identifiers GROUP BY kind, value HAVING COUNT(*) > 1
), g AS (
  SELECT i.kind AS kind, i.value AS value, MIN(i.id) AS first
  FROM c JOIN identifiers i ON i.kind = c.kind AND i.value = c.value
  JOIN configuration_items ci ON ci.id = i.configuration_item_id
  WHERE ` + live + scope + `
  GROUP BY i.kind, i.value
  HAVING COUNT(DISTINCT i.configuration_item_id) > 1
), top AS (
  SELECT kind, value, first FROM g ORDER BY first LIMIT ` + a.p(SampleSize) + `
)
SELECT (SELECT COUNT(*) FROM g), top.kind, top.value, ci.id, ci.name, ci.kind, ci.environment
FROM top
JOIN identifiers i ON i.kind = top.kind AND i.value = top.value
JOIN configuration_items ci ON ci.id = i.configuration_item_id
WHERE ` + live + scope + `
ORDER BY top.first, ci.id`
	h := hb.h
	index := map[[2]string]int{}
	err := query(ctx, hb.c, "finding duplicate identifiers", q, a, func(rows *sql.Rows) error {
		var total, id int
		var kind, value string
		var ref CIRef
		var env sql.NullString
		if err := rows.Scan(&total, &kind, &value, &id, &ref.Name, &ref.Kind, &env); err != nil {
			return err
		}
		scanCI(&ref, &id, &env)
		h.DuplicateIdentifiers = total
		k := [2]string{kind, value}
		i, ok := index[k]
		if !ok {
			i = len(h.Duplicates)
			index[k] = i
			h.Duplicates = append(h.Duplicates, DuplicateGroup{Kind: kind, Value: value})
		}
		h.Duplicates[i].CIs = append(h.Duplicates[i].CIs, ref)
		return nil
	})
	sort.SliceStable(h.Duplicates, func(i, j int) bool {
		if h.Duplicates[i].Kind != h.Duplicates[j].Kind {
			return h.Duplicates[i].Kind < h.Duplicates[j].Kind
		}
		return h.Duplicates[i].Value < h.Duplicates[j].Value
	})
	return err
}

// warranties lists assets whose warranty ends within ExpiringDays.
func (hb *healthBuilder) warranties(ctx context.Context) error {
	a := &args{}
	q := `SELECT ci.id, ci.name, ci.kind, ci.environment, o.name, a.warranty_end, COUNT(*) OVER ()
FROM assets a
JOIN configuration_items ci ON ci.id = a.configuration_item_id
LEFT JOIN owners o ON o.id = ci.owner_id
WHERE a.warranty_end >= ` + a.p(hb.o.Now) + ` AND a.warranty_end <= ` + a.p(hb.expiryEnd()) + ` AND ` + live + scopeSQL(hb.o.Scope, a) + `
ORDER BY a.warranty_end, ci.id LIMIT ` + a.p(SampleSize)
	h := hb.h
	return query(ctx, hb.c, "listing expiring warranties", q, a, func(rows *sql.Rows) error {
		var w Warranty
		var id, total int
		var env, ownerName sql.NullString
		var end nullTime
		if err := rows.Scan(&id, &w.CI.Name, &w.CI.Kind, &env, &ownerName, &end, &total); err != nil {
			return err
		}
		scanCI(&w.CI, &id, &env)
		w.Owner, w.WarrantyEnd, w.DaysLeft = str(ownerName), end.Time, finance.DaysLeft(hb.o.Now, end.Time)
		h.WarrantiesExpiring = total
		h.Warranties = append(h.Warranties, w)
		return nil
	})
}

// contracts lists contracts ending within ExpiringDays; with a scope, those
// covering at least one CI in it.
func (hb *healthBuilder) contracts(ctx context.Context) error {
	a := &args{}
	cond := `c.end_date >= ` + a.p(hb.o.Now) + ` AND c.end_date <= ` + a.p(hb.expiryEnd())
	if !hb.o.Scope.IsZero() {
		cond += ` AND EXISTS (SELECT 1 FROM contract_covered_cis cc JOIN configuration_items ci ON ci.id = cc.configuration_item_id
  WHERE cc.contract_id = c.id AND ` + live + scopeSQL(hb.o.Scope, a) + `)`
	}
	q := `SELECT c.id, c.number, c.name, c.kind, v.name, c.end_date, c.auto_renew, c.notice_period_days,
  (SELECT COUNT(*) FROM contract_covered_cis cc WHERE cc.contract_id = c.id), COUNT(*) OVER ()
FROM contracts c LEFT JOIN vendors v ON v.id = c.vendor_id
WHERE ` + cond + `
ORDER BY c.end_date, c.id LIMIT ` + a.p(SampleSize)
	h := hb.h
	return query(ctx, hb.c, "listing expiring contracts", q, a, func(rows *sql.Rows) error {
		var ce ContractEnd
		var name, vendor sql.NullString
		var end nullTime
		var total int
		if err := rows.Scan(&ce.ID, &ce.Number, &name, &ce.Kind, &vendor, &end, &ce.AutoRenew, &ce.NoticePeriodDays, &ce.CoveredCIs, &total); err != nil {
			return err
		}
		ce.Name, ce.Vendor, ce.EndDate, ce.DaysLeft = str(name), str(vendor), end.Time, finance.DaysLeft(hb.o.Now, end.Time)
		h.ContractsExpiring = total
		h.Contracts = append(h.Contracts, ce)
		return nil
	})
}

// failingJobs finds enabled jobs whose latest finished run failed or timed
// out, reading the runs table once.
func (hb *healthBuilder) failingJobs(ctx context.Context) error {
	a := &args{}
	q := `SELECT j.id, j.name, j.source_kind, r.id, r.status, r.started_at, r.finished_at, r.error,
  (SELECT MAX(s.started_at) FROM discovery_runs s WHERE s.discovery_job_id = j.id AND s.status = 'SUCCEEDED')
FROM discovery_jobs j
JOIN (SELECT discovery_job_id, MAX(started_at) AS last FROM discovery_runs WHERE status <> 'RUNNING' GROUP BY discovery_job_id) l
  ON l.discovery_job_id = j.id
JOIN discovery_runs r ON r.discovery_job_id = j.id AND r.started_at = l.last AND r.status <> 'RUNNING'
WHERE j.enabled
ORDER BY j.id, r.id`
	type last struct {
		job   FailingJob
		runID int
	}
	latest := map[int]*last{}
	var order []int
	err := query(ctx, hb.c, "finding failing discovery jobs", q, a, func(rows *sql.Rows) error {
		var f FailingJob
		var runID int
		var started, finished, success nullTime
		var errText sql.NullString
		if err := rows.Scan(&f.ID, &f.Name, &f.SourceKind, &runID, &f.Status, &started, &finished, &errText, &success); err != nil {
			return err
		}
		f.At = started.Time
		if finished.Valid {
			f.At = finished.Time
		}
		f.Error, f.LastSuccessAt = str(errText), success.ptr()
		if l, ok := latest[f.ID]; ok {
			if runID > l.runID {
				*l = last{f, runID}
			}
			return nil
		}
		latest[f.ID] = &last{f, runID}
		order = append(order, f.ID)
		return nil
	})
	for _, id := range order {
		if f := latest[id].job; f.Status == "FAILED" || f.Status == "TIMED_OUT" {
			hb.h.FailingJobs = append(hb.h.FailingJobs, f)
		}
	}
	sort.SliceStable(hb.h.FailingJobs, func(i, j int) bool { return hb.h.FailingJobs[i].Name < hb.h.FailingJobs[j].Name })
	return err
}

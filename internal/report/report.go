// Package report builds the content of Cairn's scheduled drift report and
// of the CMDB health report, and renders it as Markdown, HTML, JSON or CSV.
// Delivery (files, webhooks) and scheduling live elsewhere.
//
// Build reads everything with a fixed, small number of grouped SQL
// statements, whatever the number of drifts: the summary and its
// breakdowns, the daily trend, the list of drifts, the services each
// drifted CI puts at risk (one recursive query over all of them), and the
// health figures. Nothing is loaded per drift or per CI.
//
// Definitions used throughout (the window is [Since, Until), in UTC):
//
//   - opened: first seen in the window, whatever its status now (ignored
//     ones included; Authorized + Unauthorized + Ignored = Opened);
//   - still open: opened in the window and OPEN or ACKNOWLEDGED now;
//   - resolved / accepted: resolved_at in the window, by status;
//   - new unauthorised drift: opened in the window, not authorised (no
//     approved change covered it) and not IGNORED, of any kind and any
//     status now: the report's main list;
//   - unregistered / missing: drifts of those kinds opened in the window
//     that are still OPEN or ACKNOWLEDGED;
//   - services at risk of a drift: the services its CI belongs to and the
//     services of the CIs that depend on it, up to RiskDepth relationships
//     away.
//
// A scope narrows everything to CIs of the given services, environments,
// kinds and owners (an owner that is a team covers its persons' CIs too);
// a scoped report leaves out drifts that name no CI (unregistered and
// ambiguous observations).
package report

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/cairn-cmdb/cairn/discovery"
	"github.com/cairn-cmdb/cairn/ent"
	"github.com/cairn-cmdb/cairn/ent/configurationitem"
)

// Defaults and limits.
const (
	DefaultTitle        = "Cairn drift report"
	DefaultTrendDays    = 30
	DefaultStaleDays    = 30
	DefaultExpiringDays = 30
	// MaxTrendDays bounds Options.TrendDays.
	MaxTrendDays = 366
	// RiskDepth is how many relationships away from a drifted CI its
	// dependents are followed when listing the services it puts at risk.
	// Past three hops nearly every CI reaches a core switch or a shared
	// storage array and "at risk" stops meaning anything; the cap also
	// bounds the recursive query over thousands of drifted CIs.
	RiskDepth = 3
	// SampleSize is how many items the health lists show (orphans, stale
	// CIs, duplicate groups, expiring warranties and contracts); their
	// counts are always complete.
	SampleSize = 100
)

// Scope narrows a report: service names, environment and kind enum values
// (PRODUCTION, VM, …) and owner names. An empty list means all.
type Scope struct {
	Services     []string `json:"services"`
	Environments []string `json:"environments"`
	Kinds        []string `json:"kinds"`
	Owners       []string `json:"owners"`
}

// IsZero reports whether s selects everything.
func (s Scope) IsZero() bool {
	return len(s.Services) == 0 && len(s.Environments) == 0 && len(s.Kinds) == 0 && len(s.Owners) == 0
}

// clean trims and de-duplicates every list and never leaves one nil, so
// that JSON shows [] rather than null.
func (s Scope) clean() Scope {
	f := func(in []string, upper bool) []string {
		out := []string{}
		seen := map[string]bool{}
		for _, v := range in {
			v = strings.TrimSpace(v)
			if upper {
				v = strings.ToUpper(v)
			}
			if v != "" && !seen[v] {
				seen[v] = true
				out = append(out, v)
			}
		}
		return out
	}
	return Scope{Services: f(s.Services, false), Environments: f(s.Environments, true), Kinds: f(s.Kinds, true), Owners: f(s.Owners, false)}
}

// Options shape a drift report.
type Options struct {
	// Since and Until bound the window [Since, Until). Until defaults to
	// now and Since to 24 hours before Until. The report is "as of" Until:
	// the health section is computed for that instant; statuses ("still
	// open") are the ones stored when the report is built.
	Since, Until time.Time
	Scope        Scope
	// TrendDays is the number of UTC days in the trend, ending with the day
	// of Until (default 30, at most MaxTrendDays).
	TrendDays int
	// StaleDays: a CI discovery last saw longer ago than this is stale
	// (default 30).
	StaleDays int
	// ExpiringDays: warranties and contracts ending within this many days
	// of Until are listed (default 30).
	ExpiringDays int
	// Title heads the report (default DefaultTitle).
	Title string
	// Dialect is "sqlite3" or "postgres". It is optional: the report's SQL
	// runs unchanged on both engines.
	Dialect string
}

func (o Options) normalize() (Options, error) {
	if o.Until.IsZero() {
		o.Until = time.Now()
	}
	o.Until = o.Until.UTC()
	if o.Since.IsZero() {
		o.Since = o.Until.Add(-24 * time.Hour)
	}
	o.Since = o.Since.UTC()
	if !o.Since.Before(o.Until) {
		return o, fmt.Errorf("report window: since (%s) must be before until (%s)", o.Since.Format(time.RFC3339), o.Until.Format(time.RFC3339))
	}
	var err error
	if o.TrendDays, err = days("trend days", o.TrendDays, DefaultTrendDays, MaxTrendDays); err != nil {
		return o, err
	}
	if o.StaleDays, err = days("stale days", o.StaleDays, DefaultStaleDays, 100000); err != nil {
		return o, err
	}
	if o.ExpiringDays, err = days("expiring days", o.ExpiringDays, DefaultExpiringDays, 100000); err != nil {
		return o, err
	}
	if strings.TrimSpace(o.Title) == "" {
		o.Title = DefaultTitle
	}
	switch o.Dialect {
	case "", "sqlite3", "postgres":
	default:
		return o, fmt.Errorf("report: unknown SQL dialect %q (want sqlite3 or postgres)", o.Dialect)
	}
	o.Scope = o.Scope.clean()
	return o, nil
}

func days(what string, v, def, maxV int) (int, error) {
	switch {
	case v == 0:
		return def, nil
	case v < 0 || v > maxV:
		return 0, fmt.Errorf("report: %s must be between 1 and %d, got %d", what, maxV, v)
	}
	return v, nil
}

// Window is the period a report covers, [Since, Until).
type Window struct {
	Since time.Time `json:"since"`
	Until time.Time `json:"until"`
}

// Report is a built drift report.
type Report struct {
	Title  string `json:"title"`
	Window Window `json:"window"`
	Scope  Scope  `json:"scope"`
	// RiskDepth is the depth cap of the services-at-risk walk.
	RiskDepth    int            `json:"riskDepth"`
	Summary      Summary        `json:"summary"`
	Trend        []TrendDay     `json:"trend"`
	Drifts       []Drift        `json:"drifts"`
	Unregistered []Unregistered `json:"unregistered"`
	Missing      []Missing      `json:"missing"`
	// Incidents of the window (alerts correlated into incidents).
	Incidents *Incidents    `json:"incidents"`
	Health    *HealthReport `json:"health"`
}

// Empty reports whether nothing happened in the window: no drift opened,
// resolved or accepted.
func (r *Report) Empty() bool {
	return r.Summary.Opened == 0 && r.Summary.Resolved == 0 && r.Summary.Accepted == 0
}

// Summary counts the window's drifts.
type Summary struct {
	Opened       int `json:"opened"`
	StillOpen    int `json:"stillOpen"`
	Resolved     int `json:"resolved"`
	Accepted     int `json:"accepted"`
	Ignored      int `json:"ignored"`
	Authorized   int `json:"authorized"`
	Unauthorized int `json:"unauthorized"`
	// OpenNow counts every drift first seen before Until that is OPEN or
	// ACKNOWLEDGED now, whenever it was first seen: the backlog.
	OpenNow   int     `json:"openNow"`
	ByKind    []Count `json:"byKind"`
	ByService []Count `json:"byService"`
	ByOwner   []Count `json:"byOwner"`
	ByJob     []Count `json:"byJob"`
}

// Count is one row of a breakdown of the drifts opened in the window.
// Key is "(none)" for drifts without a service, owner or job.
type Count struct {
	Key          string `json:"key"`
	Opened       int    `json:"opened"`
	Unauthorized int    `json:"unauthorized"`
	StillOpen    int    `json:"stillOpen"`
}

// None is the breakdown key of drifts without a service, owner or job.
const None = "(none)"

// TrendDay counts the drifts first seen and resolved (or accepted) on one
// UTC day.
type TrendDay struct {
	Date     string `json:"date"` // 2006-01-02
	Opened   int    `json:"opened"`
	Resolved int    `json:"resolved"`
}

// CIRef names a CI.
type CIRef struct {
	ID          int    `json:"id"`
	Name        string `json:"name"`
	Kind        string `json:"kind"`
	Environment string `json:"environment,omitempty"`
}

// Drift is one new unauthorised drift.
type Drift struct {
	ID     int    `json:"id"`
	Kind   string `json:"kind"`
	Status string `json:"status"`
	// CI is nil for an unregistered or ambiguous observation.
	CI    *CIRef `json:"ci"`
	Field string `json:"field"`
	// Target is the CI at the other end of a relationship drift (field
	// "relationship.TYPE.ID"); nil otherwise or when it no longer exists.
	Target         *CIRef    `json:"target,omitempty"`
	Recorded       string    `json:"recorded"`
	Observed       string    `json:"observed"`
	FirstSeenAt    time.Time `json:"firstSeenAt"`
	LastSeenAt     time.Time `json:"lastSeenAt"`
	Owner          string    `json:"owner"`
	OnCall         string    `json:"onCall"`
	Job            string    `json:"job"`
	ObservationKey string    `json:"observationKey"`
	Identity       string    `json:"identity"`
	// ServicesAtRisk are sorted names.
	ServicesAtRisk []string `json:"servicesAtRisk"`
}

// Identifier is one identifier of an observation.
type Identifier struct {
	Kind  string `json:"kind"`
	Value string `json:"value"`
}

// Unregistered is an open unregistered drift first seen in the window.
type Unregistered struct {
	DriftID        int    `json:"driftId"`
	Status         string `json:"status"`
	ObservationKey string `json:"observationKey"`
	Identity       string `json:"identity"`
	// ObservedKind, ObservedName and Identifiers are read from the
	// observation summary the drift keeps (Observed).
	ObservedKind string       `json:"observedKind"`
	ObservedName string       `json:"observedName"`
	Identifiers  []Identifier `json:"identifiers"`
	Observed     string       `json:"observed"`
	// CI is the CI discovery created with status DISCOVERED, if it did.
	CI          *CIRef    `json:"ci"`
	Job         string    `json:"job"`
	FirstSeenAt time.Time `json:"firstSeenAt"`
	LastSeenAt  time.Time `json:"lastSeenAt"`
}

// Missing is an open missing drift first seen in the window.
type Missing struct {
	DriftID     int       `json:"driftId"`
	Status      string    `json:"status"`
	CI          CIRef     `json:"ci"`
	Authorized  bool      `json:"authorized"`
	Observed    string    `json:"observed"`
	Owner       string    `json:"owner"`
	OnCall      string    `json:"onCall"`
	Job         string    `json:"job"`
	FirstSeenAt time.Time `json:"firstSeenAt"`
	LastSeenAt  time.Time `json:"lastSeenAt"`
}

// Build reads the drift report for o, the health section included.
func Build(ctx context.Context, c *ent.Client, o Options) (*Report, error) {
	o, err := o.normalize()
	if err != nil {
		return nil, err
	}
	if err := validateScope(ctx, c, o.Scope); err != nil {
		return nil, err
	}
	r := &Report{
		Title:        o.Title,
		Window:       Window{Since: o.Since, Until: o.Until},
		Scope:        o.Scope,
		RiskDepth:    RiskDepth,
		Drifts:       []Drift{},
		Unregistered: []Unregistered{},
		Missing:      []Missing{},
	}
	b := &builder{c: c, o: o, r: r}
	for _, step := range []func(context.Context) error{b.summary, b.byService, b.closedAndOpen, b.trend, b.lists, b.targets, b.risk} {
		if err := step(ctx); err != nil {
			return nil, err
		}
	}
	if r.Incidents, err = incidents(ctx, c, o); err != nil {
		return nil, err
	}
	r.Health, err = health(ctx, c, HealthOptions{Now: o.Until, StaleDays: o.StaleDays, ExpiringDays: o.ExpiringDays, Scope: o.Scope}, false)
	if err != nil {
		return nil, err
	}
	return r, nil
}

type builder struct {
	c *ent.Client
	o Options
	r *Report
}

// fromDrifts is the FROM clause shared by the drift queries: each drift
// with its CI (alias ci), for the scope conditions.
const fromDrifts = ` FROM drifts d LEFT JOIN configuration_items ci ON ci.id = d.configuration_item_id`

// inWindow returns the condition "first seen in the window" and the scope.
func (b *builder) inWindow(a *args) string {
	return `d.first_seen_at >= ` + a.p(b.o.Since) + ` AND d.first_seen_at < ` + a.p(b.o.Until) + scopeSQL(b.o.Scope, a)
}

// listed is the condition of the main list: new, unauthorised, not ignored.
const listed = `NOT d.authorized AND d.status <> 'IGNORED'`

func isOpen(status string) bool { return status == "OPEN" || status == "ACKNOWLEDGED" }

type tally map[string]*Count

func (t tally) add(key string, n int, status string, authorized bool) {
	c := t[key]
	if c == nil {
		c = &Count{Key: key}
		t[key] = c
	}
	c.Opened += n
	if status != "IGNORED" && !authorized {
		c.Unauthorized += n
	}
	if isOpen(status) {
		c.StillOpen += n
	}
}

// sorted lists the counts, most opened first, then by key; None last.
func (t tally) sorted() []Count {
	out := make([]Count, 0, len(t))
	for _, c := range t {
		out = append(out, *c)
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if (a.Key == None) != (b.Key == None) {
			return b.Key == None
		}
		if a.Opened != b.Opened {
			return a.Opened > b.Opened
		}
		return a.Key < b.Key
	})
	return out
}

func jobName(job, source sql.NullString) string {
	if job.Valid && job.String != "" {
		return job.String
	}
	if source.Valid && source.String != "" {
		return strings.TrimPrefix(source.String, "discovery:")
	}
	return ""
}

func orNone(s string) string {
	if s == "" {
		return None
	}
	return s
}

// summary counts the drifts opened in the window by kind, status,
// authorisation, owner and job in one grouped query.
func (b *builder) summary(ctx context.Context) error {
	a := &args{}
	q := `SELECT d.kind, d.status, d.authorized, o.name, j.name, d.source, COUNT(*)` + fromDrifts + `
LEFT JOIN owners o ON o.id = ci.owner_id
LEFT JOIN discovery_jobs j ON j.id = d.discovery_job_id
WHERE ` + b.inWindow(a) + `
GROUP BY d.kind, d.status, d.authorized, o.name, j.name, d.source`
	s := &b.r.Summary
	kinds, owners, jobs := tally{}, tally{}, tally{}
	err := query(ctx, b.c, "counting drifts opened in the window", q, a, func(rows *sql.Rows) error {
		var kind, status string
		var authorized bool
		var ownerName, job, source sql.NullString
		var n int
		if err := rows.Scan(&kind, &status, &authorized, &ownerName, &job, &source, &n); err != nil {
			return err
		}
		s.Opened += n
		switch {
		case status == "IGNORED":
			s.Ignored += n
		case authorized:
			s.Authorized += n
		default:
			s.Unauthorized += n
		}
		if isOpen(status) {
			s.StillOpen += n
		}
		kinds.add(kind, n, status, authorized)
		owners.add(orNone(str(ownerName)), n, status, authorized)
		jobs.add(orNone(jobName(job, source)), n, status, authorized)
		return nil
	})
	if err != nil {
		return err
	}
	s.ByKind, s.ByOwner, s.ByJob = kinds.sorted(), owners.sorted(), jobs.sorted()
	return nil
}

// byService counts the drifts opened in the window per service of their
// CI: a CI in two services counts in both.
func (b *builder) byService(ctx context.Context) error {
	a := &args{}
	q := `SELECT s.name, d.status, d.authorized, COUNT(*)` + fromDrifts + `
LEFT JOIN service_members sm ON sm.configuration_item_id = d.configuration_item_id
LEFT JOIN services s ON s.id = sm.service_id
WHERE ` + b.inWindow(a) + `
GROUP BY s.name, d.status, d.authorized`
	t := tally{}
	err := query(ctx, b.c, "counting drifts by service", q, a, func(rows *sql.Rows) error {
		var name sql.NullString
		var status string
		var authorized bool
		var n int
		if err := rows.Scan(&name, &status, &authorized, &n); err != nil {
			return err
		}
		t.add(orNone(str(name)), n, status, authorized)
		return nil
	})
	b.r.Summary.ByService = t.sorted()
	return err
}

// closedAndOpen counts the drifts resolved and accepted in the window and
// the open backlog.
func (b *builder) closedAndOpen(ctx context.Context) error {
	a := &args{}
	since, until := a.p(b.o.Since), a.p(b.o.Until)
	q := `SELECT d.status, COUNT(*)` + fromDrifts + `
WHERE ((d.status IN ('RESOLVED', 'ACCEPTED') AND d.resolved_at >= ` + since + ` AND d.resolved_at < ` + until + `)
    OR (d.status IN ('OPEN', 'ACKNOWLEDGED') AND d.first_seen_at < ` + until + `))` + scopeSQL(b.o.Scope, a) + `
GROUP BY d.status`
	s := &b.r.Summary
	return query(ctx, b.c, "counting closed and open drifts", q, a, func(rows *sql.Rows) error {
		var status string
		var n int
		if err := rows.Scan(&status, &n); err != nil {
			return err
		}
		switch status {
		case "RESOLVED":
			s.Resolved += n
		case "ACCEPTED":
			s.Accepted += n
		default:
			s.OpenNow += n
		}
		return nil
	})
}

// trendStart is the first day of the trend ending with the day of until.
func trendStart(until time.Time, days int) time.Time {
	last := until.Add(-time.Nanosecond).UTC().Truncate(24 * time.Hour)
	return last.AddDate(0, 0, -(days - 1))
}

// trend counts drifts opened and resolved per UTC day in one grouped
// query: the day boundaries are computed here and bound as parameters, so
// the bucketing is the same on both engines.
func (b *builder) trend(ctx context.Context) error {
	n := b.o.TrendDays
	start := trendStart(b.o.Until, n)
	a := &args{}
	from, until := a.p(start), a.p(b.o.Until)
	bounds := make([]string, n-1)
	for i := range bounds {
		bounds[i] = a.p(start.AddDate(0, 0, i+1))
	}
	bucket := func(col string) string {
		if n == 1 {
			return "0"
		}
		var s strings.Builder
		s.WriteString("CASE")
		for i, p := range bounds {
			fmt.Fprintf(&s, " WHEN %s < %s THEN %d", col, p, i)
		}
		fmt.Fprintf(&s, " ELSE %d END", n-1)
		return s.String()
	}
	scope := scopeSQL(b.o.Scope, a)
	q := `SELECT 0, ` + bucket("d.first_seen_at") + `, COUNT(*)` + fromDrifts + `
WHERE d.first_seen_at >= ` + from + ` AND d.first_seen_at < ` + until + scope + `
GROUP BY 2
UNION ALL
SELECT 1, ` + bucket("d.resolved_at") + `, COUNT(*)` + fromDrifts + `
WHERE d.status IN ('RESOLVED', 'ACCEPTED') AND d.resolved_at >= ` + from + ` AND d.resolved_at < ` + until + scope + `
GROUP BY 2`
	days := make([]TrendDay, n)
	for i := range days {
		days[i].Date = start.AddDate(0, 0, i).Format(time.DateOnly)
	}
	err := query(ctx, b.c, "counting the drift trend", q, a, func(rows *sql.Rows) error {
		var what, day, cnt int
		if err := rows.Scan(&what, &day, &cnt); err != nil {
			return err
		}
		if day < 0 || day >= n {
			return fmt.Errorf("day bucket %d out of range", day)
		}
		if what == 0 {
			days[day].Opened += cnt
		} else {
			days[day].Resolved += cnt
		}
		return nil
	})
	b.r.Trend = days
	return err
}

// lists reads the new unauthorised drifts and the open unregistered and
// missing ones in one query.
func (b *builder) lists(ctx context.Context) error {
	a := &args{}
	q := `SELECT d.id, d.kind, d.status, d.authorized, d.field_name, d.recorded, d.observed,
  d.first_seen_at, d.last_seen_at, d.source, d.observation_key, d.identity,
  ci.id, ci.name, ci.kind, ci.environment, o.name, COALESCE(o.oncall_contact, t.oncall_contact), j.name` + fromDrifts + `
LEFT JOIN owners o ON o.id = ci.owner_id
LEFT JOIN owners t ON t.id = o.team_id
LEFT JOIN discovery_jobs j ON j.id = d.discovery_job_id
WHERE ` + b.inWindow(a) + `
  AND ((` + listed + `) OR (d.kind IN ('UNREGISTERED', 'MISSING') AND d.status IN ('OPEN', 'ACKNOWLEDGED')))
ORDER BY d.first_seen_at, d.id`
	r := b.r
	return query(ctx, b.c, "listing drifts", q, a, func(rows *sql.Rows) error {
		var (
			id                                             int
			kind, status                                   string
			authorized                                     bool
			field, recorded, observed, source, obsKey, idn sql.NullString
			first, last                                    nullTime
			ciID                                           sql.NullInt64
			ciName, ciKind, ciEnv, ownerName, onCall, job  sql.NullString
		)
		if err := rows.Scan(&id, &kind, &status, &authorized, &field, &recorded, &observed,
			&first, &last, &source, &obsKey, &idn,
			&ciID, &ciName, &ciKind, &ciEnv, &ownerName, &onCall, &job); err != nil {
			return err
		}
		var ci *CIRef
		if ciID.Valid {
			ci = &CIRef{ID: int(ciID.Int64), Name: str(ciName), Kind: str(ciKind), Environment: str(ciEnv)}
		}
		jn := jobName(job, source)
		if !authorized && status != "IGNORED" {
			r.Drifts = append(r.Drifts, Drift{
				ID: id, Kind: kind, Status: status, CI: ci, Field: str(field),
				Recorded: str(recorded), Observed: str(observed),
				FirstSeenAt: first.Time, LastSeenAt: last.Time,
				Owner: str(ownerName), OnCall: str(onCall), Job: jn,
				ObservationKey: str(obsKey), Identity: str(idn), ServicesAtRisk: []string{},
			})
		}
		if !isOpen(status) {
			return nil
		}
		switch kind {
		case "UNREGISTERED":
			u := Unregistered{
				DriftID: id, Status: status, ObservationKey: str(obsKey), Identity: str(idn),
				Observed: str(observed), CI: ci, Job: jn, FirstSeenAt: first.Time, LastSeenAt: last.Time,
				Identifiers: []Identifier{},
			}
			parseObserved(&u)
			r.Unregistered = append(r.Unregistered, u)
		case "MISSING":
			if ci == nil {
				return nil
			}
			r.Missing = append(r.Missing, Missing{
				DriftID: id, Status: status, CI: *ci, Authorized: authorized, Observed: str(observed),
				Owner: str(ownerName), OnCall: str(onCall), Job: jn, FirstSeenAt: first.Time, LastSeenAt: last.Time,
			})
		}
		return nil
	})
}

// targets names the CI at the other end of every listed relationship
// drift, in one query.
func (b *builder) targets(ctx context.Context) error {
	seen := map[int]bool{}
	var ids []int
	for _, d := range b.r.Drifts {
		if _, id, _, ok := discovery.ParseRelationshipField(d.Field); ok && !seen[id] {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	byID := make(map[int]*CIRef, len(ids))
	// In batches: a large scan can list more relationship drifts than a
	// statement takes parameters.
	for len(ids) > 0 {
		n := min(len(ids), 500)
		cis, err := b.c.ConfigurationItem.Query().Where(configurationitem.IDIn(ids[:n]...)).
			Select(configurationitem.FieldName, configurationitem.FieldKind, configurationitem.FieldEnvironment).All(ctx)
		if err != nil {
			return fmt.Errorf("naming relationship targets: %w", err)
		}
		for _, c := range cis {
			byID[c.ID] = &CIRef{ID: c.ID, Name: c.Name, Kind: string(c.Kind), Environment: string(c.Environment)}
		}
		ids = ids[n:]
	}
	for i := range b.r.Drifts {
		if _, id, _, ok := discovery.ParseRelationshipField(b.r.Drifts[i].Field); ok {
			b.r.Drifts[i].Target = byID[id]
		}
	}
	return nil
}

// risk sets the services at risk of every listed drift with a CI.
func (b *builder) risk(ctx context.Context) error {
	roots := map[int]bool{}
	for _, d := range b.r.Drifts {
		if d.CI != nil {
			roots[d.CI.ID] = true
		}
	}
	if len(roots) == 0 {
		return nil
	}
	var at map[int][]string
	var err error
	if len(roots) < riskScanFrom {
		at, err = b.riskByWalk(ctx)
	} else {
		at, err = riskByScan(ctx, b.c, roots)
	}
	if err != nil {
		return err
	}
	for _, names := range at {
		sort.Strings(names)
	}
	for i := range b.r.Drifts {
		if ci := b.r.Drifts[i].CI; ci != nil && at[ci.ID] != nil {
			b.r.Drifts[i].ServicesAtRisk = at[ci.ID]
		}
	}
	return nil
}

// parseObserved fills the observed kind, name and identifiers of u from its
// observation summary, and reports whether it could.
func parseObserved(u *Unregistered) bool {
	var sum struct {
		Kind        string       `json:"kind"`
		Name        string       `json:"name"`
		Identifiers []Identifier `json:"identifiers"`
	}
	if json.Unmarshal([]byte(u.Observed), &sum) != nil || (sum.Kind == "" && sum.Name == "") {
		return false
	}
	u.ObservedKind, u.ObservedName = sum.Kind, sum.Name
	if sum.Identifiers != nil {
		u.Identifiers = sum.Identifiers
	}
	return true
}

package estate

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"sort"
	"strings"
	"time"

	"github.com/cairn-cmdb/cairn/ent"
	"github.com/cairn-cmdb/cairn/ent/migrate"
	"github.com/cairn-cmdb/cairn/ent/schema/schematype"
	"github.com/cairn-cmdb/cairn/internal/app"
	"github.com/cairn-cmdb/cairn/internal/store"
)

// SyntheticActor is the audit actor of the synthetic seed.
const SyntheticActor = "seed:synthetic"

// ErrNotEmpty is returned (wrapped) by SeedSynthetic when the database
// already holds an estate and Force is not set.
var ErrNotEmpty = errors.New("database is not empty")

// SyntheticStats counts what SeedSynthetic wrote.
type SyntheticStats struct {
	ConfigurationItems int
	Identifiers        int
	Relationships      int
	Services           int
	ServiceMembers     int
	Owners             int
	Vendors            int
	Assets             int
	AuditEvents        int
	Elapsed            time.Duration
}

// SyntheticOptions tune SeedSyntheticWith.
type SyntheticOptions struct {
	// Force seeds into a database that already has CIs, owners, vendors or
	// services. The new CIs continue the numbering (host-000001 … follow the
	// CIs already stored) and owner, vendor and service names get a suffix.
	Force bool

	// insert writes with multi-row INSERTs on PostgreSQL too, instead of
	// COPY (tests compare the two).
	insert bool
	// now, when set, is the time of every row (tests compare two seeds).
	now time.Time
}

// SyntheticHostname is the hostname (and name) of the i-th synthetic CI,
// i from 0: "host-000001" for i = 0.
func SyntheticHostname(i int) string { return fmt.Sprintf("host-%06d", i+1) }

// SyntheticFQDN is the FQDN of the i-th synthetic CI.
func SyntheticFQDN(i int) string {
	return SyntheticHostname(i) + "." + []string{"fra1", "ams2", "euc1"}[i%3] + ".example.com"
}

// SyntheticSerial is the serial number of the i-th synthetic CI.
func SyntheticSerial(i int) string { return fmt.Sprintf("SYN%08d", i+1) }

// SyntheticIP is the IPv4 address of the i-th synthetic CI (unique below
// 16 million CIs).
func SyntheticIP(i int) string {
	return fmt.Sprintf("10.%d.%d.%d", (i/250/256)%256, (i/250)%256, i%250+1)
}

// SyntheticKind is the kind of the i-th synthetic CI: about 40% VM, the rest
// servers, containers, network devices, storage, databases, applications,
// load balancers, cloud resources and clusters. CIs 2k and 2k+1 share a kind
// (database pairs replicate to each other).
func SyntheticKind(i int) string {
	x := splitmix(uint64(i/2)) % 100
	switch {
	case x < 40:
		return "VM"
	case x < 55:
		return "SERVER"
	case x < 65:
		return "CONTAINER"
	case x < 70:
		return "NETWORK_DEVICE"
	case x < 73:
		return "STORAGE"
	case x < 81:
		return "DATABASE"
	case x < 91:
		return "APPLICATION"
	case x < 94:
		return "LOAD_BALANCER"
	case x < 98:
		return "CLOUD_RESOURCE"
	}
	return "CLUSTER"
}

// SyntheticHostnames returns the hostnames of the synthetic CIs of kind
// among the first n (all kinds when kind is ""), for load generators.
func SyntheticHostnames(n int, kind string) []string {
	var out []string
	for i := range n {
		if kind == "" || SyntheticKind(i) == kind {
			out = append(out, SyntheticHostname(i))
		}
	}
	return out
}

func splitmix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

func isHardware(kind string) bool {
	return kind == "SERVER" || kind == "NETWORK_DEVICE" || kind == "STORAGE"
}

// syntheticScale returns the numbers of services, owners and vendors for n
// CIs: 1,000, 200 and 50 for 100,000, proportionally fewer (at least one)
// for smaller estates.
func syntheticScale(n int) (services, owners, vendors int) {
	return max(1, n/100), max(1, n/500), max(1, n/2000)
}

// SeedSynthetic writes a deterministic synthetic estate of n CIs (see
// SeedSyntheticWith) into an empty database.
func SeedSynthetic(ctx context.Context, db *app.DB, n int) (SyntheticStats, error) {
	return SeedSyntheticWith(ctx, db, n, SyntheticOptions{})
}

// SeedSyntheticWith writes a deterministic (fixed-seed) estate of n CIs for
// benchmarks: 3 relationships per CI (mostly pointing at earlier CIs, some
// back-edges and database replication pairs make cycles), n/100 services
// with every CI a member of one, n/500 owners, n/2000 vendors, an asset per
// hardware CI, and hostname, FQDN, serial and IP identifiers for every CI.
//
// It bypasses the per-row ent hooks for speed: rows are written in one
// transaction on the store's writer, with COPY on PostgreSQL (see
// synthetic_pg.go) and multi-row INSERTs through prepared statements on
// SQLite, and one AuditEvent per created CI (actor
// "seed:synthetic", action CREATE, the CI's fields as changes) is written in
// the same transaction. Owners, vendors and services get audit events too;
// relationships, identifiers, memberships and assets do not. IDs are
// assigned from each table's current maximum (or the table's global-ID
// offset), and PostgreSQL sequences are moved past them.
func SeedSyntheticWith(ctx context.Context, db *app.DB, n int, opts SyntheticOptions) (SyntheticStats, error) {
	start := time.Now()
	var st SyntheticStats
	if n <= 0 {
		return st, fmt.Errorf("synthetic estate size must be positive, got %d", n)
	}
	now := opts.now
	if now.IsZero() {
		now = time.Now()
	}
	s := &seeder{ctx: ctx, st: db.Store, now: now.UTC().Truncate(time.Microsecond)}
	if db.Store.Backend() == store.Postgres && !opts.insert {
		release, err := s.beginCopy()
		if err != nil {
			return st, err
		}
		defer release()
	} else {
		tx, err := db.Store.Writer().BeginTx(ctx, nil)
		if err != nil {
			return st, fmt.Errorf("starting transaction: %w", err)
		}
		s.tx = tx
	}
	if err := s.seed(n, opts, &st); err != nil {
		return st, errors.Join(err, s.waitCopies(), s.tx.Rollback())
	}
	if err := s.tx.Commit(); err != nil {
		return st, fmt.Errorf("committing synthetic estate: %w", err)
	}
	st.Elapsed = time.Since(start)
	return st, nil
}

type seeder struct {
	ctx context.Context
	st  *store.DB
	tx  *sql.Tx
	now time.Time
	// copies, on PostgreSQL, sends full batches to COPY on the
	// transaction's connection (see synthetic_pg.go); nil for INSERTs.
	copies *copyQueue
}

func (s *seeder) count(table string) (int, error) {
	var n int
	if err := s.tx.QueryRowContext(s.ctx, `SELECT COUNT(*) FROM "`+table+`"`).Scan(&n); err != nil {
		return 0, fmt.Errorf("counting %s: %w", table, err)
	}
	return n, nil
}

// firstID returns the next free ID of table.
func (s *seeder) firstID(t *migrateTable) (int, error) {
	var m sql.NullInt64
	if err := s.tx.QueryRowContext(s.ctx, `SELECT MAX(id) FROM "`+t.name+`"`).Scan(&m); err != nil {
		return 0, fmt.Errorf("reading the largest id of %s: %w", t.name, err)
	}
	if m.Valid && int(m.Int64) >= t.start {
		return int(m.Int64) + 1, nil
	}
	return t.start + 1, nil
}

type migrateTable struct {
	name  string
	start int
}

func tableOf(name string) *migrateTable {
	for _, t := range migrate.Tables {
		if t.Name == name {
			mt := &migrateTable{name: name}
			if t.Annotation != nil && t.Annotation.IncrementStart != nil {
				mt.start = *t.Annotation.IncrementStart
			}
			return mt
		}
	}
	return &migrateTable{name: name}
}

// seed writes the synthetic estate of n CIs in steps: owners, vendors,
// services, CIs (with identifiers, service memberships, assets), then
// relationships; every row has its audit event.
func (s *seeder) seed(n int, opts SyntheticOptions, st *SyntheticStats) error {
	r, err := s.newSeedRun(n, opts, st)
	if err != nil {
		return err
	}
	for _, step := range []func() error{r.dropForBulk, r.owners, r.vendors, r.services, r.cis, r.relationships, r.audit.close,
		s.waitCopies, r.rebuildAfterBulk, r.moveSequences} {
		if err := step(); err != nil {
			return err
		}
	}
	return nil
}

// seedRun is one synthetic seed: the sizes, the first free ID of each
// table and the audit events written along the way.
type seedRun struct {
	s                     *seeder
	st                    *SyntheticStats
	n, offset             int
	suffix                string // added to names when the tables hold rows already
	nSvc, nOwner, nVendor int
	nTeams                int
	ids                   map[string]int
	audit                 *inserter
	auditID               int
	// rebuildIndexes and rebuildFKs are the statements that make again
	// what dropForBulk dropped (PostgreSQL).
	rebuildIndexes, rebuildFKs []string
}

// newSeedRun refuses a database that holds an estate (unless Force), and
// reads the first free ID of each table.
func (s *seeder) newSeedRun(n int, opts SyntheticOptions, st *SyntheticStats) (*seedRun, error) {
	r := &seedRun{s: s, st: st, n: n}
	for _, t := range []string{"configuration_items", "owners", "vendors", "services"} {
		c, err := s.count(t)
		if err != nil {
			return nil, err
		}
		if c > 0 && !opts.Force {
			return nil, fmt.Errorf("refusing to seed a synthetic estate: %s already has %d rows (use --force to add to it): %w", t, c, ErrNotEmpty)
		}
		if t == "configuration_items" {
			r.offset = c
		}
		if c > 0 {
			r.suffix = fmt.Sprintf("-b%d", s.now.Unix())
		}
	}
	r.nSvc, r.nOwner, r.nVendor = syntheticScale(n)
	r.nTeams = max(1, r.nOwner/5)
	r.ids = map[string]int{}
	for _, name := range seededTables() {
		id, err := s.firstID(tableOf(name))
		if err != nil {
			return nil, err
		}
		r.ids[name] = id
	}
	audit, err := s.inserter("audit_events", "id", "at", "actor", "action", "entity_type", "entity_id", "changes", "request_id")
	if err != nil {
		return nil, err
	}
	r.audit, r.auditID = audit, r.ids["audit_events"]
	return r, nil
}

// seededTables returns the tables with an ID sequence the seed writes to.
func seededTables() []string {
	return []string{"configuration_items", "identifiers", "relationships", "services", "owners", "vendors", "assets", "audit_events"}
}

func (r *seedRun) ownerID(k int) int   { return r.ids["owners"] + k }
func (r *seedRun) vendorID(k int) int  { return r.ids["vendors"] + k }
func (r *seedRun) serviceID(k int) int { return r.ids["services"] + k }
func (r *seedRun) ciID(i int) int      { return r.ids["configuration_items"] + i }

// writeAudit adds the CREATE event of a row.
func (r *seedRun) writeAudit(typ string, id int, changes []schematype.FieldChange) error {
	b, err := json.Marshal(changes)
	if err != nil {
		return fmt.Errorf("encoding audit changes: %w", err)
	}
	r.st.AuditEvents++
	r.auditID++
	return r.audit.add(r.auditID-1, r.s.now, SyntheticActor, "CREATE", typ, id, b, "")
}

func fc(field string, v any) schematype.FieldChange {
	return schematype.FieldChange{Field: field, After: v}
}

// owners writes the owners: the first fifth are teams, the others persons
// in them.
func (r *seedRun) owners() error {
	s := r.s
	owners, err := s.inserter("owners", "id", "created_at", "updated_at", "name", "kind", "email", "team_id")
	if err != nil {
		return err
	}
	for k := range r.nOwner {
		name := fmt.Sprintf("synthetic-team-%03d%s", k+1, r.suffix)
		kind := "TEAM"
		var team any
		if k >= r.nTeams {
			name = fmt.Sprintf("synthetic-person-%03d%s", k+1, r.suffix)
			kind = "PERSON"
			team = r.ownerID(k % r.nTeams)
		}
		email := strings.TrimPrefix(name, "synthetic-") + "@example.com"
		if err := owners.add(r.ownerID(k), s.now, s.now, name, kind, email, team); err != nil {
			return err
		}
		if err := r.writeAudit(ent.TypeOwner, r.ownerID(k), []schematype.FieldChange{fc("email", email), fc("kind", kind), fc("name", name), fc("team_id", team)}); err != nil {
			return err
		}
	}
	if err := owners.close(); err != nil {
		return err
	}
	r.st.Owners = r.nOwner
	return nil
}

// vendors writes the vendors.
func (r *seedRun) vendors() error {
	s := r.s
	vendors, err := s.inserter("vendors", "id", "created_at", "updated_at", "name", "website")
	if err != nil {
		return err
	}
	for k := range r.nVendor {
		name := fmt.Sprintf("synthetic-vendor-%03d%s", k+1, r.suffix)
		site := fmt.Sprintf("https://vendor-%03d.example.net", k+1)
		if err := vendors.add(r.vendorID(k), s.now, s.now, name, site); err != nil {
			return err
		}
		if err := r.writeAudit(ent.TypeVendor, r.vendorID(k), []schematype.FieldChange{fc("name", name), fc("website", site)}); err != nil {
			return err
		}
	}
	if err := vendors.close(); err != nil {
		return err
	}
	r.st.Vendors = r.nVendor
	return nil
}

// services writes the services, each owned by a team.
func (r *seedRun) services() error {
	s := r.s
	services, err := s.inserter("services", "id", "created_at", "updated_at", "name", "tier", "slo_target", "rto_minutes", "rpo_minutes", "runbook_url", "owner_id")
	if err != nil {
		return err
	}
	for k := range r.nSvc {
		name := fmt.Sprintf("synthetic-service-%04d%s", k+1, r.suffix)
		tier := k % 5
		slo := []float64{99.99, 99.95, 99.9, 99.5, 99}[tier]
		runbook := fmt.Sprintf("https://runbooks.example.com/synthetic/%04d", k+1)
		owner := r.ownerID(k % r.nTeams)
		if err := services.add(r.serviceID(k), s.now, s.now, name, tier, slo, 15*(tier+1), 5*(tier+1), runbook, owner); err != nil {
			return err
		}
		if err := r.writeAudit(ent.TypeService, r.serviceID(k), []schematype.FieldChange{fc("name", name), fc("owner_id", owner),
			fc("rpo_minutes", 5*(tier+1)), fc("rto_minutes", 15*(tier+1)), fc("runbook_url", runbook), fc("slo_target", slo), fc("tier", tier)}); err != nil {
			return err
		}
	}
	if err := services.close(); err != nil {
		return err
	}
	r.st.Services = r.nSvc
	return nil
}

// ciWriters are the inserters of the CIs and the rows that hang off them.
type ciWriters struct {
	cis, idents, members, assets *inserter
	identID, assetID             int
	tagsByKind                   map[string][]byte
	envs, crits                  []string // drawn from by a hash of the index
}

// cis writes the CIs with their identifiers, service memberships and, for
// hardware, asset records.
func (r *seedRun) cis() error {
	w, err := r.ciWriters()
	if err != nil {
		return err
	}
	for i := range r.n {
		if err := r.ci(w, i); err != nil {
			return err
		}
	}
	for _, b := range []*inserter{w.cis, w.idents, w.members, w.assets} {
		if err := b.close(); err != nil {
			return err
		}
	}
	r.st.ConfigurationItems = r.n
	return nil
}

func (r *seedRun) ciWriters() (*ciWriters, error) {
	s := r.s
	cis, err := s.inserter("configuration_items", "id", "created_at", "updated_at", "name", "kind", "status", "environment",
		"criticality", "hostname", "fqdn", "serial_number", "tags", "owner_id", "vendor_id")
	if err != nil {
		return nil, err
	}
	idents, err := s.inserter("identifiers", "id", "created_at", "updated_at", "kind", "value", "source", "configuration_item_id")
	if err != nil {
		return nil, err
	}
	members, err := s.inserter("service_members", "service_id", "configuration_item_id")
	if err != nil {
		return nil, err
	}
	assets, err := s.inserter("assets", "id", "created_at", "updated_at", "purchase_date", "in_service_date", "cost_minor",
		"salvage_minor", "currency", "useful_life_months", "depreciation_method", "convention", "cost_center", "warranty_end",
		"configuration_item_id")
	if err != nil {
		return nil, err
	}
	idents.parents = []*inserter{cis}
	members.parents = []*inserter{cis}
	assets.parents = []*inserter{cis}
	return &ciWriters{cis: cis, idents: idents, members: members, assets: assets,
		identID: r.ids["identifiers"], assetID: r.ids["assets"], tagsByKind: map[string][]byte{},
		envs:  []string{"PRODUCTION", "PRODUCTION", "PRODUCTION", "STAGING", "TEST", "DEVELOPMENT", "DR", "SHARED"},
		crits: []string{"CRITICAL", "HIGH", "MEDIUM", "MEDIUM", "LOW"}}, nil
}

// ci writes the CI of local index i and its rows.
func (r *seedRun) ci(w *ciWriters, i int) error {
	s, st := r.s, r.st
	g := r.offset + i // global synthetic index
	kind := SyntheticKind(g)
	host, fqdn, serial, ip := SyntheticHostname(g), SyntheticFQDN(g), SyntheticSerial(g), SyntheticIP(g)
	env := w.envs[splitmix(uint64(g)+7)%uint64(len(w.envs))]
	crit := w.crits[splitmix(uint64(g)+11)%uint64(len(w.crits))]
	tags, ok := w.tagsByKind[kind]
	if !ok {
		tags, _ = json.Marshal([]string{"synthetic", strings.ToLower(kind)})
		w.tagsByKind[kind] = tags
	}
	owner, vendor := r.ownerID(g%r.nOwner), r.vendorID(g%r.nVendor)
	id := r.ciID(i)
	if err := w.cis.add(id, s.now, s.now, host, kind, "ACTIVE", env, crit, host, fqdn, serial, tags, owner, vendor); err != nil {
		return err
	}
	for _, kv := range [][2]string{{"HOSTNAME", host}, {"FQDN", fqdn}, {"SERIAL", serial}, {"IP", ip}} {
		if err := w.idents.add(w.identID, s.now, s.now, kv[0], kv[1], "record", id); err != nil {
			return err
		}
		w.identID++
		st.Identifiers++
	}
	if err := w.members.add(r.serviceID(g%r.nSvc), id); err != nil {
		return err
	}
	st.ServiceMembers++
	if isHardware(kind) {
		purchase := time.Date(2019+g%6, time.Month(1+g%12), 1+g%28, 0, 0, 0, 0, time.UTC)
		cost := int64(200000 + splitmix(uint64(g))%2000000) // 2,000.00 – 22,000.00 EUR
		if err := w.assets.add(w.assetID, s.now, s.now, purchase, purchase.AddDate(0, 0, 14), cost, cost/10, "EUR", 60,
			"STRAIGHT_LINE", "FULL_MONTH", fmt.Sprintf("CC-%03d", g%40), purchase.AddDate(3, 0, 0), id); err != nil {
			return err
		}
		w.assetID++
		st.Assets++
	}
	return r.writeAudit(ent.TypeConfigurationItem, id, []schematype.FieldChange{
		fc("created_at", s.now), fc("criticality", crit), fc("environment", env), fc("fqdn", fqdn), fc("hostname", host),
		fc("kind", kind), fc("name", host), fc("owner_id", owner), fc("serial_number", serial), fc("status", "ACTIVE"),
		fc("tags", []string{"synthetic", strings.ToLower(kind)}), fc("vendor_id", vendor),
	})
}

// relationships writes three relationships per CI, shaped by layers and
// drawn from a random source seeded with the offset.
func (r *seedRun) relationships() error {
	s := r.s
	rels, err := s.inserter("relationships", "id", "created_at", "updated_at", "type", "source", "from_id", "to_id")
	if err != nil {
		return err
	}
	relID := r.ids["relationships"]
	rng := rand.New(rand.NewPCG(20261123, uint64(r.offset)))
	lay := newLayers(r.n, r.offset)
	for i := range r.n {
		for _, e := range lay.edges(i, rng) {
			if err := rels.add(relID, s.now, s.now, e.typ, "record", r.ciID(i), r.ciID(e.to)); err != nil {
				return err
			}
			relID++
			r.st.Relationships++
		}
	}
	return rels.close()
}

// moveSequences moves PostgreSQL's ID sequences past the rows written
// with explicit IDs.
func (r *seedRun) moveSequences() error {
	s := r.s
	if s.st.Backend() != store.Postgres {
		return nil
	}
	for _, t := range seededTables() {
		q := fmt.Sprintf(`SELECT setval(pg_get_serial_sequence('%s', 'id'), (SELECT MAX(id) FROM "%s"))`, t, t)
		if _, err := s.tx.ExecContext(s.ctx, q); err != nil {
			return fmt.Errorf("moving the id sequence of %s: %w", t, err)
		}
	}
	return nil
}

// layers shapes the synthetic estate like a real one, in tiers, so that a
// random host has a few dozen dependents and a core switch thousands:
// core switches (every 50th network device) are meshed in groups of four;
// the other network devices (top-of-rack switches) connect to 3 cores of
// one group; servers and
// storage connect to 2 top-of-rack switches (storage replicates in pairs); VMs are hosted on servers and
// back up to storage; containers run on VMs; databases run on VMs and
// replicate in pairs; applications run on VMs or containers, use a database
// and depend on an earlier application of their block of 20 (a few on a
// later one, making cycles); load
// balancers use applications; clusters depend on servers; cloud resources
// depend on each other. Every CI has three relationships with distinct
// targets, so (from, to, type) is unique.
type layers struct {
	n, offset int
	byKind    map[string][]int
	cores     []int
	tors      []int
	torGroups [][]int // top-of-rack switches by core group
}

func newLayers(n, offset int) *layers {
	l := &layers{n: n, offset: offset, byKind: map[string][]int{}}
	for i := range n {
		k := SyntheticKind(offset + i)
		l.byKind[k] = append(l.byKind[k], i)
	}
	for j, i := range l.byKind["NETWORK_DEVICE"] {
		if j%50 == 0 {
			l.cores = append(l.cores, i)
		} else {
			l.tors = append(l.tors, i)
		}
	}
	l.torGroups = make([][]int, max(1, (len(l.cores)+3)/4))
	for k, i := range l.tors {
		g := k % len(l.torGroups)
		l.torGroups[g] = append(l.torGroups[g], i)
	}
	return l
}

// rackTors are the top-of-rack switches a server or storage system at
// index i may uplink to: those of one core group, the same for blocks of
// 20 consecutive systems (a rack row).
func (l *layers) rackTors(i int) []int {
	pool := l.byKind[SyntheticKind(l.offset+i)]
	k := sort.SearchInts(pool, i)
	return l.torGroups[(k/20)%len(l.torGroups)]
}

// group returns the block of 20 consecutive members of pool holding i, so
// that applications depend on applications of their own system rather
// than forming one estate-wide chain.
func (l *layers) group(pool []int, i int) []int {
	k := sort.SearchInts(pool, i)
	g := k / 20 * 20
	return pool[g:min(g+20, len(pool))]
}

// near returns the window of up to 40 members of pool at the position
// proportional to i's in the estate: a VM lands on hosts, storage, clusters
// and databases of its own part of the estate, as real ones do, so that a
// host's dependents are its VMs and what runs on them, not a random tenth
// of the estate.
func (l *layers) near(pool []int, i int) []int {
	if len(pool) <= 40 {
		return pool
	}
	c := int(int64(i) * int64(len(pool)) / int64(max(1, l.n)))
	lo := max(0, min(c-20, len(pool)-40))
	return pool[lo : lo+40]
}

type synthEdge struct {
	to  int
	typ string
}

// edges returns the three relationships of CI i (fewer in an estate of
// fewer than four CIs): first those its kind calls for, then fill-ins.
// The draws from rng are in a fixed order, so a seed is reproducible.
func (l *layers) edges(i int, rng *rand.Rand) []synthEdge {
	if l.n < 2 {
		return nil
	}
	want := min(3, l.n-1)
	p := &edgePicker{l: l, i: i, rng: rng, want: want, out: make([]synthEdge, 0, want)}
	kind := SyntheticKind(l.offset + i)
	p.kindEdges(kind)
	p.fill(kind)
	return p.out
}

// edgePicker collects the relationships of CI i, with distinct targets.
type edgePicker struct {
	l    *layers
	i    int
	rng  *rand.Rand
	want int
	out  []synthEdge
}

// taken reports whether j is i itself or already a target.
func (p *edgePicker) taken(j int) bool {
	if j == p.i {
		return true
	}
	for _, e := range p.out {
		if e.to == j {
			return true
		}
	}
	return false
}

// pick adds a relationship of type typ to a random member of pool that is
// not taken (up to eight tries), unless enough are chosen already.
func (p *edgePicker) pick(pool []int, typ string) {
	if len(p.out) >= p.want || len(pool) == 0 {
		return
	}
	for try := 0; try < 8; try++ {
		if j := pool[p.rng.IntN(len(pool))]; !p.taken(j) {
			p.out = append(p.out, synthEdge{to: j, typ: typ})
			return
		}
	}
}

// earlier returns the members of pool before i (pool is in index order).
func (p *edgePicker) earlier(pool []int) []int {
	k := sort.SearchInts(pool, p.i)
	return pool[:k]
}

// kindEdges adds the relationships the kind of CI i calls for.
func (p *edgePicker) kindEdges(kind string) {
	l, i := p.l, p.i
	near := func(k string) []int { return l.near(l.byKind[k], i) }
	switch kind {
	case "NETWORK_DEVICE":
		p.networkDevice()
	case "SERVER":
		p.pick(l.rackTors(i), "CONNECTS_TO")
		p.pick(l.rackTors(i), "CONNECTS_TO")
		p.pick(near("STORAGE"), "USES")
	case "STORAGE":
		p.replica("STORAGE")
		p.pick(l.rackTors(i), "CONNECTS_TO")
		p.pick(l.rackTors(i), "CONNECTS_TO")
	case "VM":
		p.pick(near("SERVER"), "HOSTED_ON")
		p.pick(near("STORAGE"), "BACKS_UP_TO")
		p.pick(near("CLUSTER"), "MEMBER_OF")
	case "CONTAINER":
		p.pick(near("VM"), "RUNS_ON")
		p.pick(near("CLUSTER"), "MEMBER_OF")
		p.pick(near("STORAGE"), "USES")
	case "DATABASE":
		p.replica("DATABASE")
		p.pick(near("VM"), "RUNS_ON")
		p.pick(near("STORAGE"), "BACKS_UP_TO")
	case "APPLICATION":
		p.application()
	case "LOAD_BALANCER":
		p.pick(near("APPLICATION"), "USES")
		p.pick(near("APPLICATION"), "USES")
		p.pick(l.near(l.tors, i), "CONNECTS_TO")
	case "CLUSTER":
		p.cluster()
	default: // CLOUD_RESOURCE
		p.pick(p.earlier(l.group(l.byKind["CLOUD_RESOURCE"], i)), "DEPENDS_ON")
		p.pick(near("DATABASE"), "USES")
	}
}

// networkDevice meshes a core switch with the others of its group of four,
// and uplinks a top-of-rack switch to three cores of one group.
func (p *edgePicker) networkDevice() {
	l, i := p.l, p.i
	if k := sort.SearchInts(l.cores, i); k < len(l.cores) && l.cores[k] == i {
		g := k / 4 * 4
		for m := g; m < min(g+4, len(l.cores)); m++ {
			if m != k {
				p.out = append(p.out, synthEdge{to: l.cores[m], typ: "CONNECTS_TO"})
			}
		}
		return
	}
	if len(l.cores) > 0 {
		groups := (len(l.cores) + 3) / 4
		k := sort.SearchInts(l.tors, i)
		g := (k % groups) * 4
		p.pick(l.cores[g:min(g+4, len(l.cores))], "CONNECTS_TO")
		p.pick(l.cores[g:min(g+4, len(l.cores))], "CONNECTS_TO")
		p.pick(l.cores[g:min(g+4, len(l.cores))], "CONNECTS_TO")
	}
}

// replica pairs CI i with its neighbour i^1 when that is of the same kind.
func (p *edgePicker) replica(kind string) {
	if j := p.i ^ 1; j < p.l.n && SyntheticKind(p.l.offset+j) == kind {
		p.out = append(p.out, synthEdge{to: j, typ: "REPLICATES_TO"})
	}
}

// application runs on a VM or a container, uses a database and depends on
// an earlier application of its block (one in 50 on any, making cycles).
func (p *edgePicker) application() {
	l, i := p.l, p.i
	if p.rng.IntN(2) == 0 {
		p.pick(l.near(l.byKind["VM"], i), "RUNS_ON")
	} else {
		p.pick(l.near(l.byKind["CONTAINER"], i), "RUNS_ON")
	}
	p.pick(l.near(l.byKind["DATABASE"], i), "USES")
	if p.rng.IntN(50) == 0 {
		p.pick(l.group(l.byKind["APPLICATION"], i), "DEPENDS_ON") // either way: some cycles
	} else {
		p.pick(p.earlier(l.group(l.byKind["APPLICATION"], i)), "DEPENDS_ON")
	}
}

// cluster depends on three servers of one rack row.
func (p *edgePicker) cluster() {
	l := p.l
	servers := l.byKind["SERVER"]
	if len(servers) > 0 {
		k := sort.SearchInts(l.byKind["CLUSTER"], p.i)
		b := (k * 20) % len(servers)
		for range 3 {
			p.pick(servers[b:min(b+20, len(servers))], "DEPENDS_ON")
		}
	}
}

// fill adds relationships up to three: to nearby storage first (a sink: it
// depends only on switches), then to nearby CIs, keeping targets distinct.
// Links between arbitrary neighbours would chain into estate-wide closures.
func (p *edgePicker) fill(kind string) {
	l, i := p.l, p.i
	types := edgeTypes(kind)
	for try := 0; len(p.out) < p.want && try < 16; try++ {
		p.pick(l.near(l.byKind["STORAGE"], i), types[len(p.out)%len(types)])
	}
	for len(p.out) < p.want {
		lo := max(0, min(i-50, l.n-100))
		if j := lo + p.rng.IntN(min(100, l.n-lo)); !p.taken(j) {
			p.out = append(p.out, synthEdge{to: j, typ: types[len(p.out)%len(types)]})
		}
	}
}

func edgeTypes(kind string) []string {
	switch kind {
	case "VM":
		return []string{"HOSTED_ON", "CONNECTS_TO", "BACKS_UP_TO"}
	case "CONTAINER":
		return []string{"RUNS_ON", "DEPENDS_ON", "USES"}
	case "APPLICATION":
		return []string{"RUNS_ON", "USES", "DEPENDS_ON"}
	case "DATABASE":
		return []string{"RUNS_ON", "BACKS_UP_TO", "DEPENDS_ON"}
	case "SERVER", "STORAGE":
		return []string{"CONNECTS_TO", "MEMBER_OF", "DEPENDS_ON"}
	case "NETWORK_DEVICE":
		return []string{"CONNECTS_TO", "DEPENDS_ON", "MEMBER_OF"}
	case "LOAD_BALANCER":
		return []string{"USES", "CONNECTS_TO", "DEPENDS_ON"}
	case "CLUSTER":
		return []string{"DEPENDS_ON", "USES", "CONNECTS_TO"}
	}
	return []string{"DEPENDS_ON", "USES", "CONNECTS_TO"}
}

// inserter writes rows with multi-row INSERTs through one prepared statement
// for full batches.
type inserter struct {
	s     *seeder
	table string
	cols  []string
	batch int
	stmt  *sql.Stmt
	args  []any
	rows  int
	// parents are flushed before this table's rows (foreign keys).
	parents []*inserter
}

func (s *seeder) inserter(table string, cols ...string) (*inserter, error) {
	// SQLite allows 32,766 parameters per statement, PostgreSQL 65,535.
	// Batches of 250 CIs line up with the 1,000 identifiers they have.
	batch := 1000
	if table == "configuration_items" || table == "service_members" || table == "assets" {
		batch = 250
	}
	batch = min(batch, 30000/len(cols))
	if s.copies != nil {
		batch = copyBatchRows
	}
	return &inserter{s: s, table: table, cols: cols, batch: batch, args: make([]any, 0, batch*len(cols))}, nil
}

func (b *inserter) query(rows int) string {
	var q strings.Builder
	q.WriteString(`INSERT INTO "` + b.table + `" (`)
	for i, c := range b.cols {
		if i > 0 {
			q.WriteByte(',')
		}
		q.WriteString(`"` + c + `"`)
	}
	q.WriteString(") VALUES ")
	one := "(" + strings.TrimSuffix(strings.Repeat("?,", len(b.cols)), ",") + ")"
	for r := range rows {
		if r > 0 {
			q.WriteByte(',')
		}
		q.WriteString(one)
	}
	return b.s.st.Rebind(q.String())
}

func (b *inserter) add(vals ...any) error {
	b.args = append(b.args, vals...)
	b.rows++
	if b.rows < b.batch {
		return nil
	}
	if b.s.copies != nil {
		return b.flush()
	}
	for _, p := range b.parents {
		if err := p.flush(); err != nil {
			return err
		}
	}
	if b.stmt == nil {
		st, err := b.s.tx.PrepareContext(b.s.ctx, b.query(b.batch))
		if err != nil {
			return fmt.Errorf("preparing insert into %s: %w", b.table, err)
		}
		b.stmt = st
	}
	if _, err := b.stmt.ExecContext(b.s.ctx, b.args...); err != nil {
		return fmt.Errorf("inserting into %s: %w", b.table, err)
	}
	b.args, b.rows = b.args[:0], 0
	return nil
}

// flush writes the pending rows.
func (b *inserter) flush() error {
	if b.rows == 0 {
		return nil
	}
	for _, p := range b.parents {
		if err := p.flush(); err != nil {
			return err
		}
	}
	if b.s.copies != nil {
		err := b.s.copies.send(copyJob{table: b.table, cols: b.cols, args: b.args, rows: b.rows})
		// The queue owns the sent rows now.
		b.args, b.rows = make([]any, 0, b.batch*len(b.cols)), 0
		return err
	}
	if _, err := b.s.tx.ExecContext(b.s.ctx, b.query(b.rows), b.args...); err != nil {
		return fmt.Errorf("inserting into %s: %w", b.table, err)
	}
	b.args, b.rows = b.args[:0], 0
	return nil
}

func (b *inserter) close() error {
	err := b.flush()
	if b.stmt != nil {
		err = errors.Join(err, b.stmt.Close())
		b.stmt = nil
	}
	return err
}

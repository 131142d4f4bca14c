package incident

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/cairn-cmdb/cairn/ent"
	"github.com/cairn-cmdb/cairn/ent/configurationitem"
	"github.com/cairn-cmdb/cairn/ent/predicate"
	"github.com/cairn-cmdb/cairn/internal/graphwalk"
	"github.com/cairn-cmdb/cairn/internal/store"
)

// Pipelining: on PostgreSQL every statement is a round trip (a write and a
// read on the socket, a backend wake-up), and an incident context is a
// dozen independent statements. With a context marked by Pipelined, Context
// and Impact run their independent loads side by side, each on its own
// goroutine through an ent client whose driver (pipeline) holds every
// statement back until each loader is either waiting on one or done, then
// sends them all in one pgx batch on one pooled connection: one round trip
// per "level" of dependent statements instead of one per statement. The
// statements are exactly those of the sequential path (same ent queries,
// same Select callbacks, same scanning through database/sql's types), so
// the answers are too. SQLite (in process, where a statement costs no round
// trip) and unmarked contexts keep the sequential path.
//
// The batch reads on a pool connection outside any transaction, which is
// why it is opt-in: a caller holding a transaction (whose client the Engine
// may have been given) must not mark its context. Reads the context marks
// for the read replica (store.ReadFromReplica) stay sequential, so that
// they still go to the replica.

// pipelinedKey marks a context whose incident reads may be pipelined.
type pipelinedKey struct{}

// Pipelined marks ctx so that Context and Impact batch their independent
// statements on PostgreSQL. Only for a caller outside any transaction:
// the batch reads on a pooled connection of its own.
func Pipelined(ctx context.Context) context.Context {
	return context.WithValue(ctx, pipelinedKey{}, true)
}

// PipelineStats counts the batches (round trips) and statements the
// pipelines of contexts marked by WithPipelineStats send.
type PipelineStats struct {
	Batches, Statements atomic.Int64
}

type statsKey struct{}

// WithPipelineStats marks ctx so that its pipelines count into s.
func WithPipelineStats(ctx context.Context, s *PipelineStats) context.Context {
	return context.WithValue(ctx, statsKey{}, s)
}

// pipelines says whether reads for ctx go through a pipeline.
func (e *Engine) pipelines(ctx context.Context) bool {
	on, _ := ctx.Value(pipelinedKey{}).(bool)
	return on && e.db.Backend() == store.Postgres && e.db.Replica() == nil
}

// pipeline is a dialect.Driver that batches the reads of a fixed set of
// goroutines (run): a Query waits until every other goroutine of the set is
// waiting too or done, and the last one to arrive sends the batch.
type pipeline struct {
	db *sql.DB

	mu      sync.Mutex
	running int // goroutines of the set neither waiting nor done
	queued  []*pipelineCall
}

var _ dialect.Driver = (*pipeline)(nil)

// pipelineCall is one statement waiting for its batch.
type pipelineCall struct {
	query string
	args  []any
	done  chan struct{}
	rows  *bufferedRows
	err   error
}

// newPipeline returns a pipeline reading on db's pool.
func newPipeline(db *sql.DB) *pipeline { return &pipeline{db: db} }

// client is an ent client reading through p.
func (p *pipeline) client() *ent.Client {
	c := ent.NewClient(ent.Driver(p))
	// As internal/app's client: a short CI query's plain loads fold.
	c.ConfigurationItem.Intercept(ent.FoldEdges())
	return c
}

// run runs fns side by side, each on its own goroutine, and returns their
// errors in order. Nothing else may read through p meanwhile.
func (p *pipeline) run(ctx context.Context, fns ...func() error) []error {
	errs := make([]error, len(fns))
	if len(fns) == 0 {
		return errs
	}
	p.mu.Lock()
	p.running += len(fns)
	p.mu.Unlock()
	var wg sync.WaitGroup
	for i, fn := range fns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer p.leave(ctx)
			defer func() {
				// A loader's panic would take the process down from a
				// goroutine of its own: make it that loader's error.
				if r := recover(); r != nil {
					errs[i] = fmt.Errorf("incident: pipelined load panicked: %v", r)
				}
			}()
			errs[i] = fn()
		}()
	}
	wg.Wait()
	return errs
}

// leave marks a goroutine of the set done, sending the batch if every
// other one is waiting.
func (p *pipeline) leave(ctx context.Context) {
	p.mu.Lock()
	p.running--
	batch := p.take()
	p.mu.Unlock()
	p.send(ctx, batch)
}

// take returns the queued statements when no goroutine of the set is still
// running (and clears the queue); nil otherwise. p.mu is held.
func (p *pipeline) take() []*pipelineCall {
	if p.running > 0 || len(p.queued) == 0 {
		return nil
	}
	batch := p.queued
	p.queued = nil
	return batch
}

// Query queues a statement and waits for its rows.
func (p *pipeline) Query(ctx context.Context, query string, args, v any) error {
	rows, ok := v.(*entsql.Rows)
	if !ok {
		return fmt.Errorf("incident pipeline: unexpected rows type %T", v)
	}
	argv, ok := args.([]any)
	if !ok && args != nil {
		return fmt.Errorf("incident pipeline: unexpected args type %T", args)
	}
	c := &pipelineCall{query: query, args: argv, done: make(chan struct{})}
	p.mu.Lock()
	p.queued = append(p.queued, c)
	p.running--
	batch := p.take()
	p.mu.Unlock()
	p.send(ctx, batch)
	<-c.done
	if c.err != nil {
		return c.err
	}
	*rows = entsql.Rows{ColumnScanner: c.rows}
	return nil
}

// send runs batch in one round trip and wakes its callers.
func (p *pipeline) send(ctx context.Context, batch []*pipelineCall) {
	if len(batch) == 0 {
		return
	}
	if s, ok := ctx.Value(statsKey{}).(*PipelineStats); ok {
		s.Batches.Add(1)
		s.Statements.Add(int64(len(batch)))
	}
	err := p.exec(ctx, batch)
	p.mu.Lock()
	p.running += len(batch)
	p.mu.Unlock()
	for _, c := range batch {
		if err != nil && c.err == nil {
			c.err = err
		}
		close(c.done)
	}
}

// genericPlans makes the rest of a batch use prepared statements' generic
// plans.
const genericPlans = "SELECT set_config('plan_cache_mode', 'force_generic_plan', true)"

// exec sends batch as one pgx batch on a pooled connection and buffers
// every statement's rows. An error of one statement is its own; an error
// of the connection is returned for all.
func (p *pipeline) exec(ctx context.Context, batch []*pipelineCall) error {
	conn, err := p.db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("incident pipeline: taking a connection: %w", err)
	}
	defer conn.Close()
	return conn.Raw(func(dc any) error {
		sc, ok := dc.(*stdlib.Conn)
		if !ok {
			return fmt.Errorf("incident pipeline: connection %T is not pgx's", dc)
		}
		pc := sc.Conn()
		b := &pgx.Batch{}
		// Generic plans for this batch only (set_config's is_local: the
		// batch is one implicit transaction): PostgreSQL otherwise plans
		// the walks' recursive CTEs afresh on every execution, which cost
		// more than running them (3.4 ms of planning against 0.7 of
		// execution for a host's dependents on the 100k estate).
		b.Queue(genericPlans)
		for _, c := range batch {
			b.Queue(c.query, c.args...)
		}
		br := pc.SendBatch(ctx, b)
		if _, err := br.Exec(); err != nil {
			_ = br.Close()
			return fmt.Errorf("incident pipeline: choosing generic plans: %w", err)
		}
		for _, c := range batch {
			rows, err := br.Query()
			if err != nil {
				c.err = fmt.Errorf("incident pipeline: %w", err)
				continue
			}
			c.rows, c.err = buffer(pc.TypeMap(), rows)
		}
		if err := br.Close(); err != nil {
			// A statement's own error was reported to it above; the
			// connection is then still usable.
			var pgErr interface{ SQLState() string }
			if errors.As(err, &pgErr) {
				return nil
			}
			return fmt.Errorf("incident pipeline: %w", err)
		}
		return nil
	})
}

// buffer reads rows whole, converting each value to database/sql's driver
// value as pgx's stdlib does, so that ent scans them as it would from
// *sql.Rows.
func buffer(m *pgtype.Map, rows pgx.Rows) (*bufferedRows, error) {
	defer rows.Close()
	fds := rows.FieldDescriptions()
	out := &bufferedRows{cols: make([]string, len(fds)), i: -1}
	conv := make([]func([]byte) (driver.Value, error), len(fds))
	for i, fd := range fds {
		out.cols[i] = fd.Name
		conv[i] = valueFunc(m, fd.DataTypeOID, fd.Format)
	}
	for rows.Next() {
		raw := rows.RawValues()
		row := make([]driver.Value, len(raw))
		for i, rv := range raw {
			if rv == nil {
				continue
			}
			v, err := conv[i](rv)
			if err != nil {
				return nil, fmt.Errorf("incident pipeline: column %s: %w", out.cols[i], err)
			}
			row[i] = v
		}
		out.rows = append(out.rows, row)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("incident pipeline: %w", err)
	}
	return out, nil
}

// valueFunc converts a column's wire value to a driver value: the
// conversions of pgx's stdlib.Rows.Next for the types Cairn's schema uses.
func valueFunc(m *pgtype.Map, oid uint32, format int16) func([]byte) (driver.Value, error) {
	scan := func(dst any) func([]byte) error {
		plan := m.PlanScan(oid, format, dst)
		return func(src []byte) error { return plan.Scan(src, dst) }
	}
	switch oid {
	case pgtype.BoolOID:
		var d bool
		s := scan(&d)
		return func(src []byte) (driver.Value, error) { return d, s(src) }
	case pgtype.ByteaOID, pgtype.JSONOID, pgtype.JSONBOID:
		var d []byte
		s := scan(&d)
		return func(src []byte) (driver.Value, error) {
			err := s(src)
			return append([]byte(nil), d...), err
		}
	case pgtype.Float4OID:
		var d float32
		s := scan(&d)
		return func(src []byte) (driver.Value, error) { err := s(src); return float64(d), err }
	case pgtype.Float8OID:
		var d float64
		s := scan(&d)
		return func(src []byte) (driver.Value, error) { return d, s(src) }
	case pgtype.Int2OID, pgtype.Int4OID, pgtype.Int8OID:
		var d int64
		s := scan(&d)
		return func(src []byte) (driver.Value, error) { err := s(src); return d, err }
	case pgtype.DateOID:
		var d pgtype.Date
		s := scan(&d)
		return func(src []byte) (driver.Value, error) {
			if err := s(src); err != nil {
				return nil, err
			}
			return d.Value()
		}
	case pgtype.TimestampOID:
		var d pgtype.Timestamp
		s := scan(&d)
		return func(src []byte) (driver.Value, error) {
			if err := s(src); err != nil {
				return nil, err
			}
			return d.Value()
		}
	case pgtype.TimestamptzOID:
		var d pgtype.Timestamptz
		s := scan(&d)
		return func(src []byte) (driver.Value, error) {
			if err := s(src); err != nil {
				return nil, err
			}
			return d.Value()
		}
	default:
		var d string
		s := scan(&d)
		return func(src []byte) (driver.Value, error) { err := s(src); return d, err }
	}
}

// bufferedRows are a statement's rows read whole: entsql.ColumnScanner.
type bufferedRows struct {
	cols []string
	rows [][]driver.Value
	i    int
}

var _ entsql.ColumnScanner = (*bufferedRows)(nil)

func (r *bufferedRows) Close() error               { return nil }
func (r *bufferedRows) Columns() ([]string, error) { return r.cols, nil }
func (r *bufferedRows) ColumnTypes() ([]*sql.ColumnType, error) {
	return nil, errors.New("incident pipeline: no column types")
}
func (r *bufferedRows) Err() error          { return nil }
func (r *bufferedRows) NextResultSet() bool { return false }

func (r *bufferedRows) Next() bool {
	if r.i+1 >= len(r.rows) {
		r.i = len(r.rows)
		return false
	}
	r.i++
	return true
}

// Scan assigns the current row to dest as database/sql would for the
// destinations ent and graphwalk use: sql.Scanner (sql.Null*), pointers
// to []byte, sql.RawBytes, string, the integer types, float64, bool,
// time.Time and any.
func (r *bufferedRows) Scan(dest ...any) error {
	if r.i < 0 || r.i >= len(r.rows) {
		return errors.New("incident pipeline: Scan without a row")
	}
	row := r.rows[r.i]
	if len(dest) != len(row) {
		return fmt.Errorf("incident pipeline: %d destinations for %d columns", len(dest), len(row))
	}
	for i, d := range dest {
		if err := assign(d, row[i]); err != nil {
			return fmt.Errorf("incident pipeline: column %s: %w", r.cols[i], err)
		}
	}
	return nil
}

// assign stores the driver value v in dest.
func assign(dest any, v driver.Value) error {
	if s, ok := dest.(sql.Scanner); ok {
		return s.Scan(v)
	}
	switch d := dest.(type) {
	case *any:
		*d = v
		return nil
	case *entsql.UnknownType:
		*d = v
		return nil
	case *[]byte:
		*d = bytesOf(v)
		return nil
	case *sql.RawBytes:
		*d = bytesOf(v)
		return nil
	}
	if v == nil {
		return fmt.Errorf("NULL into %T", dest)
	}
	switch d := dest.(type) {
	case *string:
		if b, ok := v.([]byte); ok {
			*d = string(b)
			return nil
		}
		s, ok := v.(string)
		if !ok {
			return fmt.Errorf("%T into *string", v)
		}
		*d = s
	case *int, *int64, *int32:
		n, ok := v.(int64)
		if !ok {
			return fmt.Errorf("%T into %T", v, dest)
		}
		switch d := d.(type) {
		case *int:
			*d = int(n)
		case *int64:
			*d = n
		case *int32:
			*d = int32(n)
		}
	case *float64:
		f, ok := v.(float64)
		if !ok {
			return fmt.Errorf("%T into *float64", v)
		}
		*d = f
	case *bool:
		b, ok := v.(bool)
		if !ok {
			return fmt.Errorf("%T into *bool", v)
		}
		*d = b
	case *time.Time:
		t, ok := v.(time.Time)
		if !ok {
			return fmt.Errorf("%T into *time.Time", v)
		}
		*d = t
	default:
		return fmt.Errorf("unsupported destination %T", dest)
	}
	return nil
}

// bytesOf is v as bytes, nil for NULL.
func bytesOf(v driver.Value) []byte {
	switch v := v.(type) {
	case nil:
		return nil
	case []byte:
		return v
	case string:
		return []byte(v)
	default:
		return []byte(fmt.Sprint(v))
	}
}

// Exec refuses: a pipeline only reads.
func (p *pipeline) Exec(context.Context, string, any, any) error {
	return errors.New("incident pipeline: reads only")
}

// Tx refuses: a pipeline only reads.
func (p *pipeline) Tx(context.Context) (dialect.Tx, error) {
	return nil, errors.New("incident pipeline: reads only")
}

// Close does nothing: the pool is the store's.
func (p *pipeline) Close() error { return nil }

// Dialect is PostgreSQL's.
func (p *pipeline) Dialect() string { return dialect.Postgres }

// on is e reading through p: its ent client and its walks.
func (e *Engine) on(p *pipeline) *Engine {
	return &Engine{client: p.client(), db: e.db, walker: e.walker.Via(p)}
}

// contextPipelined fills ic for the match m in two rounds on a pipeline:
// the CI, the alternatives and every part's loads (the walks with the CIs
// they reach) side by side, then what combines them (and whatever a
// Select's eager loading reads next, batched per level).
func (e *Engine) contextPipelined(ctx context.Context, m *Match, ic *Context, parts Parts) (*Context, error) {
	p := newPipeline(e.db.Reader())
	le := e.on(p)
	id := m.IDs[0]
	ps, err := e.parts(ctx, le, ic, parts, id, true)
	if err != nil {
		return nil, err
	}
	var cis, alts map[int]*ent.ConfigurationItem
	loads := []func() error{func() (err error) {
		cis, err = le.LoadCIs(ctx, m.IDs[:1], parts.CI)
		return err
	}}
	if len(m.IDs) > 1 {
		loads = append(loads, func() (err error) {
			alts, err = le.LoadCIs(ctx, m.IDs[1:], parts.Alternatives)
			return err
		})
	}
	// Each part's loads, then its finish: the part's error is its first.
	var owner []int // the part of each load
	for i, pt := range ps {
		for range pt.loads {
			owner = append(owner, i)
		}
		loads = append(loads, pt.loads...)
	}
	errs := p.run(ctx, loads...)
	fixed := len(loads) - len(owner)
	if err := errors.Join(errs[:fixed]...); err != nil {
		return nil, err
	}
	if ic.CI = cis[id]; ic.CI == nil {
		return nil, nil
	}
	ic.Alternatives = []*ent.ConfigurationItem{}
	if len(m.IDs) > 1 {
		ic.Ambiguous = true
		for _, aid := range m.IDs[1:] {
			if c := alts[aid]; c != nil {
				ic.Alternatives = append(ic.Alternatives, c)
			}
		}
	}
	partErrs := make([]error, len(ps))
	for k, err := range errs[fixed:] {
		if i := owner[k]; partErrs[i] == nil {
			partErrs[i] = err
		}
	}
	var finishes []func() error
	var finishing []int
	for i, pt := range ps {
		if partErrs[i] == nil && pt.finish != nil {
			finishes = append(finishes, pt.finish)
			finishing = append(finishing, i)
		}
	}
	for k, err := range p.run(ctx, finishes...) {
		partErrs[finishing[k]] = err
	}
	if err := report(ps, partErrs, parts); err != nil {
		return nil, err
	}
	return ic, nil
}

// walkEdges is the column walkCIs adds to the CIs it loads.
const walkEdges = "walk_edges"

// walkCIs is the walk from root with o and its CIs (root included when it
// exists), shaped by sel, read in one statement: the CIs whose id is among
// those the walk reads (reachedBy), each with the relationships the walk
// reads from it (graphwalk's EdgesColumn), from which graphwalk's
// FromReached builds the same Result as Walk.
func (e *Engine) walkCIs(ctx context.Context, root int, o graphwalk.Options, sel Select[*ent.ConfigurationItemQuery]) (graphwalk.Result, map[int]*ent.ConfigurationItem, error) {
	q, err := apply(e.client.ConfigurationItem.Query().Where(e.reachedBy(root, o)), sel)
	if err != nil {
		return graphwalk.Result{}, nil, err
	}
	q.Modify(func(s *entsql.Selector) {
		col, args := e.walker.EdgesColumn(s.C(configurationitem.FieldID), o)
		s.AppendSelectExprAs(entsql.ExprFunc(func(b *entsql.Builder) { writeArgs(b, col, args) }), walkEdges)
	})
	cis, err := q.All(ctx)
	if err != nil {
		return graphwalk.Result{}, nil, fmt.Errorf("loading the walk's CIs: %w", err)
	}
	out := make(map[int]*ent.ConfigurationItem, len(cis))
	reached := make([]graphwalk.ReachedCI, len(cis))
	for i, c := range cis {
		out[c.ID] = c
		v, err := c.Value(walkEdges)
		if err != nil {
			return graphwalk.Result{}, nil, fmt.Errorf("loading the walk's CIs: %w", err)
		}
		reached[i] = graphwalk.ReachedCI{ID: c.ID, Edges: string(bytesOf(v))}
	}
	res, err := graphwalk.FromReached(root, o, reached)
	return res, out, err
}

// writeArgs writes the SQL text q, binding its "?" placeholders to args in
// order.
func writeArgs(b *entsql.Builder, q string, args []any) {
	parts := strings.Split(q, "?")
	for i, part := range parts {
		b.WriteString(part)
		if i < len(parts)-1 {
			b.Arg(args[i])
		}
	}
}

// reachedBy is "id is among the CIs the walk from root with o reads", the
// walk's own statement as a subquery (graphwalk's ReachedSQL), so that the
// CIs load in the same round trip as the walk.
func (e *Engine) reachedBy(root int, o graphwalk.Options) predicate.ConfigurationItem {
	sub, args := e.walker.ReachedSQL(root, o)
	return func(s *entsql.Selector) {
		s.Where(entsql.P(func(b *entsql.Builder) {
			b.Ident(s.C(configurationitem.FieldID)).WriteString(" IN (")
			writeArgs(b, sub, args)
			b.WriteString(")")
		}))
	}
}

package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"sync"
	"time"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// DefaultReplicaMaxLag is how far behind the primary a read replica may be
// before reads go back to the primary.
const DefaultReplicaMaxLag = 10 * time.Second

// replicaLagCheckEvery bounds how often the replica's lag is measured (two
// small statements, one on each server); between checks the last figure
// stands, so a replica may serve reads up to MaxLag plus this interval old.
const replicaLagCheckEvery = time.Second

// ReplicaOptions names a PostgreSQL streaming replica for reads.
type ReplicaOptions struct {
	// DSN of the replica (a postgres:// URL). Empty means no replica.
	DSN string
	// MaxLag: while the replica's replay is further behind the primary
	// than this, reads marked for it go to the primary. Zero means
	// DefaultReplicaMaxLag.
	MaxLag time.Duration
}

type readReplicaKey struct{}

// ReadFromReplica marks ctx so that read-only statements run through the
// DB's driver outside a transaction may go to the read replica (when there
// is one and it is within its lag bound). The server marks GraphQL query
// operations; mutations, transactions and everything unmarked stay on the
// primary. What a replica serves may be up to the lag bound old: a client
// that must read its own write reads in the mutation's response.
func ReadFromReplica(ctx context.Context) context.Context {
	return context.WithValue(ctx, readReplicaKey{}, true)
}

func wantsReplica(ctx context.Context) bool {
	v, _ := ctx.Value(readReplicaKey{}).(bool)
	return v
}

// replica is the reader pool on a streaming replica and its last lag.
type replica struct {
	pool    *pgPool
	primary *sql.DB
	maxLag  time.Duration

	mu      sync.Mutex // held while measuring
	stateMu sync.Mutex
	checked time.Time
	lag     time.Duration
	err     error
}

// ReplicaStatus is the last measurement of the read replica.
type ReplicaStatus struct {
	// Lag is how far the replica's replay is behind the primary: zero when
	// it has replayed everything the primary had written when measured,
	// else the age of the last transaction it replayed.
	Lag time.Duration
	// MaxLag is the bound past which reads go to the primary.
	MaxLag time.Duration
	// Usable reports whether reads go to the replica.
	Usable bool
	// CheckedAt is when Lag was measured; Err is why it could not be.
	CheckedAt time.Time
	Err       error
}

func openReplica(ctx context.Context, ro ReplicaOptions, po PostgresOptions, primary *sql.DB) (*replica, error) {
	if !isPostgresDSN(ro.DSN) {
		return nil, errors.New("store: the read replica must be a postgres:// DSN")
	}
	if ro.MaxLag < 0 {
		return nil, fmt.Errorf("store: read replica max lag %s: must not be negative", ro.MaxLag)
	}
	if ro.MaxLag == 0 {
		ro.MaxLag = DefaultReplicaMaxLag
	}
	pool, err := openPostgresPool(ctx, ro.DSN, po)
	if err != nil {
		return nil, fmt.Errorf("store: read replica: %w", err)
	}
	return &replica{pool: pool, primary: primary, maxLag: ro.MaxLag}, nil
}

// Status measures the lag when the last measurement is older than a second
// and returns it. Concurrent callers do not wait for a measurement in
// progress: they get the previous one.
func (r *replica) Status(ctx context.Context) ReplicaStatus {
	if r.mu.TryLock() {
		r.stateMu.Lock()
		stale := time.Since(r.checked) >= replicaLagCheckEvery
		r.stateMu.Unlock()
		if stale {
			lag, err := r.measure(ctx)
			r.stateMu.Lock()
			r.lag, r.err, r.checked = lag, err, time.Now()
			r.stateMu.Unlock()
		}
		r.mu.Unlock()
	}
	r.stateMu.Lock()
	defer r.stateMu.Unlock()
	return ReplicaStatus{Lag: r.lag, MaxLag: r.maxLag, CheckedAt: r.checked, Err: r.err,
		Usable: r.err == nil && !r.checked.IsZero() && r.lag <= r.maxLag}
}

func (r *replica) measure(ctx context.Context) (time.Duration, error) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	var lsn string
	if err := r.primary.QueryRowContext(ctx, `SELECT pg_current_wal_lsn()::text`).Scan(&lsn); err != nil {
		return 0, fmt.Errorf("store: read replica lag: primary's WAL position: %w", err)
	}
	var (
		recovery, caughtUp bool
		age                sql.NullFloat64
	)
	err := r.pool.db.QueryRowContext(ctx, `SELECT pg_is_in_recovery(),
		COALESCE(pg_last_wal_replay_lsn() >= $1::pg_lsn, false),
		EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp())::float8`, lsn).Scan(&recovery, &caughtUp, &age)
	switch {
	case err != nil:
		return 0, fmt.Errorf("store: read replica lag: %w", err)
	case !recovery:
		return 0, errors.New("store: the read replica is not in recovery: it is not a standby (promoted, or a primary given as replica)")
	case caughtUp:
		return 0, nil
	case !age.Valid:
		return time.Duration(math.MaxInt64), nil // nothing replayed yet
	}
	return time.Duration(age.Float64 * float64(time.Second)), nil
}

// pgDriver is the ent driver on PostgreSQL with a read replica: statements
// run through it outside a transaction, read-only, with a context marked by
// ReadFromReplica, go to the replica while it is within its lag bound;
// everything else goes to the primary.
type pgDriver struct {
	*entsql.Driver
	r       *entsql.Driver
	replica *replica
}

func (d *pgDriver) useReplica(ctx context.Context, query string) bool {
	return wantsReplica(ctx) && readOnlyQuery(query) && d.replica.Status(ctx).Usable
}

// Query routes a read to the replica when it may.
func (d *pgDriver) Query(ctx context.Context, query string, args, v any) error {
	if d.useReplica(ctx, query) {
		return d.r.Query(ctx, query, args, v)
	}
	return d.Driver.Query(ctx, query, args, v)
}

// QueryContext routes like Query (ent's sql/execquery feature).
func (d *pgDriver) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if d.useReplica(ctx, query) {
		return d.r.QueryContext(ctx, query, args...)
	}
	return d.Driver.QueryContext(ctx, query, args...)
}

var _ dialect.Driver = (*pgDriver)(nil)

// Replica returns the read replica's pool, or nil without one.
func (d *DB) Replica() *sql.DB {
	if d.replica == nil {
		return nil
	}
	return d.replica.pool.db
}

// ReplicaStatus measures (at most once a second) and returns the read
// replica's lag; ok is false without a replica.
func (d *DB) ReplicaStatus(ctx context.Context) (s ReplicaStatus, ok bool) {
	if d.replica == nil {
		return ReplicaStatus{}, false
	}
	return d.replica.Status(ctx), true
}

// collectors are the read replica's metrics: its pool's database/sql
// statistics (cairn_replica_*), its lag (cairn_db_replica_lag_seconds, -1
// when it cannot be measured or nothing was replayed yet) and whether
// queries use it (cairn_db_replica_in_use).
func (r *replica) collectors() []prometheus.Collector {
	status := func() ReplicaStatus {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		defer cancel()
		return r.Status(ctx)
	}
	return []prometheus.Collector{
		collectors.NewDBStatsCollector(r.pool.db, metricsPrefix+"_"+replicaPoolName),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "cairn_db_replica_lag_seconds",
			Help: "How far the read replica's replay is behind the primary (0: caught up; -1: unknown). Measured at most once a second.",
		}, func() float64 {
			st := status()
			if st.Err != nil || st.Lag == time.Duration(math.MaxInt64) {
				return -1
			}
			return st.Lag.Seconds()
		}),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "cairn_db_replica_in_use",
			Help: "1 while GraphQL queries read from the read replica, 0 while its lag is over --db-read-max-lag (or unknown) and they go to the primary.",
		}, func() float64 {
			if status().Usable {
				return 1
			}
			return 0
		}),
	}
}

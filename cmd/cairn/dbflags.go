package main

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/cairn-cmdb/cairn/internal/store"
)

// dbFlags are the global flags tuning the PostgreSQL pools (ignored on
// SQLite). Each takes its default from an environment variable; a bad
// value there is reported naming the variable when the database is opened.
type dbFlags struct {
	maxOpen, maxIdle int
	lifetime, idle   time.Duration
	statementTimeout time.Duration
	// readDSN and readMaxLag are serve's read replica (replicaFlags).
	readDSN    string
	readMaxLag time.Duration
	envErrs    []error
}

// replicaFlags registers serve's read replica flags.
func (d *dbFlags) replicaFlags(f *pflag.FlagSet) {
	f.StringVar(&d.readDSN, "db-read", envOr("CAIRN_DB_READ", ""),
		"postgres:// DSN of a streaming replica of --db: GraphQL queries read from it while its replay lag is within --db-read-max-lag (so they may be that old); mutations and transactions use --db (env CAIRN_DB_READ)")
	f.DurationVar(&d.readMaxLag, "db-read-max-lag", d.envDuration("CAIRN_DB_READ_MAX_LAG", store.DefaultReplicaMaxLag),
		"while the --db-read replica's replay is further behind than this, queries go to --db; measured at most once a second (env CAIRN_DB_READ_MAX_LAG)")
}

// replica checks the read replica flags.
func (d *dbFlags) replica(primary string) (store.ReplicaOptions, error) {
	if d.readDSN == "" {
		return store.ReplicaOptions{}, nil
	}
	if !isPostgresURL(d.readDSN) {
		return store.ReplicaOptions{}, fmt.Errorf("--db-read %s: want a postgres:// DSN of a streaming replica", redactDSN(d.readDSN))
	}
	if !isPostgresURL(primary) {
		return store.ReplicaOptions{}, errors.New("--db-read: a read replica needs a PostgreSQL --db")
	}
	if d.readMaxLag <= 0 {
		return store.ReplicaOptions{}, fmt.Errorf("--db-read-max-lag %s: want more than 0", d.readMaxLag)
	}
	return store.ReplicaOptions{DSN: d.readDSN, MaxLag: d.readMaxLag}, nil
}

func isPostgresURL(dsn string) bool {
	l := strings.ToLower(dsn)
	return strings.HasPrefix(l, "postgres://") || strings.HasPrefix(l, "postgresql://")
}

func (d *dbFlags) flags(pf *pflag.FlagSet) {
	pf.IntVar(&d.maxOpen, "db-max-open-conns", d.envInt("CAIRN_DB_MAX_OPEN_CONNS", store.DefaultPostgresMaxOpenConns),
		"PostgreSQL: most open connections of the pool (env CAIRN_DB_MAX_OPEN_CONNS)")
	pf.IntVar(&d.maxIdle, "db-max-idle-conns", d.envInt("CAIRN_DB_MAX_IDLE_CONNS", 0),
		"PostgreSQL: most idle connections kept, at most --db-max-open-conns; 0 means as many (env CAIRN_DB_MAX_IDLE_CONNS)")
	pf.DurationVar(&d.lifetime, "db-conn-max-lifetime", d.envDuration("CAIRN_DB_CONN_MAX_LIFETIME", store.DefaultPostgresConnMaxLifetime),
		"PostgreSQL: a connection is closed (and replaced on demand) this long after it was opened; 0 means never (env CAIRN_DB_CONN_MAX_LIFETIME)")
	pf.DurationVar(&d.idle, "db-conn-max-idle-time", d.envDuration("CAIRN_DB_CONN_MAX_IDLE_TIME", store.DefaultPostgresConnMaxIdleTime),
		"PostgreSQL: a connection idle this long is closed; 0 means never (env CAIRN_DB_CONN_MAX_IDLE_TIME)")
	pf.DurationVar(&d.statementTimeout, "db-statement-timeout", d.envDuration("CAIRN_DB_STATEMENT_TIMEOUT", 0),
		"PostgreSQL: statement_timeout of every session: the server cancels a statement running longer; 0 leaves the server's or the DSN's (env CAIRN_DB_STATEMENT_TIMEOUT)")
}

// options checks the values and returns them as store options, naming the
// flag (or environment variable) of a bad one.
func (d *dbFlags) options() (store.PostgresOptions, error) {
	if len(d.envErrs) > 0 {
		return store.PostgresOptions{}, errors.Join(d.envErrs...)
	}
	switch {
	case d.maxOpen < 1:
		return store.PostgresOptions{}, fmt.Errorf("--db-max-open-conns %d: want 1 or more", d.maxOpen)
	case d.maxIdle < 0:
		return store.PostgresOptions{}, fmt.Errorf("--db-max-idle-conns %d: want 0 (as many as --db-max-open-conns) or more", d.maxIdle)
	case d.maxIdle > d.maxOpen:
		return store.PostgresOptions{}, fmt.Errorf("--db-max-idle-conns %d: more than --db-max-open-conns %d", d.maxIdle, d.maxOpen)
	case d.lifetime < 0:
		return store.PostgresOptions{}, fmt.Errorf("--db-conn-max-lifetime %s: want 0 (never) or more", d.lifetime)
	case d.idle < 0:
		return store.PostgresOptions{}, fmt.Errorf("--db-conn-max-idle-time %s: want 0 (never) or more", d.idle)
	case d.statementTimeout < 0:
		return store.PostgresOptions{}, fmt.Errorf("--db-statement-timeout %s: want 0 (none) or more", d.statementTimeout)
	case d.statementTimeout > 0 && d.statementTimeout < time.Millisecond:
		return store.PostgresOptions{}, fmt.Errorf("--db-statement-timeout %s: PostgreSQL counts it in milliseconds: want 1ms or more", d.statementTimeout)
	}
	po := store.PostgresOptions{
		MaxOpenConns:     d.maxOpen,
		MaxIdleConns:     d.maxIdle,
		ConnMaxLifetime:  never(d.lifetime),
		ConnMaxIdleTime:  never(d.idle),
		StatementTimeout: d.statementTimeout,
	}
	if err := po.Validate(); err != nil {
		return store.PostgresOptions{}, err
	}
	return po, nil
}

// never maps the flags' 0 (never) to the store's negative (never; its zero
// is the default).
func never(d time.Duration) time.Duration {
	if d == 0 {
		return -1
	}
	return d
}

func (d *dbFlags) envInt(key string, def int) int {
	v, ok := os.LookupEnv(key)
	if !ok || v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		d.envErrs = append(d.envErrs, fmt.Errorf("%s=%q: want a whole number", key, v))
		return def
	}
	return n
}

func (d *dbFlags) envDuration(key string, def time.Duration) time.Duration {
	v, ok := os.LookupEnv(key)
	if !ok || v == "" {
		return def
	}
	n, err := time.ParseDuration(v)
	if err != nil {
		d.envErrs = append(d.envErrs, fmt.Errorf("%s=%q: want a duration such as 30s or 5m", key, v))
		return def
	}
	return n
}

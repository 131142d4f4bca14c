// Package replay runs the alert correlation (internal/alerts/correlate)
// over recorded alerts against the current graph of a database, storing
// nothing: `cairn alerts replay`. It parses the recording with
// internal/alerts/intake, binds the alerts to CIs (Binder.BindAll: a batch
// in a constant number of statements, internal/identity's Keys and Decide
// over one identifier query, the service label to a Service), reads the
// dependency graph breadth first (Graph: one read of the relationships per
// level for the whole batch of alerts, never one walk per alert) and
// reports the incidents the engine would form (Run). It only
// reads.
//
// Evidence (Evidence) raises a candidate by what happened on it or its
// dependencies in the lookback: change records (Changes), unauthorised
// drift, and audit changes by people and tools other than discovery.
//
// The alert service (internal/alerts) uses the same Binder, Graph and
// Evidence on intake, so a replay shows what intake would do.
package replay

import (
	"bytes"
	"context"
	stdsql "database/sql"
	"encoding/json"
	"fmt"
	"sort"
	"time"

	"github.com/cairn-cmdb/cairn/internal/alerts/correlate"
	"github.com/cairn-cmdb/cairn/internal/alerts/intake"
	"github.com/cairn-cmdb/cairn/internal/graphwalk"
	"github.com/cairn-cmdb/cairn/internal/store"
)

// Formats of a recording.
const (
	FormatDetect       = ""
	FormatAlertmanager = "alertmanager" // one webhook payload, or a JSON array of them
	FormatAlerts       = "alerts"       // the generic JSON array of alerts
)

// Parse reads a recording: an Alertmanager webhook payload (version 4), a
// JSON array of such payloads, or the generic JSON array of alerts.
// FormatDetect tells them apart by the first element: an object holding
// "alerts" is a payload. Errors name the payload and the element.
func Parse(data []byte, format string, now time.Time) ([]intake.Alert, error) {
	opt := intake.Options{Now: now}
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) == 0 {
		return nil, fmt.Errorf("the file is empty")
	}
	switch format {
	case FormatAlerts:
		return intake.ParseAlerts(data, opt)
	case FormatAlertmanager, FormatDetect:
	default:
		return nil, fmt.Errorf("format %q: want alertmanager or alerts", format)
	}
	if trimmed[0] == '{' {
		n, err := intake.ParseAlertmanager(data, opt)
		if err != nil {
			return nil, fmt.Errorf("alertmanager payload: %w", err)
		}
		return n.Alerts, nil
	}
	if trimmed[0] != '[' {
		return nil, fmt.Errorf("the file is neither a JSON object (an Alertmanager payload) nor a JSON array")
	}
	var raw []json.RawMessage
	if err := json.Unmarshal(trimmed, &raw); err != nil {
		return nil, fmt.Errorf("reading the JSON array: %w", err)
	}
	if len(raw) == 0 {
		return nil, fmt.Errorf("the array holds nothing")
	}
	if format == FormatDetect && !isPayload(raw[0]) {
		return intake.ParseAlerts(data, opt)
	}
	var out []intake.Alert
	for i, r := range raw {
		n, err := intake.ParseAlertmanager(r, opt)
		if err != nil {
			return nil, fmt.Errorf("payloads[%d]: %w", i, err)
		}
		out = append(out, n.Alerts...)
	}
	return out, nil
}

// isPayload reports whether a JSON value is an object with an "alerts" member.
func isPayload(r json.RawMessage) bool {
	var probe map[string]json.RawMessage
	if json.Unmarshal(r, &probe) != nil {
		return false
	}
	_, ok := probe["alerts"]
	return ok
}

// maxReach bounds the CIs one graph read may reach.
const maxReach = 1_000_000

// Querier runs a read statement: a reader of the database (the default,
// readers) or a transaction's ent client, whose QueryContext reads on the
// transaction's own connection. The alert intake reads there: on SQLite a
// reader's page cache is dropped whenever another connection commits (WAL
// mode), so after every intake batch its readers would page the graph and
// identifier indexes in again, while the one writer connection keeps its
// cache across its own commits.
type Querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*stdsql.Rows, error)
}

// readers is the database's reader pool as a Querier (through its
// prepared-statement cache, store.DB.Query).
type readers struct{ st *store.DB }

func (r readers) QueryContext(ctx context.Context, query string, args ...any) (*stdsql.Rows, error) {
	return r.st.Query(ctx, query, args...)
}

// Graph is correlate.Graph over the database.
type Graph struct {
	st *store.DB
	q  Querier
}

// NewGraph returns the database's dependency graph, read on its readers.
func NewGraph(st *store.DB) *Graph { return &Graph{st: st, q: readers{st}} }

// On returns the same graph read through q (a transaction's client).
func (g *Graph) On(q Querier) *Graph { return &Graph{st: g.st, q: q} }

// DependencyEdges implements correlate.Graph breadth first, one
// statement per level (at most hops, each of constant text with the level's
// CIs as one parameter, served by the relationships' from_id index): the
// relationships leaving the roots, then those leaving the CIs they reached
// for the first time, and so on, hops levels deep. Each CI's
// relationships are read once, however many roots reach it (a recursive
// walk from many roots that share their upstream revisits it per root).
func (g *Graph) DependencyEdges(ctx context.Context, cis []int, hops int) ([]correlate.Edge, error) {
	if len(cis) == 0 || hops < 1 {
		return nil, nil
	}
	seen := make(map[int]bool, len(cis))
	var frontier []int
	for _, c := range cis {
		if !seen[c] {
			seen[c] = true
			frontier = append(frontier, c)
		}
	}
	var out []correlate.Edge
	for d := 0; d < hops && len(frontier) > 0; d++ {
		sort.Ints(frontier)
		edges, err := g.edgesFrom(ctx, frontier)
		if err != nil {
			return nil, err
		}
		out = append(out, edges...)
		var next []int
		for _, e := range edges {
			if !seen[e.To] {
				seen[e.To] = true
				next = append(next, e.To)
			}
		}
		if len(seen) > maxReach {
			return nil, fmt.Errorf("walking dependencies: more than %d CIs within %d hops", maxReach, hops)
		}
		frontier = next
	}
	return out, nil
}

// edgesFrom reads the relationships leaving the CIs, in one statement.
func (g *Graph) edgesFrom(ctx context.Context, ids []int) ([]correlate.Edge, error) {
	var q string
	var arg any
	if g.st.Backend() == store.Postgres {
		q, arg = `SELECT from_id, to_id, type FROM relationships WHERE from_id = ANY(?::bigint[]) ORDER BY from_id, to_id, type`, graphwalk.PGArray(ids)
	} else {
		b, _ := json.Marshal(ids)
		q, arg = `SELECT from_id, to_id, type FROM relationships WHERE from_id IN (SELECT CAST(value AS BIGINT) FROM json_each(?)) ORDER BY from_id, to_id, type`, string(b)
	}
	rows, err := g.q.QueryContext(ctx, g.st.Rebind(q), arg)
	if err != nil {
		return nil, fmt.Errorf("reading relationships: %w", err)
	}
	defer rows.Close()
	var out []correlate.Edge
	for rows.Next() {
		var e correlate.Edge
		if err := rows.Scan(&e.From, &e.To, &e.Type); err != nil {
			return nil, fmt.Errorf("reading relationships: %w", err)
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("reading relationships: %w", err)
	}
	return out, nil
}

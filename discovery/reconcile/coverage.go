package reconcile

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"

	"github.com/cairn-cmdb/cairn/discovery"
	"github.com/cairn-cmdb/cairn/ent"
	"github.com/cairn-cmdb/cairn/ent/configurationitem"
	"github.com/cairn-cmdb/cairn/ent/predicate"
	"github.com/cairn-cmdb/cairn/internal/textclip"
)

// coverageText says which coverage entry made a CI this job's to miss, for
// the sighting's matched_by: "not seen; covered by cloud.account=1,
// cloud.provider=aws, cloud.region=eu-west-1".
func coverageText(c discovery.Coverage) string {
	keys := make([]string, 0, len(c.Facts))
	for k := range c.Facts {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + "=" + c.Facts[k]
	}
	return "not seen; covered by " + strings.Join(parts, ", ")
}

// validFactKey: a coverage fact key the JSON path may name (flat
// lower-dotted keys, as sources write them).
func validFactKey(k string) bool {
	if k == "" || len(k) > 200 {
		return false
	}
	for _, c := range k {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-' || c == ':' || c == '/') {
			return false
		}
	}
	return true
}

// factEQ is the predicate "the CI's fact key is the string value", in the
// JSON functions of both backends, key and value bound as arguments.
func factEQ(key, value string) predicate.ConfigurationItem {
	return predicate.ConfigurationItem(func(s *entsql.Selector) {
		col := s.C(configurationitem.FieldFacts)
		s.Where(entsql.P(func(b *entsql.Builder) {
			if b.Dialect() == dialect.Postgres {
				b.WriteString(col).WriteString(" ->> ").Arg(key)
			} else {
				b.WriteString("json_extract(").WriteString(col).Comma().Arg(`$."` + key + `"`).WriteString(")")
			}
			b.WriteOp(entsql.OpEQ).Arg(value)
		}))
	})
}

// coveredUnseen returns, for a complete run of a job with Coverage, the
// live CIs within the job's scope that carry every fact of a coverage entry,
// that the run did not see and that this job has no sighting of (sighted):
// each as an unsaved sighting (ID 0, no misses yet) with its CI, which the
// missing pass treats like this job's own unseen sightings. One query for
// all entries (facts compared in the database's JSON functions), a second
// check in memory.
func (r *reconciler) coveredUnseen(ctx context.Context, seen, sighted map[int]bool) ([]*ent.Sighting, error) {
	if r.o.JobID == 0 || !r.o.Complete || r.o.NoMissing || len(r.o.Coverage) == 0 {
		return nil, nil
	}
	var entries []discovery.Coverage
	var ors []predicate.ConfigurationItem
	for _, c := range r.o.Coverage {
		if len(c.Facts) == 0 {
			continue // would cover everything: never meant
		}
		var ands []predicate.ConfigurationItem
		ok := true
		for k, v := range c.Facts {
			if !validFactKey(k) {
				r.logf("coverage: fact key %q is not a plain key; entry %s ignored", textclip.Bytes(k, 60), coverageText(c))
				ok = false
				break
			}
			ands = append(ands, factEQ(k, v))
		}
		if ok {
			entries = append(entries, c)
			ors = append(ors, configurationitem.And(ands...))
		}
	}
	if len(ors) == 0 {
		return nil, nil
	}
	q := r.c.ConfigurationItem.Query().Where(
		configurationitem.StatusNotIn(configurationitem.StatusRetired, configurationitem.StatusDisposed),
		configurationitem.Or(ors...))
	if ps := scopePredicates(r.o.Scope); len(ps) > 0 {
		q = q.Where(ps...)
	}
	cis, err := q.Order(ent.Asc(configurationitem.FieldID)).All(ctx)
	if err != nil {
		return nil, fmt.Errorf("loading the CIs the run's coverage answers for: %w", err)
	}
	var out []*ent.Sighting
	for _, ci := range cis {
		if seen[ci.ID] || sighted[ci.ID] || r.spared[ci.ID] {
			continue
		}
		var by string
		for _, c := range entries {
			if carries(ci, c) {
				by = coverageText(c)
				break
			}
		}
		if by == "" {
			continue // the JSON comparison and ours disagree: not covered
		}
		s := &ent.Sighting{DiscoveryJobID: r.o.JobID, ConfigurationItemID: ci.ID, MatchedBy: by}
		s.Edges.ConfigurationItem = ci
		out = append(out, s)
	}
	return out, nil
}

// carries reports whether ci has every fact of c, as strings.
func carries(ci *ent.ConfigurationItem, c discovery.Coverage) bool {
	for k, v := range c.Facts {
		if got, ok := ci.Facts[k].(string); !ok || got != v {
			return false
		}
	}
	return true
}

// createCoveredSightings records this job's sightings of covered CIs it had
// never seen, as missed once by this run: from now on the job counts their
// missed runs like those of the CIs it saw. Their last-seen time is the
// CI's (or its creation), never this run's, and their last run none (0):
// markSeen stamps the CIs of the sightings of this run.
func (r *reconciler) createCoveredSightings(ctx context.Context, rows []*ent.Sighting) error {
	const perInsert = chunk / 7
	for start := 0; start < len(rows); start += perInsert {
		end := min(start+perInsert, len(rows))
		bulk := make([]*ent.SightingCreate, 0, end-start)
		for _, s := range rows[start:end] {
			ci := s.Edges.ConfigurationItem
			last := ci.CreatedAt
			if ci.LastSeenAt != nil {
				last = *ci.LastSeenAt
			}
			bulk = append(bulk, r.c.Sighting.Create().SetDiscoveryJobID(r.o.JobID).SetConfigurationItemID(ci.ID).
				SetLastSeenAt(last).SetLastRunID(0).SetMissedRuns(1).SetMatchedBy(textclip.Bytes(s.MatchedBy, 300)))
		}
		if err := r.c.Sighting.CreateBulk(bulk...).Exec(ctx); err != nil {
			return fmt.Errorf("recording sightings of covered CIs: %w", err)
		}
	}
	return nil
}

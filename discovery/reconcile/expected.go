package reconcile

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/cairn-cmdb/cairn/ent/drift"
	"github.com/cairn-cmdb/cairn/ent/sighting"
)

// expectedInPrefix starts the field of the drift that says a CI this job
// observes is not recorded by the jobs expected to record it:
// "expected_in.<job name>" (several jobs joined by ",").
const expectedInPrefix = "expected_in."

// expectedIn checks Options.ExpectedIn: each CI a full observation of this
// run matched must have a sighting by one of the named jobs (the Terraform
// state jobs of the account). One without gets (or keeps) an UNREGISTERED
// drift on "expected_in.<job>", recorded "absent", observed "present":
// running but not in state. On a complete run such a drift of this job on
// a matched CI that now has the sighting (or whose expected jobs changed)
// resolves, and so does one on a CI the run no longer sees. Named jobs that do not exist are logged; when none exists
// nothing is checked. Sightings are read in chunks, one query per chunk.
func (r *reconciler) expectedIn(ctx context.Context, ms []matched) error {
	r.resolveExpectedUnseen(ms)
	if len(r.o.ExpectedIn) == 0 || len(ms) == 0 {
		return nil
	}
	var jobIDs []int
	var names []string
	for _, actor := range r.o.ExpectedIn {
		id, ok := r.o.JobIDs[actor]
		name := strings.TrimPrefix(actor, "discovery:")
		if !ok {
			r.logf("expected in %s: there is no discovery job %q; not checked against it", actor, name)
			continue
		}
		if id == r.o.JobID {
			continue // a job expecting itself checks nothing
		}
		jobIDs = append(jobIDs, id)
		names = append(names, name)
	}
	if len(jobIDs) == 0 {
		return nil
	}
	sort.Strings(names)
	field := expectedInPrefix + strings.Join(names, ",")
	recorded := make(map[int]bool, len(ms))
	for start := 0; start < len(ms); start += chunk {
		end := min(start+chunk, len(ms))
		ids := make([]int, 0, end-start)
		for _, m := range ms[start:end] {
			ids = append(ids, m.ci.ID)
		}
		got, err := r.c.Sighting.Query().
			Where(sighting.DiscoveryJobIDIn(jobIDs...), sighting.ConfigurationItemIDIn(ids...), sighting.MissedRunsEQ(0)).
			Select(sighting.FieldConfigurationItemID).Ints(ctx)
		if err != nil {
			return fmt.Errorf("loading the sightings of the jobs expected to record what the run sees: %w", err)
		}
		for _, id := range got {
			recorded[id] = true
		}
	}
	missing := 0
	for _, m := range ms {
		id := m.ci.ID
		if !recorded[id] {
			missing++
			r.openOrTouch(m.ci, "", driftKey{ci: id, kind: drift.KindUnregistered, field: field}, "absent", "present", m.obs.Key, "")
			if missing <= 20 {
				r.logf("%s (CI %d %s): running but not in the state of job %s", m.obs.Key, id, m.ci.Name, strings.Join(names, " or "))
			}
		}
		if !r.o.Complete {
			continue
		}
		for _, d := range r.openByCI[id] {
			if d.Kind != drift.KindUnregistered || d.FieldName == nil || !strings.HasPrefix(*d.FieldName, expectedInPrefix) || !r.sawIt(d) {
				continue
			}
			if recorded[id] || *d.FieldName != field {
				r.resolveAs(d, drift.StatusResolved)
			}
		}
	}
	if missing > 20 {
		r.logf("%d CIs in all running but not in the state of job %s", missing, strings.Join(names, " or "))
	}
	return nil
}

// resolveExpectedUnseen resolves, on a complete run of a job that answers
// for its scope, this job's "expected_in" drifts on CIs it no longer sees
// (no longer running: its missing drift says so) or on every CI when the
// job expects no other job to record what it sees any more.
func (r *reconciler) resolveExpectedUnseen(ms []matched) {
	if r.o.JobID == 0 || !r.o.Complete || r.o.NoMissing {
		return
	}
	seen := make(map[int]bool, len(ms))
	for _, m := range ms {
		seen[m.ci.ID] = true
	}
	for key, d := range r.open {
		if key.kind != drift.KindUnregistered || key.ci == 0 || !strings.HasPrefix(key.field, expectedInPrefix) ||
			d.Source == nil || *d.Source != r.o.Actor {
			continue
		}
		if !seen[key.ci] || len(r.o.ExpectedIn) == 0 {
			r.resolveAs(d, drift.StatusResolved)
		}
	}
}

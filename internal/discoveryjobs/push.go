package discoveryjobs

import (
	"context"
	"fmt"
	"time"

	"github.com/cairn-cmdb/cairn/discovery"
	"github.com/cairn-cmdb/cairn/discovery/push"
	"github.com/cairn-cmdb/cairn/discovery/runner"
	"github.com/cairn-cmdb/cairn/ent"
	"github.com/cairn-cmdb/cairn/ent/discoveryjob"
	"github.com/cairn-cmdb/cairn/internal/apperr"
)

// MaxSubmittedObservations bounds one Submit call.
const MaxSubmittedObservations = 10000

// Observation is one pushed observation as an agent sends it; Fields and
// Facts values must be strings.
type Observation struct {
	Key, Kind, Name string
	Identifiers     []discovery.Identifier
	Fields, Facts   map[string]any
	CompleteFacts   []string
	// SeenAt defaults to the time of the submission.
	SeenAt *time.Time
	// Relationships go to other observations of the same submission.
	Relationships []Relationship
	// StableKey: Key is the agent's own stable name for the thing
	// (discovery.Observation.StableKey).
	StableKey bool
}

// Relationship is a pushed observation's edge; Attributes values must be
// strings.
type Relationship struct {
	Type, To   string
	Attributes map[string]any
}

// Observations converts and checks pushed observations; a problem is
// BAD_USER_INPUT naming the observation (observations[i], .key, .fields,
// .facts).
func Observations(in []Observation, now time.Time) ([]discovery.Observation, error) {
	if len(in) == 0 {
		return nil, apperr.Invalid("observations", "at least one observation is required")
	}
	if len(in) > MaxSubmittedObservations {
		return nil, apperr.Invalid("observations", "at most %d observations per call, got %d", MaxSubmittedObservations, len(in))
	}
	out := make([]discovery.Observation, 0, len(in))
	keys := map[string]bool{}
	for i, o := range in {
		field := fmt.Sprintf("observations[%d]", i)
		ob := discovery.Observation{
			Key: o.Key, Kind: o.Kind, Name: o.Name, Identifiers: o.Identifiers,
			CompleteFacts: o.CompleteFacts, SeenAt: now,
		}
		if o.SeenAt != nil {
			ob.SeenAt = o.SeenAt.UTC()
		}
		var err error
		if ob.Fields, err = stringMap(o.Fields); err != nil {
			return nil, apperr.Invalid(field+".fields", "%v", err)
		}
		if ob.Facts, err = stringMap(o.Facts); err != nil {
			return nil, apperr.Invalid(field+".facts", "%v", err)
		}
		ob.StableKey = o.StableKey
		for j, r := range o.Relationships {
			attrs, err := stringMap(r.Attributes)
			if err != nil {
				return nil, apperr.Invalid(fmt.Sprintf("%s.relationships[%d].attributes", field, j), "%v", err)
			}
			ob.Relationships = append(ob.Relationships, discovery.Relationship{Type: r.Type, To: r.To, Attributes: attrs})
		}
		if err := ob.Check(); err != nil {
			return nil, apperr.Invalid(field, "%v", err)
		}
		if keys[ob.Key] {
			return nil, apperr.Invalid(field+".key", "duplicate key %q", ob.Key)
		}
		keys[ob.Key] = true
		out = append(out, ob)
	}
	// An edge goes to another thing of the same submission.
	for i, ob := range out {
		for j, r := range ob.Relationships {
			if !keys[r.To] || r.To == ob.Key {
				return nil, apperr.Invalid(fmt.Sprintf("observations[%d].relationships[%d].to", i, j), "%q is not the key of another observation of this submission", r.To)
			}
		}
	}
	return out, nil
}

func stringMap(m map[string]any) (map[string]string, error) {
	if m == nil {
		return nil, nil
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		s, ok := v.(string)
		if !ok {
			return nil, fmt.Errorf("%q must be a string", k)
		}
		out[k] = s
	}
	return out, nil
}

// Submit runs the push job named jobName on observations an agent sent.
// The job must exist, have the push source kind and be enabled.
func (s *Service) Submit(ctx context.Context, jobName string, in []Observation, dryRun bool) (*ent.DiscoveryRun, error) {
	if _, err := s.registry(); err != nil {
		return nil, err
	}
	job, err := s.Runner.Client.DiscoveryJob.Query().Where(discoveryjob.Name(jobName)).Only(ctx)
	if ent.IsNotFound(err) {
		return nil, apperr.Invalid("job", "no discovery job named %q", jobName)
	}
	if err != nil {
		return nil, fmt.Errorf("loading discovery job %q: %w", jobName, err)
	}
	if job.SourceKind != push.Name {
		return nil, apperr.Invalid("job", "job %q has source kind %q; observations can be submitted only to %q jobs", jobName, job.SourceKind, push.Name)
	}
	if !job.Enabled {
		return nil, apperr.New(apperr.Conflict, "job %q is disabled", jobName)
	}
	obs, err := Observations(in, time.Now().UTC())
	if err != nil {
		return nil, err
	}
	res, err := s.Runner.Run(ctx, runner.Spec{Job: job, Observations: obs, DryRun: dryRun, Trigger: "push"})
	if err != nil {
		return nil, err
	}
	return res.Run, nil
}

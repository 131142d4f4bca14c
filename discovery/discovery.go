// Package discovery holds what every discovery source shares: the Source
// interface, the Observation a source produces, and the registry of source
// kinds with their validated configuration types.
//
// A source only observes; it never writes. Reconciliation (package
// discovery/reconcile) alone decides what an observation means for the
// record.
package discovery

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/cairn-cmdb/cairn/internal/ident"
)

// Identifier is a value that names the observed thing in the real world.
// Value need not be normalised: reconciliation normalises it with
// ident.Normalize and drops values that do not validate.
type Identifier struct {
	Kind  ident.Kind `json:"kind"`
	Value string     `json:"value"`
}

// Relationship is an observed, directed edge "this depends on To", where To
// is the Key of another observation of the same run. Type is a Cairn
// relationship type in UPPER_SNAKE form, such as DEPENDS_ON or RUNS_ON.
//
// Attributes describe the edge itself as flat strings, stored on the
// recorded relationship: for CONNECTS_TO between two devices (LLDP, CDP)
// "local_port" and "remote_port" (the interfaces at this end and at To's
// end) and, where known, "local_port_description" and
// "remote_port_description"; for a VM's disk on a datastore (USES)
// "disk". An observed edge whose attributes differ from the recorded
// one's (a cable moved to another port) is relationship drift on that
// attribute. Keys are lower_snake; at most MaxRelationshipAttributes.
type Relationship struct {
	Type       string            `json:"type"`
	To         string            `json:"to"`
	Attributes map[string]string `json:"attributes,omitempty"`
}

// MaxRelationshipAttributes bounds the attributes of one relationship, and
// MaxAttributeLen the length of each key and value.
const (
	MaxRelationshipAttributes = 16
	MaxAttributeLen           = 256
)

// Observation is what a source saw of one thing.
//
// Fields are the record's own columns the source can speak for: "name",
// "hostname", "fqdn", "serial_number", "description". Facts are flat
// key/value strings stored in the CI's facts ("os.name", "port.tcp.22",
// "tag.Env"); a value compares as a string, so the same input always yields
// the same facts.
//
// CompleteFacts lists what the observation reports in full: an entry ending
// in "." is a prefix ("port." covers every port), any other entry is one
// exact key ("open.tcp.22"). A recorded fact so covered that the observation
// lacks has gone (a port that closed). An entry "identifier.<KIND>"
// ("identifier.MAC") says the observation's identifiers of that kind are
// all of them: one the same job recorded and no longer sees is released
// through a drift (a changed MAC), never silently kept or dropped
// (reconcile.IdentifierClaim).
type Observation struct {
	// Key identifies the observation within one run, for relationships and
	// error messages, for example "host 127.0.0.1" or "aws_instance.web".
	Key           string            `json:"key"`
	Kind          string            `json:"kind"`
	Name          string            `json:"name"`
	Identifiers   []Identifier      `json:"identifiers,omitempty"`
	Fields        map[string]string `json:"fields,omitempty"`
	Facts         map[string]string `json:"facts,omitempty"`
	CompleteFacts []string          `json:"completeFacts,omitempty"`
	Relationships []Relationship    `json:"relationships,omitempty"`
	SeenAt        time.Time         `json:"seenAt"`
	// StableKey says Key is the source's own stable name for the thing,
	// the same on every run while the thing exists (a Terraform resource
	// address with its count or for_each key, a vSphere managed-object ID,
	// an AWS ARN). Reconciliation then records SourceKey(actor, Key) as a
	// SOURCE_KEY identifier of the CI and matches on it first, so a thing
	// that carries no other identifier is found again by the source that
	// recorded it instead of being created anew on every run.
	StableKey bool `json:"stableKey,omitempty"`
	// Reference says the thing was seen only through another observation
	// of the run (an LLDP or CDP neighbour of a switch, a load balancer's
	// target, a datastore a VM names): it is there to identify a CI and
	// anchor relationships. Reconciliation matches it like any other
	// observation and an unmatched one is an unregistered observation like
	// any other; but it applies none of its fields or facts to a CI it
	// matches (it fills an empty name only), records no sighting of it, so
	// that its absence from a later run concludes nothing, and never marks
	// it missing.
	Reference bool `json:"reference,omitempty"`
}

// SourceKey returns the SOURCE_KEY identifier value of an observation with
// a stable key: "<actor>|<key>", such as
// "discovery:tf-prod|module.vpc.aws_lb.front". The actor ("discovery:<job>",
// or "discovery:<kind>" for a one-off run) namespaces the key, so no other
// source or job can produce the same value: a SOURCE_KEY matches only what
// the same job recorded. Sources never produce SOURCE_KEY identifiers
// themselves (Check refuses them); they set Observation.StableKey.
func SourceKey(actor, key string) string {
	return actor + "|" + key
}

// The CI kinds an observation may carry (ent's configurationitem.Kind values).
const (
	KindServer        = "SERVER"
	KindVM            = "VM"
	KindContainer     = "CONTAINER"
	KindNetworkDevice = "NETWORK_DEVICE"
	KindStorage       = "STORAGE"
	KindDatabase      = "DATABASE"
	KindApplication   = "APPLICATION"
	KindLoadBalancer  = "LOAD_BALANCER"
	KindCloudResource = "CLOUD_RESOURCE"
	KindCluster       = "CLUSTER"
)

// ValidKind reports whether k is a CI kind.
func ValidKind(k string) bool {
	switch k {
	case KindServer, KindVM, KindContainer, KindNetworkDevice, KindStorage, KindDatabase,
		KindApplication, KindLoadBalancer, KindCloudResource, KindCluster:
		return true
	}
	return false
}

// Fields an observation may set on the record.
var recordFields = map[string]bool{"name": true, "hostname": true, "fqdn": true, "serial_number": true, "description": true}

// RecordField reports whether name is a record column an observation may set.
func RecordField(name string) bool { return recordFields[name] }

// Check reports the first problem with o: an empty key, an unknown kind or
// record field, a SOURCE_KEY identifier (only reconciliation adds those,
// from StableKey), or a relationship without a target.
func (o *Observation) Check() error {
	if strings.TrimSpace(o.Key) == "" {
		return errors.New("observation without a key")
	}
	if !ValidKind(o.Kind) {
		return fmt.Errorf("observation %q: unknown kind %q", o.Key, o.Kind)
	}
	for f := range o.Fields {
		if !RecordField(f) {
			return fmt.Errorf("observation %q: field %q cannot be observed", o.Key, f)
		}
	}
	for _, id := range o.Identifiers {
		if !id.Kind.Valid() {
			return fmt.Errorf("observation %q: unknown identifier kind %q", o.Key, id.Kind)
		}
		if id.Kind == ident.SourceKey {
			return fmt.Errorf("observation %q: a source does not give %s identifiers; it sets stableKey and reconciliation adds one", o.Key, ident.SourceKey)
		}
	}
	for _, r := range o.Relationships {
		if r.To == "" || r.Type == "" {
			return fmt.Errorf("observation %q: relationship without a type or target", o.Key)
		}
		if len(r.Attributes) > MaxRelationshipAttributes {
			return fmt.Errorf("observation %q: relationship %s to %q has %d attributes (at most %d)", o.Key, r.Type, r.To, len(r.Attributes), MaxRelationshipAttributes)
		}
		for k, v := range r.Attributes {
			if k == "" || len(k) > MaxAttributeLen || len(v) > MaxAttributeLen {
				return fmt.Errorf("observation %q: relationship %s to %q: attribute %q: keys are 1 to %d bytes, values at most %d", o.Key, r.Type, r.To, k, MaxAttributeLen, MaxAttributeLen)
			}
		}
	}
	return nil
}

// Target is one host or address a source is asked to look at.
type Target = string

// Env is what a run hands its source.
type Env struct {
	// Targets from the job's scope, for sources that reach out (ssh, snmp,
	// nmap); file sources ignore them.
	Targets []Target
	// Credentials, decrypted; nil when the job has none.
	Credentials map[string]string
	// Now is the time observations are stamped with when the source has no
	// better time of its own.
	Now    time.Time
	Logger *slog.Logger
}

// Result is what a source returns. Partial is set when some targets failed
// while others answered: the run reconciles what was seen but concludes
// nothing from what was not. HostErrors names each failure.
type Result struct {
	Observations []Observation
	Partial      bool
	HostErrors   map[string]string
	// Warnings are what the source read but could not use, said once with
	// counts ("1 dependency reference unresolved (no such resource in the
	// state): …"): the run's log starts with them, so that a run that
	// succeeded on part of its input is not silent about the rest.
	Warnings []string
	// Coverage says, for a complete run, which CIs it answers for beyond
	// its own sightings: every live CI carrying all the facts of one entry
	// (for an AWS account and region read in full: cloud.provider,
	// cloud.account, cloud.region) that the run did not see is missing for
	// this job, whoever recorded it (a resource in Terraform state that no
	// longer runs). A region that failed is left out of Coverage.
	Coverage []Coverage `json:"coverage,omitempty"`
	// ExpectedIn names the actors ("discovery:<job>") of other jobs that
	// should record every CI this run observes (the Terraform state jobs
	// of an account): an observed CI none of them has a sighting of is
	// drift, "running but not in state". Empty: no such check.
	ExpectedIn []string `json:"expectedIn,omitempty"`
}

// Coverage is one set of facts a complete run answers for in full (see
// Result.Coverage).
type Coverage struct {
	Facts map[string]string `json:"facts"`
}

// Source observes one kind of infrastructure.
type Source interface {
	// Discover returns what the source saw. An error fails the whole run.
	Discover(ctx context.Context, env Env) (*Result, error)
}

// Config is a source's configuration. Decode fills it from JSON; the
// registry validates it with validator/v10 and then calls Build.
type Config interface {
	// Build returns the source this configuration describes.
	Build() (Source, error)
}

// Kind describes one source kind in the registry.
type Kind struct {
	// Name is the job's source kind, such as "nmap".
	Name string
	// NewConfig returns a configuration holding the documented defaults.
	NewConfig func() Config
}

// Registry maps source kinds to their configuration types. It is built once
// at start-up (see package discovery/install) and read-only afterwards.
type Registry struct {
	kinds map[string]Kind
	// confine, when set, is checked by every Decode (see Confinement).
	confine *Confinement
}

// Confine returns a registry of r's kinds that checks every config it
// decodes against c: the registry of saved jobs. r is unchanged.
func (r *Registry) Confine(c *Confinement) *Registry {
	return &Registry{kinds: r.kinds, confine: c}
}

// Confinement returns the registry's confinement, nil for none.
func (r *Registry) Confinement() *Confinement { return r.confine }

// NewRegistry returns a registry holding kinds. A duplicate name is an error.
func NewRegistry(kinds ...Kind) (*Registry, error) {
	r := &Registry{kinds: map[string]Kind{}}
	for _, k := range kinds {
		if _, dup := r.kinds[k.Name]; dup {
			return nil, fmt.Errorf("discovery source kind %q registered twice", k.Name)
		}
		r.kinds[k.Name] = k
	}
	return r, nil
}

// Names returns the registered kinds in order.
func (r *Registry) Names() []string {
	out := make([]string, 0, len(r.kinds))
	for n := range r.kinds {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// Lookup returns the kind called name.
func (r *Registry) Lookup(name string) (Kind, bool) {
	k, ok := r.kinds[name]
	return k, ok
}

// ConfigError is a configuration that does not decode or validate. Field is
// the JSON path of the offending setting when known.
type ConfigError struct {
	Kind  string
	Field string
	Err   error
}

func (e *ConfigError) Error() string {
	if e.Field != "" {
		return fmt.Sprintf("%s source config: %s: %v", e.Kind, e.Field, e.Err)
	}
	return fmt.Sprintf("%s source config: %v", e.Kind, e.Err)
}

func (e *ConfigError) Unwrap() error { return e.Err }

// RelationshipFieldName is the drift field of a relationship of type typ
// to the CI with ID to: "relationship.TYPE.ID".
func RelationshipFieldName(typ string, to int) string {
	return "relationship." + typ + "." + strconv.Itoa(to)
}

// RelationshipAttributeFieldName is the drift field of attribute attr of
// the relationship of type typ to the CI with ID to:
// "relationship.TYPE.ID.ATTR" (a cable moved to another port of the same
// neighbour: "relationship.CONNECTS_TO.12.local_port").
func RelationshipAttributeFieldName(typ string, to int, attr string) string {
	return RelationshipFieldName(typ, to) + "." + attr
}

// RelationshipField splits a relationship drift's field,
// "relationship.TYPE.ID", into the relationship type and the ID of the CI
// at its other end. A field naming an attribute of the relationship
// ("relationship.TYPE.ID.ATTR") is not one: see ParseRelationshipField.
func RelationshipField(field string) (typ string, id int, ok bool) {
	typ, id, attr, ok := ParseRelationshipField(field)
	if !ok || attr != "" {
		return "", 0, false
	}
	return typ, id, true
}

// ParseRelationshipField splits a relationship drift's field, either
// "relationship.TYPE.ID" (the relationship itself; attr is "") or
// "relationship.TYPE.ID.ATTR" (one of its attributes), into its parts.
func ParseRelationshipField(field string) (typ string, id int, attr string, ok bool) {
	rest, found := strings.CutPrefix(field, "relationship.")
	if !found {
		return "", 0, "", false
	}
	typ, rest, found = strings.Cut(rest, ".")
	if !found || typ == "" {
		return "", 0, "", false
	}
	num, attr, hasAttr := strings.Cut(rest, ".")
	if hasAttr && attr == "" {
		return "", 0, "", false
	}
	id, err := strconv.Atoi(num)
	if err != nil || id <= 0 {
		return "", 0, "", false
	}
	return typ, id, attr, true
}

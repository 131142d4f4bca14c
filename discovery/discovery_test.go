package discovery_test

import (
	"testing"

	"github.com/cairn-cmdb/cairn/discovery"
)

func TestRelationshipField(t *testing.T) {
	for _, tc := range []struct {
		field string
		typ   string
		id    int
		ok    bool
	}{
		{"relationship.DEPENDS_ON.42", "DEPENDS_ON", 42, true},
		{discovery.RelationshipFieldName("HOSTED_ON", 17179869185), "HOSTED_ON", 17179869185, true},
		{"relationship.DEPENDS_ON", "", 0, false},
		{"relationship..42", "", 0, false},
		{"relationship.USES.x", "", 0, false},
		{"relationship.USES.-3", "", 0, false},
		{"fqdn", "", 0, false},
		{"", "", 0, false},
	} {
		typ, id, ok := discovery.RelationshipField(tc.field)
		if typ != tc.typ || id != tc.id || ok != tc.ok {
			t.Errorf("RelationshipField(%q) = %q, %d, %v; want %q, %d, %v", tc.field, typ, id, ok, tc.typ, tc.id, tc.ok)
		}
	}
}

// TestParseRelationshipField: a relationship drift's field names the
// relationship or one of its attributes; the old form stays parseable and
// RelationshipField refuses the attribute form.
func TestParseRelationshipField(t *testing.T) {
	for _, tc := range []struct {
		field string
		typ   string
		id    int
		attr  string
		ok    bool
	}{
		{"relationship.DEPENDS_ON.42", "DEPENDS_ON", 42, "", true},
		{discovery.RelationshipAttributeFieldName("CONNECTS_TO", 12, "local_port"), "CONNECTS_TO", 12, "local_port", true},
		{"relationship.CONNECTS_TO.12.a.b", "CONNECTS_TO", 12, "a.b", true},
		{"relationship.CONNECTS_TO.12.", "", 0, "", false},
		{"relationship.CONNECTS_TO.x.local_port", "", 0, "", false},
		{"relationship.USES", "", 0, "", false},
		{"facts.x", "", 0, "", false},
	} {
		typ, id, attr, ok := discovery.ParseRelationshipField(tc.field)
		if typ != tc.typ || id != tc.id || attr != tc.attr || ok != tc.ok {
			t.Errorf("ParseRelationshipField(%q) = %q, %d, %q, %v; want %q, %d, %q, %v", tc.field, typ, id, attr, ok, tc.typ, tc.id, tc.attr, tc.ok)
		}
	}
	if _, _, ok := discovery.RelationshipField("relationship.CONNECTS_TO.12.local_port"); ok {
		t.Error("RelationshipField accepts an attribute's field, want only the relationship's")
	}
}

func TestSourceKey(t *testing.T) {
	if got, want := discovery.SourceKey("discovery:tf-prod", "module.vpc.aws_lb.front"), "discovery:tf-prod|module.vpc.aws_lb.front"; got != want {
		t.Errorf("SourceKey = %q, want %q", got, want)
	}
	if discovery.SourceKey("discovery:a", "x") == discovery.SourceKey("discovery:b", "x") {
		t.Error("SourceKey of two actors is the same value, want them namespaced")
	}
}

// TestCheckRefusesSourceKey: only reconciliation makes SOURCE_KEY
// identifiers (from StableKey); a source or a push that gives one could
// claim another job's things.
func TestCheckRefusesSourceKey(t *testing.T) {
	o := discovery.Observation{Key: "x", Kind: discovery.KindServer, StableKey: true,
		Identifiers: []discovery.Identifier{{Kind: "SOURCE_KEY", Value: "discovery:other|x"}}}
	if err := o.Check(); err == nil {
		t.Fatal("Check accepted a SOURCE_KEY identifier, want an error")
	}
	o.Identifiers = nil
	if err := o.Check(); err != nil {
		t.Fatalf("Check of a StableKey observation: %v", err)
	}
}

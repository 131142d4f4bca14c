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

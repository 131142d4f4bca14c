package console_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/cairn-cmdb/cairn/ent"
	"github.com/cairn-cmdb/cairn/ent/configurationitem"
	"github.com/cairn-cmdb/cairn/ent/drift"
	"github.com/cairn-cmdb/cairn/ent/relationship"
	"github.com/cairn-cmdb/cairn/internal/console/browsertest"
)

// TestWiring: a CONNECTS_TO that LLDP discovery recorded shows its ports on
// both CIs' pages, each from its own side (here ↔ there), and its other
// attributes; a drift on one of the edge's attributes (a cable moved to
// another port, relationship.TYPE.ID.ATTR) shows on the drift desk as the
// edge and the attribute, not as a raw field.
func TestWiring(t *testing.T) {
	env := browsertest.Start(t)
	var srv, sw int
	env.Seed(t, func(ctx context.Context, tx *ent.Client) error {
		var err error
		if srv, err = tx.ConfigurationItem.Query().Where(configurationitem.Name("ams2-db01")).OnlyID(ctx); err != nil {
			return err
		}
		if sw, err = tx.ConfigurationItem.Query().Where(configurationitem.Name("ams2-tor-sw01")).OnlyID(ctx); err != nil {
			return err
		}
		if err := tx.Relationship.Create().SetFromID(srv).SetToID(sw).SetType(relationship.TypeConnectsTo).
			SetSource("discovery:lldp-ams").SetAttributes(map[string]string{"local_port": "eno1", "remote_port": "swp7", "protocol": "lldp"}).Exec(ctx); err != nil {
			return err
		}
		return tx.Drift.Create().SetKind(drift.KindRelationshipChanged).SetConfigurationItemID(srv).
			SetFieldName(fmt.Sprintf("relationship.CONNECTS_TO.%d.remote_port", sw)).SetRecorded("swp7").SetObserved("swp9").
			SetSource("discovery:lldp-ams").Exec(ctx)
	})
	tab := env.Tab(t, env.Viewer)
	for _, c := range []struct {
		id          int
		here, there string
	}{{srv, "eno1", "swp7"}, {sw, "swp7", "eno1"}} {
		tab.Go(fmt.Sprintf("/ci/%d/details", c.id))
		tab.WaitText("#relationships", "here ")
		row := tab.Text("#relationships .ci-rels .rel-ports")
		if want := fmt.Sprintf("here %s ↔ there %s", c.here, c.there); !strings.Contains(row, want) {
			t.Errorf("CI %d: ports %q, want %q", c.id, row, want)
		}
		if got := tab.Text("#relationships .ci-rels .rel-attr"); !strings.Contains(got, "protocol lldp") {
			t.Errorf("CI %d: attributes %q, want protocol lldp", c.id, got)
		}
		if c.id == srv {
			tab.Axe("CI page with a cable's ports")
		}
	}
	tab.Go(fmt.Sprintf("/drifts?ci=%d", srv))
	tab.WaitText("table.drift-table", "ams2-tor-sw01")
	if got := tab.Text("table.drift-table tbody"); !strings.Contains(got, "connects to ams2-tor-sw01: remote_port") || strings.Contains(got, "relationship.CONNECTS_TO") {
		t.Errorf("the attribute drift reads %q; want the edge named with its attribute, not the raw field", got)
	}
	tab.Axe("drift desk with an attribute drift")
}

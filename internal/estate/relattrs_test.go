package estate

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/cairn-cmdb/cairn/internal/store/storetest"
)

// TestRelationshipAttributesRoundTrip: a relationship's attributes (the
// ports of a CONNECTS_TO) are imported, exported and imported again
// unchanged; a changed attribute updates the relationship; attributes over
// the limits are a problem at the element's path, nothing written.
func TestRelationshipAttributesRoundTrip(t *testing.T) {
	doc := func(port string) *Document {
		return &Document{Version: Version,
			ConfigurationItems: []CI{{Name: "sw-a", Kind: "NETWORK_DEVICE"}, {Name: "sw-b", Kind: "NETWORK_DEVICE"}},
			Relationships: []Relationship{{From: "sw-a", To: "sw-b", Type: "CONNECTS_TO",
				Attributes: map[string]string{"local_port": port, "remote_port": "Eth1/1"}}},
		}
	}
	ctx := context.Background()
	storetest.Run(t, func(t *testing.T, dsn string) {
		a := openDB(t, dsn)
		if rep, err := Import(ctx, a.Client, doc("Gi0/1"), ImportOptions{Source: "wiring.json"}); err != nil {
			t.Fatalf("%v %v", err, rep.Problems)
		}
		out, err := ExportDB(ctx, a, ExportOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if len(out.Relationships) != 1 || fmt.Sprint(out.Relationships[0].Attributes) != "map[local_port:Gi0/1 remote_port:Eth1/1]" {
			t.Fatalf("exported relationships %+v", out.Relationships)
		}
		var b1 bytes.Buffer
		if err := Encode(&b1, out); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(b1.String(), `"attributes"`) {
			t.Fatalf("the encoded export has no attributes:\n%s", b1.String())
		}
		if b2 := reexport(t, a.Store.Backend(), b1.Bytes()); !bytes.Equal(b1.Bytes(), b2) {
			t.Fatalf("round trip differs:\n%s", firstDiff(b2, b1.Bytes()))
		}

		rep, err := Import(ctx, a.Client, doc("Gi0/3"), ImportOptions{Source: "wiring.json"})
		if err != nil {
			t.Fatalf("%v %v", err, rep.Problems)
		}
		rel := a.Client.Relationship.Query().OnlyX(ctx)
		if rel.Attributes["local_port"] != "Gi0/3" {
			t.Fatalf("attributes after re-import %v", rel.Attributes)
		}

		bad := doc("Gi0/1")
		bad.Relationships[0].Attributes["local_port"] = strings.Repeat("x", 300)
		rep, err = Import(ctx, a.Client, bad, ImportOptions{Source: "bad.json"})
		if err == nil || len(rep.Problems) != 1 || rep.Problems[0].Path != "relationships[0].attributes" ||
			!strings.Contains(rep.Problems[0].Msg, "at most 256 bytes") {
			t.Fatalf("import of a too long attribute: %v %v", err, rep.Problems)
		}
		if rel := a.Client.Relationship.Query().OnlyX(ctx); rel.Attributes["local_port"] != "Gi0/3" {
			t.Fatalf("a refused import wrote %v", rel.Attributes)
		}
	})
}

package estate

import (
	"bytes"
	"context"
	"fmt"
	"testing"

	"github.com/cairn-cmdb/cairn/internal/store/storetest"
)

// TestExportLegacyNotIdentity: identifier rows stored before values that
// are not identity were refused (a VRRP MAC, a second one) are exported as
// the CI's not_identity fact, so that the export imports into an empty
// database (whose hooks refuse them as identifiers) and exports the same.
func TestExportLegacyNotIdentity(t *testing.T) {
	ctx := context.Background()
	doc := &Document{Version: Version, ConfigurationItems: []CI{{Name: "r1", Kind: "NETWORK_DEVICE",
		Identifiers: []Identifier{{Kind: "MAC", Value: "aa:bb:cc:00:00:01"}}}}}
	storetest.Run(t, func(t *testing.T, dsn string) {
		a := openDB(t, dsn)
		if rep, err := Import(ctx, a.Client, doc, ImportOptions{Source: "r1.json"}); err != nil {
			t.Fatalf("%v %v", err, rep.Problems)
		}
		id, err := a.Client.ConfigurationItem.Query().OnlyID(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, mac := range []string{"00:00:5e:00:01:07", "00:00:0c:07:ac:01"} {
			if _, err := a.Store.Writer().ExecContext(ctx, fmt.Sprintf(`INSERT INTO identifiers (created_at, updated_at, kind, value, source, configuration_item_id)
				VALUES (CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, 'MAC', '%s', 'legacy', %d)`, mac, id)); err != nil {
				t.Fatal(err)
			}
		}
		first, err := ExportDB(ctx, a, ExportOptions{})
		if err != nil {
			t.Fatal(err)
		}
		ci := first.ConfigurationItems[0]
		if len(ci.Identifiers) != 1 || ci.Identifiers[0].Value != "aa:bb:cc:00:00:01" ||
			ci.Facts["not_identity.mac"] != "00:00:0c:07:ac:01 00:00:5e:00:01:07" {
			t.Fatalf("exported r1: identifiers %+v, facts %v", ci.Identifiers, ci.Facts)
		}
		var b1 bytes.Buffer
		if err := Encode(&b1, first); err != nil {
			t.Fatal(err)
		}
		if b2 := reexport(t, a.Store.Backend(), b1.Bytes()); !bytes.Equal(b1.Bytes(), b2) {
			t.Errorf("export of the import differs:\n%s\n---\n%s", b1.String(), b2)
		}
	})
}

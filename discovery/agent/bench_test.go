package agent

import (
	"os"
	"testing"
	"time"
)

// BenchmarkParseAndMap parses and maps the captured FusionInventory
// inventory (874 packages): the work of one agent's inventory on the
// server before reconciliation.
func BenchmarkParseAndMap(b *testing.B) {
	body, err := os.ReadFile("testdata/fusion.xml")
	if err != nil {
		b.Fatal(err)
	}
	now := time.Date(2026, 12, 8, 0, 0, 0, 0, time.UTC)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		r, err := ParseRequest(body)
		if err != nil {
			b.Fatal(err)
		}
		if _, _, err := r.Observations(now); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkParse is ParseRequest alone.
func BenchmarkParse(b *testing.B) {
	body, err := os.ReadFile("testdata/fusion.xml")
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseRequest(body); err != nil {
			b.Fatal(err)
		}
	}
}

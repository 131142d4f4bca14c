package agent

import (
	"bytes"
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

// BenchmarkDecodeParseAndMap adds inflating the zlib body, as
// fusioninventory-agent sends it.
func BenchmarkDecodeParseAndMap(b *testing.B) {
	body, err := os.ReadFile("testdata/fusion.xml")
	if err != nil {
		b.Fatal(err)
	}
	z := zlibOf(b, body)
	now := time.Date(2026, 12, 8, 0, 0, 0, 0, time.UTC)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		plain, _, err := DecodeBody(bytes.NewReader(z), "application/x-compress-zlib", DefaultMaxBodyBytes)
		if err != nil {
			b.Fatal(err)
		}
		r, err := ParseRequest(plain)
		if err != nil {
			b.Fatal(err)
		}
		if _, _, err := r.Observations(now); err != nil {
			b.Fatal(err)
		}
	}
}

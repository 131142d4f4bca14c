package estate

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"

	"github.com/cairn-cmdb/cairn/ent"
)

// DemoActor is the audit actor of the demo seed.
const DemoActor = "seed"

// Decode reads a document, rejecting unknown fields so that a misspelt key
// is reported instead of silently ignored.
func Decode(r io.Reader) (*Document, error) {
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	var doc Document
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("decoding estate document: %w", err)
	}
	if dec.More() {
		return nil, fmt.Errorf("decoding estate document: data after the document")
	}
	return &doc, nil
}

// SeedDemo imports the demo estate (data is cairn.DemoEstate()) with actor
// "seed". Seeding an already seeded database matches every element and
// changes nothing.
func SeedDemo(ctx context.Context, c *ent.Client, data []byte, opts ImportOptions) (*ImportResult, error) {
	doc, err := Decode(bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	if opts.Source == "" {
		opts.Source = "demo estate"
	}
	if opts.Actor == "" {
		opts.Actor = DemoActor
	}
	return Import(ctx, c, doc, opts)
}

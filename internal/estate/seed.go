package estate

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"

	"github.com/cairn-cmdb/cairn/ent"
	"github.com/cairn-cmdb/cairn/ent/discoveryjob"
	"github.com/cairn-cmdb/cairn/internal/audit"
	"github.com/cairn-cmdb/cairn/internal/txn"
)

// DemoActor is the audit actor of the demo seed.
const DemoActor = "seed"

// DemoPushJob is the discovery job the demo seed creates for agents: source
// kind "push", creating what it sees as DISCOVERED CIs. It is the default
// --job of `cairn discover local`, so the README's example works against
// `make run`.
const DemoPushJob = "agents"

// EntDiscoveryJobs is the report entity of the demo seed's discovery jobs
// (the estate document has none: SeedDemo adds DemoPushJob).
const EntDiscoveryJobs = "discoveryJobs"

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
// "seed", and creates the push job DemoPushJob unless a job of that name
// exists, in the same transaction. Seeding an already seeded database
// matches every element and changes nothing. A dry run writes nothing and
// reports the job as it would be created.
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
	if opts.DryRun {
		// Import rolls its own transaction back; a joined one would commit.
		rep, err := Import(ctx, c, doc, opts)
		if err != nil {
			return rep, err
		}
		return rep, seedPushJob(audit.WithActor(ctx, opts.actor()), c, rep, true)
	}
	var rep *ImportResult
	err = txn.Do(ctx, c, func(tx *ent.Client) error {
		var err error
		if rep, err = Import(ctx, tx, doc, opts); err != nil || !rep.Written {
			return err
		}
		return seedPushJob(audit.WithActor(ctx, opts.actor()), tx, rep, false)
	})
	if err != nil && rep != nil {
		rep.Written = false
		rep.resetCounts()
	}
	return rep, err
}

// seedPushJob creates the demo's push job (or, dry, counts it) unless a job
// of its name exists, whatever its settings: an operator may have changed
// them.
func seedPushJob(ctx context.Context, c *ent.Client, rep *ImportResult, dryRun bool) error {
	exists, err := c.DiscoveryJob.Query().Where(discoveryjob.Name(DemoPushJob)).Exist(ctx)
	if err != nil {
		return fmt.Errorf("demo estate: looking for discovery job %q: %w", DemoPushJob, err)
	}
	if exists {
		rep.Entity(EntDiscoveryJobs).Unchanged++
		return nil
	}
	if !dryRun {
		err := c.DiscoveryJob.Create().
			SetName(DemoPushJob).
			SetSourceKind("push").
			SetConfig(map[string]any{}).
			SetCreateUnregistered(true).
			Exec(ctx)
		if err != nil {
			return fmt.Errorf("demo estate: creating discovery job %q: %w", DemoPushJob, err)
		}
	}
	rep.created(EntDiscoveryJobs, DemoPushJob)
	return nil
}

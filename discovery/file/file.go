// Package file is a discovery source that reads an inventory file: a CSV
// export of a team's spreadsheet, a JSON dump from a hypervisor or cloud
// console, and the like. A column mapping says which column (CSV header) or
// key (JSON) feeds which part of an observation.
//
// Each row (CSV record, JSON object) is one observation. Rows are read as a
// stream: the file is never held in memory as a whole, only the observations
// it yields. Every error names the file and the line, for example
//
//	inventory.csv line 7: column "kind": unknown kind "SRVER"
//
// # Mapping targets
//
// A mapping maps a source column to one of these targets:
//
//   - key: the observation key, which other rows' depends_on may name.
//     Default: the value of the row's strongest identifier (in the order of
//     ident.Kinds: serial, cloud ID, UUID, MAC, FQDN, hostname, asset tag,
//     IP), else its name.
//   - name: the observation's name, also reported as the record field
//     "name". A row without one is named after its fqdn, its hostname or
//     else its key.
//   - kind: the CI kind, case-insensitive, with spaces or hyphens for
//     underscores ("network device" is NETWORK_DEVICE). Default: the
//     configured kind.
//   - hostname, fqdn, serial_number, description: record fields. Hostname,
//     fqdn and serial_number are identifiers as well (HOSTNAME, FQDN and
//     SERIAL).
//   - identifier.<KIND> for every identifier kind (HOSTNAME, FQDN, IP, MAC,
//     SERIAL, ASSET_TAG, CLOUD_ID, UUID). A cell of IP or MAC addresses may
//     hold several, separated by spaces, commas or semicolons.
//   - fact.<key>: the fact <key>.
//   - depends_on: the keys or names of rows this row depends on, separated
//     by commas or semicolons; a DEPENDS_ON relationship to each.
//   - relationship.<TYPE>: the same for any relationship type (RUNS_ON,
//     HOSTED_ON, CONNECTS_TO, MEMBER_OF, USES, BACKS_UP_TO, REPLICATES_TO;
//     relationship.DEPENDS_ON is depends_on).
//
// Several columns may feed identifiers and relationships; every other
// target takes at most one column. In JSON, a column is a key of the row's
// object, or a dotted path into nested objects ("guest.hostname"); a JSON
// array holds several values of an identifier or relationship target.
//
// Without a mapping, columns named like a target feed it: key, name, kind,
// hostname, fqdn, serial_number, description, depends_on, and
// identifier.<KIND>, fact.<key> and relationship.<TYPE> as written; ip,
// mac, asset_tag, uuid and cloud_id feed the identifier of that kind. Names
// are compared ignoring case, with spaces or hyphens for underscores
// ("Serial Number", "IP"). Other columns are ignored. In JSON, nested
// objects count as dotted paths, so {"fact": {"rack": "R1"}} is the fact
// "rack".
//
// Values are trimmed; an empty cell (or a JSON null) is absent. A CSV row
// whose cells are all empty is skipped. A row without a name and without an
// identifier is an error, as is a key two rows share.
package file

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/cairn-cmdb/cairn/discovery"
)

// Formats of an inventory file.
const (
	FormatCSV   = "csv"   // comma-separated values with a header row
	FormatJSON  = "json"  // a JSON array of objects
	FormatJSONL = "jsonl" // JSON objects one after another, usually one a line
)

// Config is the configuration of a file source.
type Config struct {
	// File is the path of the inventory file. Required. A saved job's file
	// must lie in a discovery directory (--discovery-dir; a relative path
	// is taken in the first; see discovery.Confinement).
	File string `json:"file" validate:"required"`
	// Format is csv, json (an array of objects) or jsonl (one object a
	// line). Default: from the extension of File: .csv, .json, and .jsonl
	// or .ndjson.
	Format string `json:"format" validate:"omitempty,oneof=csv json jsonl"`
	// Delimiter separates CSV fields: one character. Default ",". Ignored
	// for JSON.
	Delimiter string `json:"delimiter"`
	// Kind is the CI kind of rows that do not name one, written like a
	// kind column's value. Default "SERVER".
	Kind string `json:"kind"`
	// Mapping maps source columns (CSV headers, JSON keys or dotted paths)
	// to targets: key, name, kind, hostname, fqdn, serial_number,
	// description, identifier.<KIND>, fact.<key>, depends_on or
	// relationship.<TYPE> (see the package documentation). Default (absent
	// or empty): columns named like a target feed it.
	Mapping map[string]string `json:"mapping"`
}

// DefaultConfig returns a configuration holding the defaults.
func DefaultConfig() *Config {
	return &Config{Delimiter: ",", Kind: discovery.KindServer}
}

// Kind is the file source kind for the discovery registry.
func Kind() discovery.Kind {
	return discovery.Kind{Name: "file", NewConfig: func() discovery.Config { return DefaultConfig() }}
}

// Build returns the source c describes. It checks the format, delimiter,
// kind and mapping; Discover opens the file.
func (c *Config) Build() (discovery.Source, error) {
	if c.File == "" {
		return nil, errors.New("file: is required")
	}
	return compile(c, c.File)
}

// Confine implements discovery.Confined: File must be a regular file in
// the discovery directories; the source reads the file it resolves to. The
// format still comes from the extension of File as written.
func (c *Config) Confine(cf *discovery.Confinement) error {
	real, err := cf.Input("file", c.File)
	if err != nil {
		return err
	}
	if c.Format == "" {
		if f, ok := formatOf(c.File); ok {
			c.Format = f
		}
	}
	c.File = real
	return nil
}

// Source reads one inventory file.
type Source struct {
	file     string
	format   string
	delim    rune
	kind     string
	bindings []binding // sorted by column; nil for the default mapping
}

var (
	_ discovery.Config   = (*Config)(nil)
	_ discovery.Confined = (*Config)(nil)
	_ discovery.Source   = (*Source)(nil)
)

// Discover reads the file and returns an observation for each row, seen at
// env.Now (the current time when env.Now is zero). Any problem with the
// file fails the run.
func (s *Source) Discover(ctx context.Context, env discovery.Env) (*discovery.Result, error) {
	f, err := os.Open(s.file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	p := s.newParser(s.file)
	obs, err := p.parse(ctx, f)
	if err != nil {
		return nil, err
	}
	now := env.Now
	if now.IsZero() {
		now = time.Now()
	}
	for i := range obs {
		obs[i].SeenAt = now
	}
	if env.Logger != nil {
		if len(p.ignored) > 0 {
			env.Logger.InfoContext(ctx, "file source: columns not mapped", "file", s.file, "columns", p.ignored)
		}
		env.Logger.DebugContext(ctx, "file source: read", "file", s.file, "observations", len(obs))
	}
	return &discovery.Result{Observations: obs}, nil
}

// Parse reads the inventory in r, called name in errors. SeenAt is left
// zero.
func (s *Source) Parse(r io.Reader, name string) ([]discovery.Observation, error) {
	return s.newParser(name).parse(context.Background(), r)
}

// Parse reads the inventory in r as cfg says, without opening cfg.File:
// name is the file's name in errors and, when cfg.Format is empty, its
// extension gives the format. SeenAt is left zero. An invalid cfg is an
// error like Build's.
func Parse(r io.Reader, name string, cfg *Config) ([]discovery.Observation, error) {
	s, err := compile(cfg, name)
	if err != nil {
		return nil, err
	}
	return s.Parse(r, name)
}

// errorf is a configuration error about the setting field.
func errorf(field, format string, args ...any) error {
	return fmt.Errorf("%s: %s", field, fmt.Sprintf(format, args...))
}

package estate

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"
)

// ErrInvalid is returned (wrapped) by imports that found invalid elements
// and therefore wrote nothing. The report lists the problems.
var ErrInvalid = errors.New("invalid elements")

// Problem is an invalid element or row, located by its JSON path
// ("configurationItems[12].hostname") or CSV line ("line 17: hostname").
type Problem struct {
	Path string
	Msg  string
}

func (p Problem) String() string { return p.Path + ": " + p.Msg }

// Entity names, in the order reports list them.
const (
	EntLocations          = "locations"
	EntOwners             = "owners"
	EntVendors            = "vendors"
	EntConfigurationItems = "configurationItems"
	EntIdentifiers        = "identifiers"
	EntRelationships      = "relationships"
	EntServices           = "services"
	EntContracts          = "contracts"
	EntAssets             = "assets"
	EntChangeRecords      = "changeRecords"
)

func entityOrder() []string {
	return []string{EntLocations, EntOwners, EntVendors, EntConfigurationItems, EntIdentifiers, EntRelationships,
		EntServices, EntContracts, EntAssets, EntChangeRecords}
}

// EntityCounts counts what an import did (or would do) to one entity.
type EntityCounts struct {
	Entity    string
	Created   int
	Updated   int
	Unchanged int
	Skipped   int // invalid elements left out by a partial import
	// CreatedNames and UpdatedNames are the first few keys, in document order.
	CreatedNames []string
	UpdatedNames []string
}

// ImportResult is the outcome of an import: counts per entity, the
// problems found, and whether it was written.
type ImportResult struct {
	Source   string // file name
	DryRun   bool
	Written  bool // the transaction was committed
	Entities []*EntityCounts
	Problems []Problem
	// Ignored lists CSV columns that feed no field.
	Ignored []string
	Elapsed time.Duration
	names   int
}

func newImportResult(source string, dryRun bool, names int) *ImportResult {
	if names <= 0 {
		names = 5
	}
	r := &ImportResult{Source: source, DryRun: dryRun, names: names}
	for _, e := range entityOrder() {
		r.Entities = append(r.Entities, &EntityCounts{Entity: e})
	}
	return r
}

// Entity returns the report of entity e.
func (r *ImportResult) Entity(e string) *EntityCounts {
	for _, er := range r.Entities {
		if er.Entity == e {
			return er
		}
	}
	er := &EntityCounts{Entity: e}
	r.Entities = append(r.Entities, er)
	return er
}

func (r *ImportResult) created(e, name string) {
	er := r.Entity(e)
	er.Created++
	if len(er.CreatedNames) < r.names && name != "" {
		er.CreatedNames = append(er.CreatedNames, name)
	}
}

func (r *ImportResult) updated(e, name string) {
	er := r.Entity(e)
	er.Updated++
	if len(er.UpdatedNames) < r.names && name != "" {
		er.UpdatedNames = append(er.UpdatedNames, name)
	}
}

func (r *ImportResult) unchanged(e string) { r.Entity(e).Unchanged++ }

func (r *ImportResult) resetCounts() {
	for _, er := range r.Entities {
		*er = EntityCounts{Entity: er.Entity, Skipped: er.Skipped}
	}
}

// WriteText writes the human summary of r: what was (or would be) created,
// updated and left unchanged per entity, the first names, and the problems.
// It does not print the elapsed time, so that it can be compared with a
// golden file; the CLI adds it.
func (r *ImportResult) WriteText(w io.Writer) error {
	var b strings.Builder
	switch {
	case r.DryRun:
		fmt.Fprintf(&b, "dry run of %s: nothing was written\n", r.Source)
	case r.Written:
		fmt.Fprintf(&b, "imported %s\n", r.Source)
	default:
		fmt.Fprintf(&b, "%s: nothing was written\n", r.Source)
	}
	if len(r.Problems) > 0 {
		fmt.Fprintf(&b, "%d problem(s):\n", len(r.Problems))
		for _, p := range r.Problems {
			fmt.Fprintf(&b, "  %s\n", p)
		}
	}
	if len(r.Ignored) > 0 {
		fmt.Fprintf(&b, "ignored columns: %s\n", strings.Join(r.Ignored, ", "))
	}
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "entity\tcreated\tupdated\tunchanged\tskipped\t")
	for _, er := range r.Entities {
		if er.Created+er.Updated+er.Unchanged+er.Skipped == 0 {
			continue
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t\n", er.Entity, er.Created, er.Updated, er.Unchanged, er.Skipped)
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("formatting report: %w", err)
	}
	verb := map[bool]string{true: "would create", false: "created"}
	uverb := map[bool]string{true: "would update", false: "updated"}
	for _, er := range r.Entities {
		if len(er.CreatedNames) > 0 {
			fmt.Fprintf(&b, "%s %s: %s%s\n", verb[r.DryRun], er.Entity, quoteList(er.CreatedNames), more(er.Created, len(er.CreatedNames)))
		}
		if len(er.UpdatedNames) > 0 {
			fmt.Fprintf(&b, "%s %s: %s%s\n", uverb[r.DryRun], er.Entity, quoteList(er.UpdatedNames), more(er.Updated, len(er.UpdatedNames)))
		}
	}
	if _, err := io.WriteString(w, b.String()); err != nil {
		return fmt.Errorf("writing report: %w", err)
	}
	return nil
}

func quoteList(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = fmt.Sprintf("%q", n)
	}
	return strings.Join(q, ", ")
}

func more(total, shown int) string {
	if total > shown {
		return fmt.Sprintf(" and %d more", total-shown)
	}
	return ""
}

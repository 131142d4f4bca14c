package hooks

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/cairn-cmdb/cairn/ent"
	"github.com/cairn-cmdb/cairn/ent/configurationitem"
	"github.com/cairn-cmdb/cairn/ent/hook"
	"github.com/cairn-cmdb/cairn/ent/softwareinstallation"
	"github.com/cairn-cmdb/cairn/internal/textsafe"
)

// The facts a CI's SoftwareInstallation rows come from (the fact names of
// the local, ssh and agent sources): package.<name> holds the installed
// versions, comma-joined; package_arch.<name> their architectures in the
// same order; packages.manager the package manager whose version ordering
// applies.
const (
	packageFactPrefix = "package."
	archFactPrefix    = "package_arch."
	managerFact       = "packages.manager"
)

// Limits of a row (the schema's MaxLen): a package whose name or version is
// longer or not displayable text (rowText) gets no row, an architecture or
// manager that is not is left out; the facts stay on the CI.
const (
	maxSoftwareName    = 255
	maxSoftwareVersion = 255
	maxSoftwareArch    = 64
	maxSoftwareManager = 32
)

// softwareRow is one installation derived from a CI's facts.
type softwareRow struct {
	name, version string
	arch, manager *string
}

// syncSoftware keeps a CI's SoftwareInstallation rows in step with its
// package facts, in the transaction of the CI's write: when a CI is created
// with package facts, and when an update changes any package.*,
// package_arch.* or packages.manager fact (or clears the facts), the CI's
// rows are deleted (one statement) and written again (one INSERT). A write
// that leaves those facts as they were, or sets no facts at all, runs no
// statement on the table; deciding reads the stored facts through the
// mutation's OldFacts, which ent caches for every hook that asks
// (provenanceCI asks first when a person writes).
//
// The rows are written in SQL, not through ent's builders: they are derived
// data like sightings, so each row through the hooks would cost its own
// reference check and audit event (2,000 statements for a host with 1,000
// packages), and the facts they come from are audited on the CI already.
// The statements (softwareDelete, softwareInsert) are the same on both
// engines and run on the mutation's client: its transaction. A CI's delete
// takes its rows with it (ON DELETE CASCADE).
func syncSoftware(next ent.Mutator) ent.Mutator {
	return hook.ConfigurationItemFunc(func(ctx context.Context, m *ent.ConfigurationItemMutation) (ent.Value, error) {
		facts, set := m.Facts()
		if !set && !m.FactsCleared() {
			return next.Mutate(ctx, m)
		}
		switch {
		case m.Op().Is(ent.OpCreate):
			v, err := next.Mutate(ctx, m)
			if err != nil {
				return nil, err
			}
			rows := softwareRows(facts)
			if len(rows) == 0 {
				return v, nil
			}
			id, _ := m.ID()
			if err := insertSoftware(ctx, m.Client(), []int{id}, rows); err != nil {
				return nil, err
			}
			return v, nil
		case m.Op().Is(ent.OpUpdateOne):
			id, _ := m.ID()
			old, err := m.OldFacts(ctx)
			if err != nil {
				return nil, fmt.Errorf("reading facts of CI %d: %w", id, err)
			}
			if samePackages(old, facts) {
				return next.Mutate(ctx, m)
			}
			v, err := next.Mutate(ctx, m)
			if err != nil {
				return nil, err
			}
			if err := rewriteSoftware(ctx, m.Client(), []int{id}, hasPackages(old), softwareRows(facts)); err != nil {
				return nil, err
			}
			return v, nil
		case m.Op().Is(ent.OpUpdate):
			// A bulk update gives every CI it matches the same facts.
			ids, err := m.IDs(ctx)
			if err != nil {
				return nil, fmt.Errorf("listing CIs whose facts change: %w", err)
			}
			v, err := next.Mutate(ctx, m)
			if err != nil {
				return nil, err
			}
			if err := rewriteSoftware(ctx, m.Client(), ids, true, softwareRows(facts)); err != nil {
				return nil, err
			}
			return v, nil
		}
		return next.Mutate(ctx, m)
	})
}

// isPackageFact reports whether a fact key is one SoftwareInstallation rows
// come from.
func isPackageFact(k string) bool {
	return strings.HasPrefix(k, packageFactPrefix) || strings.HasPrefix(k, archFactPrefix) || k == managerFact
}

// samePackages reports whether two fact maps hold the same package facts.
func samePackages(old, cur map[string]any) bool {
	n := 0
	for k, ov := range old {
		if !isPackageFact(k) {
			continue
		}
		nv, ok := cur[k]
		if !ok || factString(ov) != factString(nv) {
			return false
		}
		n++
	}
	for k := range cur {
		if isPackageFact(k) {
			n--
		}
	}
	return n == 0
}

func hasPackages(facts map[string]any) bool {
	for k := range facts {
		if strings.HasPrefix(k, packageFactPrefix) {
			return true
		}
	}
	return false
}

// factString is a fact's value as text (sources write strings).
func factString(v any) string {
	switch s := v.(type) {
	case nil:
		return ""
	case string:
		return s
	}
	return fmt.Sprint(v)
}

// softwareRows derives the installations from a CI's facts, ordered by
// name: a row per version of package.<name>, paired with package_arch.<name>
// by position when both list as many; one version with several
// architectures (libc6 for amd64 and i386) is a row per architecture; any
// other mismatch leaves the architecture unknown. Repeated pairs count once.
func softwareRows(facts map[string]any) []softwareRow {
	var manager *string
	if mv := strings.TrimSpace(factString(facts[managerFact])); rowText(mv, maxSoftwareManager) {
		manager = &mv
	}
	var rows []softwareRow
	for k, v := range facts {
		name, ok := strings.CutPrefix(k, packageFactPrefix)
		if !ok || !rowText(name, maxSoftwareName) {
			continue
		}
		versions := splitList(factString(v))
		arches := splitList(factString(facts[archFactPrefix+name]))
		type pair struct{ version, arch string }
		var pairs []pair
		switch {
		case len(arches) == len(versions):
			for i, ver := range versions {
				pairs = append(pairs, pair{ver, arches[i]})
			}
		case len(versions) == 1 && len(arches) > 1:
			for _, a := range arches {
				pairs = append(pairs, pair{versions[0], a})
			}
		default:
			for _, ver := range versions {
				pairs = append(pairs, pair{ver, ""})
			}
		}
		seen := make(map[pair]bool, len(pairs))
		for _, p := range pairs {
			if !rowText(p.version, maxSoftwareVersion) || seen[p] {
				continue
			}
			seen[p] = true
			r := softwareRow{name: name, version: p.version, manager: manager}
			if rowText(p.arch, maxSoftwareArch) {
				a := p.arch
				r.arch = &a
			}
			rows = append(rows, r)
		}
	}
	sort.Slice(rows, func(i, j int) bool {
		if rows[i].name != rows[j].name {
			return rows[i].name < rows[j].name
		}
		return rows[i].version < rows[j].version
	})
	return rows
}

// rowText reports whether a value may be stored in a row: not empty, at
// most limit bytes, and a displayable name (textsafe.CheckName: no control,
// bidi-formatting or invisible characters, valid UTF-8; PostgreSQL refuses
// a NUL in text, which would fail the CI's whole write).
func rowText(s string, limit int) bool {
	return s != "" && len(s) <= limit && textsafe.CheckName(s) == nil
}

// splitList splits a comma-joined fact value, trimming each element (empty
// elements stay, so positions still pair versions with architectures).
func splitList(s string) []string {
	if strings.TrimSpace(s) == "" {
		return nil
	}
	parts := strings.Split(s, ",")
	for i, p := range parts {
		parts[i] = strings.TrimSpace(p)
	}
	return parts
}

// rewriteSoftware replaces the rows of the CIs ids with rows (each CI gets
// all of them): a DELETE per CI when they may have rows, then the INSERTs.
func rewriteSoftware(ctx context.Context, c *ent.Client, ids []int, hadRows bool, rows []softwareRow) error {
	if hadRows {
		for _, id := range ids {
			if _, err := c.ExecContext(ctx, softwareDelete, id); err != nil {
				return fmt.Errorf("deleting the software installations of CI %d: %w", id, err)
			}
		}
	}
	return insertSoftware(ctx, c, ids, rows)
}

// The statements take one parameter each, whatever the number of rows:
// $1, which both engines read (SQLite as a named parameter, which it
// looks up by name, so a statement with thousands of them would spend its
// time there). The rows go as one JSON object of arrays ({"0": [name,
// version, arch, manager, CI], ...}) that json_each expands on both
// (PostgreSQL's json_each takes an object, SQLite's anything) and ->>
// reads (an array element as text on both).
var (
	softwareDelete = `DELETE FROM "` + softwareinstallation.Table + `" WHERE "` + softwareinstallation.FieldConfigurationItemID + `" = $1`
	softwareInsert = `INSERT INTO "` + softwareinstallation.Table + `" ("` +
		strings.Join([]string{softwareinstallation.FieldName, softwareinstallation.FieldVersion, softwareinstallation.FieldArch,
			softwareinstallation.FieldManager, softwareinstallation.FieldConfigurationItemID}, `", "`) + `") ` +
		`SELECT value ->> 0, value ->> 1, value ->> 2, value ->> 3, CAST(value ->> 4 AS BIGINT) FROM json_each($1)`
)

// insertSoftware writes rows for each CI of ids: one INSERT a CI.
func insertSoftware(ctx context.Context, c *ent.Client, ids []int, rows []softwareRow) error {
	if len(rows) == 0 {
		return nil
	}
	for _, id := range ids {
		var b strings.Builder
		b.Grow(len(rows) * 64)
		b.WriteByte('{')
		for i, r := range rows {
			row, err := json.Marshal([]any{r.name, r.version, r.arch, r.manager, id})
			if err != nil {
				return fmt.Errorf("encoding package %q: %w", r.name, err)
			}
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(`"` + strconv.Itoa(i) + `":`)
			b.Write(row)
		}
		b.WriteByte('}')
		if _, err := c.ExecContext(ctx, softwareInsert, b.String()); err != nil {
			return fmt.Errorf("recording the software installations of CI %d: %w", id, err)
		}
	}
	return nil
}

// RebuildSoftware rewrites every CI's SoftwareInstallation rows from its
// facts, for a database whose CIs got package facts before the table
// existed (the hook keeps them in step from then on). c should be a
// transaction's client, so the table is never seen half rebuilt. It returns
// how many rows it wrote.
func RebuildSoftware(ctx context.Context, c *ent.Client) (int, error) {
	if _, err := c.ExecContext(ctx, `DELETE FROM "`+softwareinstallation.Table+`"`); err != nil {
		return 0, fmt.Errorf("clearing software installations: %w", err)
	}
	written, last := 0, 0
	for {
		cis, err := c.ConfigurationItem.Query().
			Where(configurationitem.IDGT(last), configurationitem.FactsNotNil()).
			Order(configurationitem.ByID()).
			Limit(500).
			Select(configurationitem.FieldFacts).
			All(ctx)
		if err != nil {
			return written, fmt.Errorf("reading facts after CI %d: %w", last, err)
		}
		if len(cis) == 0 {
			return written, nil
		}
		for _, ci := range cis {
			rows := softwareRows(ci.Facts)
			if err := insertSoftware(ctx, c, []int{ci.ID}, rows); err != nil {
				return written, err
			}
			written += len(rows)
			last = ci.ID
		}
	}
}

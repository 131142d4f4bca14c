package backup

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"

	"entgo.io/ent/dialect/sql/schema"
	"entgo.io/ent/schema/field"

	"github.com/cairn-cmdb/cairn/ent/migrate"
	"github.com/cairn-cmdb/cairn/internal/backup/backupfile"
)

// skippedTables are tables a backup leaves out: leases are the running
// processes' locks (a restored lease would hold a job back until it
// expired, and a scheduled backup would hold its own), not data.
var skippedTables = map[string]bool{
	migrate.LeasesTable.Name: true,
}

// column is one column of a table as the current schema has it.
type column struct {
	Name string
	Kind Kind
	// SelfRef: a foreign key to its own table (a location's parent, a
	// team's owner), set after the table's rows exist.
	SelfRef bool
}

// table is one table of the current schema.
type table struct {
	Name    string
	Columns []column
	// PK are the primary key's columns, the order rows are written in.
	PK []string
	// Sequence: the table's id comes from an auto-increment sequence.
	Sequence bool
	// Refs are the other tables it has foreign keys to, by column.
	Refs   map[string]string
	byName map[string]int
}

func (t *table) column(name string) (column, bool) {
	i, ok := t.byName[name]
	if !ok {
		return column{}, false
	}
	return t.Columns[i], true
}

// catalog is the current schema: its tables in dependency order (every
// table after the tables it references) and a fingerprint.
type catalog struct {
	Tables      []*table
	byName      map[string]*table
	Fingerprint string
}

func (c *catalog) table(name string) (*table, bool) {
	t, ok := c.byName[name]
	return t, ok
}

// current is the catalog of the schema this binary migrates to.
func current() (*catalog, error) { return newCatalog(migrate.Tables) }

func newCatalog(tables []*schema.Table) (*catalog, error) {
	c := &catalog{byName: map[string]*table{}}
	h := sha256.New()
	byName := map[string]*schema.Table{}
	for _, st := range tables {
		byName[st.Name] = st
	}
	// Dependency order: tables sorted by name, each placed after the
	// tables it references (a depth-first walk; ent's schema has no
	// cycles other than self-references, which are set afterwards).
	names := make([]string, 0, len(tables))
	for _, st := range tables {
		names = append(names, st.Name)
	}
	slices.Sort(names)
	state := map[string]int{} // 1 visiting, 2 done
	var order []*schema.Table
	var visit func(name string) error
	visit = func(name string) error {
		switch state[name] {
		case 1:
			return fmt.Errorf("backup: foreign keys form a cycle through table %s", name)
		case 2:
			return nil
		}
		state[name] = 1
		st := byName[name]
		refs := make([]string, 0, len(st.ForeignKeys))
		for _, fk := range st.ForeignKeys {
			if fk.RefTable != nil && fk.RefTable.Name != name {
				refs = append(refs, fk.RefTable.Name)
			}
		}
		slices.Sort(refs)
		for _, r := range refs {
			if _, ok := byName[r]; !ok {
				return fmt.Errorf("backup: table %s references %s, which is not in the schema", name, r)
			}
			if err := visit(r); err != nil {
				return err
			}
		}
		state[name] = 2
		order = append(order, st)
		return nil
	}
	for _, n := range names {
		if err := visit(n); err != nil {
			return nil, err
		}
	}
	for _, st := range order {
		t := &table{Name: st.Name, Refs: map[string]string{}, byName: map[string]int{}}
		self := map[string]bool{}
		for _, fk := range st.ForeignKeys {
			if fk.RefTable == nil || len(fk.Columns) != 1 {
				continue
			}
			if fk.RefTable.Name == st.Name {
				self[fk.Columns[0].Name] = true
			} else {
				t.Refs[fk.Columns[0].Name] = fk.RefTable.Name
			}
		}
		for _, sc := range st.Columns {
			k, err := kindOf(sc)
			if err != nil {
				return nil, fmt.Errorf("backup: table %s: %w", st.Name, err)
			}
			t.byName[sc.Name] = len(t.Columns)
			t.Columns = append(t.Columns, column{Name: sc.Name, Kind: k, SelfRef: self[sc.Name]})
			if sc.Increment {
				t.Sequence = true
			}
		}
		for _, pk := range st.PrimaryKey {
			t.PK = append(t.PK, pk.Name)
		}
		if len(t.PK) == 0 {
			return nil, fmt.Errorf("backup: table %s has no primary key to order its rows by", st.Name)
		}
		if len(self) > 0 && len(t.PK) != 1 {
			return nil, fmt.Errorf("backup: table %s references itself but has a composite primary key", st.Name)
		}
		fmt.Fprintf(h, "%s(", t.Name)
		for _, col := range t.Columns {
			fmt.Fprintf(h, "%s %s,", col.Name, col.Kind)
		}
		fmt.Fprintf(h, ")\n")
		c.byName[t.Name] = t
		if !skippedTables[t.Name] {
			c.Tables = append(c.Tables, t)
		}
	}
	c.Fingerprint = "sha256:" + hex.EncodeToString(h.Sum(nil))[:16]
	return c, nil
}

// kindOf maps an ent column type to a backup kind.
func kindOf(c *schema.Column) (Kind, error) {
	switch c.Type {
	case field.TypeInt, field.TypeInt8, field.TypeInt16, field.TypeInt32, field.TypeInt64,
		field.TypeUint, field.TypeUint8, field.TypeUint16, field.TypeUint32, field.TypeUint64:
		return backupfile.KindInt, nil
	case field.TypeFloat32, field.TypeFloat64:
		return backupfile.KindFloat, nil
	case field.TypeBool:
		return backupfile.KindBool, nil
	case field.TypeString, field.TypeEnum, field.TypeUUID:
		return backupfile.KindString, nil
	case field.TypeTime:
		return backupfile.KindTime, nil
	case field.TypeJSON:
		return backupfile.KindJSON, nil
	case field.TypeBytes:
		return backupfile.KindBytes, nil
	}
	return "", fmt.Errorf("column %s: type %s has no backup kind", c.Name, c.Type)
}

// quote quotes an identifier the same way on SQLite and PostgreSQL.
func quote(name string) string {
	return `"` + strings.ReplaceAll(name, `"`, `""`) + `"`
}

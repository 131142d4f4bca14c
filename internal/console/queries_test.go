package console_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"
)

// TestQueriesMatchSchema: every GraphQL document the console sends (the
// files under src/queries and the query/mutation strings in the
// TypeScript) validates against the server's schema, with the fragments
// of src/queries/fragments it uses. The console uses the public API only,
// so this is also a check that the API answers what it asks.
func TestQueriesMatchSchema(t *testing.T) {
	schema := loadSchema(t)
	// Files that hold only fragments are fragments; the rest are
	// documents the console sends, with the fragments they spread.
	frags := map[string]string{}
	docs := map[string]string{}
	err := filepath.WalkDir("src/queries", func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".graphql") {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		doc, perr := parser.ParseQuery(&ast.Source{Name: p, Input: string(b)})
		if perr != nil {
			t.Errorf("%s: %v", p, perr)
			return nil
		}
		if len(doc.Operations) == 0 {
			for _, fd := range doc.Fragments {
				frags[fd.Name] = string(b)
			}
			return nil
		}
		docs[p] = string(b)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// Inline documents may use variables ($id) but not template
	// interpolation (${...}): a document built at run time is not checked.
	inline := regexp.MustCompile("`\\s*((?:query|mutation)\\b(?:[^`$]|\\$[^{`])*)`")
	for _, c := range []struct {
		src, want string
	}{
		{"const Q = `query Viewer { viewer { name } }`;", "query Viewer { viewer { name } }"},
		{"const Q = `query One($id: ID!) { node(id: $id) { id } }`;", "query One($id: ID!) { node(id: $id) { id } }"},
		{"const Q = `mutation Del($id: ID!) { deleteAPIToken(id: $id) }`;", "mutation Del($id: ID!) { deleteAPIToken(id: $id) }"},
		{"return `query Trend(${vars.join(\", \")}) { ${parts} }`;", ""},
	} {
		got := ""
		if m := inline.FindStringSubmatch(c.src); m != nil {
			got = m[1]
		}
		if got != c.want {
			t.Errorf("the inline-document pattern finds %q in %s, want %q", got, c.src, c.want)
		}
	}
	err = filepath.WalkDir("src", func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !(strings.HasSuffix(p, ".ts") || strings.HasSuffix(p, ".tsx")) {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		for i, m := range inline.FindAllStringSubmatch(string(b), -1) {
			docs[p+"#"+string(rune('a'+i))] = m[1]
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(docs) < 5 {
		t.Fatalf("found only %d documents: is the test looking in the right place?", len(docs))
	}
	spread := regexp.MustCompile(`\.\.\.\s*([A-Za-z_][A-Za-z0-9_]*)`)
	for name, text := range docs {
		// Add the fragments it spreads, and theirs, once each.
		full := text
		for added := true; added; {
			added = false
			for _, m := range spread.FindAllStringSubmatch(full, -1) {
				if f, ok := frags[m[1]]; ok && !strings.Contains(full, "fragment "+m[1]+" ") {
					full = f + "\n" + full
					added = true
				}
			}
		}
		if _, errs := gqlparser.LoadQuery(schema, full); len(errs) > 0 {
			t.Errorf("%s does not validate against the schema: %v", name, errs)
		}
	}
}

func loadSchema(t *testing.T) *ast.Schema {
	t.Helper()
	files, err := filepath.Glob("../../schema/*.graphql")
	if err != nil || len(files) == 0 {
		t.Fatalf("no schema files: %v", err)
	}
	var sources []*ast.Source
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		sources = append(sources, &ast.Source{Name: f, Input: string(b)})
	}
	schema, gerr := gqlparser.LoadSchema(sources...)
	if gerr != nil {
		t.Fatalf("schema: %v", gerr)
	}
	return schema
}

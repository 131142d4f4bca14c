package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// runCairn runs the CLI with args and returns its standard output.
func runCairn(t *testing.T, args ...string) (string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	root := newRoot(&out, &errOut)
	root.SetArgs(args)
	err := root.ExecuteContext(context.Background())
	return out.String(), err
}

func TestEstateCommands(t *testing.T) {
	dir := t.TempDir()
	db1, db2 := filepath.Join(dir, "one.db"), filepath.Join(dir, "two.db")
	out, err := runCairn(t, "seed", "--demo", "--db", db1)
	if err != nil || !strings.Contains(out, "imported demo estate") {
		t.Fatalf("seed --demo: %v\n%s", err, out)
	}
	out, err = runCairn(t, "seed", "--demo", "--db", db1)
	if err != nil || strings.Contains(out, "\ncreated ") || strings.Contains(out, "\nupdated ") {
		t.Fatalf("second seed --demo created something: %v\n%s", err, out)
	}
	first := filepath.Join(dir, "first.json")
	if _, err := runCairn(t, "export", "--db", db1, "--out", first); err != nil {
		t.Fatal(err)
	}
	out, err = runCairn(t, "import", first, "--db", db2, "--dry-run")
	if err != nil || !strings.Contains(out, "dry run of first.json") {
		t.Fatalf("import --dry-run: %v\n%s", err, out)
	}
	if _, err := runCairn(t, "import", first, "--db", db2); err != nil {
		t.Fatal(err)
	}
	second, err := runCairn(t, "export", "--db", db2)
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile(first)
	if err != nil {
		t.Fatal(err)
	}
	if second != string(want) {
		t.Fatal("export → import → export differs")
	}

	bad := filepath.Join("..", "..", "testdata", "import", "bad.csv")
	out, err = runCairn(t, "import", bad, "--db", db2, "--map", "name=Name,kind=Type,hostname=Host,serialNumber=Serial,ip=IP Address,owner=Owner,environment=Environment")
	if err == nil || !strings.Contains(out, `line 3: hostname: invalid host name "bad_host"`) {
		t.Fatalf("import bad.csv: %v\n%s", err, out)
	}
	if _, err := runCairn(t, "import", bad, "--db", db2, "--map", "nonsense=Name"); err == nil || !strings.Contains(err.Error(), "--map") {
		t.Fatalf("bad --map: %v", err)
	}

	db3 := filepath.Join(dir, "three.db")
	out, err = runCairn(t, "seed", "--synthetic", "200", "--db", db3)
	if err != nil || !strings.Contains(out, "200 configuration items") || !strings.Contains(out, "600 relationships") {
		t.Fatalf("seed --synthetic: %v\n%s", err, out)
	}
	if _, err := runCairn(t, "seed", "--synthetic", "10", "--db", db3); err == nil || !strings.Contains(err.Error(), "--force") {
		t.Fatalf("seed --synthetic into a non-empty database: %v", err)
	}
	if _, err := runCairn(t, "seed", "--db", db3); err == nil {
		t.Fatal("seed without --demo or --synthetic succeeded")
	}
}

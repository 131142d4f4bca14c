package archtest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"path/filepath"
	"reflect"
	"runtime"
	"sort"
	"strings"
	"testing"
)

// module is this repository's module path.
const module = "github.com/cairn-cmdb/cairn"

// domainServices are the packages that hold the rules graph resolvers,
// commands and the scheduler share. They take a context and ent, never a
// request: the same code answers a GraphQL field, `cairn lookup` and a
// scheduled run.
var domainServices = []string{
	module + "/internal/incident",
	module + "/internal/identity",
	module + "/internal/ident",
	module + "/internal/discoveryjobs",
	module + "/internal/reportschedules",
	module + "/internal/relationships",
	module + "/internal/finance",
	module + "/internal/costs",
	module + "/internal/money",
	module + "/internal/graphwalk",
	module + "/internal/hooks",
	module + "/internal/txn",
	module + "/internal/audit",
	module + "/internal/estate",
	module + "/internal/report",
	module + "/internal/scheduler/...",
	module + "/discovery/reconcile",
	// Alerts: intake and the routes in internal/server speak HTTP; the
	// service (its webhooks go through internal/report/deliver), the
	// parsers, correlation and the KPIs do not.
	module + "/internal/alerts",
	module + "/internal/alerts/intake",
	module + "/internal/alerts/correlate",
	module + "/internal/alerts/kpi",
}

var gqlgenPackages = []string{
	"github.com/99designs/gqlgen/...",
	"github.com/vektah/gqlparser/...", // gqlparser/v2 and its subpackages
}

// importRule forbids the packages matched by From, less those matched by
// Except, to import directly any package matched by Forbid: in non-test
// code, and in their tests too when Tests is set. A pattern "p/..." matches
// p and every package below it; any other pattern matches exactly.
type importRule struct {
	Name   string
	From   []string
	Except []string
	Forbid []string
	Tests  bool
	Why    string
}

// importRules is the rule table. Packages that do not exist (yet) match
// nothing, so the table may name services before they are written.
func importRules() []importRule {
	return []importRule{
		{
			Name:   "commands do not use the GraphQL adapter",
			From:   []string{module + "/cmd/..."},
			Forbid: []string{module + "/graph/..."},
			Tests:  true,
			Why: "a command calls the domain service the resolver calls (internal/incident for cairn lookup, ...); " +
				"going through resolvers drags gqlgen's request context into a terminal program",
		},
		{
			Name:   "only the server mounts the GraphQL adapter",
			From:   []string{module + "/internal/..."},
			Except: []string{module + "/internal/server", module + "/internal/server/servertest"},
			Forbid: []string{module + "/graph/..."},
			Why: "graph/ is an adapter over internal/ services; an internal package importing it would make a cycle " +
				"of layers (servertest may, to build a server for tests)",
		},
		{
			Name:   "domain services do not speak HTTP",
			From:   domainServices,
			Forbid: []string{"net/http/..."},
			Why: "transport belongs to internal/server; the services are called by the CLI and the scheduler too. " +
				"(Discovery sources and report delivery are not services: node_exporter is scraped and webhooks " +
				"are posted over HTTP, so they may.)",
		},
		{
			Name: "GraphQL stays in graph/ and internal/server",
			From: append([]string{module + "/internal/...", module + "/discovery/..."}, domainServices...),
			Except: []string{
				module + "/internal/server/...",  // the HTTP handler: gqlgen's server, error presenter, limits
				module + "/internal/client",      // the typed client: genqlient reports errors as gqlparser's gqlerror
				module + "/internal/codegen/...", // the generator runs gqlgen's api package
				module + "/internal/archtest",    // this package, which only names them
			},
			Forbid: gqlgenPackages,
			Why: "domain code returns ent values, ID lists or unexecuted ent queries and takes callbacks for field " +
				"collection, so the adapter applies gqlgen's CollectFields without the domain knowing gqlgen",
		},
	}
}

// violation is one forbidden import.
type violation struct {
	Rule, Pkg, Import string
}

func (v violation) String() string {
	return fmt.Sprintf("%s imports %s (rule %q)", v.Pkg, v.Import, v.Rule)
}

func match(pattern, pkg string) bool {
	if base, ok := strings.CutSuffix(pattern, "/..."); ok {
		return pkg == base || strings.HasPrefix(pkg, base+"/")
	}
	return pkg == pattern
}

func matchAny(patterns []string, pkg string) bool {
	for _, p := range patterns {
		if match(p, pkg) {
			return true
		}
	}
	return false
}

// violations checks a graph of direct imports (package -> its imports;
// testImports: what its tests import besides) against rules, sorted by
// package, import and rule.
func violations(imports, testImports map[string][]string, rules []importRule) []violation {
	var out []violation
	for pkg, imps := range imports {
		for _, r := range rules {
			if !matchAny(r.From, pkg) || matchAny(r.Except, pkg) {
				continue
			}
			all := imps
			if r.Tests {
				all = append(append([]string(nil), imps...), testImports[pkg]...)
			}
			for _, imp := range all {
				if matchAny(r.Forbid, imp) {
					out = append(out, violation{Rule: r.Name, Pkg: pkg, Import: imp})
				}
			}
		}
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Pkg != b.Pkg {
			return a.Pkg < b.Pkg
		}
		if a.Import != b.Import {
			return a.Import < b.Import
		}
		return a.Rule < b.Rule
	})
	return out
}

// The rules catch what they are for, and let through what they say they
// let through, on a made-up import graph.
func TestImportRulesSelfTest(t *testing.T) {
	m := func(p string) string { return module + "/" + p }
	graph := map[string][]string{
		m("cmd/cairn"):                  {m("graph"), m("internal/incident"), "net/http"},
		m("cmd/cairnlab"):               {m("graph/model")},
		m("internal/incident"):          {"net/http", m("ent"), "github.com/99designs/gqlgen/graphql"},
		m("internal/finance"):           {"github.com/vektah/gqlparser/v2/gqlerror"},
		m("internal/reportschedules"):   {"net/http/httptest", m("internal/report/deliver")},
		m("internal/report/deliver"):    {"net/http"},
		m("internal/scheduler"):         {m("graph/model")},
		m("internal/server"):            {m("graph"), m("graph/generated"), "github.com/99designs/gqlgen/graphql/handler", "net/http"},
		m("internal/server/servertest"): {m("graph"), "net/http/httptest"},
		m("internal/client"):            {"github.com/vektah/gqlparser/v2/gqlerror", "net/http"},
		m("internal/codegen/gqlgen"):    {"github.com/99designs/gqlgen/api"},
		m("discovery/nodeexporter"):     {"net/http"},
		m("discovery/ssh"):              {"github.com/vektah/gqlparser/v2/ast"},
		m("graph"):                      {m("internal/incident"), "github.com/99designs/gqlgen/graphql"},
		m("graphish"):                   {m("graphql")},
		m("internal/alerts"):            {"net/http", m("internal/report/deliver")},
		m("internal/alerts/intake"):     {"net/http"},
		m("internal/alerts/correlate"):  {"net/http/httptest"},
		m("internal/alerts/kpi"):        {"net/http"},
		m("internal/alerts/replay"):     {"net/http"},
	}
	tests := map[string][]string{
		m("cmd/cairn"):         {m("graph/generated"), m("internal/server/servertest")},
		m("internal/incident"): {m("graph")},
	}
	got := violations(graph, tests, importRules())
	want := []violation{
		{"commands do not use the GraphQL adapter", m("cmd/cairn"), m("graph")},
		{"commands do not use the GraphQL adapter", m("cmd/cairn"), m("graph/generated")},
		{"commands do not use the GraphQL adapter", m("cmd/cairnlab"), m("graph/model")},
		{"GraphQL stays in graph/ and internal/server", m("discovery/ssh"), "github.com/vektah/gqlparser/v2/ast"},
		{"domain services do not speak HTTP", m("internal/alerts"), "net/http"},
		{"domain services do not speak HTTP", m("internal/alerts/correlate"), "net/http/httptest"},
		{"domain services do not speak HTTP", m("internal/alerts/intake"), "net/http"},
		{"domain services do not speak HTTP", m("internal/alerts/kpi"), "net/http"},
		{"GraphQL stays in graph/ and internal/server", m("internal/finance"), "github.com/vektah/gqlparser/v2/gqlerror"},
		{"GraphQL stays in graph/ and internal/server", m("internal/incident"), "github.com/99designs/gqlgen/graphql"},
		{"domain services do not speak HTTP", m("internal/incident"), "net/http"},
		{"domain services do not speak HTTP", m("internal/reportschedules"), "net/http/httptest"},
		{"only the server mounts the GraphQL adapter", m("internal/scheduler"), m("graph/model")},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("violations of the synthetic graph:\n got %v\nwant %v", got, want)
	}
	for _, tt := range []struct {
		pattern, pkg string
		want         bool
	}{
		{m("graph/..."), m("graph"), true},
		{m("graph/..."), m("graph/model"), true},
		{m("graph/..."), m("graphql"), false},
		{"net/http/...", "net/http", true},
		{"net/http/...", "net/httputil", false},
		{m("internal/client"), m("internal/client/x"), false},
	} {
		if got := match(tt.pattern, tt.pkg); got != tt.want {
			t.Errorf("match(%q, %q) = %v, want %v", tt.pattern, tt.pkg, got, tt.want)
		}
	}
}

// listedPackage is the part of `go list -json` this test reads.
type listedPackage struct {
	ImportPath   string
	Imports      []string
	TestImports  []string
	XTestImports []string
	Error        *struct{ Err string }
}

// moduleImports lists every package of the module with its direct,
// non-test imports, and what its tests import.
func moduleImports(t *testing.T) (imports, testImports map[string][]string) {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		goBin = filepath.Join(runtime.GOROOT(), "bin", "go")
	}
	cmd := exec.Command(goBin, "list", "-e", "-json=ImportPath,Imports,TestImports,XTestImports,Error", module+"/...")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, stderr.Bytes())
	}
	imports, testImports = map[string][]string{}, map[string][]string{}
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p listedPackage
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatalf("decoding go list output: %v", err)
		}
		if p.Error != nil {
			// A package that does not build still lists what it imports;
			// the build failure is other tests' business.
			t.Logf("go list: %s: %s", p.ImportPath, p.Error.Err)
		}
		imports[p.ImportPath] = p.Imports
		testImports[p.ImportPath] = append(p.TestImports, p.XTestImports...)
	}
	if len(imports) == 0 {
		t.Fatal("go list listed no packages")
	}
	return imports, testImports
}

func TestImportRules(t *testing.T) {
	imports, testImports := moduleImports(t)
	rules := importRules()
	for _, r := range rules {
		n := 0
		for pkg := range imports {
			if matchAny(r.From, pkg) && !matchAny(r.Except, pkg) {
				n++
			}
		}
		t.Logf("rule %q covers %d packages", r.Name, n)
	}
	for _, svc := range domainServices {
		if _, ok := imports[svc]; !ok {
			t.Logf("domain service %s does not exist (yet); its rules match nothing", svc)
		}
	}
	why := map[string]string{}
	for _, r := range rules {
		why[r.Name] = r.Why
	}
	for _, v := range violations(imports, testImports, rules) {
		t.Errorf("%s: %s", v, why[v.Rule])
	}
}

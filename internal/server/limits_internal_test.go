package server

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/lexer"
	"github.com/vektah/gqlparser/v2/parser"
	"github.com/vektah/gqlparser/v2/validator"

	"github.com/cairn-cmdb/cairn/graph/generated"
)

// fanOutQuery is the fragment fan-out: levels fragments, each
// spreading the next twice, the last selecting viewer { name }. 28 levels
// are 1.1 KB and expand to 2^27 copies of the last fragment.
func fanOutQuery(levels int) string {
	var b strings.Builder
	b.WriteString("{ ...F0 }")
	for i := 0; i < levels-1; i++ {
		fmt.Fprintf(&b, " fragment F%d on Query { ...F%d ...F%d }", i, i+1, i+1)
	}
	fmt.Fprintf(&b, " fragment F%d on Query { viewer { name } }", levels-1)
	return b.String()
}

// validated parses and validates q against Cairn's schema, as gqlgen does
// before the cost check.
func validated(t testing.TB, q string) *ast.QueryDocument {
	t.Helper()
	doc, err := parser.ParseQuery(&ast.Source{Input: q})
	if err != nil {
		t.Fatalf("parsing: %v", err)
	}
	if errs := validator.Validate(generated.NewExecutableSchema(generated.Config{}).Schema(), doc); len(errs) > 0 {
		t.Fatalf("validating: %v", errs)
	}
	return doc
}

// selectionsIn counts the selections written in doc (operations and
// fragment definitions).
func selectionsIn(doc *ast.QueryDocument) int {
	var count func(ast.SelectionSet) int
	count = func(set ast.SelectionSet) int {
		n := len(set)
		for _, sel := range set {
			switch s := sel.(type) {
			case *ast.Field:
				n += count(s.SelectionSet)
			case *ast.InlineFragment:
				n += count(s.SelectionSet)
			}
		}
		return n
	}
	n := 0
	for _, op := range doc.Operations {
		n += count(op.SelectionSet)
	}
	for _, f := range doc.Fragments {
		n += count(f.SelectionSet)
	}
	return n
}

// TestCostPricesEachFragmentOnce: the cost check walks each fragment's
// selections once however often it is spread, so the 28-level
// double-spread query (2^27 expansions, 9.7 s before) is priced exactly in
// a few dozen visits, and refused under the default limit.
func TestCostPricesEachFragmentOnce(t *testing.T) {
	ctx := context.Background()
	for _, c := range []struct {
		levels, limit int
		wantCost      int
		exact         bool
	}{
		{10, 250_000, 2 << 9, true}, // 2^9 copies of viewer { name } (2 each)
		{28, math.MaxInt / 8, 2 << 27, true},
		{28, 250_000, 0, false},
		{45, math.MaxInt / 8, 2 << 44, true},
	} {
		q := fanOutQuery(c.levels)
		doc := validated(t, q)
		cost, visits, err := operationCost(ctx, doc.Operations[0], nil, &costStats{}, c.limit)
		if err != nil {
			t.Fatalf("%d levels: %v", c.levels, err)
		}
		if c.exact && cost != c.wantCost {
			t.Errorf("%d levels, limit %d: cost %d, want %d", c.levels, c.limit, cost, c.wantCost)
		}
		if !c.exact && cost <= c.limit {
			t.Errorf("%d levels, limit %d: cost %d, want above the limit", c.levels, c.limit, cost)
		}
		// Each written selection is visited at most once.
		if n := selectionsIn(doc); visits > n {
			t.Errorf("%d levels (%d bytes): %d visits for %d written selections", c.levels, len(q), visits, n)
		}
	}
}

// TestCostNestingThroughRememberedFragments: a fragment priced at a shallow
// spread still counts its levels where it is spread deep.
func TestCostNestingThroughRememberedFragments(t *testing.T) {
	for _, c := range []struct {
		levels int
		ok     bool
	}{{45, true}, {46, false}} {
		// locations { edges { node { ...Deep parent { parent { ... ...Deep } } } } }
		q := "{ locations(first: 1) { edges { node { ...Deep " + strings.Repeat("parent { ", c.levels) + "...Deep" + strings.Repeat(" }", c.levels) +
			" } } } } fragment Deep on Location { parent { name } }"
		doc := validated(t, q)
		_, _, err := operationCost(context.Background(), doc.Operations[0], nil, &costStats{}, math.MaxInt/8)
		if c.ok && err != nil {
			t.Errorf("%d levels: %v", c.levels, err)
		}
		if !c.ok && (err == nil || !strings.Contains(err.Message, "nests deeper than 50 levels")) {
			t.Errorf("%d levels: err = %v, want the nesting limit", c.levels, err)
		}
	}
}

// TestCostStopsAtTheLimit: a wide query over the limit is refused after a
// few visits, with a lower bound above the limit.
func TestCostStopsAtTheLimit(t *testing.T) {
	q := "{" + strings.Repeat(" configurationItems(first: 1000) { edges { node { name hostname } } }", 200) + " }"
	doc, err := parser.ParseQuery(&ast.Source{Input: q})
	if err != nil {
		t.Fatal(err)
	}
	if errs := validator.Validate(generated.NewExecutableSchema(generated.Config{}).Schema(), doc); len(errs) > 0 {
		t.Fatal(errs)
	}
	cost, visits, gerr := operationCost(context.Background(), doc.Operations[0], nil, &costStats{}, 10_000)
	if gerr != nil {
		t.Fatal(gerr)
	}
	if cost <= 10_000 {
		t.Errorf("cost %d, want a lower bound above 10000", cost)
	}
	if visits > 20 {
		t.Errorf("%d visits: the check went on after passing the limit", visits)
	}
}

// TestCostHonoursTheContext: a request whose context has ended stops the
// check.
func TestCostHonoursTheContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	q := "{" + strings.Repeat(" viewer { name }", costCheckEvery) + " }"
	doc := validated(t, q)
	_, _, err := operationCost(ctx, doc.Operations[0], nil, &costStats{}, math.MaxInt/8)
	if err == nil || err.Extensions["code"] != "INTERNAL" || !strings.Contains(err.Message, "took too long") {
		t.Errorf("err = %v, want the request's end to stop the check", err)
	}
}

// tokens counts q's lexical tokens (what SetParserTokenLimit counts).
func tokens(t testing.TB, q string) int {
	lx := lexer.New(&ast.Source{Input: q})
	n := 0
	for {
		tok, err := lx.ReadToken()
		if err != nil {
			t.Fatal(err)
		}
		if tok.Kind == lexer.EOF {
			return n
		}
		n++
	}
}

// costBenchQueries are documents of about 15,000 tokens (the default parser
// limit): a wide one of aliased connections, and 40 levels of fragments each
// spread twice by the level above, so that the expanded query is 2^40
// times the last fragment.
func costBenchQueries(tb testing.TB) map[string]string {
	var wide strings.Builder
	wide.WriteString("query {")
	for i := 0; tokens(tb, wide.String()) < 14_950; i++ {
		fmt.Fprintf(&wide, " c%d: configurationItems(first: 5) { edges { node { name hostname owner { name email } services { name tier } identifiers { kind value } } } }", i)
	}
	wide.WriteString(" }")
	const levels = 40
	var fields strings.Builder
	fields.WriteString(" owner { name email } vendor { name }")
	for i := 0; i < 115; i++ {
		fmt.Fprintf(&fields, " a%d: name", i)
	}
	var frag strings.Builder
	frag.WriteString("query { configurationItems(first: 10) { edges { node { ...F0 } } } }")
	for i := 0; i < levels; i++ {
		fmt.Fprintf(&frag, " fragment F%d on ConfigurationItem {%s ...F%d ...F%d }", i, fields.String(), i+1, i+1)
	}
	fmt.Fprintf(&frag, " fragment F%d on ConfigurationItem {%s }", levels, fields.String())
	return map[string]string{"wide": wide.String(), "fragments": frag.String()}
}

// BenchmarkCost15kTokens prices documents of about 15,000 tokens (issue 13:
// under 5 ms each). "exact" walks the whole document whatever its cost.
func BenchmarkCost15kTokens(b *testing.B) {
	ctx := context.Background()
	qs := costBenchQueries(b)
	for _, name := range []string{"wide", "fragments"} {
		q := qs[name]
		doc := validated(b, q)
		for _, lim := range []struct {
			name  string
			limit int
		}{{"default-limit", 250_000}, {"exact", math.MaxInt / 8}} {
			b.Run(fmt.Sprintf("%s/%s", name, lim.name), func(b *testing.B) {
				var visits int
				for b.Loop() {
					_, visits, _ = operationCost(ctx, doc.Operations[0], nil, &costStats{}, lim.limit)
				}
				b.ReportMetric(float64(visits), "visits")
				b.ReportMetric(float64(tokens(b, q)), "tokens")
			})
		}
	}
}

// TestEveryListIsPriced: each list field of an object type that returns
// objects is priced by the cost model (real fan-out, an argument, or a
// bound the domain keeps), so a new edge cannot silently cost 10 rows.
func TestEveryListIsPriced(t *testing.T) {
	schema := generated.NewExecutableSchema(generated.Config{}).Schema()
	priced := pricedLists()
	for name, def := range schema.Types {
		if def.Kind != ast.Object || strings.HasPrefix(name, "__") || strings.HasSuffix(name, "Connection") {
			continue
		}
		for _, f := range def.Fields {
			if f.Type.Elem == nil {
				continue
			}
			if et := schema.Types[f.Type.Name()]; et == nil || et.Kind == ast.Scalar || et.Kind == ast.Enum {
				continue
			}
			if key := name + "." + f.Name; !priced[key] {
				t.Errorf("%s (%s) is not priced: add it to listEdges or to price", key, f.Type)
			}
		}
	}
	for _, e := range listEdges() {
		parent, field, _ := strings.Cut(e.field, ".")
		if def := schema.Types[parent]; def == nil || def.Fields.ForName(field) == nil {
			t.Errorf("listEdges names %s, which the schema does not have", e.field)
		}
	}
}

// TestResponseWriterCap: the /graphql writer refuses a body above the limit
// with one error, and aborts a body that passes it after part was sent.
func TestResponseWriterCap(t *testing.T) {
	rec := httptest.NewRecorder()
	w := &sizeCappedWriter{ResponseWriter: rec, limit: 50}
	w.Header().Set("Content-Type", "application/json")
	if n, err := w.Write(make([]byte, 80)); n != 80 || err != nil {
		t.Fatalf("Write = %d, %v", n, err)
	}
	if _, err := w.Write([]byte("more")); err != nil {
		t.Fatal(err)
	}
	w.finish()
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), "the response is larger than the limit of 50 bytes") || !strings.Contains(rec.Body.String(), "BAD_USER_INPUT") {
		t.Errorf("HTTP %d %s", rec.Code, rec.Body)
	}
	rec = httptest.NewRecorder()
	w = &sizeCappedWriter{ResponseWriter: rec, limit: 50}
	w.WriteHeader(422)
	_, _ = w.Write([]byte(`{"errors":[]}`))
	w.finish()
	if rec.Code != 422 || rec.Body.String() != `{"errors":[]}` {
		t.Errorf("within the limit: HTTP %d %s", rec.Code, rec.Body)
	}
	defer func() {
		if v := recover(); v != http.ErrAbortHandler {
			t.Errorf("passing the limit after a first write: recovered %v, want http.ErrAbortHandler", v)
		}
	}()
	_, _ = w.Write(make([]byte, 40))
}

// TestFanoutPerParent: P parents cost per parent the average of the
// largest fan-outs of the checkpoint at or below P, an upper bound of what
// any P of them return together.
func TestFanoutPerParent(t *testing.T) {
	if got := []int{parentScale(1), parentScale(4), parentScale(5), parentScale(999), parentScale(1000), parentScale(1 << 62)}; fmt.Sprint(got) != "[0 1 2 8 9 29]" {
		t.Errorf("scales %v", got)
	}
	// One parent of 5,000 children, 99 of 10, then 10,000 of 1 (more than
	// measure reads: the rest counted at the last one read, within the
	// total).
	sorted := []int{5000}
	for range 99 {
		sorted = append(sorted, 10)
	}
	for len(sorted) < measuredFanouts {
		sorted = append(sorted, 1)
	}
	total := 5000 + 990 + 19_900
	f := fanoutOf(sorted, total)
	for _, c := range []struct{ parents, want int }{
		{1, 5000},
		{3, 2505},                          // (5000+10)/2, rounded up
		{100, 60},                          // all of the 100 largest: 5990/100, rounded up
		{150, 60},                          // the 100 largest still
		{1000, 7},                          // (5990+900)/1000, rounded up
		{50_000, (5990+19_900)/50_000 + 1}, // the total over 50,000
	} {
		if got := f.perParent(c.parents); got != c.want {
			t.Errorf("perParent(%d) = %d, want %d", c.parents, got, c.want)
		}
		// Never below what the c.parents largest really hold.
		real := 0
		for i := 0; i < c.parents && i < len(sorted); i++ {
			real += sorted[i]
		}
		if f.perParent(c.parents)*c.parents < min(real, total) {
			t.Errorf("perParent(%d) = %d: %d parents hold %d", c.parents, f.perParent(c.parents), c.parents, real)
		}
	}
	// Parents that may repeat (the same service under many CIs) may all be
	// the one with the most.
	stats := &costStats{fanout: map[string]fanout{"Service.members": f}}
	if n, _ := stats.listRows("Service.members", level{parents: 1000, distinct: false}); n != 5000 {
		t.Errorf("1,000 parents that may repeat: %d each, want the largest fan-out 5000", n)
	}
	if n, _ := stats.listRows("Service.members", level{parents: 1000, distinct: true}); n != 10 {
		t.Errorf("1,000 distinct parents: %d each, want 7, at least 10", n)
	}
}

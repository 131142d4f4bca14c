package server

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"sync/atomic"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/cairn-cmdb/cairn/internal/apperr"
)

// The response size cap. The cost check prices a query before it runs; the
// cap bounds what it actually builds, whatever the estimate said (the
// estate grows between two measures; a text field may hold megabytes):
// every list and long text resolved adds its approximate JSON size to the
// operation's budget, and once past MaxResponseBytes the operation is
// cancelled and answers one error instead of its data. The HTTP writer
// then refuses any body above the limit, the figure being exact there.

// responseBudget is one operation's running response size.
type responseBudget struct {
	limit  int64
	bytes  atomic.Int64
	over   atomic.Bool
	cancel context.CancelFunc
}

type budgetKey struct{}

// errResponseTooLarge ends the resolvers that run after the budget is spent.
var errResponseTooLarge = fmt.Errorf("the response is too large")

// withBudget returns ctx carrying a fresh budget, cancelled when it is spent.
func withBudget(ctx context.Context, limit int64) (context.Context, *responseBudget) {
	ctx, cancel := context.WithCancel(ctx)
	b := &responseBudget{limit: limit, cancel: cancel}
	return context.WithValue(ctx, budgetKey{}, b), b
}

// spend adds n bytes and reports whether the budget still holds.
func (b *responseBudget) spend(n int64) bool {
	if b.bytes.Add(n) <= b.limit {
		return true
	}
	if b.over.CompareAndSwap(false, true) {
		b.cancel()
	}
	return false
}

// tooLarge is the answer of an operation whose response passed the limit.
func tooLarge(limit int64) *graphql.Response {
	return &graphql.Response{Errors: gqlerror.List{{
		Message:    fmt.Sprintf("the response is larger than the limit of %d bytes: ask for fewer rows (first/last) or fewer fields", limit),
		Extensions: map[string]any{"code": string(apperr.BadUserInput), "limit": limit},
	}}}
}

// countResponse is the field middleware that spends the budget on what
// makes a response large: lists (each element at a size estimated from
// the fields selected of it) and long texts. Short scalars, the bulk of the
// fields, cost no more than a type switch here; the list that holds them
// has paid for them.
func countResponse(ctx context.Context, next graphql.Resolver) (any, error) {
	res, err := next(ctx)
	n := largeValue(ctx, res)
	if n == 0 {
		return res, err
	}
	b, _ := ctx.Value(budgetKey{}).(*responseBudget)
	if b == nil {
		return res, err
	}
	if b.over.Load() || !b.spend(n) {
		return nil, errResponseTooLarge
	}
	return res, err
}

// longText is the length from which a text is counted by itself.
const longText = 256

// Estimated JSON sizes: a list element's own punctuation, and each field
// selected of it ("name":"value",).
const (
	elementBytes = 16
	fieldBytes   = 24
)

// largeValue approximates the JSON size of a resolved value when it is a
// list or a long text, and is 0 otherwise.
func largeValue(ctx context.Context, v any) int64 {
	switch x := v.(type) {
	case nil, bool, int, int64, float64, time.Time, *time.Time:
		return 0
	case string:
		return textSize(len(x))
	case *string:
		if x == nil {
			return 0
		}
		return textSize(len(*x))
	case []byte:
		return textSize(len(x))
	case json.RawMessage:
		return textSize(len(x))
	case []string:
		n := int64(2)
		for _, s := range x {
			n += int64(len(s)) + 3
		}
		return n
	case map[string]any:
		return approxJSON(x)
	}
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Slice || rv.Len() == 0 {
		return 0
	}
	per := int64(elementBytes)
	if fc := graphql.GetFieldContext(ctx); fc != nil {
		visits := maxElementVisits
		per += elementSize(fc.Field.Selections, 0, &visits)
	}
	return int64(rv.Len()) * per
}

// maxElementVisits bounds the selections elementSize walks for one list.
const maxElementVisits = 4096

// elementSize estimates the JSON of one object selected by set: each field,
// and the fields of the single objects below it; lists below count
// themselves when they resolve. It walks at most *visits selections.
func elementSize(set ast.SelectionSet, depth int, visits *int) int64 {
	n := int64(0)
	for _, sel := range set {
		if *visits--; *visits < 0 || depth > maxNesting {
			return n
		}
		switch x := sel.(type) {
		case *ast.Field:
			n += fieldBytes
			if x.Definition != nil && x.Definition.Type.Elem == nil {
				n += elementSize(x.SelectionSet, depth+1, visits)
			}
		case *ast.InlineFragment:
			n += elementSize(x.SelectionSet, depth+1, visits)
		case *ast.FragmentSpread:
			if x.Definition != nil {
				n += elementSize(x.Definition.SelectionSet, depth+1, visits)
			}
		}
	}
	return n
}

func textSize(n int) int64 {
	if n < longText {
		return 0
	}
	return int64(n) + 2
}

// approxJSON sums the texts of a JSON value (an attributes map) and a few
// bytes for everything else, without encoding it.
func approxJSON(v any) int64 {
	switch x := v.(type) {
	case string:
		return int64(len(x)) + 2
	case map[string]any:
		n := int64(2)
		for k, e := range x {
			n += int64(len(k)) + 4 + approxJSON(e)
		}
		return n
	case []any:
		n := int64(2)
		for _, e := range x {
			n += 1 + approxJSON(e)
		}
		return n
	}
	return 8
}

// sizeCappedWriter refuses a /graphql response body above limit bytes.
// gqlgen writes its response in one piece, so the refusal is a clean
// GraphQL error; a body that passes the limit after part of it was sent
// aborts the connection.
type sizeCappedWriter struct {
	http.ResponseWriter
	limit   int64
	written int64
	status  int
	refused bool
}

func (w *sizeCappedWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
}

func (w *sizeCappedWriter) Write(p []byte) (int, error) {
	if w.refused {
		return len(p), nil
	}
	if w.written+int64(len(p)) > w.limit {
		if w.written > 0 {
			panic(http.ErrAbortHandler)
		}
		w.refused = true
		writeGraphQLError(w.ResponseWriter, http.StatusOK, apperr.BadUserInput,
			fmt.Sprintf("the response is larger than the limit of %d bytes: ask for fewer rows (first/last) or fewer fields", w.limit))
		return len(p), nil
	}
	if w.written == 0 {
		if w.status == 0 {
			w.status = http.StatusOK
		}
		w.ResponseWriter.WriteHeader(w.status)
	}
	w.written += int64(len(p))
	return w.ResponseWriter.Write(p)
}

// finish sends a status set without a body.
func (w *sizeCappedWriter) finish() {
	if w.written == 0 && !w.refused && w.status != 0 {
		w.ResponseWriter.WriteHeader(w.status)
	}
}

func (w *sizeCappedWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok && w.written > 0 {
		f.Flush()
	}
}

package server

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/cairn-cmdb/cairn/internal/apperr"
)

// The response size cap. The cost check prices a query before it runs; the
// cap bounds what it actually builds, whatever the estimate said (the
// estate grows between two measures; a text field may hold megabytes):
// every resolved value adds its approximate JSON size to the operation's
// budget, and once past MaxResponseBytes the operation is cancelled and
// answers one error instead of its data. The HTTP writer then refuses any
// body above the limit, the figure being exact there.

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

// countResponse is the field middleware that spends the budget.
func countResponse(ctx context.Context, next graphql.Resolver) (any, error) {
	b, _ := ctx.Value(budgetKey{}).(*responseBudget)
	if b == nil {
		return next(ctx)
	}
	if b.over.Load() {
		return nil, errResponseTooLarge
	}
	res, err := next(ctx)
	n := int64(8) // "alias": and punctuation, roughly
	if fc := graphql.GetFieldContext(ctx); fc != nil {
		n += int64(len(fc.Field.Alias))
	}
	if !b.spend(n + jsonSize(res)) {
		return nil, errResponseTooLarge
	}
	return res, err
}

// jsonSize approximates the JSON size of a resolved value: exact for text,
// a small constant for numbers, booleans and objects (whose fields count
// when they resolve).
func jsonSize(v any) int64 {
	switch x := v.(type) {
	case nil:
		return 4
	case string:
		return int64(len(x)) + 2
	case *string:
		if x == nil {
			return 4
		}
		return int64(len(*x)) + 2
	case []string:
		n := int64(2)
		for _, s := range x {
			n += int64(len(s)) + 3
		}
		return n
	case []byte:
		return int64(len(x)) + 2
	case json.RawMessage:
		return int64(len(x))
	case map[string]any, []any:
		b, err := json.Marshal(x)
		if err != nil {
			return 16
		}
		return int64(len(b))
	case time.Time, *time.Time:
		return 32
	}
	return 16
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

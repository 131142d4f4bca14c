package server

import (
	"context"
	"fmt"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/parser"
	"github.com/vektah/gqlparser/v2/validator/core"
	"github.com/vektah/gqlparser/v2/validator/rules"

	"github.com/cairn-cmdb/cairn/internal/apperr"
	"github.com/cairn-cmdb/cairn/internal/textclip"
)

// documentLimits refuses a query document that has more selections (fields,
// fragment spreads and inline fragments) or more aliases than allowed,
// before gqlparser validates it: validation compares fields that share a
// response name, and fragments spread side by side, pairwise (the
// OverlappingFieldsCanBeMerged rule), so its time grows with the square of
// the selections. Documents in the executor's query cache were validated
// and passed already.
type documentLimits struct {
	maxSelections, maxAliases, tokenLimit int
	cache                                 graphql.Cache[*ast.QueryDocument]
}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationParameterMutator
} = documentLimits{}

func (documentLimits) ExtensionName() string                   { return "CairnDocumentLimits" }
func (documentLimits) Validate(graphql.ExecutableSchema) error { return nil }

func (d documentLimits) MutateOperationParameters(ctx context.Context, p *graphql.RawParams) *gqlerror.Error {
	if _, ok := d.cache.Get(ctx, p.Query); ok {
		return nil
	}
	doc, err := parser.ParseQueryWithTokenLimit(&ast.Source{Input: p.Query}, d.tokenLimit)
	if err != nil {
		return nil // the executor parses it again and reports the error as it always has
	}
	selections, aliases := countSelections(doc, d.maxSelections, d.maxAliases)
	switch {
	case selections > d.maxSelections:
		return limitErr(fmt.Sprintf("the query selects more than %d fields and fragments: ask for fewer fields, or split it into several requests", d.maxSelections), d.maxSelections)
	case aliases > d.maxAliases:
		return limitErr(fmt.Sprintf("the query uses more than %d aliases: read many rows with one connection (first/after) or nodes(ids:) instead", d.maxAliases), d.maxAliases)
	}
	return nil
}

func limitErr(msg string, limit int) *gqlerror.Error {
	return &gqlerror.Error{Message: msg, Extensions: map[string]any{"code": string(apperr.BadUserInput), "limit": limit}}
}

// countSelections counts the selections written in doc (in operations and
// fragment definitions, each once) and the aliased fields among them,
// stopping once either count passes its limit.
func countSelections(doc *ast.QueryDocument, maxSelections, maxAliases int) (selections, aliases int) {
	var walk func(ast.SelectionSet) bool
	walk = func(set ast.SelectionSet) bool {
		for _, sel := range set {
			selections++
			var children ast.SelectionSet
			switch s := sel.(type) {
			case *ast.Field:
				if s.Alias != "" && s.Alias != s.Name {
					aliases++
				}
				children = s.SelectionSet
			case *ast.InlineFragment:
				children = s.SelectionSet
			}
			if selections > maxSelections || aliases > maxAliases || !walk(children) {
				return false
			}
		}
		return true
	}
	for _, op := range doc.Operations {
		if !walk(op.SelectionSet) {
			return selections, aliases
		}
	}
	for _, f := range doc.Fragments {
		if !walk(f.SelectionSet) {
			return selections, aliases
		}
	}
	return selections, aliases
}

// cappedRules returns gqlparser's default validation rules, recording at
// most maxErrors+1 errors per document: a document of many conflicting
// fields no longer builds (and answers) one error per pair. capErrors then
// keeps maxErrors and says that more were found.
func cappedRules(maxErrors int) func() *rules.Rules {
	return func() *rules.Rules {
		n := 0 // errors recorded in this validation: a fresh set of rules per document
		out := rules.NewRules()
		for name, fn := range rules.NewDefaultRules().GetInner() {
			out.AddRule(name, func(ev *core.Events, addError core.AddErrFunc) {
				fn(ev, func(opts ...core.ErrorOption) {
					if n++; n <= maxErrors+1 {
						addError(opts...)
					}
				})
			})
		}
		return out
	}
}

// maxErrorMessageBytes bounds one error message in a response.
const maxErrorMessageBytes = 1024

// capErrors keeps a response's errors small: at most maxErrors, each
// message at most maxErrorMessageBytes, and a last error saying that more
// were found.
func capErrors(maxErrors int) graphql.ResponseMiddleware {
	return func(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
		resp := next(ctx)
		if resp == nil {
			return nil
		}
		for _, e := range resp.Errors {
			if e != nil {
				e.Message = textclip.BytesMarked(e.Message, maxErrorMessageBytes)
			}
		}
		if len(resp.Errors) > maxErrors {
			code := apperr.BadUserInput
			if first := resp.Errors[0]; first != nil && first.Extensions["code"] != nil {
				code = apperr.Code(fmt.Sprint(first.Extensions["code"]))
			}
			resp.Errors = append(resp.Errors[:maxErrors:maxErrors], &gqlerror.Error{
				Message:    fmt.Sprintf("more errors were found and are not shown: a response lists at most %d", maxErrors),
				Extensions: map[string]any{"code": string(code)},
			})
		}
		return resp
	}
}

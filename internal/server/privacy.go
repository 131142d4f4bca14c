package server

import (
	"context"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/cairn-cmdb/cairn/internal/apperr"
	"github.com/cairn-cmdb/cairn/internal/auth"
	"github.com/cairn-cmdb/cairn/internal/privacy"
)

// readRules applies internal/privacy's declaration of what only admins
// read to every GraphQL operation of a reader (viewer, editor, anonymous):
// each field is checked as it is about to resolve (privacy.Field), whatever
// the path to it (node, nodes, edges, connections, mutation results), and
// each where-input field the operation sends (privacy.Filter), so that a
// filter cannot ask about what the reader may not read. A refused field
// answers null with a FORBIDDEN (or, anonymously, UNAUTHENTICATED) error at
// its path; the rest of the answer stands. Admins' operations are not
// touched. An operation without a principal is refused: request contexts
// are made here, by authenticate, and only the process itself reads
// without one.
type readRules struct {
	schema *ast.Schema
}

var (
	_ graphql.HandlerExtension        = (*readRules)(nil)
	_ graphql.OperationContextMutator = (*readRules)(nil)
)

func (*readRules) ExtensionName() string { return "ReadRules" }

func (r *readRules) Validate(es graphql.ExecutableSchema) error {
	r.schema = es.Schema()
	return nil
}

func (r *readRules) MutateOperationContext(ctx context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	if _, ok := auth.FromContext(ctx); !ok {
		return &gqlerror.Error{Message: "internal error: a GraphQL operation without a caller",
			Extensions: map[string]any{"code": string(apperr.Internal)}}
	}
	if privacy.CallerOf(ctx) != privacy.Reader {
		return nil
	}
	refused, concerned := r.scan(ctx, oc)
	if !concerned && len(refused) == 0 {
		return nil
	}
	next := oc.ResolverMiddleware
	oc.ResolverMiddleware = func(ctx context.Context, resolve graphql.Resolver) (any, error) {
		fc := graphql.GetFieldContext(ctx)
		if fc != nil && fc.Field.Field != nil && fc.Field.Definition != nil {
			if err, ok := refused[fc.Field.Field]; ok {
				return nil, err
			}
			// The caller is a reader: AdminOnly alone decides (string
			// switches, no context lookups); Field words the refusal.
			if result, own := fc.Field.Definition.Type.Name(), ownResult(fc); privacy.AdminOnly(fc.Object, fc.Field.Name, result, own) {
				return nil, privacy.Field(ctx, fc.Object, fc.Field.Name, result, own)
			}
		}
		return next(ctx, resolve)
	}
	return nil
}

// ownResult reports whether fc is a field of the object a mutation returned
// (list elements in between).
func ownResult(fc *graphql.FieldContext) bool {
	p := fc.Parent
	for p != nil && p.Index != nil {
		p = p.Parent
	}
	return p != nil && p.Object == "Mutation"
}

// scan walks every field of the operation and its fragments once (no
// fragment is expanded). It returns the fields whose where-inputs filter an
// admin-only entity on a field the caller may not read, with the refusal
// each answers, and whether any field is of, or on, a type the declaration
// concerns (or an interface or union, which could be one): only then does
// each field need its check as it resolves.
func (r *readRules) scan(ctx context.Context, oc *graphql.OperationContext) (refused map[*ast.Field]error, concerned bool) {
	concerns := func(def *ast.Definition) bool {
		return def != nil && (def.IsAbstractType() || privacy.Concerns(def.Name))
	}
	var walk func(ast.SelectionSet)
	walk = func(set ast.SelectionSet) {
		for _, sel := range set {
			switch s := sel.(type) {
			case *ast.Field:
				if s.Definition == nil {
					continue
				}
				if !concerned && (concerns(s.ObjectDefinition) || concerns(r.schema.Types[s.Definition.Type.Name()])) {
					concerned = true
				}
				for _, arg := range s.Arguments {
					def := s.Definition.Arguments.ForName(arg.Name)
					if def == nil {
						continue
					}
					if err := r.checkValue(ctx, def.Type.Name(), arg.Value, oc.Variables); err != nil {
						if refused == nil {
							refused = map[*ast.Field]error{}
						}
						refused[s] = err
						break
					}
				}
				walk(s.SelectionSet)
			case *ast.InlineFragment:
				walk(s.SelectionSet)
			}
		}
	}
	if oc.Operation != nil {
		walk(oc.Operation.SelectionSet)
	}
	if oc.Doc != nil {
		for _, f := range oc.Doc.Fragments {
			walk(f.SelectionSet)
		}
	}
	return refused, concerned
}

// checkValue checks a literal argument value of input type typ (a variable
// is checked as its JSON value).
func (r *readRules) checkValue(ctx context.Context, typ string, v *ast.Value, vars map[string]any) error {
	if v == nil {
		return nil
	}
	def := r.schema.Types[typ]
	if def == nil || def.Kind != ast.InputObject {
		return nil
	}
	switch v.Kind {
	case ast.Variable:
		return r.checkJSON(ctx, typ, vars[v.Raw])
	case ast.ListValue:
		for _, c := range v.Children {
			if err := r.checkValue(ctx, typ, c.Value, vars); err != nil {
				return err
			}
		}
	case ast.ObjectValue:
		for _, c := range v.Children {
			if c.Value == nil || c.Value.Kind == ast.NullValue {
				continue
			}
			if err := r.checkInputField(ctx, def, c.Name); err != nil {
				return err
			}
			if f := def.Fields.ForName(c.Name); f != nil {
				if err := r.checkValue(ctx, f.Type.Name(), c.Value, vars); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// checkJSON checks a variable's value of input type typ.
func (r *readRules) checkJSON(ctx context.Context, typ string, v any) error {
	def := r.schema.Types[typ]
	if def == nil || def.Kind != ast.InputObject {
		return nil
	}
	switch x := v.(type) {
	case []any:
		for _, e := range x {
			if err := r.checkJSON(ctx, typ, e); err != nil {
				return err
			}
		}
	case map[string]any:
		for name, val := range x {
			if val == nil {
				continue
			}
			if err := r.checkInputField(ctx, def, name); err != nil {
				return err
			}
			if f := def.Fields.ForName(name); f != nil {
				if err := r.checkJSON(ctx, f.Type.Name(), val); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// checkInputField checks one field set in a where-input of an entity.
func (r *readRules) checkInputField(ctx context.Context, def *ast.Definition, field string) error {
	entity, ok := strings.CutSuffix(def.Name, "WhereInput")
	if !ok {
		return nil
	}
	return privacy.Filter(ctx, entity, field)
}

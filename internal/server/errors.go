package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/cairn-cmdb/cairn/ent"
	"github.com/cairn-cmdb/cairn/internal/apperr"
	"github.com/cairn-cmdb/cairn/internal/audit"
)

// presentError gives every error an extensions.code from the fixed list and,
// for bad input, extensions.field. Unexpected errors are logged with the
// request ID and shown as INTERNAL without internals.
func presentError(log *slog.Logger) graphql.ErrorPresenterFunc {
	return func(ctx context.Context, err error) *gqlerror.Error {
		gerr := graphql.DefaultErrorPresenter(ctx, err)
		if gerr.Extensions == nil {
			gerr.Extensions = map[string]any{}
		}
		if _, has := gerr.Extensions["code"]; has && gerr.Err == nil {
			return gerr
		}
		if gerr.Err == nil {
			// gqlgen's own refusal of a request it could not read (malformed JSON).
			gerr.Extensions["code"] = string(apperr.BadUserInput)
			return gerr
		}
		if fc := graphql.GetFieldContext(ctx); fc != nil && fc.Args == nil && len(fc.Field.Arguments) > 0 {
			// An argument that did not parse (an ID, a Cursor, a Time): gqlgen
			// reports it before the field's arguments are set.
			var gq *gqlerror.Error
			if errors.As(err, &gq) && gq.Err != nil {
				arg := ""
				if n := len(gerr.Path); n > 0 {
					if p, ok := gerr.Path[n-1].(ast.PathName); ok {
						arg = string(p)
					}
				}
				gerr.Message = fmt.Sprintf("%s: invalid value: %v", arg, gq.Err)
				gerr.Extensions["code"] = string(apperr.BadUserInput)
				gerr.Extensions["field"] = arg
				return gerr
			}
		}
		code, field, msg := classify(err)
		if code == apperr.Internal && !errors.Is(err, context.DeadlineExceeded) {
			log.ErrorContext(ctx, "graphql resolver failed", "err", err, "path", gerr.Path.String(), "request_id", audit.RequestID(ctx))
			msg = "internal error"
			if id := audit.RequestID(ctx); id != "" {
				msg += " (request " + id + ")"
			}
		}
		gerr.Message = msg
		gerr.Extensions["code"] = string(code)
		if field != "" {
			gerr.Extensions["field"] = field
		}
		return gerr
	}
}

// emptyWhereRe is entgql's refusal of an empty filter object (`{}`) inside
// and/or/not: "ent: empty predicate DriftWhereInput: field 'and'".
var emptyWhereRe = regexp.MustCompile(`ent: empty predicate ([A-Za-z]+)WhereInput(?:: field '([a-zA-Z]+)')?`)

var uniqueRe = regexp.MustCompile(`(?i)(?:UNIQUE constraint failed: ([a-z_]+)\.([a-z_]+)|duplicate key value violates unique constraint "([a-z_]+)")`)

func classify(err error) (apperr.Code, string, string) {
	var ae *apperr.Error
	var ve *ent.ValidationError
	var ce *ent.ConstraintError
	var nf *ent.NotFoundError
	var nl *ent.NotLoadedError
	var gq *gqlerror.Error
	switch {
	case errors.As(err, &ae):
		return ae.Code, ae.Field, ae.Error()
	case errors.As(err, &ve):
		field := apperr.GraphQLName(ve.Name)
		msg := ve.Error()
		for inner := errors.Unwrap(ve); inner != nil; inner = errors.Unwrap(inner) {
			msg = inner.Error()
		}
		return apperr.BadUserInput, field, field + ": " + msg
	case errors.As(err, &nf):
		return apperr.NotFound, "", strings.TrimPrefix(nf.Error(), "ent: ")
	case errors.As(err, &ce):
		msg := ce.Error()
		if pg := (*pgconn.PgError)(nil); errors.As(err, &pg) && pg.Code == "23505" && pg.TableName != "" {
			if col := strings.TrimSuffix(strings.TrimPrefix(pg.ConstraintName, pg.TableName+"_"), "_key"); col != pg.ConstraintName {
				f := apperr.GraphQLName(col)
				return apperr.Conflict, f, fmt.Sprintf("another %s already has this %s", strings.TrimSuffix(pg.TableName, "s"), f)
			}
		}
		if m := uniqueRe.FindStringSubmatch(msg); m != nil {
			if m[2] != "" {
				f := apperr.GraphQLName(m[2])
				return apperr.Conflict, f, fmt.Sprintf("another %s already has this %s", strings.TrimSuffix(m[1], "s"), f)
			}
			return apperr.Conflict, "", "a record with the same unique value already exists (" + m[3] + ")"
		}
		if strings.Contains(strings.ToLower(msg), "foreign key") {
			return apperr.BadUserInput, "", "a referenced record does not exist, or the record is still referenced"
		}
		return apperr.Conflict, "", strings.TrimPrefix(msg, "ent: ")
	case errors.As(err, &nl):
		return apperr.Internal, "", err.Error()
	case strings.HasSuffix(err.Error(), "introspection disabled"): // gqlgen's refusal when introspectionGate turned it off
		return apperr.Unauthenticated, "", "introspection (__schema, __type) needs an API token: send Authorization: Bearer <token>"
	case errors.Is(err, context.DeadlineExceeded):
		return apperr.Internal, "", "the request took too long and was cancelled"
	case emptyWhereRe.MatchString(err.Error()):
		m := emptyWhereRe.FindStringSubmatch(err.Error())
		field := "where"
		if m[2] != "" {
			field += "." + m[2]
		}
		return apperr.BadUserInput, field, fmt.Sprintf("%s: an empty %sWhereInput ({}) filters nothing: leave it out or give it a condition", field, m[1])
	case errors.As(err, &gq) && gq.Extensions != nil && gq.Extensions["code"] != nil:
		return apperr.Code(fmt.Sprint(gq.Extensions["code"])), fmt.Sprint(gq.Extensions["field"]), gq.Message
	}
	return apperr.Internal, "", err.Error()
}

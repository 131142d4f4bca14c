// Package privacy decides what a caller may read. It holds the one
// declaration of what only admins read (declared, below) and the checks
// built from it, which every path applies:
//
//   - ent's privacy layer: the Policy of each admin-only ent type
//     (EntityPolicy) and of AuditEvent (AuditTrailPolicy), so node, nodes,
//     connections, edges and lookups, whoever runs the query, never hand a
//     reader the rows of a type it may see nothing of, nor the audit events
//     about admin-only entities;
//   - the GraphQL adapter, which asks Field before it resolves a field for a
//     reader and Filter for every where-input field a reader sends, so that
//     what a reader may see of a job or a run reached through a drift is the
//     declared public fields only, and computed fields such as a failing
//     job's error follow the same rule.
//
// Who is calling comes from internal/auth: the principal the HTTP server
// puts in every request's context (a token or anonymous read). A context
// without a principal is the process's own work (the scheduler,
// reconciliation, report runs, the CLI, the token check before a principal
// exists), which reads everything. The HTTP server is the one place that
// makes request contexts, and it refuses every GraphQL operation that
// arrives without a principal, so no API request reads as the process.
package privacy

import (
	"context"
	"strings"

	entprivacy "entgo.io/ent/privacy"

	"github.com/cairn-cmdb/cairn/ent"
	"github.com/cairn-cmdb/cairn/ent/auditevent"
	"github.com/cairn-cmdb/cairn/internal/apperr"
	"github.com/cairn-cmdb/cairn/internal/auth"
)

// The one declaration of what only admins read, by type (a GraphQL object
// type; for entities also the ent type and the audit trail's entity type).
//
//   - Entity types: everything about them is for admins, except the public
//     fields any reader sees where one is reached through something the
//     reader may read (a drift's job and run). A job's name is public: it is
//     the audit actor of the job's writes ("discovery:<name>") and every
//     drift's source. A run's status and times are public: they say when
//     what a drift reports was seen. Configs, scopes, schedules, credentials,
//     run errors, logs, host errors and changes, report directories,
//     webhooks, deliveries and tokens are not.
//   - Their connections and edges (DiscoveryJobConnection, …) list them:
//     admins only, public fields or not.
//   - Admin-only fields of other types: a failing job's error (the run's
//     error, in cmdbHealth).

// entityTypes are the admin-only entity types.
func entityTypes() []string {
	return []string{ent.TypeAPIToken, ent.TypeDiscoveryJob, ent.TypeDiscoveryRun, ent.TypeReportRun, ent.TypeReportSchedule}
}

// isEntity reports whether typ is an admin-only entity type.
func isEntity(typ string) bool {
	switch typ {
	case ent.TypeAPIToken, ent.TypeDiscoveryJob, ent.TypeDiscoveryRun, ent.TypeReportRun, ent.TypeReportSchedule:
		return true
	}
	return false
}

// publicField reports whether field of admin-only entity type typ is one
// any reader may see.
func publicField(typ, field string) bool {
	switch typ {
	case ent.TypeDiscoveryJob:
		switch field {
		case "id", "name", "sourceKind":
			return true
		}
	case ent.TypeDiscoveryRun:
		switch field {
		case "id", "status", "sourceKind", "trigger", "dryRun", "startedAt", "finishedAt", "duration", "counts",
			"discoveryJobID", "job":
			return true
		}
	}
	return false
}

// hasPublic reports whether admin-only entity type typ has public fields.
func hasPublic(typ string) bool { return typ == ent.TypeDiscoveryJob || typ == ent.TypeDiscoveryRun }

// adminField reports whether field of type typ, which is no entity type, is
// admin-only; hasAdminFields whether typ has such a field.
func adminField(typ, field string) bool {
	return typ == "FailingJob" && field == "error"
}

func hasAdminFields(typ string) bool { return typ == "FailingJob" }

// EntityTypes are the admin-only entity types: their rows are an admin's,
// save the public fields a reader sees of one reached through something
// the reader may read, and so are the audit events about them.
func EntityTypes() []string { return entityTypes() }

// listed returns the entity type a connection or edge type lists.
func listed(typ string) (string, bool) {
	for _, suffix := range []string{"Connection", "Edge"} {
		if base, ok := strings.CutSuffix(typ, suffix); ok && isEntity(base) {
			return base, true
		}
	}
	return "", false
}

// hidden reports whether a reader may see nothing of values of GraphQL type
// typ: admin-only entity types without public fields, and the connections
// and edges of every admin-only entity type.
func hidden(typ string) bool {
	if _, ok := listed(typ); ok {
		return true
	}
	return isEntity(typ) && !hasPublic(typ)
}

// Caller is who is asking, as far as reading goes.
type Caller int

// Callers.
const (
	// Process is Cairn's own work: no principal in the context.
	Process Caller = iota
	// Admin is a caller with an admin token.
	Admin
	// Reader is every other caller: viewer and editor tokens, anonymous
	// read.
	Reader
)

// CallerOf returns the caller of ctx.
func CallerOf(ctx context.Context) Caller {
	p, ok := auth.FromContext(ctx)
	switch {
	case !ok:
		return Process
	case p.Authenticated && p.Role == auth.Admin:
		return Admin
	}
	return Reader
}

// refuse is the error a reader gets for what: auth.Require's, with what
// named.
func refuse(ctx context.Context, what string) error {
	err := auth.Require(ctx, auth.Admin)
	ae, ok := apperr.As(err)
	if !ok {
		return apperr.New(apperr.Forbidden, "%s is for admins", what)
	}
	return &apperr.Error{Code: ae.Code, Msg: ae.Msg + " (" + what + " is for admins)"}
}

// Field returns nil when ctx's caller may read field of GraphQL object type
// typ, whose value is of (named) GraphQL type result, and the caller's
// refusal otherwise. own is true for the fields of the object a mutation
// returned to the caller who was allowed to run it (the run an editor's
// pushed observations made): those are the caller's own; what is reached
// from there follows the usual rule.
func Field(ctx context.Context, typ, field, result string, own bool) error {
	if CallerOf(ctx) != Reader || !AdminOnly(typ, field, result, own) {
		return nil
	}
	return refuse(ctx, typ+"."+field)
}

// AdminOnly reports whether field of GraphQL type typ, of type result, is
// for admins only (see Field for own). Callers that know the caller use
// Field.
func AdminOnly(typ, field, result string, own bool) bool {
	switch {
	case hidden(result):
		return true
	case isEntity(typ):
		return !own && !publicField(typ, field)
	case adminField(typ, field):
		return true
	}
	_, list := listed(typ)
	return list
}

// Concerns reports whether a reader may be refused a field of GraphQL type
// typ, or a field whose value is of type typ: the GraphQL adapter skips the
// per-field check for operations that touch no such type (nor an interface
// or union, which could be one).
func Concerns(typ string) bool {
	_, list := listed(typ)
	return list || isEntity(typ) || hasAdminFields(typ)
}

// whereOps are the operator suffixes of entgql's where-input fields.
func whereOps() []string {
	return []string{"NEQ", "In", "NotIn", "GT", "GTE", "LT", "LTE", "Contains", "HasPrefix", "HasSuffix",
		"EqualFold", "ContainsFold", "IsNil", "NotNil"}
}

// Filter returns nil when ctx's caller may filter entities of GraphQL type
// typ on where-input field (a field name with entgql's operator suffix, or
// hasX and hasXWith for edge x), and the caller's refusal otherwise: a
// reader may filter an admin-only entity on its public fields only, since a
// filter on anything else would answer questions about it (is a run's error
// like this?).
func Filter(ctx context.Context, typ, field string) error {
	if CallerOf(ctx) != Reader || !isEntity(typ) || filterable(typ, field) {
		return nil
	}
	return refuse(ctx, "filtering "+typ+" on "+field)
}

// filterable reports whether where-input field of admin-only entity type
// typ tests a public field only.
func filterable(typ, field string) bool {
	switch field {
	case "and", "or", "not":
		return true
	}
	if publicField(typ, field) {
		return true
	}
	if edge, ok := strings.CutPrefix(field, "has"); ok && edge != "" {
		edge = strings.TrimSuffix(edge, "With")
		return edge != "" && publicField(typ, strings.ToLower(edge[:1])+edge[1:])
	}
	for _, op := range whereOps() {
		if base, ok := strings.CutSuffix(field, op); ok && publicField(typ, base) {
			return true
		}
	}
	return false
}

// queryRule adapts a decision on the caller to ent's query rules.
type queryRule func(ctx context.Context, q ent.Query) error

func (f queryRule) EvalQuery(ctx context.Context, q ent.Query) error { return f(ctx, q) }

// EntityPolicy is the Policy of admin-only entity type typ's ent schema:
// admins and the process read every row; a reader reads the rows of a type
// with public fields (the GraphQL adapter shows it those fields only) and
// is refused those of the others. A type not declared admin-only here is
// refused to everyone, so that the schema and this declaration cannot
// drift apart unnoticed.
func EntityPolicy(typ string) ent.Policy {
	return entprivacy.Policy{Query: entprivacy.QueryPolicy{queryRule(func(ctx context.Context, _ ent.Query) error {
		if !isEntity(typ) {
			return apperr.New(apperr.Internal, "privacy: %s has the admin-only policy but is not declared admin-only in internal/privacy", typ)
		}
		switch {
		case CallerOf(ctx) != Reader, hasPublic(typ):
			return entprivacy.Allow
		}
		return refuse(ctx, typ)
	})}}
}

// AuditTrailPolicy is the Policy of AuditEvent: a reader's queries of the
// audit trail leave out the events about admin-only entities (a job's config
// and scope, a report's directory, a token's name and role).
func AuditTrailPolicy() ent.Policy {
	return entprivacy.Policy{Query: entprivacy.QueryPolicy{queryRule(func(ctx context.Context, q ent.Query) error {
		if CallerOf(ctx) != Reader {
			return entprivacy.Allow
		}
		aq, ok := q.(*ent.AuditEventQuery)
		if !ok {
			return apperr.New(apperr.Internal, "privacy: the audit trail policy got a %T", q)
		}
		aq.Where(auditevent.EntityTypeNotIn(entityTypes()...))
		return entprivacy.Skip
	})}}
}

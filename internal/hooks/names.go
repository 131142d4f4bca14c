package hooks

import (
	"context"

	"github.com/cairn-cmdb/cairn/ent"
	"github.com/cairn-cmdb/cairn/internal/apperr"
	"github.com/cairn-cmdb/cairn/internal/textsafe"
)

// displayField reports whether an ent field (by its column name, on any
// entity) is a name or another short string people read in lists, tables,
// terminals and reports: one line of visible text, so textsafe.CheckName
// applies. Long free text (descriptions, notes, addresses, logs, errors)
// may hold line breaks and is escaped where it is written out instead.
func displayField(field string) bool {
	switch field {
	case "name", // every entity's name, API token names included
		"hostname", "fqdn", "serial_number", "asset_tag", // CI identifiers
		"value", "scope", "network_scope", // identifier rows, a job's network scope
		"number", "title", "requester", "approver", // contracts, change records
		"cost_center", "po_number", "invoice_number", // assets
		"chat_channel", "support_phone", "account_number", // owners, vendors
		"provider", "region", // locations
		"job_name", "tag", "source_kind", "time_zone", "schedule": // rules, jobs, report schedules
		return true
	}
	return false
}

// displayText refuses control, bidirectional-formatting and invisible
// characters (textsafe.CheckName) in every name-like field of every entity
// on create and update, whichever path writes it (GraphQL, import,
// discovery, CLI): BAD_USER_INPUT on the field's GraphQL name. It runs
// inside the type hooks, so it sees values after their normalisation
// (a trailing newline that normalisation trims is no error).
func displayText(next ent.Mutator) ent.Mutator {
	return ent.MutateFunc(func(ctx context.Context, m ent.Mutation) (ent.Value, error) {
		if m.Op().Is(ent.OpCreate | ent.OpUpdate | ent.OpUpdateOne) {
			for _, f := range m.Fields() {
				if !displayField(f) {
					continue
				}
				v, _ := m.Field(f)
				s, ok := v.(string)
				if !ok {
					continue
				}
				if err := textsafe.CheckName(s); err != nil {
					return nil, apperr.InvalidErr(apperr.GraphQLName(f), err)
				}
			}
		}
		return next.Mutate(ctx, m)
	})
}

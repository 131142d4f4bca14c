// Package schematype holds Go types stored in JSON columns of the ent schema.
package schematype

// FieldChange is one field's value before and after a change, as written to
// the audit trail. Before is nil on create, After is nil on delete. Secrets
// are replaced by the string "[redacted]".
type FieldChange struct {
	Field  string `json:"field"`
	Before any    `json:"before"`
	After  any    `json:"after"`
}

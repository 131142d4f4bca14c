// Package audit carries who is writing (the actor) and the request ID through
// contexts, and rebuilds entities from the audit trail.
package audit

import "context"

type ctxKey int

const (
	actorKey ctxKey = iota
	requestIDKey
)

// SystemActor is the actor of writes with no person or job behind them.
const SystemActor = "system"

// WithActor returns ctx carrying the audit actor: a token's name,
// "import:<file>", "discovery:<job>" or "seed".
func WithActor(ctx context.Context, actor string) context.Context {
	return context.WithValue(ctx, actorKey, actor)
}

// Actor returns the audit actor of ctx, SystemActor when none is set.
func Actor(ctx context.Context) string {
	if a, ok := ctx.Value(actorKey).(string); ok && a != "" {
		return a
	}
	return SystemActor
}

// WithRequestID returns ctx carrying the HTTP request ID.
func WithRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, requestIDKey, id)
}

// RequestID returns the request ID of ctx, "" when none.
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey).(string)
	return id
}

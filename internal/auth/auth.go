// Package auth holds API tokens and roles. A token is 32 random bytes shown
// once; only its SHA-256 hash is stored. Roles are ordered ingest < viewer <
// editor < admin: ingest tokens only send alerts (monitoring holds no token
// that reads or changes the inventory), viewers query, editors change
// inventory, admins manage tokens, discovery jobs and reports.
package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cairn-cmdb/cairn/ent"
	"github.com/cairn-cmdb/cairn/ent/apitoken"
	"github.com/cairn-cmdb/cairn/internal/apperr"
	"github.com/cairn-cmdb/cairn/internal/audit"
	"github.com/cairn-cmdb/cairn/internal/textsafe"
	"github.com/cairn-cmdb/cairn/internal/txn"
)

// Roles, in increasing order of power.
const (
	Ingest = apitoken.RoleIngest
	Viewer = apitoken.RoleViewer
	Editor = apitoken.RoleEditor
	Admin  = apitoken.RoleAdmin
)

// TokenPrefix starts every secret, so leaked tokens are easy to grep for.
const TokenPrefix = "cairn_"

func rank(r apitoken.Role) int {
	switch r {
	case Ingest:
		return 1
	case Viewer:
		return 2
	case Editor:
		return 3
	case Admin:
		return 4
	}
	return 0
}

// IngestOnly is what an INGEST token is told wherever it asks for more than
// sending alerts.
func IngestOnly(name string) string {
	return fmt.Sprintf("token %q has role INGEST: it may only send alerts (POST /api/v1/alerts/alertmanager, POST /api/v1/alerts)", name)
}

// CanIngest reports whether p may send alerts: a token (never anonymous
// read) with role INGEST, EDITOR or ADMIN. A VIEWER reads only.
func CanIngest(p Principal) bool {
	return p.Authenticated && (p.Role == Ingest || rank(p.Role) >= rank(Editor))
}

// Principal is who is calling.
type Principal struct {
	Name          string
	Role          apitoken.Role
	TokenID       int
	Authenticated bool
}

type ctxKey struct{}

// WithPrincipal returns ctx carrying p, and p's name as the audit actor.
func WithPrincipal(ctx context.Context, p Principal) context.Context {
	ctx = context.WithValue(ctx, ctxKey{}, p)
	return audit.WithActor(ctx, p.Name)
}

// FromContext returns the caller, if any.
func FromContext(ctx context.Context) (Principal, bool) {
	p, ok := ctx.Value(ctxKey{}).(Principal)
	return p, ok
}

// Require fails unless the caller has at least role min. An INGEST token
// passes only Require(Ingest), which EDITOR and ADMIN tokens pass too but
// not VIEWER (reading is not sending) nor anonymous read.
func Require(ctx context.Context, min apitoken.Role) error {
	p, ok := FromContext(ctx)
	if min == Ingest {
		if !ok || !p.Authenticated {
			return apperr.New(apperr.Unauthenticated, "sending alerts needs an API token with role INGEST, EDITOR or ADMIN: send Authorization: Bearer <token>")
		}
		if !CanIngest(p) {
			return apperr.New(apperr.Forbidden, "token %q has role %s; sending alerts needs INGEST, EDITOR or ADMIN", p.Name, p.Role)
		}
		return nil
	}
	if !ok || (!p.Authenticated && rank(min) > rank(Viewer)) {
		return apperr.New(apperr.Unauthenticated, "this needs an API token with role %s or higher: send Authorization: Bearer <token>", min)
	}
	if p.Role == Ingest {
		return apperr.New(apperr.Forbidden, "%s", IngestOnly(p.Name))
	}
	if rank(p.Role) < rank(min) {
		return apperr.New(apperr.Forbidden, "token %q has role %s; this needs %s or higher", p.Name, p.Role, min)
	}
	return nil
}

// Hash is the stored form of a secret.
func Hash(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// NewSecret returns a fresh secret: TokenPrefix and 32 random bytes in
// unpadded base64url.
func NewSecret() (string, error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("reading random bytes: %w", err)
	}
	return TokenPrefix + base64.RawURLEncoding.EncodeToString(b[:]), nil
}

// CreateToken stores a new token in its own transaction (audited) and
// returns the secret, which is not kept anywhere.
func CreateToken(ctx context.Context, c *ent.Client, name string, role apitoken.Role, expiresAt *time.Time) (string, *ent.APIToken, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		return "", nil, apperr.Invalid("name", "token name must not be empty")
	}
	// The names rule the hooks apply to every write, checked before the
	// name is looked up (PostgreSQL refuses NUL and invalid UTF-8 even in a
	// query).
	if err := textsafe.CheckName(name); err != nil {
		return "", nil, apperr.InvalidErr("name", err)
	}
	if err := apitoken.RoleValidator(role); err != nil {
		return "", nil, apperr.Invalid("role", "unknown role %q: want INGEST, VIEWER, EDITOR or ADMIN", role)
	}
	if expiresAt != nil && !expiresAt.After(time.Now()) {
		return "", nil, apperr.Invalid("expiresAt", "expiry %s is in the past", expiresAt.Format(time.RFC3339))
	}
	secret, err := NewSecret()
	if err != nil {
		return "", nil, err
	}
	var tok *ent.APIToken
	err = txn.Do(ctx, c, func(tx *ent.Client) error {
		exists, err := tx.APIToken.Query().Where(apitoken.Name(name)).Exist(ctx)
		if err != nil {
			return fmt.Errorf("checking token name: %w", err)
		}
		if exists {
			return &apperr.Error{Code: apperr.Conflict, Field: "name", Msg: fmt.Sprintf("a token named %q already exists", name)}
		}
		tok, err = tx.APIToken.Create().
			SetName(name).
			SetRole(role).
			SetTokenHash(Hash(secret)).
			SetPrefix(secret[:len(TokenPrefix)+6]).
			SetNillableExpiresAt(expiresAt).
			SetCreatedBy(audit.Actor(ctx)).
			Save(ctx)
		if err != nil {
			return fmt.Errorf("creating token %q: %w", name, err)
		}
		return nil
	})
	if err != nil {
		return "", nil, err
	}
	return secret, tok, nil
}

// Bootstrap creates an admin token named "admin" when there is no token at
// all, and returns its secret (created is false when tokens exist).
func Bootstrap(ctx context.Context, c *ent.Client) (secret string, created bool, err error) {
	n, err := c.APIToken.Query().Count(ctx)
	if err != nil {
		return "", false, fmt.Errorf("counting tokens: %w", err)
	}
	if n > 0 {
		return "", false, nil
	}
	secret, _, err = CreateToken(audit.WithActor(ctx, "bootstrap"), c, "admin", Admin, nil)
	if err != nil {
		return "", false, err
	}
	return secret, true, nil
}

// TokensChannel is the PostgreSQL notification channel on which a change of
// api_tokens that can end a token's validity (delete; role, expiry or hash
// updated) is announced, by a trigger internal/app creates, in the
// changing transaction: every process serving the database drops its
// cache of valid tokens (cairn serve listens, internal/store Listen).
const TokensChannel = "cairn_api_tokens"

// Authenticator checks bearer secrets. Valid tokens are cached for CacheTTL
// so that reads do not cost a token query each; Forget drops a revoked token
// from the cache at once. last_used_at is written at most once a minute per
// token. Other processes' revocations reach the cache through ForgetAll
// (TokensChannel); while they cannot (SetCaching(false)), nothing is cached.
type Authenticator struct {
	client   *ent.Client
	cacheTTL time.Duration
	now      func() time.Time
	// off: caching suspended; gen: bumped by ForgetAll, so that a lookup
	// that began before it does not cache what it read.
	off atomic.Bool
	gen atomic.Uint64

	mu    sync.Mutex
	cache map[string]cached
}

type cached struct {
	p         Principal
	expiresAt *time.Time
	checked   time.Time
	lastUsed  time.Time
}

// NewAuthenticator returns an Authenticator over c.
func NewAuthenticator(c *ent.Client) *Authenticator {
	return &Authenticator{client: c, cacheTTL: 5 * time.Second, now: time.Now, cache: map[string]cached{}}
}

// Authenticate returns the principal of secret.
func (a *Authenticator) Authenticate(ctx context.Context, secret string) (Principal, error) {
	h := Hash(secret)
	now := a.now()
	gen := a.gen.Load()
	a.mu.Lock()
	e, ok := a.cache[h]
	a.mu.Unlock()
	if ok && !a.off.Load() && now.Sub(e.checked) < a.cacheTTL && (e.expiresAt == nil || now.Before(*e.expiresAt)) {
		return e.p, nil
	}
	tok, err := a.client.APIToken.Query().Where(apitoken.TokenHash(h)).Only(ctx)
	if ent.IsNotFound(err) {
		a.Forget(h)
		return Principal{}, apperr.New(apperr.Unauthenticated, "unknown or revoked API token")
	}
	if err != nil {
		return Principal{}, fmt.Errorf("looking up token: %w", err)
	}
	if tok.ExpiresAt != nil && !now.Before(*tok.ExpiresAt) {
		a.Forget(h)
		return Principal{}, apperr.New(apperr.Unauthenticated, "API token %q expired at %s", tok.Name, tok.ExpiresAt.Format(time.RFC3339))
	}
	p := Principal{Name: tok.Name, Role: tok.Role, TokenID: tok.ID, Authenticated: true}
	lastUsed := e.lastUsed
	if tok.LastUsedAt != nil && tok.LastUsedAt.After(lastUsed) {
		lastUsed = *tok.LastUsedAt
	}
	if now.Sub(lastUsed) > time.Minute {
		// Not audited (last_used_at is bookkeeping), but still in a transaction.
		if err := txn.Do(ctx, a.client, func(tx *ent.Client) error {
			return tx.APIToken.UpdateOneID(tok.ID).SetLastUsedAt(now).Exec(ctx)
		}); err != nil {
			return Principal{}, fmt.Errorf("recording token use: %w", err)
		}
		lastUsed = now
	}
	a.mu.Lock()
	if a.gen.Load() == gen && !a.off.Load() {
		a.cache[h] = cached{p: p, expiresAt: tok.ExpiresAt, checked: now, lastUsed: lastUsed}
	}
	a.mu.Unlock()
	return p, nil
}

// SetCaching turns the cache of valid tokens on or off (emptying it when
// off): off while revocations by other processes cannot be heard.
func (a *Authenticator) SetCaching(on bool) {
	a.off.Store(!on)
	if !on {
		a.ForgetAll()
	}
}

// Forget drops a token hash from the cache.
func (a *Authenticator) Forget(hash string) {
	a.mu.Lock()
	delete(a.cache, hash)
	a.mu.Unlock()
}

// ForgetAll empties the cache (after a token is revoked, here or in
// another process).
func (a *Authenticator) ForgetAll() {
	a.mu.Lock()
	a.gen.Add(1)
	a.cache = map[string]cached{}
	a.mu.Unlock()
}

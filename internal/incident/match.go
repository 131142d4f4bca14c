package incident

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"entgo.io/ent/dialect/sql"

	"github.com/cairn-cmdb/cairn/ent"
	"github.com/cairn-cmdb/cairn/ent/configurationitem"
	"github.com/cairn-cmdb/cairn/ent/identifier"
	"github.com/cairn-cmdb/cairn/ent/predicate"
	"github.com/cairn-cmdb/cairn/internal/apperr"
	"github.com/cairn-cmdb/cairn/internal/ident"
	"github.com/cairn-cmdb/cairn/internal/identity"
	"github.com/cairn-cmdb/cairn/internal/store"
)

// MatchRule says how an input matched.
type MatchRule string

// Match rules, in the order they are tried. IDENTIFIER and SHORT_NAME are
// internal/identity's rule (identity.Decide); NAME and PREFIX are the
// fallbacks for what is not an identifier.
const (
	// RuleIdentifier: a recorded identifier, in any notation.
	RuleIdentifier MatchRule = MatchRule(identity.RuleIdentifier)
	// RuleShortName: a short host name (typed, or the first label of a
	// typed FQDN) equal to a recorded host name or the first label of a
	// recorded FQDN, where the domains allow it. Weaker than IDENTIFIER.
	RuleShortName MatchRule = MatchRule(identity.RuleShortName)
	// RuleName: a CI name, case-insensitively.
	RuleName MatchRule = "NAME"
	// RulePrefix: the start of CI names or host names.
	RulePrefix MatchRule = "PREFIX"
	// RuleID: the CI was named by its ID (Request.CI), not by what an
	// alert said.
	RuleID MatchRule = "ID"
)

// maxMatches is how many CIs a name or prefix match returns at most: the
// CI and up to 20 alternatives.
const maxMatches = 21

// Match is what an input named.
type Match struct {
	// MatchedBy is the identifier kind that matched (FQDN when a short
	// name matched a recorded FQDN's first label); HOSTNAME for name and
	// prefix matches.
	MatchedBy identifier.Kind
	Rule      MatchRule
	// Value is the normalised value that matched, of the first CI (the
	// FQDN for a short host name, the lower-cased prefix for a prefix
	// match).
	Value string
	// Scope is the network scope of the address that matched, for the
	// first CI; "" when global or not an address.
	Scope string
	// IDs are the matched CIs in name order; more than one is ambiguous.
	IDs []int
}

// Scope returns the network scope a lookup names: nil (no scope, a
// private address is looked up in every scope) stays nil, anything else is
// normalised (identity.NormalizeScope; "" is the global scope). A bad
// scope is BAD_USER_INPUT on field "scope".
func Scope(scope *string) (*string, error) {
	if scope == nil {
		return nil, nil
	}
	s, err := identity.NormalizeScope(*scope)
	if err != nil {
		return nil, apperr.InvalidErr("scope", err)
	}
	return &s, nil
}

// identityInput is what identity.Decide matches for a typed input: its
// readings (identity.Parse) and the scope of its addresses, every scope
// when scope is nil. scope must be normalised (Scope).
func identityInput(input string, scope *string) identity.Input {
	in := identity.Input{Candidates: identity.Parse(input), AnyScope: scope == nil}
	if scope != nil {
		in.Scope = *scope
	}
	return in
}

// Match finds the CIs an input names in the network scope given (nil:
// every scope): recorded identifiers by internal/identity's rule (every
// notation read by identity.Parse; domain-aware short names; scoped
// addresses; values that are not identity never match), then CI names,
// then name or host name prefixes. It returns nil when nothing matches.
func (e *Engine) Match(ctx context.Context, input string, scope *string) (*Match, error) {
	scope, err := Scope(scope)
	if err != nil {
		return nil, err
	}
	in := strings.TrimSpace(input)
	if in == "" {
		return nil, nil
	}
	idIn := identityInput(in, scope)
	m, err := e.matchIdentity(ctx, idIn)
	if m != nil || err != nil {
		return m, err
	}
	// An address, MAC or UUID is an identifier or nothing: a CI named (or
	// whose name starts with) "10.0.0.5" is not the host 10.0.0.5 of a
	// scope, and "10.0.0.5" is the start of "10.0.0.50". A CI named after
	// an address is still found by its name when no scope is given.
	addressLike := isAddressLike(idIn)
	if addressLike && scope != nil {
		return nil, nil
	}
	ids, err := e.client.ConfigurationItem.Query().Where(configurationitem.NameEqualFold(in)).
		Order(configurationitem.ByName(), configurationitem.ByID()).Limit(maxMatches).IDs(ctx)
	if err != nil {
		return nil, fmt.Errorf("matching names: %w", err)
	}
	if len(ids) > 0 {
		return &Match{MatchedBy: identifier.KindHostname, Rule: RuleName, Value: in, IDs: ids}, nil
	}
	if addressLike {
		return nil, nil
	}
	lower := strings.ToLower(in)
	ids, err = e.client.ConfigurationItem.Query().Where(configurationitem.Or(
		prefixFold(configurationitem.FieldName, lower), prefixFold(configurationitem.FieldHostname, lower),
	)).Order(configurationitem.ByName(), configurationitem.ByID()).Limit(maxMatches).IDs(ctx)
	if err != nil {
		return nil, fmt.Errorf("matching prefixes: %w", err)
	}
	if len(ids) > 0 {
		return &Match{MatchedBy: identifier.KindHostname, Rule: RulePrefix, Value: lower, IDs: ids}, nil
	}
	return nil, nil
}

// isAddressLike reports whether the input reads first as an IP address,
// a MAC or a UUID (its strongest reading is one of those).
func isAddressLike(in identity.Input) bool {
	if len(in.Candidates) == 0 {
		return false
	}
	switch in.Candidates[0].Kind {
	case ident.IP, ident.MAC, ident.UUID:
		return true
	}
	return false
}

// matchIdentity decides in over the recorded identifiers; nil when none
// matches.
func (e *Engine) matchIdentity(ctx context.Context, in identity.Input) (*Match, error) {
	res, rows, err := e.decide(ctx, in)
	if err != nil || !res.Matched() {
		return nil, err
	}
	ids, err := e.inNameOrder(ctx, res.IDs)
	if err != nil {
		return nil, err
	}
	by, value := matchedFor(in, rows, ids[0], res)
	return &Match{MatchedBy: identifier.Kind(by), Rule: MatchRule(res.Rule), Value: value,
		Scope: scopeOf(rows, ids[0], by, value), IDs: ids}, nil
}

// scopeOf is the scope of CI id's row (kind, value) among rows: where an
// address that matched is recorded.
func scopeOf(rows []identity.Row, id int, kind ident.Kind, value string) string {
	for _, r := range rows {
		if r.CI == id && r.Kind == kind && r.Value == value {
			return r.Scope
		}
	}
	return ""
}

// matchedFor returns what matched for CI id, one of res's CIs: res's own
// answer when id is the CI it was given for, else the decision over id's
// rows alone (which matches by the same kind: a stronger one would have
// won over every row too).
func matchedFor(in identity.Input, rows []identity.Row, id int, res identity.Result) (ident.Kind, string) {
	if len(res.IDs) > 0 && slices.Min(res.IDs) == id {
		return res.By, res.Value
	}
	var own []identity.Row
	for _, r := range rows {
		if r.CI == id {
			own = append(own, r)
		}
	}
	r := identity.Decide(in, own, nil)
	return r.By, r.Value
}

// decide fetches the recorded identifiers in may match (identity.Keys: one
// statement), the domains of the CIs they name when the decision needs
// them (one more statement, only when the input carries a domain and a
// weak kind was found), and decides.
func (e *Engine) decide(ctx context.Context, in identity.Input) (identity.Result, []identity.Row, error) {
	keys := identity.Keys(in, nil)
	if len(keys) == 0 {
		return identity.Decide(in, nil, nil), nil, nil
	}
	preds := make([]predicate.Identifier, 0, len(keys))
	for _, k := range keys {
		if k.FirstLabel {
			preds = append(preds, identifier.And(identifier.KindEQ(identifier.KindFQDN), e.valueHasPrefix(k.Value+".")))
			continue
		}
		preds = append(preds, identifier.And(identifier.KindEQ(identifier.Kind(k.Kind)), identifier.Value(k.Value)))
	}
	found, err := e.client.Identifier.Query().Where(identifier.Or(preds...)).
		Select(identifier.FieldConfigurationItemID, identifier.FieldKind, identifier.FieldValue, identifier.FieldScope).All(ctx)
	if err != nil {
		return identity.Result{}, nil, fmt.Errorf("matching identifiers: %w", err)
	}
	rows := make([]identity.Row, len(found))
	for i, f := range found {
		rows[i] = identity.Row{CI: f.ConfigurationItemID, Kind: ident.Kind(f.Kind), Value: f.Value}
		if f.Scope != nil {
			rows[i].Scope = *f.Scope
		}
	}
	if err := e.fillDomains(ctx, in, rows, found); err != nil {
		return identity.Result{}, nil, err
	}
	return identity.Decide(in, rows, nil), rows, nil
}

// fillDomains fills Row.Domains, the known domains of each row's CI, where
// the decision reads them: for the weak kinds (host names, asset tags,
// addresses) when the input carries a domain. The FQDNs already fetched
// count; the CIs' other FQDNs take one statement.
func (e *Engine) fillDomains(ctx context.Context, in identity.Input, rows []identity.Row, found []*ent.Identifier) error {
	if !slices.ContainsFunc(in.Candidates, func(c identity.Candidate) bool { return c.Domain != "" }) {
		return nil
	}
	var need []int
	for _, r := range rows {
		switch r.Kind {
		case ident.Hostname, ident.AssetTag, ident.IP, ident.FQDN:
			if r.Kind == ident.FQDN && slices.ContainsFunc(in.Candidates, func(c identity.Candidate) bool {
				return c.Kind == ident.FQDN && c.Value == r.Value
			}) {
				continue // an exact FQDN match reads no domains
			}
			if !slices.Contains(need, r.CI) {
				need = append(need, r.CI)
			}
		}
	}
	if len(need) == 0 {
		return nil
	}
	fqdns, err := e.client.Identifier.Query().Where(identifier.KindEQ(identifier.KindFQDN),
		predicate.Identifier(e.idsIn(identifier.FieldConfigurationItemID, need))).
		Select(identifier.FieldConfigurationItemID, identifier.FieldKind, identifier.FieldValue).All(ctx)
	if err != nil {
		return fmt.Errorf("loading the domains of matched CIs: %w", err)
	}
	domains := make(map[int][]string, len(need))
	for _, list := range [][]*ent.Identifier{found, fqdns} {
		for _, f := range list {
			if f.Kind != identifier.KindFQDN {
				continue
			}
			if d := identity.Domain(f.Value); d != "" && !slices.Contains(domains[f.ConfigurationItemID], d) {
				domains[f.ConfigurationItemID] = append(domains[f.ConfigurationItemID], d)
			}
		}
	}
	for i := range rows {
		rows[i].Domains = domains[rows[i].CI]
	}
	return nil
}

// valueHasPrefix is "value starts with prefix" (prefix is a normalised
// host name and a dot) as the byte range [prefix, prefix with its last byte
// incremented), so that an index serves it with the prefix as a parameter
// (LIKE cannot: SQLite's ignores case, and PostgreSQL plans a parameterised
// LIKE without the index). On SQLite the column's BINARY collation is byte
// order and the (kind, value) index serves it; on PostgreSQL the comparison
// is made in the "C" collation, served by identifier_kind_value_c
// (internal/app.Migrate), since the database's own collation need not be
// byte order.
func (e *Engine) valueHasPrefix(prefix string) predicate.Identifier {
	// prefix ends in "." (0x2e): the bound is the same text ending in "/",
	// the next byte.
	upper := strings.TrimSuffix(prefix, ".") + "/"
	if e.db.Backend() == store.Postgres {
		return predicate.Identifier(func(s *sql.Selector) {
			s.Where(sql.P(func(b *sql.Builder) {
				col := s.C(identifier.FieldValue)
				b.Ident(col).WriteString(` COLLATE "C" >= `).Arg(prefix).
					WriteString(" AND ").Ident(col).WriteString(` COLLATE "C" < `).Arg(upper)
			}))
		})
	}
	return predicate.Identifier(func(s *sql.Selector) {
		s.Where(sql.And(sql.GTE(s.C(identifier.FieldValue), prefix), sql.LT(s.C(identifier.FieldValue), upper)))
	})
}

// NotIdentity says why an input that matched nothing is never matched as an
// identifier, when one of its readings is a value that is not identity (a
// virtual router MAC, a placeholder serial: identity.NotIdentity), as
// "KIND value: reason"; "" otherwise.
func NotIdentity(input string) string {
	for _, c := range identity.Parse(input) {
		if reason, bad := identity.NotIdentity(c.Kind, c.Value); bad {
			return c.String() + ": " + reason
		}
	}
	// Parse drops placeholder serials, asset tags and UUIDs altogether.
	s := strings.TrimSpace(input)
	for _, k := range []ident.Kind{ident.Serial, ident.AssetTag, ident.UUID} {
		if reason, bad := identity.NotIdentity(k, s); bad {
			return string(k) + " " + s + ": " + reason
		}
	}
	return ""
}

// inNameOrder orders several matched CIs by name (then ID), the order the
// name and prefix matches use, so that the CI an ambiguous match shows
// first does not depend on the database's row order.
func (e *Engine) inNameOrder(ctx context.Context, ids []int) ([]int, error) {
	if len(ids) < 2 {
		return slices.Clone(ids), nil
	}
	sorted, err := e.client.ConfigurationItem.Query().Where(predicate.ConfigurationItem(e.idsIn(configurationitem.FieldID, ids))).
		Order(configurationitem.ByName(), configurationitem.ByID()).IDs(ctx)
	if err != nil {
		return nil, fmt.Errorf("ordering matches: %w", err)
	}
	if len(sorted) == 0 {
		return slices.Clone(ids), nil
	}
	return sorted, nil
}

// WhyNoMatch explains, for an input that matched nothing, what came
// closest and which rule refused it: a value that is not identity (see
// NotIdentity), a host of the same short name recorded in another domain,
// or the address recorded in other network scopes than the one given. It
// returns "" when there is nothing to say.
func (e *Engine) WhyNoMatch(ctx context.Context, input string, scope *string) (string, error) {
	if why := NotIdentity(input); why != "" {
		return why + ", so it is never matched as an identifier", nil
	}
	scope, err := Scope(scope)
	if err != nil {
		return "", err
	}
	for _, c := range identity.Parse(input) {
		switch {
		case c.Kind == ident.Hostname && c.Derived:
			in := identity.Input{Candidates: []identity.Candidate{{Kind: ident.Hostname, Value: c.Value}}, AnyScope: true}
			res, _, err := e.decide(ctx, in)
			if err != nil || !res.Matched() {
				return "", err
			}
			others, err := e.describe(ctx, res.IDs)
			if err != nil {
				return "", err
			}
			return fmt.Sprintf("no host is recorded as %s.%s; %s of the same short name %s in another domain, so a different host",
				c.Value, c.Domain, others, plural(len(res.IDs), "is", "are")), nil
		case c.Kind == ident.IP && scope != nil && identity.IsScoped(c.Value):
			in := identity.Input{Candidates: []identity.Candidate{c}, AnyScope: true}
			res, rows, err := e.decide(ctx, in)
			if err != nil || !res.Matched() {
				return "", err
			}
			var scopes []string
			for _, r := range rows {
				s := r.Scope
				if s == "" {
					s = "global"
				}
				if r.Kind == ident.IP && r.Value == c.Value && !slices.Contains(scopes, s) {
					scopes = append(scopes, s)
				}
			}
			slices.Sort(scopes)
			given := *scope
			if given == "" {
				given = "global"
			}
			return fmt.Sprintf("%s is a private address recorded in network scope %s, not in %s", c.Value, strings.Join(scopes, ", "), given), nil
		}
	}
	return "", nil
}

// describe names CIs for a message, "name (fqdn)", in name order, at most
// five.
func (e *Engine) describe(ctx context.Context, ids []int) (string, error) {
	cis, err := e.client.ConfigurationItem.Query().Where(predicate.ConfigurationItem(e.idsIn(configurationitem.FieldID, ids))).
		Order(configurationitem.ByName(), configurationitem.ByID()).Limit(5).
		Select(configurationitem.FieldName, configurationitem.FieldFqdn).All(ctx)
	if err != nil {
		return "", fmt.Errorf("loading near matches: %w", err)
	}
	parts := make([]string, len(cis))
	for i, c := range cis {
		parts[i] = c.Name
		if c.Fqdn != nil && *c.Fqdn != "" {
			parts[i] += " (" + *c.Fqdn + ")"
		}
	}
	if len(ids) > len(cis) {
		parts = append(parts, fmt.Sprintf("%d more", len(ids)-len(cis)))
	}
	return strings.Join(parts, ", "), nil
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

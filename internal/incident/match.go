package incident

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/cairn-cmdb/cairn/ent/configurationitem"
	"github.com/cairn-cmdb/cairn/ent/identifier"
	"github.com/cairn-cmdb/cairn/ent/predicate"
	"github.com/cairn-cmdb/cairn/internal/ident"
)

// MatchRule says how an input matched.
type MatchRule string

// Match rules, in the order they are tried.
const (
	// RuleIdentifier: a recorded identifier, in any notation (or a short
	// host name matching the first label of a recorded FQDN).
	RuleIdentifier MatchRule = "IDENTIFIER"
	// RuleName: a CI name, case-insensitively.
	RuleName MatchRule = "NAME"
	// RulePrefix: the start of CI names or host names.
	RulePrefix MatchRule = "PREFIX"
)

// maxMatches is how many CIs a name or prefix match returns at most: the
// CI and up to 20 alternatives.
const maxMatches = 21

// Match is what an input named.
type Match struct {
	// MatchedBy is the identifier kind that matched; HOSTNAME for name and
	// prefix matches.
	MatchedBy identifier.Kind
	Rule      MatchRule
	// Value is the normalised value that matched (the FQDN for a short
	// host name, the lower-cased prefix for a prefix match).
	Value string
	// IDs are the matched CIs in name order; more than one is ambiguous.
	IDs []int
}

// Match finds the CIs an input names: identifiers first (every notation
// normalised, see ident.Guess), then a single-label host name against the
// first label of recorded FQDNs, then CI names, then name or host name
// prefixes. It returns nil when nothing matches.
func (e *Engine) Match(ctx context.Context, input string) (*Match, error) {
	in := strings.TrimSpace(input)
	if in == "" {
		return nil, nil
	}
	if cands := ident.Guess(in); len(cands) > 0 {
		m, err := e.matchIdentifiers(ctx, cands)
		if m != nil || err != nil {
			return m, err
		}
		if host, ok := shortHostCandidate(cands); ok {
			if m, err := e.matchShortHost(ctx, host); m != nil || err != nil {
				return m, err
			}
		}
	}
	ids, err := e.client.ConfigurationItem.Query().Where(configurationitem.NameEqualFold(in)).
		Order(configurationitem.ByName(), configurationitem.ByID()).Limit(maxMatches).IDs(ctx)
	if err != nil {
		return nil, fmt.Errorf("matching names: %w", err)
	}
	if len(ids) > 0 {
		return &Match{MatchedBy: identifier.KindHostname, Rule: RuleName, Value: in, IDs: ids}, nil
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

// matchIdentifiers matches the candidates in the order Guess gave them: the
// first candidate with recorded identifiers wins.
func (e *Engine) matchIdentifiers(ctx context.Context, cands []ident.Candidate) (*Match, error) {
	preds := make([]predicate.Identifier, 0, len(cands))
	for _, c := range cands {
		preds = append(preds, identifier.And(identifier.KindEQ(identifier.Kind(c.Kind)), identifier.Value(c.Value)))
	}
	rows, err := e.client.Identifier.Query().Where(identifier.Or(preds...)).All(ctx)
	if err != nil {
		return nil, fmt.Errorf("matching identifiers: %w", err)
	}
	for _, c := range cands {
		var ids []int
		for _, row := range rows {
			if string(row.Kind) == string(c.Kind) && row.Value == c.Value && !slices.Contains(ids, row.ConfigurationItemID) {
				ids = append(ids, row.ConfigurationItemID)
			}
		}
		if len(ids) > 0 {
			if ids, err = e.inNameOrder(ctx, ids); err != nil {
				return nil, err
			}
			return &Match{MatchedBy: identifier.Kind(c.Kind), Rule: RuleIdentifier, Value: c.Value, IDs: ids}, nil
		}
	}
	return nil, nil
}

// matchShortHost matches a short host name typed for a CI whose FQDN alone
// is recorded (discovery and imports often record only the FQDN) against
// the FQDN's first label. Only for single-label input, so that an FQDN
// never matches a host of the same name in another domain.
func (e *Engine) matchShortHost(ctx context.Context, host string) (*Match, error) {
	rows, err := e.client.Identifier.Query().Where(
		identifier.KindEQ(identifier.KindFQDN), identifier.ValueHasPrefix(host+"."),
	).Order(identifier.ByValue(), identifier.ByID()).All(ctx)
	if err != nil {
		return nil, fmt.Errorf("matching FQDNs by host name: %w", err)
	}
	var ids []int
	fqdn := map[int]string{}
	for _, row := range rows {
		if ident.ShortName(row.Value) == host && !slices.Contains(ids, row.ConfigurationItemID) {
			ids = append(ids, row.ConfigurationItemID)
			fqdn[row.ConfigurationItemID] = row.Value
		}
	}
	if len(ids) == 0 {
		return nil, nil
	}
	if ids, err = e.inNameOrder(ctx, ids); err != nil {
		return nil, err
	}
	return &Match{MatchedBy: identifier.KindFQDN, Rule: RuleIdentifier, Value: fqdn[ids[0]], IDs: ids}, nil
}

// shortHostCandidate returns the HOSTNAME interpretation of a single-label
// input (one Guess offered no FQDN for).
func shortHostCandidate(cands []ident.Candidate) (string, bool) {
	host, ok := "", false
	for _, c := range cands {
		switch c.Kind {
		case ident.FQDN:
			return "", false
		case ident.Hostname:
			host, ok = c.Value, true
		}
	}
	return host, ok
}

// inNameOrder orders several matched CIs by name (then ID), the order the
// name and prefix matches use, so that the CI an ambiguous match shows
// first does not depend on the database's row order.
func (e *Engine) inNameOrder(ctx context.Context, ids []int) ([]int, error) {
	if len(ids) < 2 {
		return ids, nil
	}
	sorted, err := e.client.ConfigurationItem.Query().Where(configurationitem.IDIn(ids...)).
		Order(configurationitem.ByName(), configurationitem.ByID()).IDs(ctx)
	if err != nil {
		return nil, fmt.Errorf("ordering matches: %w", err)
	}
	if len(sorted) == 0 {
		return ids, nil
	}
	return sorted, nil
}

package replay

import (
	"context"
	stdsql "database/sql"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/cairn-cmdb/cairn/ent"
	"github.com/cairn-cmdb/cairn/ent/configurationitem"
	"github.com/cairn-cmdb/cairn/ent/predicate"
	"github.com/cairn-cmdb/cairn/ent/service"
	"github.com/cairn-cmdb/cairn/internal/alerts/intake"
	"github.com/cairn-cmdb/cairn/internal/ident"
	"github.com/cairn-cmdb/cairn/internal/identity"
	"github.com/cairn-cmdb/cairn/internal/incident"
	"github.com/cairn-cmdb/cairn/internal/store"
)

// Binding is how one alert was bound.
type Binding struct {
	// CI is the bound CI; 0 when unbound.
	CI int
	// BoundBy is the label whose value bound the CI (cairn_ci, instance,
	// host, …); "" when no CI is bound (Service may still be).
	BoundBy string
	// Rule is internal/incident's match rule (IDENTIFIER, SHORT_NAME,
	// NAME, ID); "" for a service binding.
	Rule string
	// Value is the value matched.
	Value string
	// Service is the Service the service label names (case-insensitively,
	// exactly one); 0 when none.
	Service int
	// Note says what bound the alert (`instance="web-01" (IDENTIFIER)`),
	// or why nothing did (`host="x" matched 2 CIs (a, b); no CI matches
	// instance="y"`).
	Note string
}

// Binder binds alerts to CIs with internal/incident's matcher rules
// (internal/identity's Keys and Decide), each distinct hint matched once
// per Binder. BindAll reads a whole batch in a constant number of
// statements: one for CI IDs, one for every identifier hint at once (plus
// internal/incident's Match for a hint carrying a domain that matched only
// by a weak kind, whose decision reads the CIs' domains), one for CI
// names, one for ambiguous CIs' names, one for service names.
type Binder struct {
	client *ent.Client
	st     *store.DB
	q      Querier // the identifier query's: readers, or a transaction (On)
	eng    *incident.Engine
	cache  map[intake.Hint]hintResult
	svc    map[string]int // lower-cased service name → ID, 0 none, -1 several
}

// hintResult is what one hint matched.
type hintResult struct {
	ci   int
	rule string
	ids  []int // several: ambiguous
}

// NewBinder returns a binder over the database (c may be a transaction's
// client).
func NewBinder(c *ent.Client, st *store.DB) *Binder {
	return &Binder{client: c, st: st, q: readers{st}, eng: incident.New(c, st), cache: map[intake.Hint]hintResult{}, svc: map[string]int{}}
}

// On makes b read identifiers through q (a transaction's client: see
// Querier) and returns b.
func (b *Binder) On(q Querier) *Binder {
	b.q = q
	return b
}

// Bind binds one alert's labels (see BindAll).
func (b *Binder) Bind(ctx context.Context, labels map[string]string) (Binding, error) {
	out, err := b.BindAll(ctx, []map[string]string{labels})
	if err != nil {
		return Binding{}, err
	}
	return out[0], nil
}

// BindAll binds each label set: the hints (intake.Hints) are tried in
// order; a CI hint binds on the IDENTIFIER and SHORT_NAME rules (and, for
// cairn_ci, a CI ID or a CI name) with exactly one CI. The service hint
// names a Service (case-insensitively, exactly one): it fills Service
// whatever bound the CI, and binds an alert no CI hint bound to that
// service alone (CI 0). An alert nothing binds stays unbound, with a Note
// saying why.
func (b *Binder) BindAll(ctx context.Context, labels []map[string]string) ([]Binding, error) {
	hints := make([][]intake.Hint, len(labels))
	var need []intake.Hint
	var svcNames []string
	for i, l := range labels {
		hints[i] = intake.Hints(l)
		for _, h := range hints[i] {
			if h.Rule == intake.LabelService {
				if _, ok := b.svc[strings.ToLower(h.Value)]; !ok {
					svcNames = append(svcNames, h.Value)
				}
				continue
			}
			if _, ok := b.cache[h]; !ok {
				b.cache[h] = hintResult{}
				need = append(need, h)
			}
		}
	}
	if err := b.match(ctx, need); err != nil {
		return nil, err
	}
	if err := b.services(ctx, svcNames); err != nil {
		return nil, err
	}
	// Names of the CIs of ambiguous hints, for the notes.
	var ambiguous []int
	for _, hs := range hints {
		for _, h := range hs {
			ambiguous = append(ambiguous, b.cache[h].ids...)
		}
	}
	names, err := CINames(ctx, b.client, ambiguous)
	if err != nil {
		return nil, err
	}
	out := make([]Binding, len(labels))
	for i, hs := range hints {
		out[i] = b.binding(hs, names)
	}
	return out, nil
}

func (b *Binder) binding(hs []intake.Hint, names map[int]string) Binding {
	var bd Binding
	var why []string
	for _, h := range hs {
		if h.Rule == intake.LabelService {
			id := b.svc[strings.ToLower(h.Value)]
			switch {
			case id > 0:
				bd.Service = id
				if bd.CI == 0 {
					bd.Note = fmt.Sprintf("%s=%q (service)", h.Rule, h.Value)
				}
			case bd.CI == 0 && id < 0:
				why = append(why, fmt.Sprintf("%s=%q matched several services", h.Rule, h.Value))
			case bd.CI == 0:
				why = append(why, fmt.Sprintf("no service is named %s=%q", h.Rule, h.Value))
			}
			continue
		}
		if bd.CI != 0 {
			continue
		}
		r := b.cache[h]
		switch {
		case r.ci != 0:
			bd.CI, bd.BoundBy, bd.Rule, bd.Value = r.ci, h.Rule, r.rule, h.Value
			bd.Note = fmt.Sprintf("%s=%q (%s)", h.Rule, h.Value, r.rule)
		case len(r.ids) > 1:
			shown := r.ids[:min(len(r.ids), 5)]
			ns := make([]string, len(shown))
			for j, id := range shown {
				ns[j] = names[id]
			}
			more := ""
			if len(r.ids) > len(shown) {
				more = ", …"
			}
			why = append(why, fmt.Sprintf("%s=%q matched %d CIs (%s%s)", h.Rule, h.Value, len(r.ids), strings.Join(ns, ", "), more))
		default:
			why = append(why, fmt.Sprintf("no CI matches %s=%q", h.Rule, h.Value))
		}
	}
	if bd.CI == 0 && bd.Service == 0 {
		if len(hs) == 0 {
			bd.Note = "no label names a CI or service (" + strings.Join(intake.HintLabels(), ", ") + ")"
		} else {
			bd.Note = strings.Join(why, "; ")
		}
	}
	return bd
}

// match fills the cache for the hints: CI IDs, then identifiers, then CI
// names (cairn_ci only).
func (b *Binder) match(ctx context.Context, hs []intake.Hint) error {
	if len(hs) == 0 {
		return nil
	}
	// cairn_ci naming a CI ID.
	var ids []int
	for _, h := range hs {
		if id, ok := h.CIID(); ok {
			ids = append(ids, id)
		}
	}
	if len(ids) > 0 {
		found, err := b.client.ConfigurationItem.Query().Where(configurationitem.IDIn(ids...)).IDs(ctx)
		if err != nil {
			return fmt.Errorf("binding cairn_ci IDs: %w", err)
		}
		exists := map[int]bool{}
		for _, id := range found {
			exists[id] = true
		}
		for _, h := range hs {
			if id, ok := h.CIID(); ok && exists[id] {
				b.cache[h] = hintResult{ci: id, rule: string(incident.RuleID)}
			}
		}
	}
	// Identifiers: every hint's identity.Keys in one statement, then
	// identity.Decide per hint.
	inputs := map[string]identity.Input{}
	var keys []identity.Key
	for _, h := range hs {
		if b.cache[h].ci != 0 {
			continue
		}
		if _, ok := inputs[h.Value]; !ok {
			in := identity.Input{Candidates: identity.Parse(h.Value), AnyScope: true}
			inputs[h.Value] = in
			keys = identity.Keys(in, keys)
		}
	}
	rows, err := b.identifierRows(ctx, keys)
	if err != nil {
		return err
	}
	var byName []intake.Hint
	for _, h := range hs {
		if b.cache[h].ci != 0 {
			continue
		}
		in := inputs[h.Value]
		res := identity.Decide(in, rows, nil)
		if res.Matched() && weakKind(res.By) && hasDomain(in) {
			// The decision reads the CIs' domains: internal/incident's
			// matcher fetches them.
			m, err := b.eng.Match(ctx, h.Value, nil)
			if err != nil {
				return fmt.Errorf("binding %s=%q: %w", h.Rule, h.Value, err)
			}
			res = identity.Result{}
			if m != nil && (m.Rule == incident.RuleIdentifier || m.Rule == incident.RuleShortName) {
				res = identity.Result{IDs: append([]int(nil), m.IDs...), Rule: identity.Rule(m.Rule)}
				sort.Ints(res.IDs)
			}
		}
		switch {
		case len(res.IDs) == 1:
			b.cache[h] = hintResult{ci: res.IDs[0], rule: string(res.Rule)}
		case len(res.IDs) > 1:
			b.cache[h] = hintResult{ids: append([]int(nil), res.IDs...)}
		case h.Rule == intake.LabelCI:
			byName = append(byName, h)
		}
	}
	return b.names(ctx, byName)
}

func weakKind(k ident.Kind) bool {
	return k == ident.Hostname || k == ident.AssetTag || k == ident.IP
}

func hasDomain(in identity.Input) bool {
	for _, c := range in.Candidates {
		if c.Domain != "" {
			return true
		}
	}
	return false
}

// identifierRows fetches the stored identifiers keys may match (the rows
// internal/incident's matcher reads for one input), for all the keys in
// one statement whose text does not depend on how many there are (the
// keys go in as one JSON parameter, so the reader's statement cache
// serves it): exact (kind, value) look-ups through the (kind, value)
// index, and FQDNs by first label as index ranges (internal/incident's
// valueHasPrefix: [label + ".", label + "/"), in the "C" collation on
// PostgreSQL). On SQLite CROSS JOIN keeps the keys the outer loop, so each
// key is one index look-up.
func (b *Binder) identifierRows(ctx context.Context, keys []identity.Key) ([]identity.Row, error) {
	if len(keys) == 0 {
		return nil, nil
	}
	exact := [][2]string{}
	labels := []string{}
	for _, k := range keys {
		if k.FirstLabel {
			labels = append(labels, k.Value)
			continue
		}
		exact = append(exact, [2]string{string(k.Kind), k.Value})
	}
	ej, err := json.Marshal(exact)
	if err != nil {
		return nil, err
	}
	lj, err := json.Marshal(labels)
	if err != nil {
		return nil, err
	}
	q := identifierRowsSQLite
	if b.st.Backend() == store.Postgres {
		q = identifierRowsPostgres
	}
	rs, err := b.q.QueryContext(ctx, b.st.Rebind(q), string(ej), string(lj))
	if err != nil {
		return nil, fmt.Errorf("binding alerts: matching identifiers: %w", err)
	}
	defer rs.Close()
	var rows []identity.Row
	for rs.Next() {
		var r identity.Row
		var kind string
		var scope stdsql.NullString
		if err := rs.Scan(&r.CI, &kind, &r.Value, &scope); err != nil {
			return nil, fmt.Errorf("binding alerts: matching identifiers: %w", err)
		}
		r.Kind, r.Scope = ident.Kind(kind), scope.String
		rows = append(rows, r)
	}
	if err := rs.Err(); err != nil {
		return nil, fmt.Errorf("binding alerts: matching identifiers: %w", err)
	}
	return rows, nil
}

const identifierRowsSQLite = `SELECT i.configuration_item_id, i.kind, i.value, i.scope
FROM json_each(?) k CROSS JOIN identifiers i ON i.kind = json_extract(k.value, '$[0]') AND i.value = json_extract(k.value, '$[1]')
UNION ALL
SELECT i.configuration_item_id, i.kind, i.value, i.scope
FROM json_each(?) k CROSS JOIN identifiers i ON i.kind = 'FQDN' AND i.value >= k.value || '.' AND i.value < k.value || '/'`

const identifierRowsPostgres = `SELECT i.configuration_item_id, i.kind, i.value, i.scope
FROM jsonb_array_elements(?::jsonb) k(v) JOIN identifiers i ON i.kind = k.v->>0 AND i.value = k.v->>1
UNION ALL
SELECT i.configuration_item_id, i.kind, i.value, i.scope
FROM jsonb_array_elements_text(?::jsonb) k(v) JOIN identifiers i
ON i.kind = 'FQDN' AND i.value COLLATE "C" >= k.v || '.' AND i.value COLLATE "C" < k.v || '/'`

// names binds cairn_ci hints by CI name, case-insensitively, in one
// statement.
func (b *Binder) names(ctx context.Context, hs []intake.Hint) error {
	if len(hs) == 0 {
		return nil
	}
	preds := make([]predicate.ConfigurationItem, len(hs))
	for i, h := range hs {
		preds[i] = configurationitem.NameEqualFold(h.Value)
	}
	cis, err := b.client.ConfigurationItem.Query().Where(configurationitem.Or(preds...)).
		Order(configurationitem.ByName(), configurationitem.ByID()).
		Select(configurationitem.FieldID, configurationitem.FieldName).All(ctx)
	if err != nil {
		return fmt.Errorf("binding cairn_ci names: %w", err)
	}
	byName := map[string][]int{}
	for _, c := range cis {
		k := strings.ToLower(c.Name)
		byName[k] = append(byName[k], c.ID)
	}
	for _, h := range hs {
		switch ids := byName[strings.ToLower(h.Value)]; {
		case len(ids) == 1:
			b.cache[h] = hintResult{ci: ids[0], rule: string(incident.RuleName)}
		case len(ids) > 1:
			b.cache[h] = hintResult{ids: ids}
		}
	}
	return nil
}

// services resolves service names, case-insensitively, in one statement.
func (b *Binder) services(ctx context.Context, names []string) error {
	if len(names) == 0 {
		return nil
	}
	preds := make([]predicate.Service, len(names))
	for i, n := range names {
		preds[i] = service.NameEqualFold(n)
		b.svc[strings.ToLower(n)] = 0
	}
	svcs, err := b.client.Service.Query().Where(service.Or(preds...)).
		Select(service.FieldID, service.FieldName).All(ctx)
	if err != nil {
		return fmt.Errorf("binding service labels: %w", err)
	}
	for _, s := range svcs {
		k := strings.ToLower(s.Name)
		if b.svc[k] == 0 {
			b.svc[k] = s.ID
		} else {
			b.svc[k] = -1
		}
	}
	return nil
}

// CINames returns the names of the CIs, by ID, in one statement.
func CINames(ctx context.Context, c *ent.Client, ids []int) (map[int]string, error) {
	out := map[int]string{}
	if len(ids) == 0 {
		return out, nil
	}
	ids = append([]int(nil), ids...)
	sort.Ints(ids)
	cis, err := c.ConfigurationItem.Query().Where(configurationitem.IDIn(ids...)).
		Select(configurationitem.FieldID, configurationitem.FieldName).All(ctx)
	if err != nil {
		return nil, fmt.Errorf("reading CI names: %w", err)
	}
	for _, ci := range cis {
		out[ci.ID] = ci.Name
	}
	return out, nil
}

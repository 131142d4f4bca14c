package reconcile

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/cairn-cmdb/cairn/discovery"
	"github.com/cairn-cmdb/cairn/ent"
	"github.com/cairn-cmdb/cairn/ent/configurationitem"
	"github.com/cairn-cmdb/cairn/ent/drift"
	"github.com/cairn-cmdb/cairn/ent/identifier"
	"github.com/cairn-cmdb/cairn/ent/schema/schematype"
	"github.com/cairn-cmdb/cairn/internal/ident"
	"github.com/cairn-cmdb/cairn/internal/textclip"
)

// normalize returns a copy of o with identifiers and fields in canonical form;
// invalid values are dropped with a log line.
func (r *reconciler) normalize(o *discovery.Observation) *discovery.Observation {
	n := *o
	n.Identifiers = nil
	seen := map[discovery.Identifier]bool{}
	add := func(k ident.Kind, v string) {
		if strings.TrimSpace(v) == "" {
			return
		}
		nv, err := ident.Normalize(k, v)
		if err != nil {
			r.logf("%s: dropped %s identifier: %v", o.Key, k, err)
			return
		}
		id := discovery.Identifier{Kind: k, Value: nv}
		if !seen[id] {
			seen[id] = true
			n.Identifiers = append(n.Identifiers, id)
		}
	}
	for _, id := range o.Identifiers {
		add(id.Kind, id.Value)
	}
	n.Fields = map[string]string{}
	for f, v := range o.Fields {
		v = strings.TrimSpace(v)
		if v == "" {
			continue
		}
		var k ident.Kind
		switch f {
		case "hostname":
			k = ident.Hostname
		case "fqdn":
			k = ident.FQDN
		case "serial_number":
			k = ident.Serial
		}
		if k != "" {
			nv, err := ident.Normalize(k, v)
			if err != nil {
				r.logf("%s: dropped field %s: %v", o.Key, f, err)
				continue
			}
			v = nv
			add(k, nv)
		}
		n.Fields[f] = v
	}
	return &n
}

func (r *reconciler) loadIndex(ctx context.Context) error {
	// A plain scan: this reads every identifier (several per CI), and ent's
	// reflective Scan costs more than the query.
	rows, err := r.c.QueryContext(ctx, "SELECT "+identifier.FieldKind+", "+identifier.FieldValue+", "+
		identifier.FieldConfigurationItemID+" FROM "+identifier.Table)
	if err != nil {
		return fmt.Errorf("loading the identifier index: %w", err)
	}
	defer rows.Close()
	r.idx = map[ident.Kind]map[string][]int{}
	var kind, value string
	var ci int
	for rows.Next() {
		if err := rows.Scan(&kind, &value, &ci); err != nil {
			return fmt.Errorf("loading the identifier index: %w", err)
		}
		k := ident.Kind(kind)
		m := r.idx[k]
		if m == nil {
			m = map[string][]int{}
			r.idx[k] = m
		}
		ids := m[value]
		dup := false
		for _, id := range ids {
			if id == ci {
				dup = true
				break
			}
		}
		if !dup {
			m[value] = append(ids, ci)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("loading the identifier index: %w", err)
	}
	return nil
}

type ambiguousObs struct {
	obs   *discovery.Observation
	cands []int
	by    ident.Kind
}

// identify returns the CIs the observation names, trying the strongest
// identifier kind first. An IP counts only when it names exactly one CI.
func (r *reconciler) identify(o *discovery.Observation) (cands []int, by ident.Kind) {
	for _, k := range []ident.Kind{ident.Serial, ident.CloudID, ident.UUID, ident.MAC, ident.FQDN, ident.Hostname, ident.AssetTag, ident.IP} {
		set := map[int]bool{}
		for _, id := range o.Identifiers {
			if id.Kind != k {
				continue
			}
			for _, ci := range r.idx[k][id.Value] {
				set[ci] = true
			}
		}
		if len(set) == 0 {
			continue
		}
		if k == ident.IP && len(set) > 1 {
			return nil, ""
		}
		ids := make([]int, 0, len(set))
		for id := range set {
			ids = append(ids, id)
		}
		sort.Ints(ids)
		return ids, k
	}
	return nil, ""
}

func (r *reconciler) match(ctx context.Context, obs []*discovery.Observation) ([]matched, []*discovery.Observation, []ambiguousObs, error) {
	type pending struct {
		obs *discovery.Observation
		id  int
		by  ident.Kind
	}
	var pend []pending
	var unmatched []*discovery.Observation
	var amb []ambiguousObs
	claimed := map[int]string{}
	for _, o := range obs {
		cands, by := r.identify(o)
		switch len(cands) {
		case 0:
			unmatched = append(unmatched, o)
		case 1:
			if prev, dup := claimed[cands[0]]; dup {
				r.logf("%s: names the same CI as %s; skipped", o.Key, prev)
				continue
			}
			claimed[cands[0]] = o.Key
			pend = append(pend, pending{o, cands[0], by})
		default:
			amb = append(amb, ambiguousObs{o, cands, by})
		}
	}
	cis := make(map[int]*ent.ConfigurationItem, len(pend))
	for start := 0; start < len(pend); start += chunk {
		end := min(start+chunk, len(pend))
		ids := make([]int, 0, end-start)
		for _, p := range pend[start:end] {
			ids = append(ids, p.id)
		}
		rows, err := r.c.ConfigurationItem.Query().Where(configurationitem.IDIn(ids...)).All(ctx)
		if err != nil {
			return nil, nil, nil, fmt.Errorf("loading matched CIs: %w", err)
		}
		for _, ci := range rows {
			cis[ci.ID] = ci
		}
	}
	out := make([]matched, 0, len(pend))
	for _, p := range pend {
		ci, ok := cis[p.id]
		if !ok {
			unmatched = append(unmatched, p.obs)
			continue
		}
		r.cis[ci.ID] = ci
		out = append(out, matched{obs: p.obs, ci: ci, matchedBy: string(p.by)})
	}
	r.out.Counts.Matched = len(out)
	r.out.Counts.Ambiguous = len(amb)
	return out, unmatched, amb, nil
}

// addIdentifiers records observed identifiers the CI does not have yet
// (fills, audited, source discovery:<job>).
func (r *reconciler) addIdentifiers(ctx context.Context, ciID int, o *discovery.Observation) error {
	for _, id := range o.Identifiers {
		if id.Kind == ident.Hostname || id.Kind == ident.FQDN || id.Kind == ident.Serial {
			continue // mirrored from the CI's own fields
		}
		owners := r.idx[id.Kind][id.Value]
		has := false
		for _, ow := range owners {
			if ow == ciID {
				has = true
				break
			}
		}
		if has {
			continue
		}
		if err := r.c.Identifier.Create().SetConfigurationItemID(ciID).SetKind(identifier.Kind(id.Kind)).
			SetValue(id.Value).SetSource(r.o.Actor).Exec(ctx); err != nil {
			return fmt.Errorf("recording %s identifier %q of CI %d: %w", id.Kind, id.Value, ciID, err)
		}
		if r.idx[id.Kind] == nil {
			r.idx[id.Kind] = map[string][]int{}
		}
		r.idx[id.Kind][id.Value] = append(owners, ciID)
		r.out.Counts.Filled++
		r.change(schematype.PlannedChange{Action: ActFill, CI: ciID, Field: "identifier." + string(id.Kind), After: id.Value})
	}
	return nil
}

func identity(o *discovery.Observation) string {
	for _, k := range ident.Kinds() {
		for _, id := range o.Identifiers {
			if id.Kind == k {
				return string(k) + ":" + id.Value
			}
		}
	}
	return "KEY:" + o.Key
}

func (r *reconciler) ambiguous(o *discovery.Observation, cands []int) {
	ids := make([]string, len(cands))
	for i, c := range cands {
		ids[i] = fmt.Sprint(c)
	}
	key := driftKey{kind: drift.KindAmbiguous, field: identity(o)}
	r.openOrTouch(nil, o.Kind, key, "", "matches CIs "+strings.Join(ids, ", "), o.Key, key.field)
	r.logf("%s: matches %d CIs (%s); not updated", o.Key, len(cands), strings.Join(ids, ", "))
}

func summary(o *discovery.Observation) string {
	b, _ := json.Marshal(struct {
		Kind        string                 `json:"kind"`
		Name        string                 `json:"name"`
		Identifiers []discovery.Identifier `json:"identifiers,omitempty"`
	}{o.Kind, o.Name, o.Identifiers})
	return string(b)
}

func (r *reconciler) unregistered(ctx context.Context, o *discovery.Observation) (int, error) {
	r.out.Counts.Unregistered++
	idn := identity(o)
	if !r.o.CreateUnregistered {
		key := driftKey{kind: drift.KindUnregistered, field: idn}
		r.openOrTouch(nil, o.Kind, key, "", summary(o), o.Key, idn)
		return 0, nil
	}
	name := o.Name
	if name == "" {
		name = o.Key
	}
	prov := map[string]schematype.Provenance{}
	mine := schematype.Provenance{By: r.o.Actor, At: r.o.Now, Priority: r.o.Priority}
	cr := r.c.ConfigurationItem.Create().
		SetName(textclip.Bytes(name, 255)).
		SetKind(configurationitem.Kind(o.Kind)).
		SetStatus(configurationitem.StatusDiscovered).
		SetLastSeenAt(r.o.Now)
	prov["name"], prov["kind"], prov["status"] = mine, mine, mine
	for f, v := range o.Fields {
		switch f {
		case "hostname":
			cr.SetHostname(v)
		case "fqdn":
			cr.SetFqdn(v)
		case "serial_number":
			cr.SetSerialNumber(v)
		case "description":
			cr.SetDescription(v)
		case "name":
			cr.SetName(textclip.Bytes(v, 255))
		}
		prov[f] = withPriority(mine, r.priorityFor(f))
	}
	if len(o.Facts) > 0 {
		facts := make(map[string]any, len(o.Facts))
		for k, v := range o.Facts {
			facts[k] = v
			prov["facts."+k] = withPriority(mine, r.priorityFor("facts."+k))
		}
		cr.SetFacts(facts)
	}
	cr.SetProvenance(prov)
	ci, err := cr.Save(ctx)
	if err != nil {
		return 0, fmt.Errorf("creating CI for unregistered %s: %w", o.Key, err)
	}
	r.cis[ci.ID] = ci
	r.out.Counts.Created++
	r.change(schematype.PlannedChange{Action: ActCreate, CI: ci.ID, ObservationKey: o.Key, After: name})
	if err := r.addIdentifiers(ctx, ci.ID, o); err != nil {
		return 0, err
	}
	// The new CI carries an unregistered drift so that someone reviews it.
	r.openOrTouch(ci, "", driftKey{ci: ci.ID, kind: drift.KindUnregistered}, "", summary(o), o.Key, idn)
	return ci.ID, nil
}

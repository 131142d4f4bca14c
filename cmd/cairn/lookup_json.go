package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/cairn-cmdb/cairn/ent"
	"github.com/cairn-cmdb/cairn/ent/schema/schematype"
	"github.com/cairn-cmdb/cairn/internal/incident"
)

// The JSON of `cairn lookup --json` is, byte for byte, the data of
// lookupQuery as the server returns it, indented: the same fields in the
// same order, null for what is missing, and scalars written as the server
// writes them (IDs as strings, Float with %g, Time as RFC 3339 with
// nanoseconds, strings escaped as gqlgen and then encoding/json escape
// them). Scripts written against either read the other;
// TestLookupJSONIsTheGraphQLAnswer holds the two together.
const lookupQuery = `query($id: String!, $asOf: Time, $depth: Int, $scope: String) {
  incidentContext(identifier: $id, asOf: $asOf, depth: $depth, scope: $scope) {
    matchedBy matchRule matchedValue ambiguous asOf
    ci { id name kind status environment criticality hostname fqdn serialNumber assetTag
         identifiers { kind value } location { name } }
    alternatives { id name kind hostname }
    owner { name kind email oncallContact escalation chatChannel }
    team { name email oncallContact }
    services { name tier sloTarget rtoMinutes rpoMinutes runbookURL owner { name } }
    dependents { count truncated nodes { depth via ci { name kind } } }
    dependencies { count truncated nodes { depth via ci { name kind } } }
    vendor { name supportEmail supportPhone }
    supportContracts { number kind endDate slaResponseMinutes supportContact vendor { name } }
    warranty { active endDate daysLeft contract { number } }
    bookValue { amount currency }
    openDrifts { kind status field recorded observed lastSeenAt }
    recentChanges { at actor action changes { field before after } }
  }
}`

// lookupJSON is the shape of lookupQuery's data.
type lookupJSON struct {
	IncidentContext *contextJSON `json:"incidentContext"`
}

type contextJSON struct {
	MatchedBy        gqlString      `json:"matchedBy"`
	MatchRule        gqlString      `json:"matchRule"`
	MatchedValue     gqlString      `json:"matchedValue"`
	Ambiguous        bool           `json:"ambiguous"`
	AsOf             gqlTime        `json:"asOf"`
	CI               ciJSON         `json:"ci"`
	Alternatives     []altJSON      `json:"alternatives"`
	Owner            *ownerJSON     `json:"owner"`
	Team             *teamJSON      `json:"team"`
	Services         []serviceJSON  `json:"services"`
	Dependents       impactJSON     `json:"dependents"`
	Dependencies     impactJSON     `json:"dependencies"`
	Vendor           *vendorJSON    `json:"vendor"`
	SupportContracts []contractJSON `json:"supportContracts"`
	Warranty         *warrantyJSON  `json:"warranty"`
	BookValue        *moneyJSON     `json:"bookValue"`
	OpenDrifts       []driftJSON    `json:"openDrifts"`
	RecentChanges    []changeJSON   `json:"recentChanges"`
}

type ciJSON struct {
	ID           gqlID       `json:"id"`
	Name         gqlString   `json:"name"`
	Kind         gqlString   `json:"kind"`
	Status       gqlString   `json:"status"`
	Environment  gqlString   `json:"environment"`
	Criticality  gqlString   `json:"criticality"`
	Hostname     *gqlString  `json:"hostname"`
	FQDN         *gqlString  `json:"fqdn"`
	SerialNumber *gqlString  `json:"serialNumber"`
	AssetTag     *gqlString  `json:"assetTag"`
	Identifiers  []identJSON `json:"identifiers"`
	Location     *nameJSON   `json:"location"`
}

type identJSON struct {
	Kind  gqlString `json:"kind"`
	Value gqlString `json:"value"`
}

type nameJSON struct {
	Name gqlString `json:"name"`
}

type altJSON struct {
	ID       gqlID      `json:"id"`
	Name     gqlString  `json:"name"`
	Kind     gqlString  `json:"kind"`
	Hostname *gqlString `json:"hostname"`
}

type ownerJSON struct {
	Name          gqlString  `json:"name"`
	Kind          gqlString  `json:"kind"`
	Email         *gqlString `json:"email"`
	OncallContact *gqlString `json:"oncallContact"`
	Escalation    *gqlString `json:"escalation"`
	ChatChannel   *gqlString `json:"chatChannel"`
}

type teamJSON struct {
	Name          gqlString  `json:"name"`
	Email         *gqlString `json:"email"`
	OncallContact *gqlString `json:"oncallContact"`
}

type serviceJSON struct {
	Name       gqlString  `json:"name"`
	Tier       int        `json:"tier"`
	SloTarget  *gqlFloat  `json:"sloTarget"`
	RtoMinutes *int       `json:"rtoMinutes"`
	RpoMinutes *int       `json:"rpoMinutes"`
	RunbookURL *gqlString `json:"runbookURL"`
	Owner      *nameJSON  `json:"owner"`
}

type impactJSON struct {
	Count     int        `json:"count"`
	Truncated bool       `json:"truncated"`
	Nodes     []nodeJSON `json:"nodes"`
}

type nodeJSON struct {
	Depth int       `json:"depth"`
	Via   gqlString `json:"via"`
	CI    struct {
		Name gqlString `json:"name"`
		Kind gqlString `json:"kind"`
	} `json:"ci"`
}

type vendorJSON struct {
	Name         gqlString  `json:"name"`
	SupportEmail *gqlString `json:"supportEmail"`
	SupportPhone *gqlString `json:"supportPhone"`
}

type contractJSON struct {
	Number             gqlString  `json:"number"`
	Kind               gqlString  `json:"kind"`
	EndDate            gqlTime    `json:"endDate"`
	SLAResponseMinutes *int       `json:"slaResponseMinutes"`
	SupportContact     *gqlString `json:"supportContact"`
	Vendor             *nameJSON  `json:"vendor"`
}

type warrantyJSON struct {
	Active   bool    `json:"active"`
	EndDate  gqlTime `json:"endDate"`
	DaysLeft int     `json:"daysLeft"`
	Contract *struct {
		Number gqlString `json:"number"`
	} `json:"contract"`
}

type moneyJSON struct {
	Amount   gqlString `json:"amount"`
	Currency gqlString `json:"currency"`
}

type driftJSON struct {
	Kind       gqlString  `json:"kind"`
	Status     gqlString  `json:"status"`
	Field      *gqlString `json:"field"`
	Recorded   *gqlString `json:"recorded"`
	Observed   *gqlString `json:"observed"`
	LastSeenAt gqlTime    `json:"lastSeenAt"`
}

type changeJSON struct {
	At      gqlTime                  `json:"at"`
	Actor   gqlString                `json:"actor"`
	Action  gqlString                `json:"action"`
	Changes []schematype.FieldChange `json:"changes"`
}

// writeLookupJSON writes ic (nil: nothing matched) as lookupJSON, indented.
func writeLookupJSON(w io.Writer, ic *incident.Context) error {
	var out lookupJSON
	if ic != nil {
		out.IncidentContext = contextOf(ic)
	}
	b, err := json.Marshal(out)
	if err != nil {
		return fmt.Errorf("encoding the lookup: %w", err)
	}
	var indented bytes.Buffer
	if err := json.Indent(&indented, b, "", "  "); err != nil {
		return fmt.Errorf("formatting JSON: %w", err)
	}
	_, err = fmt.Fprintln(w, indented.String())
	return err
}

func contextOf(ic *incident.Context) *contextJSON {
	c := ic.CI
	out := &contextJSON{
		MatchedBy: gqlString(ic.MatchedBy), MatchRule: gqlString(ic.Rule), MatchedValue: gqlString(ic.MatchedValue),
		Ambiguous: ic.Ambiguous, AsOf: gqlTime(ic.AsOf),
		CI: ciJSON{
			ID: gqlID(c.ID), Name: gqlString(c.Name), Kind: gqlString(c.Kind), Status: gqlString(c.Status),
			Environment: gqlString(c.Environment), Criticality: gqlString(c.Criticality),
			Hostname: strp(c.Hostname), FQDN: strp(c.Fqdn), SerialNumber: strp(c.SerialNumber), AssetTag: strp(c.AssetTag),
			Identifiers: make([]identJSON, len(c.Edges.Identifiers)),
		},
		Alternatives:     make([]altJSON, len(ic.Alternatives)),
		Services:         make([]serviceJSON, len(ic.Services)),
		Dependents:       impactOf(ic.Dependents),
		Dependencies:     impactOf(ic.Dependencies),
		SupportContracts: make([]contractJSON, len(ic.SupportContracts)),
		OpenDrifts:       make([]driftJSON, len(ic.OpenDrifts)),
		RecentChanges:    make([]changeJSON, len(ic.RecentChanges)),
	}
	for i, id := range c.Edges.Identifiers {
		out.CI.Identifiers[i] = identJSON{Kind: gqlString(id.Kind), Value: gqlString(id.Value)}
	}
	if l := c.Edges.Location; l != nil {
		out.CI.Location = &nameJSON{Name: gqlString(l.Name)}
	}
	for i, a := range ic.Alternatives {
		out.Alternatives[i] = altJSON{ID: gqlID(a.ID), Name: gqlString(a.Name), Kind: gqlString(a.Kind), Hostname: strp(a.Hostname)}
	}
	if o := ic.Owner; o != nil {
		out.Owner = &ownerJSON{Name: gqlString(o.Name), Kind: gqlString(o.Kind), Email: strp(o.Email),
			OncallContact: strp(o.OncallContact), Escalation: strp(o.Escalation), ChatChannel: strp(o.ChatChannel)}
	}
	if t := ic.Team; t != nil {
		out.Team = &teamJSON{Name: gqlString(t.Name), Email: strp(t.Email), OncallContact: strp(t.OncallContact)}
	}
	for i, s := range ic.Services {
		out.Services[i] = serviceJSON{Name: gqlString(s.Name), Tier: s.Tier, RtoMinutes: s.RtoMinutes, RpoMinutes: s.RpoMinutes,
			RunbookURL: strp(s.RunbookURL), Owner: nameOf(s.Edges.Owner)}
		if s.SloTarget != nil {
			f := gqlFloat(*s.SloTarget)
			out.Services[i].SloTarget = &f
		}
	}
	if v := ic.Vendor; v != nil {
		out.Vendor = &vendorJSON{Name: gqlString(v.Name), SupportEmail: strp(v.SupportEmail), SupportPhone: strp(v.SupportPhone)}
	}
	for i, k := range ic.SupportContracts {
		out.SupportContracts[i] = contractJSON{Number: gqlString(k.Number), Kind: gqlString(k.Kind), EndDate: gqlTime(k.EndDate),
			SLAResponseMinutes: k.SLAResponseMinutes, SupportContact: strp(k.SupportContact)}
		if v := k.Edges.Vendor; v != nil {
			out.SupportContracts[i].Vendor = &nameJSON{Name: gqlString(v.Name)}
		}
	}
	if w := ic.Warranty; w != nil {
		out.Warranty = &warrantyJSON{Active: w.Active, EndDate: gqlTime(w.EndDate), DaysLeft: w.DaysLeft}
		if w.Contract != nil {
			out.Warranty.Contract = &struct {
				Number gqlString `json:"number"`
			}{gqlString(w.Contract.Number)}
		}
	}
	if bv := ic.BookValue; bv != nil {
		out.BookValue = &moneyJSON{Amount: gqlString(bv.Amount()), Currency: gqlString(bv.Currency)}
	}
	for i, d := range ic.OpenDrifts {
		out.OpenDrifts[i] = driftJSON{Kind: gqlString(d.Kind), Status: gqlString(d.Status), Field: strp(d.FieldName),
			Recorded: strp(d.Recorded), Observed: strp(d.Observed), LastSeenAt: gqlTime(d.LastSeenAt)}
	}
	for i, ch := range ic.RecentChanges {
		changes := ch.Changes
		if changes == nil {
			changes = []schematype.FieldChange{}
		}
		out.RecentChanges[i] = changeJSON{At: gqlTime(ch.At), Actor: gqlString(ch.Actor), Action: gqlString(ch.Action), Changes: changes}
	}
	return out
}

func impactOf(im *incident.Impact) impactJSON {
	out := impactJSON{Count: im.Count, Truncated: im.Truncated, Nodes: make([]nodeJSON, len(im.Nodes))}
	for i, n := range im.Nodes {
		out.Nodes[i].Depth, out.Nodes[i].Via = n.Depth, gqlString(n.Via)
		out.Nodes[i].CI.Name, out.Nodes[i].CI.Kind = gqlString(n.CI.Name), gqlString(n.CI.Kind)
	}
	return out
}

func nameOf(o *ent.Owner) *nameJSON {
	if o == nil {
		return nil
	}
	return &nameJSON{Name: gqlString(o.Name)}
}

func strp(p *string) *gqlString {
	if p == nil {
		return nil
	}
	s := gqlString(*p)
	return &s
}

// gqlString is a String as gqlgen writes it: only '"', '\\' and control
// characters escaped, \t \r \n by name and the rest as \u00XX.
type gqlString string

func (s gqlString) MarshalJSON() ([]byte, error) {
	const hex = "0123456789ABCDEF"
	b := make([]byte, 0, len(s)+2)
	b = append(b, '"')
	for _, c := range []byte(s) {
		switch {
		case c == '\t':
			b = append(b, `\t`...)
		case c == '\r':
			b = append(b, `\r`...)
		case c == '\n':
			b = append(b, `\n`...)
		case c == '\\' || c == '"':
			b = append(b, '\\', c)
		case c < 0x20:
			b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
		default:
			b = append(b, c)
		}
	}
	return append(b, '"'), nil
}

// gqlID is an ID: the decimal integer as a string.
type gqlID int

func (id gqlID) MarshalJSON() ([]byte, error) { return []byte(`"` + strconv.Itoa(int(id)) + `"`), nil }

// gqlFloat is a Float as gqlgen writes it (%g).
type gqlFloat float64

func (f gqlFloat) MarshalJSON() ([]byte, error) { return []byte(fmt.Sprintf("%g", float64(f))), nil }

// gqlTime is a Time: RFC 3339 with nanoseconds in the time's own zone,
// null when zero.
type gqlTime time.Time

func (t gqlTime) MarshalJSON() ([]byte, error) {
	if time.Time(t).IsZero() {
		return []byte("null"), nil
	}
	return []byte(strconv.Quote(time.Time(t).Format(time.RFC3339Nano))), nil
}

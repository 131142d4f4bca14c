package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/cairn-cmdb/cairn/internal/app"
	"github.com/cairn-cmdb/cairn/internal/server"
)

// lookupQuery is the incident lookup the command runs; --json prints its
// data exactly as the GraphQL API returns it.
const lookupQuery = `query($id: String!, $asOf: Time, $depth: Int) {
  incidentContext(identifier: $id, asOf: $asOf, depth: $depth) {
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

func lookupCmd(g *globals) *cobra.Command {
	var (
		asJSON bool
		asOf   string
		depth  int
	)
	cmd := &cobra.Command{
		Use:   "lookup IDENTIFIER",
		Short: "Print the incident context of a host name, FQDN, IP, MAC, serial, asset tag, cloud ID or CI name",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			vars := map[string]any{"id": args[0], "depth": depth}
			if asOf != "" {
				t, err := parseDate(asOf)
				if err != nil {
					return fmt.Errorf("--as-of %q: %w", asOf, err)
				}
				vars["asOf"] = t
			}
			db, err := g.open(cmd.Context())
			if err != nil {
				return err
			}
			defer db.Close()
			data, err := runQuery(db, lookupQuery, vars)
			if err != nil {
				return err
			}
			if asJSON {
				var out bytes.Buffer
				if err := json.Indent(&out, data, "", "  "); err != nil {
					return fmt.Errorf("formatting JSON: %w", err)
				}
				_, err := fmt.Fprintln(g.stdout, out.String())
				return err
			}
			var res struct {
				IncidentContext *incident `json:"incidentContext"`
			}
			if err := json.Unmarshal(data, &res); err != nil {
				return fmt.Errorf("decoding the lookup: %w", err)
			}
			if res.IncidentContext == nil {
				return fmt.Errorf("nothing matches %q (tried identifiers, CI names and name prefixes)", args[0])
			}
			return printIncident(g.stdout, res.IncidentContext)
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the GraphQL result as JSON")
	cmd.Flags().StringVar(&asOf, "as-of", "", "evaluate contracts, warranty and changes at this date (YYYY-MM-DD or RFC 3339)")
	cmd.Flags().IntVar(&depth, "depth", 3, "how deep to follow dependents and dependencies")
	return cmd
}

func parseDate(s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	t, err := time.Parse("2006-01-02", s)
	if err != nil {
		return time.Time{}, fmt.Errorf("want YYYY-MM-DD or RFC 3339")
	}
	return t, nil
}

// runQuery executes a read-only GraphQL query in process, through the same
// handler the server uses, and returns its data.
func runQuery(db *app.DB, query string, vars map[string]any) (json.RawMessage, error) {
	srv, err := server.New(db, server.Config{AllowAnonymousRead: true, RequestTimeout: time.Minute})
	if err != nil {
		return nil, err
	}
	body, err := json.Marshal(map[string]any{"query": query, "variables": vars})
	if err != nil {
		return nil, fmt.Errorf("encoding query: %w", err)
	}
	req := httptest.NewRequest(http.MethodPost, "/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	srv.ServeHTTP(rec, req)
	var resp struct {
		Data   json.RawMessage `json:"data"`
		Errors []struct {
			Message string `json:"message"`
		} `json:"errors"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &resp); err != nil {
		return nil, fmt.Errorf("decoding response (status %d): %w", rec.Code, err)
	}
	if len(resp.Errors) > 0 {
		msgs := make([]string, len(resp.Errors))
		for i, e := range resp.Errors {
			msgs[i] = e.Message
		}
		return nil, fmt.Errorf("%s", strings.Join(msgs, "; "))
	}
	return resp.Data, nil
}

type named struct {
	Name string `json:"name"`
	Kind string `json:"kind"`
}

type impactJSON struct {
	Count     int  `json:"count"`
	Truncated bool `json:"truncated"`
	Nodes     []struct {
		Depth int    `json:"depth"`
		Via   string `json:"via"`
		CI    named  `json:"ci"`
	} `json:"nodes"`
}

type incident struct {
	MatchedBy    string `json:"matchedBy"`
	MatchRule    string `json:"matchRule"`
	MatchedValue string `json:"matchedValue"`
	Ambiguous    bool   `json:"ambiguous"`
	AsOf         string `json:"asOf"`
	CI           struct {
		ID          string  `json:"id"`
		Name        string  `json:"name"`
		Kind        string  `json:"kind"`
		Status      string  `json:"status"`
		Environment string  `json:"environment"`
		Criticality string  `json:"criticality"`
		Hostname    *string `json:"hostname"`
		FQDN        *string `json:"fqdn"`
		Identifiers []struct {
			Kind  string `json:"kind"`
			Value string `json:"value"`
		} `json:"identifiers"`
		Location *named `json:"location"`
	} `json:"ci"`
	Alternatives []named `json:"alternatives"`
	Owner        *struct {
		Name          string  `json:"name"`
		Kind          string  `json:"kind"`
		Email         *string `json:"email"`
		OncallContact *string `json:"oncallContact"`
		Escalation    *string `json:"escalation"`
	} `json:"owner"`
	Team     *named `json:"team"`
	Services []struct {
		Name       string   `json:"name"`
		Tier       int      `json:"tier"`
		SloTarget  *float64 `json:"sloTarget"`
		RtoMinutes *int     `json:"rtoMinutes"`
		RpoMinutes *int     `json:"rpoMinutes"`
		RunbookURL *string  `json:"runbookURL"`
	} `json:"services"`
	Dependents   impactJSON `json:"dependents"`
	Dependencies impactJSON `json:"dependencies"`
	Vendor       *struct {
		Name         string  `json:"name"`
		SupportPhone *string `json:"supportPhone"`
		SupportEmail *string `json:"supportEmail"`
	} `json:"vendor"`
	SupportContracts []struct {
		Number             string  `json:"number"`
		Kind               string  `json:"kind"`
		EndDate            string  `json:"endDate"`
		SlaResponseMinutes *int    `json:"slaResponseMinutes"`
		SupportContact     *string `json:"supportContact"`
	} `json:"supportContracts"`
	Warranty *struct {
		Active   bool    `json:"active"`
		EndDate  *string `json:"endDate"`
		DaysLeft *int    `json:"daysLeft"`
	} `json:"warranty"`
	BookValue *struct {
		Amount   string `json:"amount"`
		Currency string `json:"currency"`
	} `json:"bookValue"`
	OpenDrifts []struct {
		Kind     string  `json:"kind"`
		Status   string  `json:"status"`
		Field    *string `json:"field"`
		Recorded *string `json:"recorded"`
		Observed *string `json:"observed"`
	} `json:"openDrifts"`
	RecentChanges []struct {
		At      string `json:"at"`
		Actor   string `json:"actor"`
		Action  string `json:"action"`
		Changes []struct {
			Field string `json:"field"`
		} `json:"changes"`
	} `json:"recentChanges"`
}

func str(p *string) string {
	if p == nil || *p == "" {
		return "-"
	}
	return *p
}

func printIncident(w io.Writer, ic *incident) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	p := func(format string, args ...any) { fmt.Fprintf(tw, format+"\n", args...) }
	c := ic.CI
	p("CI\t%s (%s, %s, %s, criticality %s)", c.Name, c.Kind, c.Status, c.Environment, c.Criticality)
	p("matched\t%s %s (%s)", ic.MatchedBy, ic.MatchedValue, ic.MatchRule)
	if ic.Ambiguous {
		names := make([]string, len(ic.Alternatives))
		for i, a := range ic.Alternatives {
			names[i] = a.Name
		}
		p("AMBIGUOUS\talso matches: %s", strings.Join(names, ", "))
	}
	p("host\t%s / %s", str(c.Hostname), str(c.FQDN))
	var ids []string
	for _, i := range c.Identifiers {
		ids = append(ids, i.Kind+"="+i.Value)
	}
	p("identifiers\t%s", strings.Join(ids, " "))
	if c.Location != nil {
		p("location\t%s", c.Location.Name)
	}
	if o := ic.Owner; o != nil {
		p("owner\t%s (%s) %s", o.Name, o.Kind, str(o.Email))
		p("on call\t%s", str(o.OncallContact))
		p("escalation\t%s", str(o.Escalation))
	} else {
		p("owner\tNONE RECORDED")
	}
	if ic.Team != nil {
		p("team\t%s", ic.Team.Name)
	}
	for _, s := range ic.Services {
		slo := "-"
		if s.SloTarget != nil {
			slo = fmt.Sprintf("%g%%", *s.SloTarget)
		}
		rto, rpo := "-", "-"
		if s.RtoMinutes != nil {
			rto = fmt.Sprintf("%dm", *s.RtoMinutes)
		}
		if s.RpoMinutes != nil {
			rpo = fmt.Sprintf("%dm", *s.RpoMinutes)
		}
		p("service\t%s: tier %d, SLO %s, RTO %s, RPO %s, runbook %s", s.Name, s.Tier, slo, rto, rpo, str(s.RunbookURL))
	}
	printImpact := func(label string, im impactJSON) {
		trunc := ""
		if im.Truncated {
			trunc = " (truncated)"
		}
		p("%s\t%d CIs%s", label, im.Count, trunc)
		for i, n := range im.Nodes {
			if i == 15 {
				p("\t… and %d more", len(im.Nodes)-15)
				break
			}
			p("\t%s%s (%s) via %s", strings.Repeat("  ", n.Depth-1), n.CI.Name, n.CI.Kind, n.Via)
		}
	}
	printImpact("breaks with it", ic.Dependents)
	printImpact("depends on", ic.Dependencies)
	if v := ic.Vendor; v != nil {
		p("vendor\t%s, support %s %s", v.Name, str(v.SupportPhone), str(v.SupportEmail))
	}
	for _, k := range ic.SupportContracts {
		sla := "-"
		if k.SlaResponseMinutes != nil {
			sla = fmt.Sprintf("%d min", *k.SlaResponseMinutes)
		}
		p("contract\t%s %s until %s, SLA %s, contact %s", k.Kind, k.Number, dateOnly(k.EndDate), sla, str(k.SupportContact))
	}
	if wr := ic.Warranty; wr != nil {
		state := "EXPIRED"
		if wr.Active {
			state = "active"
		}
		days := ""
		if wr.DaysLeft != nil {
			days = fmt.Sprintf(", %d days left", *wr.DaysLeft)
		}
		end := ""
		if wr.EndDate != nil {
			end = dateOnly(*wr.EndDate)
		}
		p("warranty\t%s, ends %s%s", state, end, days)
	} else {
		p("warranty\tnone recorded")
	}
	if bv := ic.BookValue; bv != nil {
		p("book value\t%s %s", bv.Amount, bv.Currency)
	}
	for _, d := range ic.OpenDrifts {
		p("drift\t%s %s %s: %s → %s", d.Status, d.Kind, str(d.Field), str(d.Recorded), str(d.Observed))
	}
	for _, ch := range ic.RecentChanges {
		fields := make([]string, 0, len(ch.Changes))
		for _, f := range ch.Changes {
			fields = append(fields, f.Field)
		}
		p("change\t%s %s by %s: %s", dateOnly(ch.At), ch.Action, ch.Actor, strings.Join(fields, ", "))
	}
	return tw.Flush()
}

func dateOnly(s string) string {
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t.UTC().Format("2006-01-02 15:04")
	}
	return s
}

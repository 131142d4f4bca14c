package main

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/cairn-cmdb/cairn/ent"
	"github.com/cairn-cmdb/cairn/ent/identifier"
	"github.com/cairn-cmdb/cairn/internal/identity"
	"github.com/cairn-cmdb/cairn/internal/incident"
)

func lookupCmd(g *globals) *cobra.Command {
	var (
		asJSON bool
		asOf   string
		depth  int
		scope  string
	)
	cmd := &cobra.Command{
		Use:   "lookup IDENTIFIER",
		Short: "Print the incident context of a host name, FQDN, IP, MAC, serial, asset tag, cloud ID or CI name",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			req := incident.Request{Identifier: args[0], Depth: &depth}
			if cmd.Flags().Changed("scope") {
				req.Scope = &scope
			}
			if asOf != "" {
				t, err := parseDate(asOf)
				if err != nil {
					return fmt.Errorf("--as-of %q: %w", asOf, err)
				}
				req.AsOf = &t
			}
			db, err := g.open(cmd.Context())
			if err != nil {
				return err
			}
			defer db.Close()
			ic, err := incident.New(db.Client, db.Store).Context(cmd.Context(), req, lookupParts())
			if err != nil {
				return fmt.Errorf("looking up %q: %w", args[0], err)
			}
			if asJSON {
				return writeLookupJSON(g.stdout, ic)
			}
			if ic == nil {
				why, err := incident.New(db.Client, db.Store).WhyNoMatch(cmd.Context(), args[0], req.Scope)
				if err != nil {
					return fmt.Errorf("looking up %q: %w", args[0], err)
				}
				if why != "" {
					return fmt.Errorf("nothing matches %q (tried identifiers, CI names and name prefixes): %s", args[0], why)
				}
				return fmt.Errorf("nothing matches %q (tried identifiers, CI names and name prefixes)", args[0])
			}
			return printIncident(g.stdout, ic)
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the incident context as JSON, as the GraphQL API's incidentContext query returns it")
	cmd.Flags().StringVar(&asOf, "as-of", "", "evaluate contracts, warranty and changes at this date (YYYY-MM-DD or RFC 3339)")
	cmd.Flags().IntVar(&depth, "depth", incident.DefaultContextDepth, "how deep to follow dependents and dependencies")
	cmd.Flags().StringVar(&scope, "scope", "", "the network scope (site, VRF, VPC, datacenter) of a private address; without it an address held in several scopes is ambiguous; \"\" is the global scope")
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

// lookupParts are the parts of the context the command prints, with the
// edges it prints loaded eagerly.
func lookupParts() incident.Parts {
	plain := func(q *ent.ConfigurationItemQuery) (*ent.ConfigurationItemQuery, error) { return q, nil }
	impact := &incident.ImpactParts{Nodes: plain}
	return incident.Parts{
		CI: func(q *ent.ConfigurationItemQuery) (*ent.ConfigurationItemQuery, error) {
			return q.WithIdentifiers().WithLocation(), nil
		},
		Owner:        func(q *ent.OwnerQuery) (*ent.OwnerQuery, error) { return q, nil },
		Team:         func(q *ent.OwnerQuery) (*ent.OwnerQuery, error) { return q, nil },
		Services:     func(q *ent.ServiceQuery) (*ent.ServiceQuery, error) { return q.WithOwner(), nil },
		Dependents:   impact,
		Dependencies: impact,
		Vendor:       func(q *ent.VendorQuery) (*ent.VendorQuery, error) { return q, nil },
		SupportContracts: func(q *ent.ContractQuery) (*ent.ContractQuery, error) {
			return q.WithVendor(), nil
		},
		Warranty:      true,
		BookValue:     true,
		OpenDrifts:    func(q *ent.DriftQuery) (*ent.DriftQuery, error) { return q, nil },
		RecentChanges: func(q *ent.AuditEventQuery) (*ent.AuditEventQuery, error) { return q, nil },
	}
}

func str(p *string) string {
	if p == nil || *p == "" {
		return "-"
	}
	return *p
}

func printIncident(w io.Writer, ic *incident.Context) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	p := func(format string, args ...any) { fmt.Fprintf(tw, format+"\n", args...) }
	c := ic.CI
	p("CI\t%s (%s, %s, %s, criticality %s)", c.Name, c.Kind, c.Status, c.Environment, c.Criticality)
	if ic.MatchedScope != "" {
		p("matched\t%s %s in network scope %s (%s)", ic.MatchedBy, ic.MatchedValue, ic.MatchedScope, ic.Rule)
	} else {
		p("matched\t%s %s (%s)", ic.MatchedBy, ic.MatchedValue, ic.Rule)
	}
	if ic.Ambiguous {
		names := make([]string, len(ic.Alternatives))
		for i, a := range ic.Alternatives {
			names[i] = a.Name
		}
		p("AMBIGUOUS\talso matches: %s", strings.Join(names, ", "))
		if ic.MatchedBy == identifier.KindIP && identity.IsScoped(ic.MatchedValue) {
			p("\t%s is a private address: --scope names the network (site, VRF, VPC) you mean", ic.MatchedValue)
		}
	}
	p("host\t%s / %s", str(c.Hostname), str(c.Fqdn))
	var ids []string
	for _, i := range c.Edges.Identifiers {
		ids = append(ids, string(i.Kind)+"="+i.Value)
	}
	p("identifiers\t%s", strings.Join(ids, " "))
	if c.Edges.Location != nil {
		p("location\t%s", c.Edges.Location.Name)
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
	printImpact := func(label string, im *incident.Impact) {
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
		if k.SLAResponseMinutes != nil {
			sla = fmt.Sprintf("%d min", *k.SLAResponseMinutes)
		}
		p("contract\t%s %s until %s, SLA %s, contact %s", k.Kind, k.Number, dateOnly(k.EndDate), sla, str(k.SupportContact))
	}
	if wr := ic.Warranty; wr != nil {
		state := "EXPIRED"
		if wr.Active {
			state = "active"
		}
		p("warranty\t%s, ends %s, %d days left", state, dateOnly(wr.EndDate), wr.DaysLeft)
	} else {
		p("warranty\tnone recorded")
	}
	if bv := ic.BookValue; bv != nil {
		p("book value\t%s %s", bv.Amount(), bv.Currency)
	}
	for _, d := range ic.OpenDrifts {
		p("drift\t%s %s %s: %s → %s", d.Status, d.Kind, str(d.FieldName), str(d.Recorded), str(d.Observed))
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

func dateOnly(t time.Time) string { return t.UTC().Format("2006-01-02 15:04") }

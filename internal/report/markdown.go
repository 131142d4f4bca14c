package report

import (
	"bufio"
	"fmt"
	"github.com/cairn-cmdb/cairn/discovery"
	"github.com/cairn-cmdb/cairn/internal/textclip"
	"github.com/cairn-cmdb/cairn/internal/textsafe"
	"strconv"
	"strings"
)

// NoDriftText is what Markdown and HTML reports say for an empty window.
const NoDriftText = "No drift in this window."

// maxCell is the longest value (in runes) a Markdown or HTML table cell
// shows; JSON and CSV carry values whole.
const maxCell = 160

// maxServices is how many services at risk a Markdown or HTML cell names.
const maxServices = 8

// clip shortens s to maxCell runes, the cut marked with "…".
func clip(s string) string { return textclip.Runes(s, maxCell) }

// mdEscape makes s safe inside a Markdown table cell or line: clipped to
// maxCell runes, then textsafe.MarkdownCell (one line, markup escaped).
func mdEscape(s string) string { return textsafe.MarkdownCell(clip(s)) }

// or returns s, or dash when s is empty.
func or(s, dash string) string {
	if s == "" {
		return dash
	}
	return s
}

func servicesText(ss []string) string {
	if len(ss) == 0 {
		return ""
	}
	if len(ss) <= maxServices {
		return strings.Join(ss, ", ")
	}
	return strings.Join(ss[:maxServices], ", ") + fmt.Sprintf(" and %d more", len(ss)-maxServices)
}

func ownerText(owner, onCall string) string {
	switch {
	case owner == "":
		return ""
	case onCall == "":
		return owner
	}
	return owner + " (on call: " + onCall + ")"
}

func ciText(ci *CIRef) string {
	if ci == nil {
		return ""
	}
	return ci.Name + " #" + strconv.Itoa(ci.ID)
}

// driftSubject names what a listed drift is about: its CI, or the
// observation it came from.
func driftSubject(d *Drift) string {
	if d.CI != nil {
		return ciText(d.CI)
	}
	if d.ObservationKey != "" {
		return "observed " + d.ObservationKey
	}
	return "observed " + d.Identity
}

// driftField is a listed drift's field, with a relationship's type and
// the CI at its other end spelled out.
func driftField(d *Drift) string {
	typ, id, attr, ok := discovery.ParseRelationshipField(d.Field)
	if !ok {
		return d.Field
	}
	if attr != "" {
		attr = " " + attr
	}
	if d.Target == nil {
		return "relationship " + typ + " → #" + strconv.Itoa(id) + attr + " (no longer recorded)"
	}
	return "relationship " + typ + " → " + ciText(d.Target) + attr
}

func driftKindText(d *Drift) string {
	if d.CI != nil {
		return d.CI.Kind
	}
	return ""
}

// changeText is "recorded → observed".
func changeText(recorded, observed string) string {
	return or(recorded, "∅") + " → " + or(observed, "∅")
}

// driftChange is changeText for a listed drift; an unregistered one shows
// what was observed, read from its summary.
func driftChange(d *Drift) string {
	if d.Kind == "UNREGISTERED" {
		if u := (Unregistered{Observed: d.Observed}); parseObserved(&u) {
			return "∅ → " + observedText(&u)
		}
	}
	return changeText(d.Recorded, d.Observed)
}

func pct(n, of int) string {
	if of == 0 {
		return "–"
	}
	return strconv.Itoa(int(float64(n)*100/float64(of)+0.5)) + "%"
}

func countPct(n, of int) string { return strconv.Itoa(n) + " (" + pct(n, of) + ")" }

func scopeText(s Scope) string {
	if s.IsZero() {
		return "all CIs"
	}
	var parts []string
	for _, p := range []struct {
		name string
		vs   []string
	}{{"services", s.Services}, {"environments", s.Environments}, {"kinds", s.Kinds}, {"owners", s.Owners}} {
		if len(p.vs) > 0 {
			parts = append(parts, p.name+": "+strings.Join(p.vs, ", "))
		}
	}
	return strings.Join(parts, "; ")
}

func identifiersText(ids []Identifier) string {
	parts := make([]string, len(ids))
	for i, id := range ids {
		parts[i] = id.Kind + " " + id.Value
	}
	return strings.Join(parts, ", ")
}

// observedText summarises an unregistered observation.
func observedText(u *Unregistered) string {
	if u.ObservedKind == "" && u.ObservedName == "" {
		return u.Observed
	}
	s := strings.TrimSpace(u.ObservedKind + " " + u.ObservedName)
	if len(u.Identifiers) > 0 {
		s += " (" + identifiersText(u.Identifiers) + ")"
	}
	return s
}

type mdWriter struct {
	w   *bufio.Writer
	err error
}

func (m *mdWriter) printf(format string, a ...any) {
	if m.err == nil {
		_, m.err = fmt.Fprintf(m.w, format, a...)
	}
}

func (m *mdWriter) line(s string) {
	if m.err == nil {
		_, m.err = m.w.WriteString(s + "\n")
	}
}

// table writes a header, its alignment row, and then rows (cells escaped).
func (m *mdWriter) header(cols ...string) {
	var h, a strings.Builder
	h.WriteString("|")
	a.WriteString("|")
	for _, c := range cols {
		right := strings.HasSuffix(c, ">")
		c = strings.TrimSuffix(c, ">")
		h.WriteString(" " + c + " |")
		if right {
			a.WriteString(" ---: |")
		} else {
			a.WriteString(" --- |")
		}
	}
	m.line(h.String())
	m.line(a.String())
}

func (m *mdWriter) row(cells ...string) {
	var b strings.Builder
	b.WriteString("|")
	for _, c := range cells {
		b.WriteString(" " + mdEscape(c) + " |")
	}
	m.line(b.String())
}

func (m *mdWriter) counts(title, key string, cs []Count) {
	m.line("### " + title)
	m.line("")
	if len(cs) == 0 {
		m.line("None.")
		m.line("")
		return
	}
	m.header(key, "Opened>", "Unauthorised>", "Still open>")
	for _, c := range cs {
		m.row(c.Key, strconv.Itoa(c.Opened), strconv.Itoa(c.Unauthorized), strconv.Itoa(c.StillOpen))
	}
	m.line("")
}

func writeMarkdown(w *bufio.Writer, r *Report) error {
	m := &mdWriter{w: w}
	m.line("# " + mdEscape(r.Title))
	m.line("")
	m.line("- **Window:** " + utc(r.Window.Since) + " → " + utc(r.Window.Until))
	m.line("- **Scope:** " + mdEscape(scopeText(r.Scope)))
	m.line("")
	s := r.Summary
	if r.Empty() {
		m.line(NoDriftText)
		m.line("")
		if s.OpenNow > 0 {
			m.line(stillOpenText(s.OpenNow))
			m.line("")
		}
		m.markdownTrend(r)
	} else {
		m.line("## Summary")
		m.line("")
		m.header("Drifts", "Count>")
		m.row("Opened in the window", strconv.Itoa(s.Opened))
		m.row("– unauthorised", strconv.Itoa(s.Unauthorized))
		m.row("– authorised by an approved change", strconv.Itoa(s.Authorized))
		m.row("– ignored by a rule", strconv.Itoa(s.Ignored))
		m.row("Opened in the window and still open", strconv.Itoa(s.StillOpen))
		m.row("Resolved in the window", strconv.Itoa(s.Resolved))
		m.row("Accepted in the window", strconv.Itoa(s.Accepted))
		m.row("Open now (all, backlog)", strconv.Itoa(s.OpenNow))
		m.line("")
		m.counts("By kind", "Kind", s.ByKind)
		m.counts("By service", "Service", s.ByService)
		m.counts("By owner", "Owner", s.ByOwner)
		m.counts("By discovery job", "Job", s.ByJob)
		m.markdownTrend(r)
		m.markdownDrifts(r)
		m.markdownUnregistered(r)
		m.markdownMissing(r)
	}
	m.markdownIncidents(r.Incidents)
	m.markdownHealth(r.Health)
	return m.err
}

func (m *mdWriter) markdownTrend(r *Report) {
	m.printf("## Trend, last %d days\n\n", len(r.Trend))
	var active []TrendDay
	opened, resolved := 0, 0
	for _, d := range r.Trend {
		opened += d.Opened
		resolved += d.Resolved
		if d.Opened > 0 || d.Resolved > 0 {
			active = append(active, d)
		}
	}
	if len(active) == 0 {
		m.line("No drift opened or resolved in these days.")
		m.line("")
		return
	}
	m.printf("%d opened, %d resolved or accepted; days without either are left out.\n\n", opened, resolved)
	m.header("Day (UTC)", "Opened>", "Resolved>")
	for _, d := range active {
		m.row(d.Date, strconv.Itoa(d.Opened), strconv.Itoa(d.Resolved))
	}
	m.line("")
}

func (m *mdWriter) markdownDrifts(r *Report) {
	m.printf("## New unauthorised drift (%d)\n\n", len(r.Drifts))
	if len(r.Drifts) == 0 {
		m.line("None: every drift first seen in the window was authorised or ignored.")
		m.line("")
		return
	}
	m.printf("Services at risk: the CI's services and those of the CIs depending on it, up to %d relationships away.\n\n", r.RiskDepth)
	m.header("First seen", "CI", "CI kind", "Drift", "Field", "Recorded → observed", "Status", "Owner", "Job", "Last seen", "Services at risk")
	for i := range r.Drifts {
		d := &r.Drifts[i]
		m.row(utc(d.FirstSeenAt), driftSubject(d), driftKindText(d), d.Kind, driftField(d),
			driftChange(d), d.Status, ownerText(d.Owner, d.OnCall), d.Job,
			utc(d.LastSeenAt), servicesText(d.ServicesAtRisk))
	}
	m.line("")
}

func (m *mdWriter) markdownUnregistered(r *Report) {
	m.printf("## Unregistered (%d)\n\n", len(r.Unregistered))
	if len(r.Unregistered) == 0 {
		m.line("None.")
		m.line("")
		return
	}
	m.header("First seen", "Observation", "Identity", "Observed", "Created as", "Job", "Last seen")
	for i := range r.Unregistered {
		u := &r.Unregistered[i]
		m.row(utc(u.FirstSeenAt), u.ObservationKey, u.Identity, observedText(u), ciText(u.CI), u.Job, utc(u.LastSeenAt))
	}
	m.line("")
}

func (m *mdWriter) markdownMissing(r *Report) {
	m.printf("## Missing (%d)\n\n", len(r.Missing))
	if len(r.Missing) == 0 {
		m.line("None.")
		m.line("")
		return
	}
	m.header("First seen", "CI", "Kind", "Owner", "Job", "Observed", "Authorised", "Last seen")
	for i := range r.Missing {
		x := &r.Missing[i]
		auth := "no"
		if x.Authorized {
			auth = "yes"
		}
		m.row(utc(x.FirstSeenAt), ciText(&x.CI), x.CI.Kind, ownerText(x.Owner, x.OnCall), x.Job, x.Observed, auth, utc(x.LastSeenAt))
	}
	m.line("")
}

func (m *mdWriter) markdownHealth(h *HealthReport) {
	if h == nil {
		return
	}
	m.line("## CMDB health")
	m.line("")
	m.printf("As of %s: %s (retired and disposed ones left out); %d stale (not seen by discovery for more than %d days), %d never seen by discovery, %s, %s, %s and %s ending within %d days, %s.\n\n",
		utc(h.GeneratedAt), plural(h.TotalCIs, "live CI", "live CIs"), h.Stale, h.StaleDays, h.NeverSeen,
		plural(h.Orphans, "orphan", "orphans"), plural(h.DuplicateIdentifiers, "duplicate identifier", "duplicate identifiers"),
		plural(h.WarrantiesExpiring, "warranty", "warranties"), plural(h.ContractsExpiring, "contract", "contracts"), h.ExpiringDays,
		plural(len(h.FailingJobs), "failing discovery job", "failing discovery jobs"))

	m.line("### Completeness")
	m.line("")
	if len(h.Completeness) == 0 {
		m.line("No CIs.")
		m.line("")
	} else {
		m.header("Kind", "CIs>", "With owner>", "With service>", "With location>", "With asset>", "Never seen>", "Stale>", "Orphans>")
		var t KindCompleteness
		for _, k := range h.Completeness {
			m.row(k.Kind, strconv.Itoa(k.Count), countPct(k.WithOwner, k.Count), countPct(k.WithService, k.Count),
				countPct(k.WithLocation, k.Count), countPct(k.WithAsset, k.Count), strconv.Itoa(k.NeverSeen), strconv.Itoa(k.Stale), strconv.Itoa(k.Orphans))
			t.Count += k.Count
			t.WithOwner += k.WithOwner
			t.WithService += k.WithService
			t.WithLocation += k.WithLocation
			t.WithAsset += k.WithAsset
			t.NeverSeen += k.NeverSeen
			t.Stale += k.Stale
			t.Orphans += k.Orphans
		}
		m.row("All", strconv.Itoa(t.Count), countPct(t.WithOwner, t.Count), countPct(t.WithService, t.Count),
			countPct(t.WithLocation, t.Count), countPct(t.WithAsset, t.Count), strconv.Itoa(t.NeverSeen), strconv.Itoa(t.Stale), strconv.Itoa(t.Orphans))
		m.line("")
	}

	m.printf("### Stale CIs (%d)\n\n", h.Stale)
	if len(h.StaleSample) == 0 {
		m.line("None.")
	} else {
		m.line(sampleNote(len(h.StaleSample), h.Stale, "seen longest ago first"))
		m.line("")
		m.header("CI", "Kind", "Last seen")
		for _, s := range h.StaleSample {
			m.row(ciText(&s.CI), s.CI.Kind, utc(s.LastSeenAt))
		}
	}
	m.line("")

	m.printf("### Orphans (%d)\n\n", h.Orphans)
	if len(h.OrphanSample) == 0 {
		m.line("None.")
	} else {
		m.line(sampleNote(len(h.OrphanSample), h.Orphans, "CIs with neither an owner nor a service"))
		m.line("")
		m.header("CI", "Kind", "Environment")
		for _, o := range h.OrphanSample {
			m.row(ciText(&o), o.Kind, o.Environment)
		}
	}
	m.line("")

	m.printf("### Duplicate identifiers (%d)\n\n", h.DuplicateIdentifiers)
	if len(h.Duplicates) == 0 {
		m.line("None.")
	} else {
		m.line(sampleNote(len(h.Duplicates), h.DuplicateIdentifiers, "the same identifier recorded on several CIs"))
		m.line("")
		m.header("Identifier", "Value", "CIs")
		for _, g := range h.Duplicates {
			names := make([]string, len(g.CIs))
			for i := range g.CIs {
				names[i] = ciText(&g.CIs[i])
			}
			m.row(g.Kind, g.Value, strings.Join(names, ", "))
		}
	}
	m.line("")

	m.printf("### Warranties ending within %d days (%d)\n\n", h.ExpiringDays, h.WarrantiesExpiring)
	if len(h.Warranties) == 0 {
		m.line("None.")
	} else {
		m.header("CI", "Kind", "Owner", "Warranty ends", "Days left>")
		for _, w := range h.Warranties {
			m.row(ciText(&w.CI), w.CI.Kind, w.Owner, w.WarrantyEnd.Format("2006-01-02"), strconv.Itoa(w.DaysLeft))
		}
	}
	m.line("")

	m.printf("### Contracts ending within %d days (%d)\n\n", h.ExpiringDays, h.ContractsExpiring)
	if len(h.Contracts) == 0 {
		m.line("None.")
	} else {
		m.header("Contract", "Name", "Kind", "Vendor", "Ends", "Days left>", "Notice (days)>", "Auto-renew", "CIs covered>")
		for _, c := range h.Contracts {
			m.row(c.Number, c.Name, c.Kind, c.Vendor, c.EndDate.Format("2006-01-02"), strconv.Itoa(c.DaysLeft),
				strconv.Itoa(c.NoticePeriodDays), yesNo(c.AutoRenew), strconv.Itoa(c.CoveredCIs))
		}
	}
	m.line("")

	m.printf("### Failing discovery jobs (%d)\n\n", len(h.FailingJobs))
	if len(h.FailingJobs) == 0 {
		m.line("None.")
	} else {
		m.header("Job", "Source", "Last run", "At", "Last success", "Error")
		for _, f := range h.FailingJobs {
			last := "never"
			if f.LastSuccessAt != nil {
				last = utc(*f.LastSuccessAt)
			}
			m.row(f.Name, f.SourceKind, f.Status, utc(f.At), last, f.Error)
		}
	}
	m.line("")
}

// plural is "1 thing" or "n things".
func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}

func stillOpenText(n int) string {
	if n == 1 {
		return "1 drift first seen earlier is still open."
	}
	return strconv.Itoa(n) + " drifts first seen earlier are still open."
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func sampleNote(shown, total int, what string) string {
	if shown < total {
		return fmt.Sprintf("The first %d of %d: %s.", shown, total, what)
	}
	return strings.ToUpper(what[:1]) + what[1:] + "."
}

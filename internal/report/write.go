package report

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/cairn-cmdb/cairn/internal/textsafe"
)

// Formats lists the formats Write accepts, by canonical name.
var Formats = []string{"markdown", "html", "json", "csv"}

// CanonicalFormat returns the canonical name of a format ("md" is
// "markdown"; case does not matter) and false when it is unknown.
func CanonicalFormat(format string) (string, bool) {
	switch f := strings.ToLower(strings.TrimSpace(format)); f {
	case "markdown", "md":
		return "markdown", true
	case "html", "json", "csv":
		return f, true
	}
	return "", false
}

// Extension returns the file name extension of a format: md, html, json or
// csv.
func Extension(format string) string {
	f, _ := CanonicalFormat(format)
	if f == "markdown" {
		return "md"
	}
	return f
}

// ContentType returns the MIME type of a format.
func ContentType(format string) string {
	f, _ := CanonicalFormat(format)
	switch f {
	case "markdown":
		return "text/markdown; charset=utf-8"
	case "html":
		return "text/html; charset=utf-8"
	case "json":
		return "application/json"
	case "csv":
		return "text/csv; charset=utf-8"
	}
	return "application/octet-stream"
}

// Write renders r to w as "markdown" (or "md"), "html", "json" or "csv",
// streaming through a buffered writer.
func Write(w io.Writer, r *Report, format string) error {
	f, ok := CanonicalFormat(format)
	if !ok {
		return fmt.Errorf("report: unknown format %q (want markdown, html, json or csv)", format)
	}
	if r == nil {
		return fmt.Errorf("report: nothing to write")
	}
	bw := bufio.NewWriterSize(w, 64<<10)
	var err error
	switch f {
	case "markdown":
		err = writeMarkdown(bw, r)
	case "html":
		err = writeHTML(bw, r)
	case "json":
		err = writeJSON(bw, r)
	case "csv":
		err = writeCSV(bw, r)
	}
	if err != nil {
		return err
	}
	return bw.Flush()
}

// utc formats t for people: minutes, UTC.
func utc(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02 15:04 UTC")
}

func rfc3339(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// JSONVersion is the version of the JSON document's shape.
const JSONVersion = 1

// writeJSON writes one object; drifts are encoded one at a time.
func writeJSON(w *bufio.Writer, r *Report) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	value := func(prefix string, v any) error {
		buf.Reset()
		enc.SetIndent(prefix, "  ")
		if err := enc.Encode(v); err != nil {
			return err
		}
		_, err := w.Write(bytes.TrimRight(buf.Bytes(), "\n"))
		return err
	}
	field := func(name string, v any) error {
		if _, err := w.WriteString(",\n  " + strconv.Quote(name) + ": "); err != nil {
			return err
		}
		return value("  ", v)
	}
	if _, err := w.WriteString("{\n  \"version\": " + strconv.Itoa(JSONVersion)); err != nil {
		return err
	}
	for _, f := range []struct {
		name string
		v    any
	}{
		{"title", r.Title}, {"window", r.Window}, {"scope", r.Scope}, {"riskDepth", r.RiskDepth},
		{"empty", r.Empty()}, {"summary", r.Summary}, {"trend", r.Trend},
	} {
		if err := field(f.name, f.v); err != nil {
			return err
		}
	}
	if _, err := w.WriteString(",\n  \"drifts\": ["); err != nil {
		return err
	}
	for i := range r.Drifts {
		sep := ",\n    "
		if i == 0 {
			sep = "\n    "
		}
		if _, err := w.WriteString(sep); err != nil {
			return err
		}
		if err := value("    ", &r.Drifts[i]); err != nil {
			return err
		}
	}
	if len(r.Drifts) > 0 {
		if _, err := w.WriteString("\n  "); err != nil {
			return err
		}
	}
	if _, err := w.WriteString("]"); err != nil {
		return err
	}
	for _, f := range []struct {
		name string
		v    any
	}{{"unregistered", r.Unregistered}, {"missing", r.Missing}, {"incidents", r.Incidents}, {"health", r.Health}} {
		if err := field(f.name, f.v); err != nil {
			return err
		}
	}
	_, err := w.WriteString("\n}\n")
	return err
}

// CSVHeader is the header of the CSV format. The first eleven columns are
// the contract; drift_id, drift_kind and status follow so that a row can be
// told apart (a missing CI, an unregistered observation) and acted on.
var CSVHeader = []string{
	"ci_id", "ci_name", "ci_kind", "field", "recorded", "observed", "first_seen_at", "last_seen_at",
	"owner", "job", "services_at_risk", "drift_id", "drift_kind", "status",
}

// NoDrift is the ci_name of the one row of a CSV report without drifts.
const NoDrift = "no drift"

// writeCSV writes one row per new unauthorised drift. With none, it writes
// the header and one row whose ci_name is "no drift", so the file is never
// empty and never mistaken for a truncated one. Every cell goes through
// textsafe.CSVCell: one that a spreadsheet would run as a formula gets a
// leading apostrophe, a plain number stays a number.
func writeCSV(w *bufio.Writer, r *Report) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(CSVHeader); err != nil {
		return err
	}
	if len(r.Drifts) == 0 {
		row := make([]string, len(CSVHeader))
		row[1] = NoDrift
		if err := cw.Write(row); err != nil {
			return err
		}
	}
	row := make([]string, len(CSVHeader))
	for i := range r.Drifts {
		d := &r.Drifts[i]
		for j := range row {
			row[j] = ""
		}
		if d.CI != nil {
			row[0], row[1], row[2] = strconv.Itoa(d.CI.ID), d.CI.Name, d.CI.Kind
		}
		row[3], row[4], row[5] = d.Field, d.Recorded, d.Observed
		row[6], row[7] = rfc3339(d.FirstSeenAt), rfc3339(d.LastSeenAt)
		row[8], row[9], row[10] = d.Owner, d.Job, strings.Join(d.ServicesAtRisk, "; ")
		row[11], row[12], row[13] = strconv.Itoa(d.ID), d.Kind, d.Status
		if err := cw.Write(textsafe.CSVRow(row)); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

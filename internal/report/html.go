package report

import (
	"bufio"
	_ "embed"
	"html/template"
	"time"
)

// The HTML report is one self-contained file: inline CSS, inline SVG
// charts, no scripts, no fonts, images or anything else fetched by URL, so
// it reads the same opened from disk, attached to a mail or printed.
// html/template escapes every value.

//go:embed report.html.tmpl
var htmlSource string

var htmlTemplate = template.Must(template.New("report").Funcs(template.FuncMap{
	"utc":       utc,
	"date":      func(t time.Time) string { return t.UTC().Format(time.DateOnly) },
	"scope":     scopeText,
	"clip":      clip,
	"stillOpen": stillOpenText,
	"yesno":     yesNo,
	"pct":       countPct,
	"sample": func(shown, total int, what string) string {
		return sampleNote(shown, total, what)
	},
	"subject":  func(d Drift) string { return clip(driftSubject(&d)) },
	"field":    func(d Drift) string { return clip(driftField(&d)) },
	"change":   func(d Drift) string { return clip(driftChange(&d)) },
	"services": servicesText,
	"duration": durationText,
	"rate":     rateText,
	"observed": func(u Unregistered) string { return clip(observedText(&u)) },
	"ci": func(v any) string {
		switch c := v.(type) {
		case CIRef:
			return ciText(&c)
		case *CIRef:
			return ciText(c)
		}
		return ""
	},
	"counts": func(title, key string, rows []Count) map[string]any {
		return map[string]any{"Title": title, "Key": key, "Rows": rows}
	},
}).Parse(htmlSource))

type htmlView struct {
	R       *Report
	NoDrift string
	Trend   svgChart
	Kinds   svgChart
}

func writeHTML(w *bufio.Writer, r *Report) error {
	return htmlTemplate.Execute(w, htmlView{
		R:       r,
		NoDrift: NoDriftText,
		Trend:   trendChart(r.Trend),
		Kinds:   kindChart(r.Summary.ByKind),
	})
}

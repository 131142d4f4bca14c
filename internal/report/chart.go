package report

import (
	"fmt"
	"strconv"
)

// The HTML report's charts are inline SVG computed here: coordinates are
// preformatted strings so the template only places them.

type svgRect struct {
	X, Y, W, H string
	Class      string
	Title      string
}

type svgText struct {
	X, Y   string
	Anchor string
	Class  string
	Text   string
}

type svgLine struct{ X1, Y1, X2, Y2, Class string }

// svgChart is one chart.
type svgChart struct {
	Width, Height int
	Label         string // aria-label
	Rects         []svgRect
	Texts         []svgText
	Lines         []svgLine
}

func f1(v float64) string { return strconv.FormatFloat(v, 'f', 1, 64) }

// niceStep is the smallest of 1, 2, 5, 10, 20, 50, … at least x.
func niceStep(x float64) int {
	if x <= 1 {
		return 1
	}
	for m := 1; ; m *= 10 {
		for _, s := range []int{1, 2, 5} {
			if float64(s*m) >= x {
				return s * m
			}
		}
	}
}

// trendChart draws opened and resolved drifts per day as paired bars with
// a y axis of counts, day labels and a legend.
func trendChart(days []TrendDay) svgChart {
	const (
		width, height            = 760, 260
		left, right, top, bottom = 48.0, 12.0, 34.0, 46.0
	)
	c := svgChart{Width: width, Height: height, Label: fmt.Sprintf("Drifts opened and resolved per day, last %d days", len(days))}
	plotW, plotH := width-left-right, height-top-bottom
	maxV := 1
	for _, d := range days {
		maxV = max(maxV, d.Opened, d.Resolved)
	}
	step := niceStep(float64(maxV) / 4)
	yMax := (maxV + step - 1) / step * step
	y := func(v int) float64 { return top + plotH - float64(v)/float64(yMax)*plotH }
	for v := 0; v <= yMax; v += step {
		c.Lines = append(c.Lines, svgLine{f1(left), f1(y(v)), f1(left + plotW), f1(y(v)), "grid"})
		c.Texts = append(c.Texts, svgText{X: f1(left - 6), Y: f1(y(v) + 4), Anchor: "end", Class: "tick", Text: strconv.Itoa(v)})
	}
	c.Lines = append(c.Lines,
		svgLine{f1(left), f1(top), f1(left), f1(top + plotH), "axis"},
		svgLine{f1(left), f1(top + plotH), f1(left + plotW), f1(top + plotH), "axis"})
	n := max(len(days), 1)
	slot := plotW / float64(n)
	bw := slot * 0.38
	every := (n + 9) / 10
	for i, d := range days {
		x := left + float64(i)*slot + slot*0.12
		if d.Opened > 0 {
			c.Rects = append(c.Rects, svgRect{f1(x), f1(y(d.Opened)), f1(bw), f1(top + plotH - y(d.Opened)), "opened",
				fmt.Sprintf("%s: %d opened", d.Date, d.Opened)})
		}
		if d.Resolved > 0 {
			c.Rects = append(c.Rects, svgRect{f1(x + bw), f1(y(d.Resolved)), f1(bw), f1(top + plotH - y(d.Resolved)), "resolved",
				fmt.Sprintf("%s: %d resolved or accepted", d.Date, d.Resolved)})
		}
		if (n-1-i)%every == 0 && len(d.Date) == 10 {
			cx := left + float64(i)*slot + slot/2
			c.Lines = append(c.Lines, svgLine{f1(cx), f1(top + plotH), f1(cx), f1(top + plotH + 4), "axis"})
			c.Texts = append(c.Texts, svgText{X: f1(cx), Y: f1(top + plotH + 17), Anchor: "middle", Class: "tick", Text: d.Date[5:]})
		}
	}
	c.Texts = append(c.Texts,
		svgText{X: f1(left + plotW/2), Y: f1(height - 6), Anchor: "middle", Class: "axis-title", Text: "day (UTC, month-day)"},
		svgText{X: "12", Y: f1(top - 14), Anchor: "start", Class: "axis-title", Text: "drifts"})
	// Legend, top right.
	lx := left + plotW - 250
	c.Rects = append(c.Rects,
		svgRect{f1(lx), "10", "12", "12", "opened", ""},
		svgRect{f1(lx + 100), "10", "12", "12", "resolved", ""})
	c.Texts = append(c.Texts,
		svgText{X: f1(lx + 17), Y: "20", Anchor: "start", Class: "legend", Text: "opened"},
		svgText{X: f1(lx + 117), Y: "20", Anchor: "start", Class: "legend", Text: "resolved / accepted"})
	return c
}

// kindChart draws the drifts opened in the window per kind as horizontal
// bars, the unauthorised part darker.
func kindChart(kinds []Count) svgChart {
	const (
		width    = 760
		labelW   = 190.0
		barMaxW  = 360.0
		rowH     = 28.0
		top      = 34.0
		barH     = 18.0
		valueGap = 8.0
	)
	height := int(top + rowH*float64(max(len(kinds), 1)) + 10)
	c := svgChart{Width: width, Height: height, Label: "Drifts opened in the window by kind"}
	maxV := 1
	for _, k := range kinds {
		maxV = max(maxV, k.Opened)
	}
	w := func(v int) float64 { return float64(v) / float64(maxV) * barMaxW }
	for i, k := range kinds {
		y := top + float64(i)*rowH
		c.Texts = append(c.Texts, svgText{X: f1(labelW - 10), Y: f1(y + barH - 4), Anchor: "end", Class: "label", Text: k.Key})
		c.Rects = append(c.Rects, svgRect{f1(labelW), f1(y), f1(w(k.Opened)), f1(barH), "kind-all",
			fmt.Sprintf("%s: %d opened, %d unauthorised", k.Key, k.Opened, k.Unauthorized)})
		if k.Unauthorized > 0 {
			c.Rects = append(c.Rects, svgRect{f1(labelW), f1(y), f1(w(k.Unauthorized)), f1(barH), "kind-unauth",
				fmt.Sprintf("%s: %d unauthorised", k.Key, k.Unauthorized)})
		}
		c.Texts = append(c.Texts, svgText{X: f1(labelW + w(k.Opened) + valueGap), Y: f1(y + barH - 4), Anchor: "start", Class: "value",
			Text: fmt.Sprintf("%d (%d unauthorised)", k.Opened, k.Unauthorized)})
	}
	c.Lines = append(c.Lines, svgLine{f1(labelW), f1(top - 4), f1(labelW), f1(top + rowH*float64(len(kinds)) - 6), "axis"})
	c.Rects = append(c.Rects,
		svgRect{f1(labelW), "8", "12", "12", "kind-unauth", ""},
		svgRect{f1(labelW + 120), "8", "12", "12", "kind-all", ""})
	c.Texts = append(c.Texts,
		svgText{X: f1(labelW + 17), Y: "18", Anchor: "start", Class: "legend", Text: "unauthorised"},
		svgText{X: f1(labelW + 137), Y: "18", Anchor: "start", Class: "legend", Text: "authorised or ignored"})
	return c
}

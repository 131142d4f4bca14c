package intake

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/cairn-cmdb/cairn/internal/apperr"
	"github.com/cairn-cmdb/cairn/internal/textclip"
	"github.com/cairn-cmdb/cairn/internal/textsafe"
)

// Status values of an alert and of an Alertmanager notification.
const (
	StatusFiring   = "firing"
	StatusResolved = "resolved"
)

// AlertmanagerVersion is the webhook payload version this package reads.
const AlertmanagerVersion = "4"

// Alert is one validated alert.
type Alert struct {
	Status       string // StatusFiring or StatusResolved
	Labels       map[string]string
	Annotations  map[string]string
	StartsAt     time.Time
	EndsAt       time.Time // zero: no end (firing)
	GeneratorURL string
	// Fingerprint is the one the sender gave ("" when none).
	Fingerprint string
	// Key deduplicates: Fingerprint when given, else the fingerprint of
	// Labels minus the volatile ones.
	Key string
}

// Firing reports whether the alert is firing.
func (a Alert) Firing() bool { return a.Status == StatusFiring }

// Notification is a validated Alertmanager webhook payload.
type Notification struct {
	Version           string
	GroupKey          string
	TruncatedAlerts   int
	Status            string
	Receiver          string
	GroupLabels       map[string]string
	CommonLabels      map[string]string
	CommonAnnotations map[string]string
	ExternalURL       string
	Alerts            []Alert
}

// Limits bound a payload. A zero field means the default's value.
type Limits struct {
	MaxBytes           int // the whole payload
	MaxAlerts          int // alerts in one payload
	MaxLabels          int // labels (and, separately, annotations) of one alert
	MaxNameBytes       int // a label or annotation name
	MaxValueBytes      int // a label value
	MaxAnnotationBytes int // an annotation value
	MaxURLBytes        int // generatorURL, externalURL
	MaxKeyBytes        int // groupKey, receiver, a generic route's fingerprint
}

// DefaultLimits are the limits when none are set: room for a storm of
// 10,000 alerts in one Alertmanager group.
func DefaultLimits() Limits {
	return Limits{
		MaxBytes:           32 << 20,
		MaxAlerts:          10000,
		MaxLabels:          64,
		MaxNameBytes:       256,
		MaxValueBytes:      2048,
		MaxAnnotationBytes: 16 << 10,
		MaxURLBytes:        4096,
		MaxKeyBytes:        4096,
	}
}

func (l Limits) withDefaults() Limits {
	d := DefaultLimits()
	for _, p := range []struct{ v, d *int }{
		{&l.MaxBytes, &d.MaxBytes}, {&l.MaxAlerts, &d.MaxAlerts}, {&l.MaxLabels, &d.MaxLabels},
		{&l.MaxNameBytes, &d.MaxNameBytes}, {&l.MaxValueBytes, &d.MaxValueBytes},
		{&l.MaxAnnotationBytes, &d.MaxAnnotationBytes}, {&l.MaxURLBytes, &d.MaxURLBytes},
		{&l.MaxKeyBytes, &d.MaxKeyBytes},
	} {
		if *p.v <= 0 {
			*p.v = *p.d
		}
	}
	return l
}

// Options configure parsing.
type Options struct {
	Limits Limits
	// Volatile are label names left out of the computed fingerprint
	// (labels that change while the alert stays the same one). None by
	// default, so that the computed key equals Alertmanager's.
	Volatile []string
	// Now decides the status of a generic alert without one; zero: the
	// time of the call.
	Now time.Time
}

// wire forms: times as strings so that a bad one gets our message.
type wireAlert struct {
	Status       *string         `json:"status"`
	Labels       json.RawMessage `json:"labels"`
	Annotations  json.RawMessage `json:"annotations"`
	StartsAt     *string         `json:"startsAt"`
	EndsAt       *string         `json:"endsAt"`
	GeneratorURL string          `json:"generatorURL"`
	Fingerprint  *string         `json:"fingerprint"`
}

type wireNotification struct {
	Version           *string           `json:"version"`
	GroupKey          *string           `json:"groupKey"`
	TruncatedAlerts   *int              `json:"truncatedAlerts"`
	Status            *string           `json:"status"`
	Receiver          *string           `json:"receiver"`
	GroupLabels       json.RawMessage   `json:"groupLabels"`
	CommonLabels      json.RawMessage   `json:"commonLabels"`
	CommonAnnotations json.RawMessage   `json:"commonAnnotations"`
	ExternalURL       string            `json:"externalURL"`
	Alerts            []json.RawMessage `json:"alerts"`
}

// ParseAlertmanager reads an Alertmanager webhook payload (version 4).
func ParseAlertmanager(data []byte, opt Options) (*Notification, error) {
	lim := opt.Limits.withDefaults()
	if err := checkPayload(data, lim); err != nil {
		return nil, err
	}
	var w wireNotification
	if err := decode(data, &w, false, ""); err != nil {
		return nil, err
	}
	if w.Version == nil {
		return nil, apperr.Invalid("version", "is required (Alertmanager sends \"4\")")
	}
	if *w.Version != AlertmanagerVersion {
		return nil, apperr.Invalid("version", "is %q, only version %q is read", textclip.Message(*w.Version), AlertmanagerVersion)
	}
	n := &Notification{Version: *w.Version, ExternalURL: w.ExternalURL}
	var err error
	if n.GroupKey, err = requiredText("groupKey", w.GroupKey, lim.MaxKeyBytes); err != nil {
		return nil, err
	}
	if n.Receiver, err = requiredText("receiver", w.Receiver, lim.MaxKeyBytes); err != nil {
		return nil, err
	}
	if w.TruncatedAlerts != nil {
		if *w.TruncatedAlerts < 0 {
			return nil, apperr.Invalid("truncatedAlerts", "is %d, not a count", *w.TruncatedAlerts)
		}
		n.TruncatedAlerts = *w.TruncatedAlerts
	}
	if w.Status == nil {
		return nil, apperr.Invalid("status", "is required: firing or resolved")
	}
	if n.Status, err = checkStatus("status", *w.Status); err != nil {
		return nil, err
	}
	if err := checkURL("externalURL", n.ExternalURL, lim); err != nil {
		return nil, err
	}
	for _, m := range []struct {
		field string
		raw   json.RawMessage
		set   *map[string]string
		note  bool
	}{
		{"groupLabels", w.GroupLabels, &n.GroupLabels, false},
		{"commonLabels", w.CommonLabels, &n.CommonLabels, false},
		{"commonAnnotations", w.CommonAnnotations, &n.CommonAnnotations, true},
	} {
		if *m.set, err = decodeSet(m.raw, m.field, m.note, lim); err != nil {
			return nil, err
		}
	}
	if n.Alerts, err = parseAlerts(w.Alerts, true, opt, lim); err != nil {
		return nil, err
	}
	return n, nil
}

// ParseAlerts reads the generic route's payload: a JSON array of alerts
// with Alertmanager's alert fields.
func ParseAlerts(data []byte, opt Options) ([]Alert, error) {
	lim := opt.Limits.withDefaults()
	if err := checkPayload(data, lim); err != nil {
		return nil, err
	}
	var raw []json.RawMessage
	if err := decode(data, &raw, false, ""); err != nil {
		return nil, err
	}
	return parseAlerts(raw, false, opt, lim)
}

func parseAlerts(raw []json.RawMessage, fromAM bool, opt Options, lim Limits) ([]Alert, error) {
	if len(raw) == 0 {
		return nil, apperr.Invalid("alerts", "holds no alert")
	}
	if len(raw) > lim.MaxAlerts {
		return nil, apperr.Invalid("alerts", "holds %d alerts, more than the limit of %d", len(raw), lim.MaxAlerts)
	}
	now := opt.Now
	if now.IsZero() {
		now = time.Now()
	}
	out := make([]Alert, 0, len(raw))
	for i, r := range raw {
		a, err := parseAlert(r, fmt.Sprintf("alerts[%d]", i), fromAM, opt.Volatile, now, lim)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, nil
}

func parseAlert(raw json.RawMessage, at string, fromAM bool, volatile []string, now time.Time, lim Limits) (Alert, error) {
	var w wireAlert
	if bytes.Equal(bytes.TrimSpace(raw), []byte("null")) {
		return Alert{}, apperr.Invalid(at, "is null, not an alert object")
	}
	if err := decode(raw, &w, !fromAM, at); err != nil {
		return Alert{}, err
	}
	a := Alert{GeneratorURL: w.GeneratorURL}
	var err error
	if a.Labels, err = decodeSet(w.Labels, at+".labels", false, lim); err != nil {
		return Alert{}, err
	}
	if len(a.Labels) == 0 {
		return Alert{}, apperr.Invalid(at+".labels", "is required: an alert is named by its labels")
	}
	if a.Annotations, err = decodeSet(w.Annotations, at+".annotations", true, lim); err != nil {
		return Alert{}, err
	}
	if err := checkURL(at+".generatorURL", a.GeneratorURL, lim); err != nil {
		return Alert{}, err
	}
	if w.StartsAt == nil {
		return Alert{}, apperr.Invalid(at+".startsAt", "is required")
	}
	if a.StartsAt, err = parseTime(at+".startsAt", *w.StartsAt); err != nil {
		return Alert{}, err
	}
	if a.StartsAt.IsZero() {
		return Alert{}, apperr.Invalid(at+".startsAt", "is the zero time; an alert needs its start")
	}
	if w.EndsAt != nil {
		if a.EndsAt, err = parseTime(at+".endsAt", *w.EndsAt); err != nil {
			return Alert{}, err
		}
	}
	if !a.EndsAt.IsZero() && a.EndsAt.Before(a.StartsAt) {
		return Alert{}, apperr.Invalid(at+".endsAt", "%s is before startsAt %s",
			a.EndsAt.Format(time.RFC3339Nano), a.StartsAt.Format(time.RFC3339Nano))
	}
	switch {
	case w.Status != nil:
		if a.Status, err = checkStatus(at+".status", *w.Status); err != nil {
			return Alert{}, err
		}
	case fromAM:
		return Alert{}, apperr.Invalid(at+".status", "is required: firing or resolved")
	case !a.EndsAt.IsZero() && !a.EndsAt.After(now):
		a.Status = StatusResolved
	default:
		a.Status = StatusFiring
	}
	if a.Status == StatusResolved && a.EndsAt.IsZero() && fromAM {
		return Alert{}, apperr.Invalid(at+".endsAt", "is required on a resolved alert")
	}
	if w.Fingerprint != nil && *w.Fingerprint != "" {
		fp := *w.Fingerprint
		if fromAM {
			if !isFingerprint(fp) {
				return Alert{}, apperr.Invalid(at+".fingerprint", "%q is not 16 hexadecimal digits", textclip.Message(fp))
			}
		} else if err := checkText(fp, lim.MaxKeyBytes); err != nil {
			return Alert{}, apperr.Invalid(at+".fingerprint", "%s", err)
		}
		a.Fingerprint = fp
		a.Key = fp
	} else {
		a.Key = Fingerprint(a.Labels, volatile)
	}
	return a, nil
}

// decode reads one JSON value (and nothing after it) into v; strict refuses
// unknown fields. Errors name the field under at.
func decode(data []byte, v any, strict bool, at string) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	if strict {
		dec.DisallowUnknownFields()
	}
	where := func(field string) string {
		switch {
		case at == "":
			if field == "" {
				return "payload"
			}
			return field
		case field == "":
			return at
		}
		return at + "." + field
	}
	if err := dec.Decode(v); err != nil {
		var te *json.UnmarshalTypeError
		var se *json.SyntaxError
		switch {
		case errors.As(err, &te):
			return apperr.Invalid(where(te.Field), "is a JSON %s, want %s", te.Value, jsonKind(te.Type))
		case errors.As(err, &se):
			return apperr.Invalid(where(""), "is not JSON: %s (at byte %d)", se.Error(), se.Offset)
		case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
			return apperr.Invalid(where(""), "is empty or cut short")
		}
		if f, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
			return apperr.Invalid(where(strings.Trim(f, `"`)), "is not a field of an alert")
		}
		return apperr.Invalid(where(""), "is not valid: %s", strings.TrimPrefix(err.Error(), "json: "))
	}
	if _, err := dec.Token(); err != io.EOF {
		return apperr.Invalid(where(""), "has data after its JSON value")
	}
	return nil
}

func jsonKind(t reflect.Type) string {
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Map:
		return "an object of strings"
	case reflect.Slice:
		return "an array"
	case reflect.Int:
		return "an integer"
	}
	return "an object"
}

// checkPayload applies what holds for the whole payload: its size, and
// valid UTF-8 (encoding/json would quietly turn bad bytes into U+FFFD).
func checkPayload(data []byte, lim Limits) error {
	if len(data) > lim.MaxBytes {
		return apperr.Invalid("payload", "is %d bytes, more than the limit of %d", len(data), lim.MaxBytes)
	}
	if !utf8.Valid(data) {
		at := 0
		for at < len(data) {
			r, size := utf8.DecodeRune(data[at:])
			if r == utf8.RuneError && size <= 1 {
				break
			}
			at += size
		}
		return apperr.Invalid("payload", "is not valid UTF-8 (at byte %d)", at)
	}
	return nil
}

func checkStatus(field, s string) (string, error) {
	switch s {
	case StatusFiring, StatusResolved:
		return s, nil
	}
	return "", apperr.Invalid(field, "is %q, want firing or resolved", textclip.Message(s))
}

func requiredText(field string, s *string, max int) (string, error) {
	if s == nil || *s == "" {
		return "", apperr.Invalid(field, "is required")
	}
	if len(*s) > max {
		return "", apperr.Invalid(field, "is %d bytes, more than the limit of %d", len(*s), max)
	}
	// A groupKey holds the route's matchers ({}/{severity="page"}:{...})
	// and quotes; it is still one line of visible text.
	if err := textsafe.CheckName(*s); err != nil {
		return "", apperr.Invalid(field, "%s", err)
	}
	return *s, nil
}

func checkURL(field, s string, lim Limits) error {
	if s == "" {
		return nil
	}
	if err := checkText(s, lim.MaxURLBytes); err != nil {
		return apperr.Invalid(field, "%s", err)
	}
	return nil
}

// checkText is the rule for one-line values: a length and textsafe.CheckName.
func checkText(s string, max int) error {
	if len(s) > max {
		return fmt.Errorf("is %d bytes, more than the limit of %d", len(s), max)
	}
	return textsafe.CheckName(s)
}

// checkNote is the rule for annotation values: free text with line breaks
// and tabs, no other unsafe character.
func checkNote(s string, max int) error {
	if len(s) > max {
		return fmt.Errorf("is %d bytes, more than the limit of %d", len(s), max)
	}
	pos := 0
	for i, r := range s {
		pos++
		if r == utf8.RuneError {
			if _, size := utf8.DecodeRuneInString(s[i:]); size <= 1 {
				return fmt.Errorf("is not valid UTF-8 (at character %d)", pos)
			}
		}
		if r == '\n' || r == '\r' || r == '\t' {
			continue
		}
		if textsafe.Unsafe(r) {
			return fmt.Errorf("holds the unsafe character %U at character %d", r, pos)
		}
	}
	return nil
}

// decodeSet reads a label or annotation set (notes: annotations): a JSON
// object of strings, or null or absent (nil), in which a name may not
// repeat (encoding/json would keep the last quietly), then checkSet.
func decodeSet(raw json.RawMessage, field string, notes bool, lim Limits) (map[string]string, error) {
	if len(raw) == 0 {
		return nil, nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	tok, err := dec.Token()
	if err != nil {
		return nil, apperr.Invalid(field, "is not valid JSON")
	}
	if tok == nil {
		return nil, nil
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nil, apperr.Invalid(field, "is a JSON %s, want an object of strings", tokenKind(tok))
	}
	set := map[string]string{}
	for dec.More() {
		kt, err := dec.Token()
		if err != nil {
			return nil, apperr.Invalid(field, "is not valid JSON")
		}
		name, _ := kt.(string)
		if err := checkText(name, lim.MaxNameBytes); err != nil {
			return nil, apperr.Invalid(field, "name %q %s", textclip.Message(name), err)
		}
		vt, err := dec.Token()
		if err != nil {
			return nil, apperr.Invalid(field, "is not valid JSON")
		}
		v, ok := vt.(string)
		if !ok {
			return nil, apperr.Invalid(field+"."+name, "is a JSON %s, want a string", tokenKind(vt))
		}
		if _, dup := set[name]; dup {
			return nil, apperr.Invalid(field, "names %q twice", textclip.Message(name))
		}
		if len(set) == lim.MaxLabels {
			return nil, apperr.Invalid(field, "holds more than the limit of %d entries", lim.MaxLabels)
		}
		set[name] = v
	}
	if err := checkSet(field, set, notes, lim); err != nil {
		return nil, err
	}
	return set, nil
}

func tokenKind(tok json.Token) string {
	switch t := tok.(type) {
	case nil:
		return "null"
	case bool:
		return "bool"
	case float64, json.Number:
		return "number"
	case string:
		return "string"
	case json.Delim:
		if t == '[' {
			return "array"
		}
	}
	return "object"
}

// checkSet checks a label or annotation set; notes are annotations.
func checkSet(field string, set map[string]string, notes bool, lim Limits) error {
	if len(set) > lim.MaxLabels {
		return apperr.Invalid(field, "holds %d entries, more than the limit of %d", len(set), lim.MaxLabels)
	}
	for _, name := range sortedNames(set) {
		if name == "" {
			return apperr.Invalid(field, "holds an empty name")
		}
		if err := checkText(name, lim.MaxNameBytes); err != nil {
			return apperr.Invalid(field, "name %q %s", textclip.Message(name), err)
		}
		var err error
		if notes {
			err = checkNote(set[name], lim.MaxAnnotationBytes)
		} else {
			err = checkText(set[name], lim.MaxValueBytes)
		}
		if err != nil {
			return apperr.Invalid(field+"."+name, "%s", err)
		}
	}
	return nil
}

func isFingerprint(s string) bool {
	if len(s) != 16 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}

package intake

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/model"

	"github.com/cairn-cmdb/cairn/internal/apperr"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// testNow is the Now of the golden files' generic alerts.
var testNow = time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)

type goldenAlert struct {
	Key          string            `json:"key"`
	Fingerprint  string            `json:"fingerprint,omitempty"`
	Status       string            `json:"status"`
	StartsAt     time.Time         `json:"startsAt"`
	EndsAt       *time.Time        `json:"endsAt,omitempty"`
	Labels       map[string]string `json:"labels"`
	Annotations  map[string]string `json:"annotations,omitempty"`
	GeneratorURL string            `json:"generatorURL,omitempty"`
	Hints        []Hint            `json:"hints"`
}

type goldenNotification struct {
	GroupKey        string            `json:"groupKey"`
	TruncatedAlerts int               `json:"truncatedAlerts"`
	Status          string            `json:"status"`
	Receiver        string            `json:"receiver"`
	GroupLabels     map[string]string `json:"groupLabels"`
	CommonLabels    map[string]string `json:"commonLabels"`
	ExternalURL     string            `json:"externalURL"`
	Alerts          []goldenAlert     `json:"alerts"`
}

func golden(as []Alert) []goldenAlert {
	out := []goldenAlert{}
	for _, a := range as {
		g := goldenAlert{Key: a.Key, Fingerprint: a.Fingerprint, Status: a.Status, StartsAt: a.StartsAt,
			Labels: a.Labels, Annotations: a.Annotations, GeneratorURL: a.GeneratorURL, Hints: Hints(a.Labels)}
		if !a.EndsAt.IsZero() {
			e := a.EndsAt
			g.EndsAt = &e
		}
		out = append(out, g)
	}
	return out
}

func checkGolden(t *testing.T, path string, v any) {
	t.Helper()
	got, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to write it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs (run with -update after checking):\n%s", path, got)
	}
}

// TestAlertmanagerGolden parses the payloads recorded from Debian's
// prometheus-alertmanager (TestAlertmanagerLab -update) and compares what
// they yield, hints included, with the golden files. Alertmanager's own
// fingerprints must equal ours.
func TestAlertmanagerGolden(t *testing.T) {
	files, _ := filepath.Glob("testdata/alertmanager_*.json")
	files = slices.DeleteFunc(files, func(f string) bool { return strings.HasSuffix(f, ".golden.json") })
	if len(files) < 5 {
		t.Fatalf("want the 5 recorded payloads, found %v", files)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			n, err := ParseAlertmanager(data, Options{})
			if err != nil {
				t.Fatal(err)
			}
			for i, a := range n.Alerts {
				if a.Fingerprint != Fingerprint(a.Labels, nil) || a.Key != a.Fingerprint {
					t.Errorf("alerts[%d]: Alertmanager's fingerprint %s, key %s, ours %s", i, a.Fingerprint, a.Key, Fingerprint(a.Labels, nil))
				}
			}
			checkGolden(t, strings.TrimSuffix(f, ".json")+".golden.json", goldenNotification{
				GroupKey: n.GroupKey, TruncatedAlerts: n.TruncatedAlerts, Status: n.Status, Receiver: n.Receiver,
				GroupLabels: n.GroupLabels, CommonLabels: n.CommonLabels, ExternalURL: n.ExternalURL, Alerts: golden(n.Alerts),
			})
		})
	}
}

// TestAlertmanagerRecorded pins what the recorded payloads hold, so that a
// re-recording that lost a case fails.
func TestAlertmanagerRecorded(t *testing.T) {
	for _, tc := range []struct {
		file              string
		status            string
		alerts, truncated int
		firing, resolved  int
	}{
		{"firing", "firing", 1, 0, 1, 0},
		{"resolved", "resolved", 1, 0, 0, 1},
		{"mixed", "firing", 2, 0, 1, 1},
		{"truncated", "firing", 3, 2, 3, 0},
		{"many", "firing", 12, 0, 12, 0},
	} {
		data, err := os.ReadFile("testdata/alertmanager_" + tc.file + ".json")
		if err != nil {
			t.Fatal(err)
		}
		n, err := ParseAlertmanager(data, Options{})
		if err != nil {
			t.Fatal(err)
		}
		firing, resolved := 0, 0
		for _, a := range n.Alerts {
			if a.Firing() {
				firing++
				if !a.EndsAt.IsZero() {
					t.Errorf("%s: firing alert with end %v; Alertmanager's zero time is no end", tc.file, a.EndsAt)
				}
			} else {
				resolved++
			}
		}
		if n.Status != tc.status || len(n.Alerts) != tc.alerts || n.TruncatedAlerts != tc.truncated || firing != tc.firing || resolved != tc.resolved {
			t.Errorf("%s: status %s, %d alerts (%d truncated), %d firing, %d resolved; want %+v",
				tc.file, n.Status, len(n.Alerts), n.TruncatedAlerts, firing, resolved, tc)
		}
	}
}

// TestGenericGolden parses a generic payload: a status taken from endsAt
// against Now, a sender's own fingerprint kept as the key, hints from
// instance URLs, [v6]:port, cairn_ci IDs and service labels.
func TestGenericGolden(t *testing.T) {
	data, err := os.ReadFile("testdata/generic_mixed.json")
	if err != nil {
		t.Fatal(err)
	}
	as, err := ParseAlerts(data, Options{Now: testNow})
	if err != nil {
		t.Fatal(err)
	}
	checkGolden(t, "testdata/generic_mixed.golden.json", golden(as))
	if as[1].Status != StatusResolved || as[2].Status != StatusFiring || as[2].Key != "nms-event-99812" {
		t.Errorf("statuses %s %s, key %s", as[1].Status, as[2].Status, as[2].Key)
	}
	if got := as[1].StartsAt; !got.Equal(time.Date(2026, 12, 7, 9, 1, 0, 5e8, time.UTC)) || got.Location() != time.UTC {
		t.Errorf("startsAt %v, want 09:01:00.5 UTC", got)
	}
}

// TestFingerprintAlertmanager: our fingerprint equals prometheus/common's
// model.LabelSet.Fingerprint (Alertmanager's) for known label sets, so
// both routes dedupe an alert the same way.
func TestFingerprintAlertmanager(t *testing.T) {
	sets := []map[string]string{
		{},
		{"alertname": "InstanceDown"},
		{"alertname": "InstanceDown", "instance": "db-01.lab:9100", "job": "node", "severity": "page"},
		{"a": "", "b": "x"},
		{"ab": "c", "a": "bc"}, // the separator keeps these apart
		{"alertname": "Ünïcode", "zone": "東京"},
		{"Z": "upper sorts first", "a": "lower"},
	}
	seen := map[string]bool{}
	for _, s := range sets {
		ls := model.LabelSet{}
		for k, v := range s {
			ls[model.LabelName(k)] = model.LabelValue(v)
		}
		want := ls.Fingerprint().String()
		if got := Fingerprint(s, nil); got != want {
			t.Errorf("Fingerprint(%v) = %s, Alertmanager's %s", s, got, want)
		}
		seen[want] = true
	}
	if len(seen) != len(sets) {
		t.Errorf("%d distinct fingerprints for %d label sets", len(seen), len(sets))
	}
	// Volatile labels are left out.
	base := map[string]string{"alertname": "X", "instance": "h:1"}
	withVolatile := map[string]string{"alertname": "X", "instance": "h:1", "value": "97.5"}
	if Fingerprint(withVolatile, []string{"value"}) != Fingerprint(base, nil) {
		t.Error("a volatile label changed the fingerprint")
	}
	if Fingerprint(withVolatile, nil) == Fingerprint(base, nil) {
		t.Error("with no volatile labels every label counts")
	}
	// The generic route keys an alert without a fingerprint as
	// Alertmanager would, and leaves volatile labels out when told.
	payload := `[{"labels":{"alertname":"X","instance":"h:1","value":"97.5"},"startsAt":"2026-12-07T10:00:00Z"}]`
	as, err := ParseAlerts([]byte(payload), Options{Now: testNow})
	if err != nil || as[0].Key != Fingerprint(withVolatile, nil) {
		t.Fatalf("key %v, %v", as, err)
	}
	as, err = ParseAlerts([]byte(payload), Options{Now: testNow, Volatile: []string{"value"}})
	if err != nil || as[0].Key != Fingerprint(base, nil) {
		t.Fatalf("key with volatile %v, %v", as, err)
	}
}

func TestInstanceHost(t *testing.T) {
	for in, want := range map[string]string{
		"db-01.lab:9100":                  "db-01.lab",
		"10.0.0.5:9100":                   "10.0.0.5",
		"10.0.0.5":                        "10.0.0.5",
		"[2001:db8::1]:9100":              "2001:db8::1",
		"[fe80::1%eth0]:9100":             "fe80::1%eth0",
		"2001:db8::1":                     "2001:db8::1",
		"00:1a:2b:3c:4d:5e":               "00:1a:2b:3c:4d:5e",
		"https://web-01.lab:8443/healthz": "web-01.lab",
		"http://user:pw@[2001:db8::2]:80": "2001:db8::2",
		"tcp://10.1.1.1:22":               "10.1.1.1",
		"web-01":                          "web-01",
		" web-01:80 ":                     "web-01",
		"web-01:http":                     "web-01:http", // not a port: as it is
		"host:99999":                      "host:99999",
		":9100":                           ":9100",
		"":                                "",
	} {
		if got := InstanceHost(in); got != want {
			t.Errorf("InstanceHost(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestHints(t *testing.T) {
	got := Hints(map[string]string{
		"service": "Shop", "serial": "SN-1", "mac": "00:1a:2b:3c:4d:5e", "ip": "10.0.0.5",
		"fqdn": "db-01.lab", "nodename": "db-01", "hostname": "db-01", "host": "",
		"instance": "db-01.lab:9100", "cairn_ci": "db-01 (primary)", "job": "node",
	})
	want := []Hint{
		{LabelCI, "db-01 (primary)"}, {"instance", "db-01.lab"}, {"hostname", "db-01"},
		{"ip", "10.0.0.5"}, {"mac", "00:1a:2b:3c:4d:5e"}, {"serial", "SN-1"}, {LabelService, "Shop"},
	}
	if !slices.Equal(got, want) {
		t.Errorf("Hints = %v\nwant    %v", got, want)
	}
	if Hints(map[string]string{"alertname": "X", "job": "node"}) != nil {
		t.Error("labels without a hint give hints")
	}
	for v, want := range map[string]int{"42": 42, "042": 0, "-1": 0, "0": 0, "db-01": 0, "+7": 0} {
		id, ok := Hint{LabelCI, v}.CIID()
		if id != want || ok != (want > 0) {
			t.Errorf("CIID(%q) = %d %v", v, id, ok)
		}
	}
	if _, ok := (Hint{"host", "42"}).CIID(); ok {
		t.Error("a host hint named a CI ID")
	}
}

const okAlert = `{"status":"firing","labels":{"alertname":"X"},"startsAt":"2026-12-07T10:00:00Z","endsAt":"0001-01-01T00:00:00Z","fingerprint":"0123456789abcdef"}`

func amPayload(alerts string) string {
	return `{"version":"4","groupKey":"{}:{alertname=\"X\"}","truncatedAlerts":0,"status":"firing","receiver":"cairn",` +
		`"groupLabels":{"alertname":"X"},"commonLabels":{},"commonAnnotations":{},"externalURL":"http://am:9093","alerts":[` + alerts + `]}`
}

// TestParseAlertmanagerErrors: every refusal names the element and the
// field, and a payload with one bad alert among good ones is refused whole.
func TestParseAlertmanagerErrors(t *testing.T) {
	bad := strings.Replace
	lim := Limits{MaxAlerts: 3, MaxLabels: 2, MaxNameBytes: 10, MaxValueBytes: 20, MaxAnnotationBytes: 30, MaxBytes: 4096}
	for _, tc := range []struct{ name, payload, want string }{
		{"not json", `{"version":`, "payload: is empty or cut short"},
		{"syntax", `{"version":"4",}`, "payload: is not JSON"},
		{"trailing", amPayload(okAlert) + `{}`, "payload: has data after its JSON value"},
		{"array", `[` + okAlert + `]`, "payload: is a JSON array, want an object"},
		{"no version", `{"status":"firing"}`, "version: is required"},
		{"version 3", bad(amPayload(okAlert), `"4"`, `"3"`, 1), `version: is "3", only version "4" is read`},
		{"version number", bad(amPayload(okAlert), `"4"`, `4`, 1), "version: is a JSON number, want a string"},
		{"no group key", bad(amPayload(okAlert), `"groupKey"`, `"x"`, 1), "groupKey: is required"},
		{"no receiver", bad(amPayload(okAlert), `"receiver":"cairn"`, `"receiver":""`, 1), "receiver: is required"},
		{"negative truncated", bad(amPayload(okAlert), `"truncatedAlerts":0`, `"truncatedAlerts":-1`, 1), "truncatedAlerts: is -1"},
		{"fractional truncated", bad(amPayload(okAlert), `"truncatedAlerts":0`, `"truncatedAlerts":1.5`, 1), "truncatedAlerts: is a JSON number 1.5, want an integer"},
		{"bad status", bad(amPayload(okAlert), `"status":"firing","receiver"`, `"status":"burning","receiver"`, 1), `status: is "burning", want firing or resolved`},
		{"no alerts", amPayload(``), "alerts: holds no alert"},
		{"too many", amPayload(strings.Repeat(okAlert+",", 3) + okAlert), "alerts: holds 4 alerts, more than the limit of 3"},
		{"null alert", amPayload(okAlert + `,null`), "alerts[1]: is null"},
		{"alert not object", amPayload(okAlert + `,"x"`), "alerts[1]: is a JSON string, want an object"},
		{"bad time", amPayload(okAlert + `,` + bad(okAlert, `"2026-12-07T10:00:00Z"`, `"yesterday"`, 1)), `alerts[1].startsAt: "yesterday" is not an RFC 3339 time`},
		{"no start", amPayload(bad(okAlert, `"startsAt":"2026-12-07T10:00:00Z",`, ``, 1)), "alerts[0].startsAt: is required"},
		{"zero start", amPayload(bad(okAlert, `"2026-12-07T10:00:00Z"`, `"0001-01-01T00:00:00Z"`, 1)), "alerts[0].startsAt: is the zero time"},
		{"end before start", amPayload(bad(okAlert, `"0001-01-01T00:00:00Z"`, `"2026-12-07T09:00:00Z"`, 1)), "alerts[0].endsAt: 2026-12-07T09:00:00Z is before startsAt"},
		{"resolved without end", amPayload(bad(okAlert, `"status":"firing"`, `"status":"resolved"`, 1)), "alerts[0].endsAt: is required on a resolved alert"},
		{"no alert status", amPayload(bad(okAlert, `"status":"firing",`, ``, 1)), "alerts[0].status: is required"},
		{"bad fingerprint", amPayload(bad(okAlert, `0123456789abcdef`, `xyz`, 1)), `alerts[0].fingerprint: "xyz" is not 16 hexadecimal digits`},
		{"no labels", amPayload(bad(okAlert, `"labels":{"alertname":"X"},`, ``, 1)), "alerts[0].labels: is required"},
		{"label number", amPayload(bad(okAlert, `"X"}`, `7}`, 1)), "alerts[0].labels.alertname: is a JSON number, want a string"},
		{"too many labels", amPayload(bad(okAlert, `"X"}`, `"X","a":"1","b":"2"}`, 1)), "alerts[0].labels: holds more than the limit of 2 entries"},
		{"duplicate label", amPayload(bad(okAlert, `"X"}`, `"X","alertname":"Y"}`, 1)), `alerts[0].labels: names "alertname" twice`},
		{"label object", amPayload(bad(okAlert, `"X"}`, `{"a":"b"}}`, 1)), "alerts[0].labels.alertname: is a JSON object, want a string"},
		{"label null", amPayload(bad(okAlert, `"X"}`, `null}`, 1)), "alerts[0].labels.alertname: is a JSON null, want a string"},
		{"annotations string", amPayload(bad(okAlert, `"labels"`, `"annotations":"x","labels"`, 1)), "alerts[0].annotations: is a JSON string, want an object of strings"},
		{"long name", amPayload(bad(okAlert, `"X"}`, `"X","abcdefghijk":"1"}`, 1)), `alerts[0].labels: name "abcdefghijk" is 11 bytes`},
		{"long value", amPayload(bad(okAlert, `"X"}`, `"XXXXXXXXXXXXXXXXXXXXX"}`, 1)), "alerts[0].labels.alertname: is 21 bytes, more than the limit of 20"},
		{"NUL value", amPayload(bad(okAlert, `"X"}`, `"X\u0000"}`, 1)), "alerts[0].labels.alertname: must be one line of visible text"},
		{"newline value", amPayload(bad(okAlert, `"X"}`, `"X\n"}`, 1)), "alerts[0].labels.alertname: must be one line of visible text"},
		{"bidi name", amPayload(bad(okAlert, `"X"}`, `"X","a\u202e":"1"}`, 1)), `alerts[0].labels: name "a\u202e" must be one line of visible text`},
		{"empty name", amPayload(bad(okAlert, `"X"}`, `"X","":"1"}`, 1)), "alerts[0].labels: holds an empty name"},
		{"bad utf8", amPayload(bad(okAlert, `"X"}`, "\"X\xff\"}", 1)), "payload: is not valid UTF-8 (at byte"},
		{"annotation NUL", amPayload(bad(okAlert, `"labels"`, `"annotations":{"d":"a\u0000"},"labels"`, 1)), "alerts[0].annotations.d: holds the unsafe character U+0000"},
		{"annotation bidi", amPayload(bad(okAlert, `"labels"`, `"annotations":{"d":"a\u2066b"},"labels"`, 1)), "alerts[0].annotations.d: holds the unsafe character U+2066"},
		{"annotation long", amPayload(bad(okAlert, `"labels"`, `"annotations":{"d":"`+strings.Repeat("a", 31)+`"},"labels"`, 1)), "alerts[0].annotations.d: is 31 bytes"},
		{"group label", bad(amPayload(okAlert), `"groupLabels":{"alertname":"X"}`, `"groupLabels":{"alertname":"X\u001b[31m"}`, 1), "groupLabels.alertname: must be one line"},
		{"external url", bad(amPayload(okAlert), `"http://am:9093"`, `"http://am\r\n:9093"`, 1), "externalURL: must be one line"},
		{"too big", amPayload(strings.Repeat(" ", 4096) + okAlert), "payload: is 4"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n, err := ParseAlertmanager([]byte(tc.payload), Options{Limits: lim})
			if err == nil {
				t.Fatalf("accepted: %+v", n)
			}
			if n != nil {
				t.Errorf("refused but returned %+v", n)
			}
			var ae *apperr.Error
			if !errors.As(err, &ae) || ae.Code != apperr.BadUserInput {
				t.Errorf("error %T %v is not BAD_USER_INPUT", err, err)
			}
			if !strings.HasPrefix(err.Error(), tc.want) {
				t.Errorf("error %q\nwant prefix %q", err, tc.want)
			}
		})
	}
	// The payload without the fault is accepted, so each case tests its fault.
	if _, err := ParseAlertmanager([]byte(amPayload(okAlert+","+okAlert)), Options{Limits: lim}); err != nil {
		t.Fatalf("the good payload is refused: %v", err)
	}
}

const okGeneric = `{"labels":{"alertname":"X"},"startsAt":"2026-12-07T10:00:00Z"}`

func TestParseAlertsErrors(t *testing.T) {
	bad := strings.Replace
	for _, tc := range []struct{ name, payload, want string }{
		{"object", amPayload(okAlert), "payload: is a JSON object, want an array"},
		{"empty", `[]`, "alerts: holds no alert"},
		{"null", `null`, "alerts: holds no alert"},
		{"unknown field", `[` + okGeneric + `,` + bad(okGeneric, `"startsAt"`, `"startAt"`, 1) + `]`, "alerts[1].startAt: is not a field of an alert"},
		{"bad time", `[` + okGeneric + `,` + okGeneric + `,` + okGeneric + `,` + bad(okGeneric, `Z"`, `"`, 1) + `]`, `alerts[3].startsAt: "2026-12-07T10:00:00" is not an RFC 3339 time`},
		{"spaced time", `[` + bad(okGeneric, `"2026`, `" 2026`, 1) + `]`, `alerts[0].startsAt: " 2026-12-07T10:00:00Z" is not an RFC 3339 time`},
		{"bad status", `[` + bad(okGeneric, `{"labels"`, `{"status":"FIRING","labels"`, 1) + `]`, `alerts[0].status: is "FIRING"`},
		{"fingerprint control", `[` + bad(okGeneric, `{"labels"`, `{"fingerprint":"a\tb","labels"`, 1) + `]`, "alerts[0].fingerprint: must be one line"},
		{"labels array", `[` + bad(okGeneric, `{"alertname":"X"}`, `["X"]`, 1) + `]`, "alerts[0].labels: is a JSON array, want an object of strings"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			as, err := ParseAlerts([]byte(tc.payload), Options{Now: testNow})
			if err == nil || as != nil {
				t.Fatalf("accepted: %+v, %v", as, err)
			}
			if !strings.HasPrefix(err.Error(), tc.want) {
				t.Errorf("error %q\nwant prefix %q", err, tc.want)
			}
		})
	}
	// A generic resolved alert may omit endsAt: the receipt time closes it.
	as, err := ParseAlerts([]byte(`[`+bad(okGeneric, `{"labels"`, `{"status":"resolved","labels"`, 1)+`]`), Options{Now: testNow})
	if err != nil || as[0].Status != StatusResolved || !as[0].EndsAt.IsZero() {
		t.Fatalf("%+v %v", as, err)
	}
}

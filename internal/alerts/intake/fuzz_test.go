package intake

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/cairn-cmdb/cairn/internal/textsafe"
)

// The seeds include the recorded payloads (several KB): run the fuzzers with
// a short minimisation, or the first interesting input is minimised for a
// minute and the run reports no progress:
//
//	go test -run XXX -fuzz 'FuzzParseAlertmanager$' -fuzztime 30s -fuzzminimizetime 2s ./internal/alerts/intake
//	go test -run XXX -fuzz 'FuzzParseAlerts$' -fuzztime 30s -fuzzminimizetime 2s ./internal/alerts/intake

// checkAccepted holds for every alert a parser accepted.
func checkAccepted(t *testing.T, as []Alert) {
	t.Helper()
	if len(as) == 0 {
		t.Fatal("accepted no alerts")
	}
	for i, a := range as {
		if a.Status != StatusFiring && a.Status != StatusResolved {
			t.Fatalf("alerts[%d]: status %q", i, a.Status)
		}
		if a.Key == "" || a.StartsAt.IsZero() || len(a.Labels) == 0 {
			t.Fatalf("alerts[%d]: key %q, start %v, %d labels", i, a.Key, a.StartsAt, len(a.Labels))
		}
		if !a.EndsAt.IsZero() && a.EndsAt.Before(a.StartsAt) {
			t.Fatalf("alerts[%d]: ends %v before it starts %v", i, a.EndsAt, a.StartsAt)
		}
		if a.Fingerprint == "" && a.Key != Fingerprint(a.Labels, nil) {
			t.Fatalf("alerts[%d]: key %q is not the labels' fingerprint", i, a.Key)
		}
		for k, v := range a.Labels {
			if textsafe.CheckName(k) != nil || textsafe.CheckName(v) != nil {
				t.Fatalf("alerts[%d]: unsafe label %q=%q accepted", i, k, v)
			}
		}
		for _, h := range Hints(a.Labels) {
			if h.Value == "" {
				t.Fatalf("alerts[%d]: empty hint %+v", i, h)
			}
		}
	}
}

func seeds(f *testing.F, glob string) {
	files, _ := filepath.Glob(glob)
	for _, p := range files {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
}

func FuzzParseAlertmanager(f *testing.F) {
	seeds(f, "testdata/alertmanager_*.json")
	f.Add([]byte(amPayload(okAlert)))
	f.Add([]byte(amPayload(okAlert + `,null`)))
	f.Add([]byte(`{"version":"4","alerts":[{"labels":{"a\u202e":"b"}}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		n, err := ParseAlertmanager(data, Options{Now: testNow})
		if err != nil {
			if n != nil {
				t.Fatal("refused but returned a notification")
			}
			return
		}
		if n.Version != AlertmanagerVersion || n.GroupKey == "" || n.Receiver == "" || n.TruncatedAlerts < 0 {
			t.Fatalf("accepted %+v", n)
		}
		checkAccepted(t, n.Alerts)
		for _, a := range n.Alerts {
			if !isFingerprint(a.Key) {
				t.Fatalf("Alertmanager key %q", a.Key)
			}
		}
	})
}

func FuzzParseAlerts(f *testing.F) {
	seeds(f, "testdata/generic_*.json")
	f.Add([]byte(`[` + okGeneric + `]`))
	f.Add([]byte(`[{"labels":{"instance":"[::1]:9100"},"startsAt":"2026-12-07T10:00:00Z","endsAt":"2026-12-07T09:00:00+01:00"}]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		as, err := ParseAlerts(data, Options{Now: testNow})
		if err != nil {
			if as != nil {
				t.Fatal("refused but returned alerts")
			}
			return
		}
		checkAccepted(t, as)
	})
}

func FuzzInstanceHost(f *testing.F) {
	for _, s := range []string{"db-01:9100", "[2001:db8::1]:9100", "https://u:p@h:1/x", "2001:db8::1", "[", "a://", "::"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		h := InstanceHost(s)
		if len(h) > len(s) {
			t.Fatalf("InstanceHost(%q) = %q grew", s, h)
		}
	})
}

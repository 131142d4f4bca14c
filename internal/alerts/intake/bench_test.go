package intake

import (
	"fmt"
	"strings"
	"testing"
)

// BenchmarkParseAlertmanagerStorm parses one Alertmanager payload holding a
// storm of 10,000 alerts (the storm size), hints included.
func BenchmarkParseAlertmanagerStorm(b *testing.B) {
	var sb strings.Builder
	for i := range 10000 {
		if i > 0 {
			sb.WriteByte(',')
		}
		labels := fmt.Sprintf(`{"alertname":"InstanceDown","instance":"10.%d.%d.%d:9100","job":"node","severity":"page"}`, i>>16, (i>>8)&255, i&255)
		fmt.Fprintf(&sb, `{"status":"firing","labels":%s,"annotations":{"summary":"down"},"startsAt":"2026-12-07T10:00:00.123Z","endsAt":"0001-01-01T00:00:00Z","generatorURL":"http://prometheus:9090/graph","fingerprint":"%016x"}`, labels, i)
	}
	payload := []byte(amPayload(sb.String()))
	b.SetBytes(int64(len(payload)))
	b.ReportAllocs()
	for b.Loop() {
		n, err := ParseAlertmanager(payload, Options{})
		if err != nil {
			b.Fatal(err)
		}
		for _, a := range n.Alerts {
			_ = Hints(a.Labels)
		}
	}
	b.ReportMetric(float64(b.N*10000)/b.Elapsed().Seconds(), "alerts/s")
}

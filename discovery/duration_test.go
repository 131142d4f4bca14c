package discovery_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/cairn-cmdb/cairn/discovery"
)

func TestDurationJSON(t *testing.T) {
	tests := []struct {
		name, in string
		want     time.Duration
		wantErr  string
	}{
		{"string", `"1m30s"`, 90 * time.Second, ""},
		{"string with spaces", `" 500ms "`, 500 * time.Millisecond, ""},
		{"zero", `"0s"`, 0, ""},
		{"seconds", `30`, 30 * time.Second, ""},
		{"fractional seconds", `1.5`, 1500 * time.Millisecond, ""},
		{"not a duration", `"soon"`, 0, `"soon" is not a duration such as "30s"`},
		{"negative string", `"-1s"`, 0, "duration -1s is negative"},
		{"negative seconds", `-2`, 0, "duration -2 seconds is negative"},
		{"out of range", `1e12`, 0, "duration 1e+12 seconds is out of range"},
		{"boolean", `true`, 0, `want a duration string such as "30s" or a number of seconds, got a boolean`},
		{"object", `{}`, 0, "got an object"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var d discovery.Duration
			err := json.Unmarshal([]byte(tt.in), &d)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Unmarshal(%s) error = %v, want %q", tt.in, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Unmarshal(%s): %v", tt.in, err)
			}
			if time.Duration(d) != tt.want {
				t.Errorf("Unmarshal(%s) = %v, want %v", tt.in, time.Duration(d), tt.want)
			}
		})
	}
	b, err := json.Marshal(discovery.Duration(90 * time.Second))
	if err != nil || string(b) != `"1m30s"` {
		t.Errorf("Marshal = %s, %v; want \"1m30s\"", b, err)
	}
}

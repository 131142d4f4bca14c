package tcpscan

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/cairn-cmdb/cairn/discovery"
)

// Duration is a time.Duration written in JSON as a Go duration string such
// as "1s", "500ms" or "10m". Negative durations are rejected when decoded.
type Duration time.Duration

// String returns the duration in Go syntax, such as "1.5s".
func (d Duration) String() string { return time.Duration(d).String() }

// MarshalJSON writes the duration as a string such as "500ms".
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(d.String()) }

// UnmarshalJSON reads a duration string such as "500ms".
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf(`want a duration string such as "1s" or "500ms", got %s`, discovery.JSONKind(b))
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf(`%q is not a duration such as "1s" or "500ms"`, discovery.Clip(s))
	}
	if v < 0 {
		return errors.New("duration " + s + " is negative")
	}
	*d = Duration(v)
	return nil
}

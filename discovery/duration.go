package discovery

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/cairn-cmdb/cairn/internal/textclip"
)

// Duration is a length of time in a source configuration. In JSON it is a
// string in time.ParseDuration syntax ("30s", "1m30s", "500ms"; surrounding
// spaces are ignored) or a number of seconds, and it is written back as a
// string. A negative duration is refused when decoded; whether zero or a
// large value is allowed is for the configuration to check.
type Duration time.Duration

// String returns the duration in Go syntax, such as "1.5s".
func (d Duration) String() string { return time.Duration(d).String() }

// MarshalJSON writes the duration as a string such as "500ms".
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(d.String()) }

// UnmarshalJSON reads a duration string such as "500ms" or a number of
// seconds.
func (d *Duration) UnmarshalJSON(b []byte) error {
	v, s, err := parseDuration(b)
	if err != nil {
		return err
	}
	if v < 0 {
		return errors.New("duration " + s + " is negative")
	}
	*d = Duration(v)
	return nil
}

// parseDuration decodes raw JSON into a duration and the text to name it by
// in messages.
func parseDuration(b []byte) (time.Duration, string, error) {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		v, err := time.ParseDuration(strings.TrimSpace(s))
		if err != nil {
			return 0, "", fmt.Errorf(`%q is not a duration such as "30s" or "500ms"`, textclip.Message(s))
		}
		return v, s, nil
	}
	var f float64
	if err := json.Unmarshal(b, &f); err != nil {
		return 0, "", fmt.Errorf(`want a duration string such as "30s" or a number of seconds, got %s`, JSONKind(b))
	}
	s = strconv.FormatFloat(f, 'g', -1, 64) + " seconds"
	if math.Abs(f) > float64(math.MaxInt64)/float64(time.Second) {
		return 0, "", fmt.Errorf("duration %s is out of range", s)
	}
	return time.Duration(f * float64(time.Second)), s, nil
}

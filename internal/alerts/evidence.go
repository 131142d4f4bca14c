package alerts

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/cairn-cmdb/cairn/internal/alerts/correlate"
)

// evidenceTTL is how long intake reuses the evidence it read for the
// same candidates and period start: a storm ranks its incident again on
// every batch, with the same leading candidates.
const evidenceTTL = 30 * time.Second

// cachedEvidence is the engine's evidence on intake: replay.Evidence
// (change records, unauthorised drift, audit changes: the same as `cairn
// alerts replay`), its answers kept for evidenceTTL (wall clock) per
// candidate set and period start, and cut to the period's end when asked
// again. So evidence recorded during those seconds, or with a date inside
// a period already read, shows up at the next read after the TTL. The
// engine runs under the service's lock, so the cache needs none.
type cachedEvidence struct {
	ev      correlate.Evidence
	now     func() time.Time
	entries map[string]evidenceEntry
}

type evidenceEntry struct {
	at    time.Time
	found []correlate.Finding
}

func newCachedEvidence(ev correlate.Evidence) *cachedEvidence {
	return &cachedEvidence{ev: ev, now: time.Now, entries: map[string]evidenceEntry{}}
}

// Findings implements correlate.Evidence.
func (c *cachedEvidence) Findings(ctx context.Context, cis []int, since, until time.Time) ([]correlate.Finding, error) {
	now := c.now()
	for k, e := range c.entries {
		if now.Sub(e.at) > evidenceTTL {
			delete(c.entries, k)
		}
	}
	var b strings.Builder
	b.WriteString(strconv.FormatInt(since.UnixNano(), 10))
	for _, ci := range cis {
		b.WriteByte(',')
		b.WriteString(strconv.Itoa(ci))
	}
	key := b.String()
	if e, ok := c.entries[key]; ok {
		var out []correlate.Finding
		for _, f := range e.found {
			if !f.At.After(until) {
				out = append(out, f)
			}
		}
		return out, nil
	}
	found, err := c.ev.Findings(ctx, cis, since, until)
	if err != nil {
		return nil, err
	}
	c.entries[key] = evidenceEntry{at: now, found: found}
	return found, nil
}

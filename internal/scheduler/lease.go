package scheduler

import (
	"context"
	"errors"
	"sync"
	"time"
)

// Leaser grants time-limited, named leases. The scheduler holds the lease
// named after a job's Key while the job runs, so that of several processes
// sharing one Leaser (one database) at most one runs a job at a time. A
// holder that crashes keeps its lease until it expires; then another holder
// can take it.
type Leaser interface {
	// Acquire takes lease key for holder for ttl. It reports true when the
	// lease was free, expired, or already held by holder (the expiry is then
	// moved to now+ttl), and false when another holder has an unexpired
	// lease.
	Acquire(ctx context.Context, key, holder string, ttl time.Duration) (bool, error)
	// Renew moves the expiry of lease key to now+ttl. It reports false when
	// holder no longer holds an unexpired lease key.
	Renew(ctx context.Context, key, holder string, ttl time.Duration) (bool, error)
	// Release gives lease key up if holder holds it; otherwise it does
	// nothing.
	Release(ctx context.Context, key, holder string) error
}

// errBadTTL is returned for a lease time that is not positive.
var errBadTTL = errors.New("lease ttl must be positive")

// MemoryLeaser is a Leaser for tests and single-process use: leases live in
// a map, so they are shared only by the schedulers of one process.
type MemoryLeaser struct {
	now func() time.Time

	mu     sync.Mutex
	leases map[string]memoryLease
}

type memoryLease struct {
	holder  string
	expires time.Time
}

// NewMemoryLeaser returns an empty MemoryLeaser that reads the time from now
// (nil means time.Now); tests pass a fake clock to expire leases.
func NewMemoryLeaser(now func() time.Time) *MemoryLeaser {
	if now == nil {
		now = time.Now
	}
	return &MemoryLeaser{now: now, leases: map[string]memoryLease{}}
}

// Acquire implements Leaser.
func (m *MemoryLeaser) Acquire(ctx context.Context, key, holder string, ttl time.Duration) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, err
	}
	if ttl <= 0 {
		return false, errBadTTL
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	if l, ok := m.leases[key]; ok && l.holder != holder && now.Before(l.expires) {
		return false, nil
	}
	m.leases[key] = memoryLease{holder: holder, expires: now.Add(ttl)}
	return true, nil
}

// Renew implements Leaser.
func (m *MemoryLeaser) Renew(ctx context.Context, key, holder string, ttl time.Duration) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, err
	}
	if ttl <= 0 {
		return false, errBadTTL
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	l, ok := m.leases[key]
	if !ok || l.holder != holder || !now.Before(l.expires) {
		return false, nil
	}
	m.leases[key] = memoryLease{holder: holder, expires: now.Add(ttl)}
	return true, nil
}

// Release implements Leaser.
func (m *MemoryLeaser) Release(ctx context.Context, key, holder string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if l, ok := m.leases[key]; ok && l.holder == holder {
		delete(m.leases, key)
	}
	return nil
}

// Holder reports who holds lease key and until when; ok is false when the
// lease is free or expired.
func (m *MemoryLeaser) Holder(key string) (holder string, expires time.Time, ok bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	l, found := m.leases[key]
	if !found || !m.now().Before(l.expires) {
		return "", time.Time{}, false
	}
	return l.holder, l.expires, true
}

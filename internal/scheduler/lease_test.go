package scheduler

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestMemoryLeaser(t *testing.T) {
	ctx := context.Background()
	clock := newFakeClock()
	l := NewMemoryLeaser(clock.Now)
	check := func(what string, got bool, err error, want bool) {
		t.Helper()
		if err != nil || got != want {
			t.Fatalf("%s = %v, %v; want %v", what, got, err, want)
		}
	}

	ok, err := l.Acquire(ctx, "j", "a", time.Minute)
	check("a acquires free lease", ok, err, true)
	ok, err = l.Acquire(ctx, "j", "b", time.Minute)
	check("b acquires a's lease", ok, err, false)
	ok, err = l.Acquire(ctx, "j", "a", time.Minute)
	check("a acquires its own lease again", ok, err, true)
	ok, err = l.Acquire(ctx, "other", "b", time.Minute)
	check("b acquires another lease", ok, err, true)
	ok, err = l.Renew(ctx, "j", "b", time.Minute)
	check("b renews a's lease", ok, err, false)

	clock.Advance(50 * time.Second)
	ok, err = l.Renew(ctx, "j", "a", time.Minute) // now expires at +110s
	check("a renews", ok, err, true)
	clock.Advance(50 * time.Second)
	ok, err = l.Acquire(ctx, "j", "b", time.Minute)
	check("b acquires renewed lease", ok, err, false)

	if err := l.Release(ctx, "j", "b"); err != nil { // not b's: no-op
		t.Fatal(err)
	}
	if h, _, ok := l.Holder("j"); !ok || h != "a" {
		t.Fatalf("Holder = %q, %v; want a", h, ok)
	}
	if err := l.Release(ctx, "j", "a"); err != nil {
		t.Fatal(err)
	}
	if _, _, ok := l.Holder("j"); ok {
		t.Fatal("lease still held after Release")
	}
	ok, err = l.Renew(ctx, "j", "a", time.Minute)
	check("a renews released lease", ok, err, false)
	ok, err = l.Acquire(ctx, "j", "b", time.Minute)
	check("b acquires released lease", ok, err, true)

	if _, err := l.Acquire(ctx, "x", "a", 0); err == nil {
		t.Error("Acquire with ttl 0 succeeded")
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := l.Acquire(cctx, "x", "a", time.Minute); !errors.Is(err, context.Canceled) {
		t.Errorf("Acquire with cancelled context: %v", err)
	}
}

// A holder that crashed while holding a lease (it never renews nor releases
// it) blocks others only until the lease expires.
func TestMemoryLeaserTakeoverAfterExpiry(t *testing.T) {
	ctx := context.Background()
	clock := newFakeClock()
	l := NewMemoryLeaser(clock.Now)
	if ok, err := l.Acquire(ctx, "discovery:42", "crashed", time.Minute); !ok || err != nil {
		t.Fatalf("Acquire = %v, %v", ok, err)
	}
	clock.Advance(59 * time.Second)
	if ok, _ := l.Acquire(ctx, "discovery:42", "survivor", time.Minute); ok {
		t.Fatal("lease taken over before it expired")
	}
	clock.Advance(time.Second) // expiry is exclusive
	if ok, err := l.Acquire(ctx, "discovery:42", "survivor", time.Minute); !ok || err != nil {
		t.Fatalf("takeover after expiry = %v, %v; want true", ok, err)
	}
	// The crashed holder, should it come back, has lost the lease.
	if ok, _ := l.Renew(ctx, "discovery:42", "crashed", time.Minute); ok {
		t.Fatal("crashed holder renewed a lease taken over")
	}
	if err := l.Release(ctx, "discovery:42", "crashed"); err != nil {
		t.Fatal(err)
	}
	if h, _, ok := l.Holder("discovery:42"); !ok || h != "survivor" {
		t.Fatalf("Holder = %q, %v; want survivor", h, ok)
	}
}

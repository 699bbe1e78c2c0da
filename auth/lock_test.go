package auth

import (
	"context"
	"errors"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gofrs/flock"
)

// On Linux gofrs/flock uses flock(2), whose locks belong to the open file, so
// two Flock values in one process exclude each other like two processes do.
func TestFlockInstancesExclude(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.lock")
	a, b := flock.New(path), flock.New(path)
	if ok, err := a.TryLock(); !ok || err != nil {
		t.Fatalf("first lock: %v, %v", ok, err)
	}
	if ok, err := b.TryLock(); ok || err != nil {
		t.Fatalf("second Flock on the same file: locked %v, %v; want refused", ok, err)
	}
	a.Unlock()
	if ok, err := b.TryLock(); !ok || err != nil {
		t.Fatalf("after unlock: %v, %v", ok, err)
	}
	b.Unlock()
}

func TestLockAccountExcludes(t *testing.T) {
	dir := t.TempDir()
	var held atomic.Int32
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range 10 {
				unlock, err := lockAccount(t.Context(), dir, "patreon/42")
				if err != nil {
					t.Error(err)
					return
				}
				if n := held.Add(1); n != 1 {
					t.Errorf("%d holders of one account's lock", n)
				}
				time.Sleep(time.Millisecond)
				held.Add(-1)
				unlock()
			}
		})
	}
	wg.Wait()
}

func TestLockAccountWaitsAndHonoursContext(t *testing.T) {
	dir := t.TempDir()
	unlock, err := lockAccount(t.Context(), dir, "patreon/42")
	if err != nil {
		t.Fatal(err)
	}
	other, err := lockAccount(t.Context(), dir, "patreon/43")
	if err != nil {
		t.Fatalf("another account's lock: %v", err)
	}
	other()

	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	if _, err := lockAccount(ctx, dir, "patreon/42"); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("second lock: %v, want context.DeadlineExceeded", err)
	}
	if d := time.Since(start); d > time.Second {
		t.Fatalf("cancellation took %v", d)
	}

	got := make(chan error, 1)
	go func() {
		u, err := lockAccount(t.Context(), dir, "patreon/42")
		if err == nil {
			u()
		}
		got <- err
	}()
	time.Sleep(50 * time.Millisecond)
	select {
	case err := <-got:
		t.Fatalf("took a held lock: %v", err)
	default:
	}
	unlock()
	select {
	case err := <-got:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("the lock was not taken after it was released")
	}
}

// Package schedtest is a fake clock for tests of code that runs on a
// schedule.Clock.
package schedtest

import (
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/keyport/keyport/internal/schedule"
)

// Clock is a schedule.Clock for tests. Like a real machine it keeps two times: the
// wall clock that Now returns and a monotonic clock that drives timers.
// Advance moves both and fires the timers that come due; Set moves only the
// wall clock, as a suspend or a clock change does.
//
// Tests that run code sleeping on its timers make the clock inside a
// synctest bubble (synctest.Test), so that ExpectSleep can wait until that
// code is blocked.
type Clock struct {
	mu    sync.Mutex
	wall  time.Time
	mono  time.Duration                // monotonic time since the clock was made
	armed map[*fakeTimer]time.Duration // armed timers -> monotonic deadline
}

// newFakeClock returns a fake clock reading start (without its monotonic
// reading).
func NewClock(start time.Time) *Clock {
	return &Clock{wall: start.Round(0), armed: make(map[*fakeTimer]time.Duration)}
}

// Now returns the fake wall time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.wall
}

// NewTimer returns a timer that fires when Advance has moved the monotonic
// clock d past now.
func (c *Clock) NewTimer(d time.Duration) schedule.Timer {
	t := &fakeTimer{c: c, ch: make(chan time.Time, 1)}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.arm(t, d)
	return t
}

// Advance moves the wall and monotonic clocks forward by d and fires every
// timer whose deadline is reached, before it returns.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.mono += d
	c.wall = c.wall.Add(d)
	for t, when := range c.armed {
		if when <= c.mono {
			delete(c.armed, t)
			t.fire(c.wall)
		}
	}
}

// Set jumps the wall clock to t without moving the monotonic clock, so no
// timer fires: what a suspend, or a person changing the clock, looks like.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.wall = t.Round(0)
}

// Active returns the number of armed timers.
func (c *Clock) Active() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.armed)
}

// ExpectSleep waits until every other goroutine of the test's synctest
// bubble is blocked, then checks that exactly one timer is armed and that it
// fires d from now: the code under test is asleep for d.
func (c *Clock) ExpectSleep(tb testing.TB, d time.Duration) {
	tb.Helper()
	synctest.Wait()
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.armed) != 1 {
		tb.Fatalf("%d timers armed, want 1 (for %v)", len(c.armed), d)
	}
	for _, when := range c.armed {
		if got := when - c.mono; got != d {
			tb.Fatalf("asleep for %v, want %v", got, d)
		}
	}
}

// arm schedules t to fire d from now; d <= 0 fires it at once. The caller
// holds c.mu.
func (c *Clock) arm(t *fakeTimer, d time.Duration) {
	if d <= 0 {
		delete(c.armed, t)
		t.fire(c.wall)
		return
	}
	c.armed[t] = c.mono + d
}

// fakeTimer is a Timer of a fakeClock. Like a time.Timer since Go 1.23, Reset
// and Stop discard a value not yet received from C.
type fakeTimer struct {
	c  *Clock
	ch chan time.Time // capacity 1
}

// C returns the channel the timer fires on.
func (t *fakeTimer) C() <-chan time.Time { return t.ch }

// Reset re-arms the timer to fire d from now.
func (t *fakeTimer) Reset(d time.Duration) {
	t.c.mu.Lock()
	defer t.c.mu.Unlock()
	t.drain()
	t.c.arm(t, d)
}

// Stop disarms the timer and reports whether it was armed.
func (t *fakeTimer) Stop() bool {
	t.c.mu.Lock()
	defer t.c.mu.Unlock()
	_, ok := t.c.armed[t]
	delete(t.c.armed, t)
	t.drain()
	return ok
}

// fire delivers now on C without blocking. The caller holds c.mu.
func (t *fakeTimer) fire(now time.Time) {
	t.drain()
	t.ch <- now
}

// drain discards a value not yet received. The caller holds c.mu.
func (t *fakeTimer) drain() {
	select {
	case <-t.ch:
	default:
	}
}

package schedule_test

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/keyport/keyport/internal/schedule"
	"github.com/keyport/keyport/internal/schedule/schedtest"
)

// t0 is the fake clock's start in the scheduler tests.
var t0 = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

// The scheduler tests run inside synctest bubbles: synctest.Wait (through
// fakeClock.expectSleep, expectDue and expectNone) returns once Run is
// blocked, so every check sees a settled scheduler and no test sleeps or
// waits on real time.

// schedRun is a scheduler's Run running in a test goroutine.
type schedRun struct {
	due    chan string // keys in the order Run reported them
	cancel context.CancelFunc
	done   chan struct{} // closed when Run has returned
}

// startRun starts s.Run with a due callback that records up to n keys
// without blocking, and stops it when the test ends.
func startRun(t *testing.T, s *schedule.Scheduler, n int) *schedRun {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	r := &schedRun{due: make(chan string, n), cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(r.done)
		s.Run(ctx, func(key string) { r.due <- key })
	}()
	t.Cleanup(func() { cancel(); <-r.done })
	return r
}

// expectDue waits until Run is blocked and checks that it has reported
// exactly keys, in order, since the last check.
func (r *schedRun) expectDue(t *testing.T, keys ...string) {
	t.Helper()
	synctest.Wait()
	for _, want := range keys {
		select {
		case got := <-r.due:
			if got != want {
				t.Fatalf("due %q, want %q", got, want)
			}
		default:
			t.Fatalf("due not called for %q", want)
		}
	}
	r.expectNone(t)
}

// expectNone waits until Run is blocked and checks that it reported nothing.
func (r *schedRun) expectNone(t *testing.T) {
	t.Helper()
	synctest.Wait()
	select {
	case k := <-r.due:
		t.Fatalf("unexpected due call for %q", k)
	default:
	}
}

// TestSchedulerOrder checks that deadlines fire in order, one step at a time
// and all at once.
func TestSchedulerOrder(t *testing.T) {
	t.Run("steps", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			c := schedtest.NewClock(t0)
			s := schedule.New(c)
			s.Set("c", t0.Add(3*time.Second))
			s.Set("a", t0.Add(1*time.Second))
			s.Set("b", t0.Add(2*time.Second))
			r := startRun(t, s, 3)
			for _, k := range []string{"a", "b", "c"} {
				c.ExpectSleep(t, time.Second)
				r.expectNone(t)
				c.Advance(time.Second)
				r.expectDue(t, k)
			}
			c.ExpectSleep(t, schedule.MaxSleep)
			if n := s.Len(); n != 0 {
				t.Errorf("Len = %d after all fired, want 0", n)
			}
		})
	})
	t.Run("jump", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			c := schedtest.NewClock(t0)
			s := schedule.New(c)
			r := startRun(t, s, 3)
			c.ExpectSleep(t, schedule.MaxSleep)
			s.Set("c", t0.Add(3*time.Second))
			s.Set("b", t0.Add(2*time.Second))
			s.Set("a", t0.Add(1*time.Second))
			c.ExpectSleep(t, time.Second)
			c.Advance(time.Hour)
			r.expectDue(t, "a", "b", "c")
		})
	})
}

// TestSchedulerMove checks that Set moves a deadline earlier and later while
// Run sleeps, and that a past deadline fires at once.
func TestSchedulerMove(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := schedtest.NewClock(t0)
		s := schedule.New(c)
		r := startRun(t, s, 2)

		s.Set("k", t0.Add(20*time.Second))
		c.ExpectSleep(t, 20*time.Second)
		s.Set("k", t0.Add(5*time.Second)) // earlier
		c.ExpectSleep(t, 5*time.Second)
		s.Set("k", t0.Add(25*time.Second)) // later
		c.ExpectSleep(t, 25*time.Second)
		c.Advance(20 * time.Second)
		r.expectNone(t)
		c.ExpectSleep(t, 5*time.Second)
		c.Advance(5 * time.Second)
		r.expectDue(t, "k")

		c.ExpectSleep(t, schedule.MaxSleep)
		s.Set("k", t0) // in the past
		r.expectDue(t, "k")
	})
}

// TestSchedulerReschedule checks the caller's pattern of Setting a key again
// from inside due.
func TestSchedulerReschedule(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := schedtest.NewClock(t0)
		s := schedule.New(c)
		fired := make(chan time.Time, 3)
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() {
			defer close(done)
			s.Run(ctx, func(key string) {
				fired <- c.Now()
				s.Set(key, c.Now().Add(10*time.Second))
			})
		}()
		s.Set("k", t0.Add(10*time.Second))
		for i := 1; i <= 3; i++ {
			c.ExpectSleep(t, 10*time.Second)
			c.Advance(10 * time.Second)
			synctest.Wait()
			if got, want := <-fired, t0.Add(time.Duration(i)*10*time.Second); !got.Equal(want) {
				t.Fatalf("refresh %d at %v, want %v", i, got, want)
			}
		}
		cancel()
		<-done
	})
}

// TestSchedulerRemove checks that a zero time and Remove drop a key.
func TestSchedulerRemove(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := schedtest.NewClock(t0)
		s := schedule.New(c)
		r := startRun(t, s, 3)
		s.Set("a", t0.Add(time.Second))
		s.Set("b", t0.Add(2*time.Second))
		s.Set("c", t0.Add(3*time.Second))
		if n := s.Len(); n != 3 {
			t.Fatalf("Len = %d, want 3", n)
		}
		s.Set("a", time.Time{})
		s.Remove("b")
		s.Remove("nope")
		if n := s.Len(); n != 1 {
			t.Fatalf("Len = %d after removals, want 1", n)
		}
		c.ExpectSleep(t, 3*time.Second)
		c.Advance(3 * time.Second)
		r.expectDue(t, "c")
		c.ExpectSleep(t, schedule.MaxSleep)
	})
}

// TestScheduler10k checks that 10,000 accounts produce exactly 10,000 due
// calls when the clock jumps past all their deadlines.
func TestScheduler10k(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const n = 10_000
		c := schedtest.NewClock(t0)
		s := schedule.New(c)
		for i := range n {
			s.Set(fmt.Sprintf("p/%d", i), t0.Add(time.Duration(n-i)*time.Second))
		}
		r := startRun(t, s, n+1)
		c.ExpectSleep(t, time.Second)
		c.Advance(4 * time.Hour)
		c.ExpectSleep(t, schedule.MaxSleep)
		if got := len(r.due); got != n {
			t.Fatalf("%d due calls, want %d", got, n)
		}
		seen := make(map[string]bool, n)
		for range n {
			k := <-r.due
			if seen[k] {
				t.Fatalf("%q due twice", k)
			}
			seen[k] = true
		}
		if l := s.Len(); l != 0 {
			t.Errorf("Len = %d, want 0", l)
		}
	})
}

// TestSchedulerSuspend checks that a deadline passed while the machine slept
// (the wall clock jumped, timers did not run) fires at the next capped wake.
func TestSchedulerSuspend(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := schedtest.NewClock(t0)
		s := schedule.New(c)
		r := startRun(t, s, 1)
		s.Set("k", t0.Add(time.Hour))
		c.ExpectSleep(t, schedule.MaxSleep) // an hour away, so capped
		c.Set(t0.Add(3 * time.Hour))
		r.expectNone(t)
		c.Advance(schedule.MaxSleep - time.Second)
		r.expectNone(t)
		c.Advance(time.Second)
		r.expectDue(t, "k")
	})
}

// TestSchedulerClockBack checks that setting the clock back postpones a
// deadline instead of firing it.
func TestSchedulerClockBack(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := schedtest.NewClock(t0)
		s := schedule.New(c)
		r := startRun(t, s, 1)
		s.Set("k", t0.Add(10*time.Second))
		c.ExpectSleep(t, 10*time.Second)
		c.Set(t0.Add(-time.Hour))
		c.Advance(10 * time.Second)
		r.expectNone(t)
		c.ExpectSleep(t, schedule.MaxSleep)
	})
}

// TestSchedulerStop checks that Run returns on cancel and stops its timer,
// that a second concurrent Run panics, and that Run can run again.
func TestSchedulerStop(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := schedtest.NewClock(t0)
		s := schedule.New(c)
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() {
			defer close(done)
			s.Run(ctx, func(string) {})
		}()
		c.ExpectSleep(t, schedule.MaxSleep)

		func() {
			defer func() {
				if recover() == nil {
					t.Error("second concurrent Run did not panic")
				}
			}()
			s.Run(context.Background(), func(string) {})
		}()

		cancel()
		synctest.Wait()
		select {
		case <-done:
		default:
			t.Fatal("Run did not return after cancel")
		}
		if n := c.Active(); n != 0 {
			t.Errorf("%d timers armed after Run returned, want 0", n)
		}
		r := startRun(t, s, 1)
		s.Set("k", t0)
		r.expectDue(t, "k")
	})
}

// TestSchedulerConcurrent sets and removes keys from several goroutines while
// Run runs; run it with -race.
func TestSchedulerConcurrent(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const workers, perWorker = 8, 500
		c := schedtest.NewClock(t0)
		s := schedule.New(c)
		r := startRun(t, s, workers*perWorker)
		var wg sync.WaitGroup
		for w := range workers {
			wg.Go(func() {
				for i := range perWorker {
					k := fmt.Sprintf("w%d/%d", w, i)
					s.Set(k, t0.Add(time.Duration(1+(i*7919+w)%3600)*time.Second))
					s.Set(k, t0.Add(time.Duration(1+(i*104729+w)%3600)*time.Second))
					if i%3 == 0 {
						s.Remove(k)
					}
					_ = s.Len()
				}
			})
		}
		wg.Wait()
		want := workers * (perWorker - (perWorker+2)/3)
		if n := s.Len(); n != want {
			t.Fatalf("Len = %d, want %d", n, want)
		}
		r.expectNone(t)
		c.Advance(2 * time.Hour)
		c.ExpectSleep(t, schedule.MaxSleep)
		if got := len(r.due); got != want {
			t.Fatalf("%d due calls, want %d", got, want)
		}
	})
}

// BenchmarkSchedule10k measures scheduling 10,000 accounts with distinct
// deadlines into an empty scheduler, and the heap memory it then holds per
// account (keys excluded: they exist anyway in the account index).
func BenchmarkSchedule10k(b *testing.B) {
	const n = 10_000
	keys := make([]string, n)
	for i := range keys {
		keys[i] = fmt.Sprintf("provider/%d", i)
	}
	fill := func() *schedule.Scheduler {
		s := schedule.New(schedule.SystemClock{})
		for i, k := range keys {
			s.Set(k, t0.Add(time.Duration((i*7919)%n)*time.Second))
		}
		return s
	}
	b.ReportAllocs()
	for b.Loop() {
		fill()
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/account")

	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	s := fill()
	runtime.GC()
	runtime.ReadMemStats(&after)
	runtime.KeepAlive(s)
	b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/n, "heapB/account")
}

// BenchmarkScheduleUpdate measures moving one account's deadline among
// 10,000 scheduled accounts.
func BenchmarkScheduleUpdate(b *testing.B) {
	const n = 10_000
	keys := make([]string, n)
	s := schedule.New(schedule.SystemClock{})
	for i := range keys {
		keys[i] = fmt.Sprintf("provider/%d", i)
		s.Set(keys[i], t0.Add(time.Duration(i)*time.Second))
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		s.Set(keys[(i*7919)%n], t0.Add(time.Duration((i*104729)%(2*n))*time.Second))
		i++
	}
}

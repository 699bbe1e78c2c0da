// Package schedule runs deadlines for many keys on one goroutine and one
// timer, on a clock that tests can replace, and computes retry delays
// (exponential backoff with full jitter, Retry-After). It knows nothing of
// OAuth: the engine decides when an account is due and what to do then.
package schedule

import (
	"container/heap"
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// MaxSleep caps every wait of the Scheduler. Go timers run on the monotonic
// clock, which on Linux stops while the machine is suspended, so a timer set
// for a deadline one hour away can fire hours late after a suspend. Waking at
// least this often and comparing deadlines with the wall clock means a laptop
// that slept past a deadline refreshes within MaxSleep of waking.
const MaxSleep = 30 * time.Second

// Scheduler holds one deadline per key and calls back when deadlines
// pass. It uses one goroutine (Run) and one timer for all accounts, so it
// scales to tens of thousands of accounts; updates cost O(log n).
//
// Deadlines are wall-clock times: they are stored and compared with their
// monotonic reading stripped (Round(0)), because the monotonic clock does not
// advance during suspend while the tokens' expiry does. Set, Remove and Len
// are safe for concurrent use, also while Run runs.
type Scheduler struct {
	clock   Clock
	wake    chan struct{} // capacity 1; signalled when the earliest deadline changes
	running atomic.Bool   // set while Run runs

	mu    sync.Mutex
	h     schedHeap             // min-heap on at
	index map[string]*schedItem // key -> its heap item
}

// schedItem is one account's deadline in the heap.
type schedItem struct {
	key string
	at  time.Time // wall clock, no monotonic reading
	i   int       // position in the heap, kept up to date by schedHeap.Swap
}

// newScheduler returns an empty Scheduler reading time from clock
// (SystemClock when nil).
func New(clock Clock) *Scheduler {
	if clock == nil {
		clock = SystemClock{}
	}
	return &Scheduler{
		clock: clock,
		wake:  make(chan struct{}, 1),
		index: make(map[string]*schedItem),
	}
}

// Set schedules key at at, replacing any earlier deadline of key; a zero at
// removes key. A deadline in the past fires on Run's next pass. Set wakes Run
// when the earliest deadline changes.
func (s *Scheduler) Set(key string, at time.Time) {
	if at.IsZero() {
		s.Remove(key)
		return
	}
	at = at.Round(0)
	s.mu.Lock()
	before := s.earliest()
	if it, ok := s.index[key]; ok {
		it.at = at
		heap.Fix(&s.h, it.i)
	} else {
		it := &schedItem{key: key, at: at}
		s.index[key] = it
		heap.Push(&s.h, it)
	}
	changed := !s.earliest().Equal(before)
	s.mu.Unlock()
	if changed {
		s.poke()
	}
}

// Remove drops key's deadline, if any.
func (s *Scheduler) Remove(key string) {
	s.mu.Lock()
	it, ok := s.index[key]
	if !ok {
		s.mu.Unlock()
		return
	}
	before := s.earliest()
	heap.Remove(&s.h, it.i)
	delete(s.index, key)
	changed := !s.earliest().Equal(before)
	s.mu.Unlock()
	if changed {
		s.poke()
	}
}

// Len returns the number of scheduled keys.
func (s *Scheduler) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.index)
}

// Run calls due(key) for every key whose deadline is at or before the wall
// clock's now, and returns when ctx is done. A key is removed from the
// schedule before due is called with it; the caller Sets it again once its
// refresh has finished. due runs on Run's goroutine and delays every other
// deadline while it runs, so it must hand the work off (a channel, a worker
// pool) rather than refresh inline. due may call Set and Remove.
//
// Run sleeps on one timer until the earliest deadline, but never longer than
// MaxSleep, so deadlines passed during a suspend or a wall-clock change are
// noticed within MaxSleep. Only one Run may run at a time; a second
// concurrent call panics.
func (s *Scheduler) Run(ctx context.Context, due func(key string)) {
	if !s.running.CompareAndSwap(false, true) {
		panic("schedule: Scheduler.Run called while another Run is running")
	}
	defer s.running.Store(false)
	t := s.clock.NewTimer(MaxSleep)
	defer t.Stop()
	for ctx.Err() == nil {
		key, wait, ok := s.next()
		if ok {
			due(key)
			continue
		}
		t.Reset(wait)
		select {
		case <-ctx.Done():
			return
		case <-s.wake:
		case <-t.C():
		}
	}
}

// next pops and returns the earliest key if its deadline has passed;
// otherwise it returns how long to sleep, at most MaxSleep.
func (s *Scheduler) next() (key string, wait time.Duration, ok bool) {
	// Round(0) strips the monotonic reading, so the comparison uses the wall
	// clock, which keeps counting through a suspend.
	now := s.clock.Now().Round(0)
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.h) == 0 {
		return "", MaxSleep, false
	}
	if it := s.h[0]; !it.at.After(now) {
		heap.Pop(&s.h)
		delete(s.index, it.key)
		return it.key, 0, true
	}
	return "", min(MaxSleep, s.h[0].at.Sub(now)), false
}

// earliest returns the first deadline, or the zero time when none is set.
// The caller holds s.mu.
func (s *Scheduler) earliest() time.Time {
	if len(s.h) == 0 {
		return time.Time{}
	}
	return s.h[0].at
}

// poke wakes Run without blocking; one pending signal is enough.
func (s *Scheduler) poke() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// schedHeap is a container/heap min-heap of items ordered by deadline.
type schedHeap []*schedItem

// Len implements heap.Interface.
func (h schedHeap) Len() int { return len(h) }

// Less implements heap.Interface: earlier deadlines first.
func (h schedHeap) Less(i, j int) bool { return h[i].at.Before(h[j].at) }

// Swap implements heap.Interface and keeps each item's position current.
func (h schedHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].i = i
	h[j].i = j
}

// Push implements heap.Interface.
func (h *schedHeap) Push(x any) {
	it := x.(*schedItem)
	it.i = len(*h)
	*h = append(*h, it)
}

// Pop implements heap.Interface.
func (h *schedHeap) Pop() any {
	old := *h
	n := len(old) - 1
	it := old[n]
	old[n] = nil // let the item be collected
	*h = old[:n]
	return it
}

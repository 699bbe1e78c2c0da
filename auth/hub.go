package auth

import (
	"slices"
	"sync"
)

// hub publishes account changes to subscribers without ever blocking the
// publisher: each subscriber keeps only the latest state per account, so a
// slow or stuck subscriber costs memory bounded by the number of accounts,
// not by the number of events. The zero value is ready to use and safe for
// concurrent use.
type hub struct {
	mu   sync.Mutex
	subs map[*Subscription]struct{}
}

// Publish announces the latest state of one account to every subscriber.
// It never waits for a subscriber.
func (h *hub) Publish(a Account) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.subs) == 0 {
		return
	}
	a.Scopes = slices.Clone(a.Scopes) // the publisher may reuse its slice
	for s := range h.subs {
		s.push(a)
	}
}

// PublishRemoved announces that the account with key (see Account.Key) is
// gone. Subscribers receive it as an Account with only Provider and ID set
// and an empty Status.
func (h *hub) PublishRemoved(key string) {
	provider, id, _ := splitKey(key)
	h.Publish(Account{Provider: provider, ID: id})
}

// Subscribe returns a new subscription that receives every change published
// after this call. The caller must Close it when done.
func (h *hub) Subscribe() *Subscription {
	s := &Subscription{
		h:      h,
		c:      make(chan struct{}, 1),
		latest: make(map[string]Account),
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.subs == nil {
		h.subs = make(map[*Subscription]struct{})
	}
	h.subs[s] = struct{}{}
	return s
}

// Subscription receives account changes. C is signalled whenever changes are
// pending; Drain then returns them. Changes to the same account coalesce, so
// a subscriber that drains rarely sees only the latest state of each account
// and never makes the publisher wait. A Subscription is safe for concurrent
// use.
type Subscription struct {
	h *hub
	c chan struct{} // capacity 1; closed by Close

	mu     sync.Mutex
	order  []string           // keys in order of their first change since the last Drain
	latest map[string]Account // key -> latest state
	closed bool
}

// C returns a channel that receives a value when changes are pending. It
// holds at most one signal however many changes arrive, and it is closed by
// Close, so `for range sub.C() { ... sub.Drain() ... }` ends on Close.
func (s *Subscription) C() <-chan struct{} { return s.c }

// Drain returns the latest state of each account that changed since the
// previous Drain, the account changed first coming first, and forgets them.
// A removed account comes back as Account{Provider, ID} with Status "".
// It returns nil when nothing changed or the subscription is closed. The
// returned accounts' Scopes may be shared with other subscribers: read only.
func (s *Subscription) Drain() []Account {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.order) == 0 {
		return nil
	}
	out := make([]Account, len(s.order))
	for i, k := range s.order {
		out[i] = s.latest[k]
	}
	s.order = s.order[:0]
	clear(s.latest)
	return out
}

// Close unsubscribes and closes C. Pending changes are dropped. It is safe
// to call more than once.
func (s *Subscription) Close() {
	s.h.mu.Lock()
	delete(s.h.subs, s)
	s.h.mu.Unlock()

	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return
	}
	s.closed = true
	s.order, s.latest = nil, nil
	close(s.c)
}

// push records a change and signals C without blocking.
func (s *Subscription) push(a Account) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return
	}
	k := a.Key()
	if _, ok := s.latest[k]; !ok {
		s.order = append(s.order, k)
	}
	s.latest[k] = a
	select {
	case s.c <- struct{}{}:
	default:
	}
}

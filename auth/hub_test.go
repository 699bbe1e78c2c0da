package auth

import (
	"strconv"
	"sync"
	"testing"
)

// hubAccount returns an account of provider p with the given id and
// reason, the reason standing for "which version of the state this is".
func hubAccount(id, reason string) Account {
	return Account{Provider: "p", ID: id, Status: StatusValid, Reason: reason}
}

// signalled reports whether sub's channel holds a signal, consuming it.
func signalled(sub *Subscription) bool {
	select {
	case <-sub.C():
		return true
	default:
		return false
	}
}

// TestHubSlowSubscriber publishes 100,000 changes to a subscriber that never
// drains: Publish does not block, and Drain returns one entry per account,
// the latest, in order of first change.
func TestHubSlowSubscriber(t *testing.T) {
	const events, keys = 100_000, 100
	var h hub
	sub := h.Subscribe()
	defer sub.Close()
	for i := range events {
		h.Publish(hubAccount(strconv.Itoa(i%keys), strconv.Itoa(i)))
	}
	if !signalled(sub) {
		t.Fatal("C not signalled")
	}
	if signalled(sub) {
		t.Fatal("C holds more than one signal")
	}
	got := sub.Drain()
	if len(got) != keys {
		t.Fatalf("Drain returned %d accounts, want %d", len(got), keys)
	}
	for i, a := range got {
		if want := strconv.Itoa(events - keys + i); a.ID != strconv.Itoa(i) || a.Reason != want {
			t.Errorf("Drain()[%d] = %s reason %s, want p/%d reason %s", i, a.Key(), a.Reason, i, want)
		}
	}
	if got := sub.Drain(); got != nil {
		t.Errorf("second Drain = %v, want nil", got)
	}
}

// TestHubCoalesce checks per-key coalescing, ordering and that changes
// published before Subscribe are not delivered.
func TestHubCoalesce(t *testing.T) {
	var h hub
	h.Publish(hubAccount("early", "1"))
	sub := h.Subscribe()
	defer sub.Close()
	h.Publish(hubAccount("b", "1"))
	h.Publish(hubAccount("a", "1"))
	h.Publish(hubAccount("b", "2"))
	got := sub.Drain()
	if len(got) != 2 || got[0].Key() != "p/b" || got[0].Reason != "2" || got[1].Key() != "p/a" {
		t.Fatalf("Drain = %+v, want p/b (reason 2) then p/a", got)
	}
	h.Publish(hubAccount("a", "2"))
	if got := sub.Drain(); len(got) != 1 || got[0].Reason != "2" {
		t.Fatalf("Drain after second change = %+v, want p/a reason 2", got)
	}
}

// TestHubScopesCopied checks that a publisher reusing its Scopes slice does
// not change what subscribers already hold.
func TestHubScopesCopied(t *testing.T) {
	var h hub
	sub := h.Subscribe()
	defer sub.Close()
	a := hubAccount("a", "")
	a.Scopes = []string{"read"}
	h.Publish(a)
	a.Scopes[0] = "write"
	if got := sub.Drain(); got[0].Scopes[0] != "read" {
		t.Errorf("Scopes = %v, want [read]", got[0].Scopes)
	}
}

// TestHubRemoved checks that a removal replaces a pending change and comes
// back with only Provider and ID set.
func TestHubRemoved(t *testing.T) {
	var h hub
	sub := h.Subscribe()
	defer sub.Close()
	h.Publish(hubAccount("a", "1"))
	h.PublishRemoved("p/a")
	got := sub.Drain()
	want := Account{Provider: "p", ID: "a"}
	if len(got) != 1 || got[0].Key() != want.Key() || got[0].Status != "" || got[0].Reason != "" {
		t.Fatalf("Drain = %+v, want [%+v]", got, want)
	}
}

// TestHubClose checks that Close stops delivery, closes C, is idempotent,
// and leaves other subscribers alone.
func TestHubClose(t *testing.T) {
	var h hub
	sub, other := h.Subscribe(), h.Subscribe()
	defer other.Close()
	h.Publish(hubAccount("a", "1"))
	sub.Close()
	sub.Close()
	h.Publish(hubAccount("a", "2"))
	for range sub.C() { // ends because C is closed
	}
	if got := sub.Drain(); got != nil {
		t.Errorf("Drain after Close = %v, want nil", got)
	}
	if got := other.Drain(); len(got) != 1 || got[0].Reason != "2" {
		t.Errorf("other subscriber Drain = %+v, want p/a reason 2", got)
	}
	if len(h.subs) != 1 {
		t.Errorf("hub holds %d subscribers, want 1", len(h.subs))
	}
}

// TestHubConcurrent publishes from several goroutines while a subscriber
// drains and others subscribe and close; run it with -race. After the
// publishers finish, the subscriber holds the final state of every account.
func TestHubConcurrent(t *testing.T) {
	const workers, perWorker = 4, 2000
	var h hub
	sub := h.Subscribe()
	final := make(map[string]string)
	drained := make(chan struct{})
	go func() {
		defer close(drained)
		for range sub.C() {
			for _, a := range sub.Drain() {
				final[a.Key()] = a.Reason
			}
		}
	}()
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := range perWorker {
				h.Publish(hubAccount(strconv.Itoa(w), strconv.Itoa(i)))
			}
		})
		wg.Go(func() {
			for range 100 {
				h.Subscribe().Close()
			}
		})
	}
	wg.Wait()
	rest := sub.Drain() // what the goroutine has not taken yet
	sub.Close()
	<-drained
	for _, a := range rest {
		final[a.Key()] = a.Reason
	}
	for w := range workers {
		if got, want := final["p/"+strconv.Itoa(w)], strconv.Itoa(perWorker-1); got != want {
			t.Errorf("p/%d: final reason %q, want %q", w, got, want)
		}
	}
}

package ui

import (
	"context"
	"encoding/json"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"github.com/zalando/go-keyring"

	"github.com/keyport/keyport/auth"
)

// harness is a window on a real engine with an in-memory keychain. Work
// the UI hands to fyne.Do is queued and run on the test goroutine by pump,
// so widgets are only ever touched from one goroutine (go test -race).
type harness struct {
	t      *testing.T
	app    fyne.App
	engine *auth.Engine
	ui     *App
	keys   *countingKeychain

	mu     sync.Mutex
	queue  []func()
	opened []string // URLs the engine asked the browser to open
	timers []*fakeTimer
}

// newHarness builds the window on dir, which the caller may seed first.
func newHarness(t *testing.T, dir string) *harness {
	t.Helper()
	return newHarnessWith(t, dir, Options{})
}

// newHarnessWith is newHarness with options; the harness sets AfterFunc
// and do.
func newHarnessWith(t *testing.T, dir string, o Options) *harness {
	t.Helper()
	keyring.MockInit()
	h := &harness{t: t, app: test.NewTempApp(t),
		keys: &countingKeychain{Keychain: auth.NewSystemKeychain("keyport-test", time.Second)}}
	e, err := auth.New(auth.Params{ConfigDir: dir, Keychain: h.keys, OpenURL: h.openURL})
	if err != nil {
		t.Fatalf("auth.New: %v", err)
	}
	h.engine = e
	o.AfterFunc, o.do = h.afterFunc, h.enqueue
	h.ui = New(h.app, e, o)
	t.Cleanup(func() { h.ui.stop(); h.pump() })
	return h
}

// enqueue stands in for fyne.Do.
func (h *harness) enqueue(f func()) {
	h.mu.Lock()
	h.queue = append(h.queue, f)
	h.mu.Unlock()
}

// pump runs the queued UI work on the test goroutine.
func (h *harness) pump() {
	for {
		h.mu.Lock()
		q := h.queue
		h.queue = nil
		h.mu.Unlock()
		if len(q) == 0 {
			return
		}
		for _, f := range q {
			f()
		}
	}
}

// waitFor pumps UI work until cond holds, failing the test after 10 s.
func (h *harness) waitFor(what string, cond func() bool) {
	h.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		h.pump()
		if cond() {
			return
		}
		if time.Now().After(deadline) {
			h.t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// openURL records the browser URLs the engine opens.
func (h *harness) openURL(u *url.URL) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.opened = append(h.opened, u.String())
	return nil
}

// fakeTimer is a scheduled function the test fires by hand.
type fakeTimer struct {
	d       time.Duration
	f       func()
	stopped atomic.Bool
}

// afterFunc stands in for time.AfterFunc.
func (h *harness) afterFunc(d time.Duration, f func()) func() {
	ft := &fakeTimer{d: d, f: f}
	h.mu.Lock()
	h.timers = append(h.timers, ft)
	h.mu.Unlock()
	return func() { ft.stopped.Store(true) }
}

// lastTimer returns the timer scheduled last.
func (h *harness) lastTimer() *fakeTimer {
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.timers) == 0 {
		h.t.Fatal("no timer was scheduled")
	}
	return h.timers[len(h.timers)-1]
}

// providerRow returns the row that shows provider id, searching for it
// when the list does not show it.
func (h *harness) providerRow(id string) *providerRow {
	h.t.Helper()
	s := h.ui.providers
	for range 2 {
		test.LaidOutObjects(s.list) // lays the visible rows out, which binds them
		if r := s.row(id); r != nil && r.Visible() {
			return r
		}
		p, ok := h.engine.Provider(id)
		if !ok {
			h.t.Fatalf("no provider %s", id)
		}
		s.search.SetText(p.Name)
	}
	h.t.Fatalf("provider %s is not shown", id)
	return nil
}

// rows returns the account rows the list shows now.
func (h *harness) rows() []*accountRow {
	var out []*accountRow
	for _, o := range test.LaidOutObjects(h.ui.accounts.list) {
		if r, ok := o.(*accountRow); ok && r.Visible() && r.name.Text != "" {
			out = append(out, r)
		}
	}
	return out
}

// row returns the shown row of the account named name, or nil.
func (h *harness) row(name string) *accountRow {
	for _, r := range h.rows() {
		if r.name.Text == name {
			return r
		}
	}
	return nil
}

// countingKeychain counts keychain calls.
type countingKeychain struct {
	auth.Keychain
	calls atomic.Int64
}

func (k *countingKeychain) Get(ctx context.Context, name string) ([]byte, error) {
	k.calls.Add(1)
	return k.Keychain.Get(ctx, name)
}

func (k *countingKeychain) Set(ctx context.Context, name string, v []byte) error {
	k.calls.Add(1)
	return k.Keychain.Set(ctx, name, v)
}

func (k *countingKeychain) Delete(ctx context.Context, name string) error {
	k.calls.Add(1)
	return k.Keychain.Delete(ctx, name)
}

// writeJSON writes v as JSON to dir/name.
func writeJSON(t *testing.T, dir, name string, v any) {
	t.Helper()
	data, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
		t.Fatal(err)
	}
}

// connectAPIKey connects the built-in API-key provider Outgrow (it has no
// check request, so no network is needed).
func (h *harness) connectAPIKey(key string) auth.Account {
	h.t.Helper()
	a, err := h.engine.ConnectAPIKey(context.Background(), "outgrow", key)
	if err != nil {
		h.t.Fatalf("ConnectAPIKey: %v", err)
	}
	return a
}

// openAPIKeyAccount connects an Outgrow API key account, waits for its row
// and opens its account view.
func (h *harness) openAPIKeyAccount() (auth.Account, *accountView) {
	h.t.Helper()
	a := h.connectAPIKey("ok-key-0123456789")
	h.waitFor("the account", func() bool { return h.row("Outgrow API key") != nil })
	h.ui.openAccount(a.Key())
	return a, h.ui.views[a.Key()]
}

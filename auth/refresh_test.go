package auth

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/keyport/keyport/internal/schedule/schedtest"
)

// connectStub connects provider "test" on the stub server and returns the
// account.
func connectStub(t *testing.T, e *Engine, sp *stubProvider) Account {
	t.Helper()
	flow, err := e.Connect(context.Background(), "test")
	if err != nil {
		t.Fatal(err)
	}
	if err := flow.Paste(sp.authorize(t, flow.URL()).String()); err != nil {
		t.Fatal(err)
	}
	a, err := flow.Wait()
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func TestTokenSingleFlight(t *testing.T) {
	sp := newStubProvider(t)
	var calls atomic.Int32
	release := make(chan struct{})
	sp.tokenHook = func(w http.ResponseWriter, r *http.Request) bool {
		if r.PostFormValue("grant_type") == "refresh_token" {
			calls.Add(1)
			<-release
		}
		return false
	}
	clock := schedtest.NewClock(time.Now())
	e, _ := newTestEngine(t, sp.providersFile(""), func(p *Params) { p.Clock = clock })
	a := connectStub(t, e, sp)
	clock.Advance(59 * time.Minute) // past the refresh point of the 1 h token

	var wg sync.WaitGroup
	tokens := make([]string, 8)
	for i := range tokens {
		wg.Go(func() {
			s, err := e.Token(context.Background(), a.Key())
			if err != nil {
				t.Error(err)
			}
			tokens[i] = s.AccessToken
		})
	}
	for calls.Load() == 0 {
		runtime.Gosched()
	}
	close(release)
	wg.Wait()
	if n := calls.Load(); n != 1 {
		t.Errorf("%d refresh requests for 8 concurrent Token calls, want 1", n)
	}
	for _, tok := range tokens {
		if tok != "at-1" {
			t.Fatalf("callers got %q, want the refreshed at-1 for all", tokens)
		}
	}
}

func TestTokenDoesNotRefreshEarly(t *testing.T) {
	sp := newStubProvider(t)
	clock := schedtest.NewClock(time.Now())
	e, _ := newTestEngine(t, sp.providersFile(""), func(p *Params) { p.Clock = clock })
	a := connectStub(t, e, sp)
	for _, step := range []struct {
		advance time.Duration
		want    string
	}{{53 * time.Minute, "at-0"}, {2 * time.Minute, "at-1"}} { // a 1 h token is due 6 min before expiry
		clock.Advance(step.advance)
		s, err := e.Token(context.Background(), a.Key())
		if err != nil || s.AccessToken != step.want {
			t.Fatalf("after %v more: token %q, %v; want %s", step.advance, s.AccessToken, err, step.want)
		}
	}
}

func TestRefreshKeepsOrRotatesRefreshToken(t *testing.T) {
	for _, rotate := range []bool{false, true} {
		t.Run(fmt.Sprint("rotate=", rotate), func(t *testing.T) {
			sp := newStubProvider(t)
			e, _ := newTestEngine(t, sp.providersFile(""), nil)
			a := connectStub(t, e, sp)
			sp.refresh = ""
			if rotate {
				sp.refresh = "rt-2"
			}
			if err := e.Refresh(context.Background(), a.Key()); err != nil {
				t.Fatal(err)
			}
			s, _ := e.loadSecret(context.Background(), a.Key())
			want := map[bool]string{false: "rt-1", true: "rt-2"}[rotate]
			if s.RefreshToken != want || s.AccessToken != "at-1" {
				t.Errorf("after refresh: refresh token %q access token %q, want %q at-1", s.RefreshToken, s.AccessToken, want)
			}
			got, _ := e.Account(a.Key())
			if got.Status != StatusValid || got.LastRefresh.IsZero() || !got.RefreshStarted.IsZero() {
				t.Errorf("account after refresh = %+v", got)
			}
		})
	}
}

func TestRefreshFailures(t *testing.T) {
	tests := []struct {
		name   string
		answer func(w http.ResponseWriter)
		status Status
		keep   bool // Token still returns the old, valid access token
	}{
		{"invalid_grant", func(w http.ResponseWriter) { writeOAuthError(w, "invalid_grant") }, StatusReconnect, false},
		{"HTTP 503", func(w http.ResponseWriter) { http.Error(w, "<html>down</html>", http.StatusServiceUnavailable) }, StatusRetrying, true},
		{"invalid_client", func(w http.ResponseWriter) { writeOAuthError(w, "invalid_client") }, StatusError, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sp := newStubProvider(t)
			e, _ := newTestEngine(t, sp.providersFile(""), nil)
			a := connectStub(t, e, sp)
			sp.tokenHook = func(w http.ResponseWriter, r *http.Request) bool { tt.answer(w); return true }
			err := e.Refresh(context.Background(), a.Key())
			if err == nil {
				t.Fatal("refresh succeeded")
			}
			got, _ := e.Account(a.Key())
			if got.Status != tt.status || got.Reason == "" {
				t.Errorf("status %q reason %q, want %q", got.Status, got.Reason, tt.status)
			}
			if tt.status == StatusReconnect != errors.Is(err, ErrReconnectNeeded) {
				t.Errorf("err = %v", err)
			}
			s, err := e.loadSecret(context.Background(), a.Key())
			if err != nil || s.RefreshToken != "rt-1" || s.AccessToken != "at-0" {
				t.Errorf("a failed refresh changed the stored token: %+v %v", s.RefreshToken, err)
			}
			if tt.keep {
				if s, err := e.Token(context.Background(), a.Key()); err != nil || s.AccessToken != "at-0" {
					t.Errorf("Token during retries = %q, %v; want the old valid token", s.AccessToken, err)
				}
			}
		})
	}
}

// refusingKeychain fails every Set while refuse is true.
type refusingKeychain struct {
	Keychain
	refuse atomic.Bool
}

func (k *refusingKeychain) Set(ctx context.Context, name string, v []byte) error {
	if k.refuse.Load() {
		return fmt.Errorf("%w: the keyring is locked", ErrKeychainUnavailable)
	}
	return k.Keychain.Set(ctx, name, v)
}

func TestRefreshKeychainRefusesRotatedToken(t *testing.T) {
	sp := newStubProvider(t)
	kc := &refusingKeychain{}
	e, _ := newTestEngine(t, sp.providersFile(""), func(p *Params) { kc.Keychain = p.Keychain; p.Keychain = kc })
	a := connectStub(t, e, sp)
	sp.refresh = "rt-2"
	kc.refuse.Store(true)
	err := e.Refresh(context.Background(), a.Key())
	if !errors.Is(err, ErrKeychainUnavailable) {
		t.Fatalf("err = %v", err)
	}
	if got, _ := e.Account(a.Key()); got.Status != StatusError || !strings.Contains(got.Reason, "keeps it in memory") {
		t.Errorf("account = %+v", got)
	}
	kc.refuse.Store(false)
	sp.refresh = "rt-3" // a second refresh would rotate again; the saved rt-2 must come first
	if _, err := e.Token(context.Background(), a.Key()); err != nil {
		t.Fatal(err)
	}
	s, _ := e.loadSecret(context.Background(), a.Key())
	if s.RefreshToken != "rt-2" {
		t.Errorf("keychain refresh token = %q, want the rotated rt-2 kept from memory", s.RefreshToken)
	}
	if sp.refreshes != 1 {
		t.Errorf("%d refresh requests, want 1 (the unsaved token is saved, not refreshed again)", sp.refreshes)
	}
}

func TestRefreshAfterInterruptedRefresh(t *testing.T) {
	sp := newStubProvider(t)
	e, _ := newTestEngine(t, sp.providersFile(""), nil)
	a := connectStub(t, e, sp)
	// As if a process was killed after sending its refresh request.
	e.accounts.locked(context.Background(), a.Key(), func() error {
		_, err := e.accounts.updateAccount(a.Key(), func(x *Account) { x.RefreshStarted = x.Connected })
		return err
	})
	sp.tokenHook = func(w http.ResponseWriter, r *http.Request) bool { writeOAuthError(w, "invalid_grant"); return true }
	err := e.Refresh(context.Background(), a.Key())
	if !errors.Is(err, ErrReconnectNeeded) || !strings.Contains(err.Error(), "stopped during an earlier refresh") {
		t.Fatalf("err = %v", err)
	}
	if got, _ := e.Account(a.Key()); got.Status != StatusReconnect || !strings.Contains(got.Reason, "stopped during") {
		t.Errorf("account = %+v", got)
	}
}

func TestDisconnectRevokesThenRemoves(t *testing.T) {
	sp := newStubProvider(t)
	e, _ := newTestEngine(t, sp.providersFile(""), nil)
	a := connectStub(t, e, sp)
	if err := e.Disconnect(context.Background(), a.Key()); err != nil {
		t.Fatal(err)
	}
	if strings.Join(sp.revoked, ",") != "refresh_token,access_token" {
		t.Errorf("revoked %v, want refresh token first", sp.revoked)
	}
	if _, err := e.loadSecret(context.Background(), a.Key()); !errors.Is(err, ErrSecretNotFound) {
		t.Errorf("keychain after disconnect: %v", err)
	}
	if len(e.Accounts()) != 0 {
		t.Error("account still listed")
	}
}

func TestDisconnectRevocationFails(t *testing.T) {
	sp := newStubProvider(t)
	e, _ := newTestEngine(t, strings.Replace(sp.providersFile(""), "/revoke", "/missing", 1), nil)
	a := connectStub(t, e, sp)
	err := e.Disconnect(context.Background(), a.Key())
	var re *RevokeError
	if !errors.As(err, &re) || !strings.Contains(err.Error(), "may still hold the grant") {
		t.Fatalf("err = %v", err)
	}
	if len(e.Accounts()) != 0 {
		t.Error("a failed revocation kept the account")
	}
}

func TestRunRefreshesInBackground(t *testing.T) {
	sp := newStubProvider(t)
	clock := schedtest.NewClock(time.Now())
	e, _ := newTestEngine(t, sp.providersFile(""), func(p *Params) { p.Clock = clock })
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	a := connectStub(t, e, sp)
	sub := e.Subscribe()
	defer sub.Close()
	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan struct{})
	go func() { e.Run(ctx); close(stopped) }()
	defer func() { cancel(); <-stopped }() // before the leak check

	clock.Advance(55 * time.Minute)
	deadline := time.After(10 * time.Second)
	for refreshed := false; !refreshed; {
		select {
		case <-sub.C():
			for _, got := range sub.Drain() {
				refreshed = refreshed || got.Key() == a.Key() && !got.LastRefresh.IsZero() && got.Status == StatusValid
			}
		case <-time.After(20 * time.Millisecond):
			// Run may have armed its timer after the jump: move time on
			// until it wakes (each step is far below the refresh lead).
			clock.Advance(time.Second)
		case <-deadline:
			t.Fatal("no background refresh within 10 s of the account falling due")
		}
	}
	if s, _ := e.loadSecret(context.Background(), a.Key()); s.AccessToken != "at-1" {
		t.Errorf("keychain holds %q after the background refresh", s.AccessToken)
	}
}

// Another process (the command line) changes the index; Reload publishes
// exactly what changed.
func TestReloadPublishesOtherProcessChanges(t *testing.T) {
	sp := newStubProvider(t)
	e, _ := newTestEngine(t, sp.providersFile(""), nil)
	a := connectStub(t, e, sp)
	other, err := New(Params{ConfigDir: e.ConfigDir(), Keychain: e.keychain})
	if err != nil {
		t.Fatal(err)
	}
	sub := e.Subscribe()
	defer sub.Close()
	if err := other.Disconnect(context.Background(), a.Key()); err != nil {
		t.Fatal(err)
	}
	if _, ok := e.Account(a.Key()); !ok {
		t.Fatal("the first engine saw the change before Reload; the test proves nothing")
	}
	if err := e.Reload(); err != nil {
		t.Fatal(err)
	}
	got := sub.Drain()
	if len(got) != 1 || got[0].Key() != a.Key() || got[0].Status != "" {
		t.Errorf("published %+v, want the removal of %s", got, a.Key())
	}
	if len(e.Accounts()) != 0 {
		t.Error("the account is still listed after Reload")
	}
	if err := e.Reload(); err != nil || len(sub.Drain()) != 0 {
		t.Errorf("a Reload with nothing changed published something (%v)", err)
	}
}

// TestRefreshAt checks the refresh lead time.
func TestRefreshAt(t *testing.T) {
	tests := []struct {
		name             string
		obtained, expiry time.Time
		want             time.Time
	}{
		{"1h token", r0, r0.Add(time.Hour), r0.Add(54 * time.Minute)},
		{"5min token", r0, r0.Add(5 * time.Minute), r0.Add(4 * time.Minute)},
		{"10h token", r0, r0.Add(10 * time.Hour), r0.Add(9 * time.Hour)},
		{"2min token: halfway", r0, r0.Add(2 * time.Minute), r0.Add(time.Minute)},
		{"20s token: halfway, not at once", r0, r0.Add(20 * time.Second), r0.Add(10 * time.Second)},
		{"zero expiry", r0, time.Time{}, time.Time{}},
		{"zero obtained", time.Time{}, r0.Add(time.Hour), r0.Add(time.Hour - time.Minute)},
		{"obtained after expiry", r0.Add(2 * time.Hour), r0.Add(time.Hour), r0.Add(time.Hour - time.Minute)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := refreshAt(tt.obtained, tt.expiry); !got.Equal(tt.want) {
				t.Errorf("refreshAt = %v, want %v", got, tt.want)
			}
		})
	}
}

// r0 is a fixed start for the refresh lead tests.
var r0 = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

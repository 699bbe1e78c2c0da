package auth

import (
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// These tests run two engines on one config directory and one keychain, as
// the window and a terminal do, and check that neither undoes the other.

// otherProcess opens a second engine on e's config directory and keychain.
func otherProcess(t *testing.T, e *Engine) *Engine {
	t.Helper()
	o, err := New(Params{ConfigDir: e.ConfigDir(), Keychain: e.keychain, HTTPClient: &http.Client{Timeout: 10 * time.Second},
		OpenURL: func(*url.URL) error { return nil }, FlowTimeout: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	return o
}

// slowRefresh makes the stub's refresh requests wait until release is
// closed; entered is closed when the first one arrives. Code exchanges are
// answered as usual.
func slowRefresh(sp *stubProvider, access string) (entered, release chan struct{}) {
	entered, release = make(chan struct{}), make(chan struct{})
	var once sync.Once
	sp.tokenHook = func(w http.ResponseWriter, r *http.Request) bool {
		if r.PostFormValue("grant_type") != "refresh_token" {
			return false
		}
		once.Do(func() { close(entered) })
		<-release
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"access_token": access, "token_type": "Bearer", "refresh_token": "rt-rotated", "expires_in": 3600})
		return true
	}
	return entered, release
}

// A reconnect in one process while a refresh of the old grant is in flight
// in another waits for that refresh, then wins: the refresh cannot write the
// old grant over the new one.
func TestReconnectDuringOtherProcessRefresh(t *testing.T) {
	sp := newStubProvider(t)
	window, _ := newTestEngine(t, sp.providersFile(""), nil)
	a := connectStub(t, window, sp)
	terminal := otherProcess(t, window)
	entered, release := slowRefresh(sp, "refreshed-old-grant")
	refreshed := make(chan error, 1)
	go func() { refreshed <- window.Refresh(context.Background(), a.Key()) }()
	<-entered

	reconnected := make(chan error, 1)
	go func() {
		flow, err := terminal.Connect(context.Background(), "test")
		if err == nil {
			err = flow.Paste(sp.authorize(t, flow.URL()).String())
		}
		reconnected <- err
	}()
	time.Sleep(100 * time.Millisecond) // the reconnect reaches the account's lock
	close(release)
	if err := <-refreshed; err != nil {
		t.Fatalf("refresh: %v", err)
	}
	if err := <-reconnected; err != nil {
		t.Fatalf("reconnect: %v", err)
	}
	s, err := terminal.loadSecret(context.Background(), a.Key())
	if err != nil || s.AccessToken == "refreshed-old-grant" {
		t.Errorf("the keychain holds %q (%v): the old grant's refresh overwrote the reconnect", s.AccessToken, err)
	}
	window.Reload()
	if got, _ := window.Account(a.Key()); got.Status != StatusValid || got.LastRefresh.After(got.Connected.Add(time.Hour)) {
		t.Errorf("the window's account: %+v", got)
	}
}

// A refreshed secret the keychain refused stays in memory to be written
// later; a reconnect in another process meanwhile makes it stale, and it is
// never written over the new grant.
func TestUnsavedSecretDroppedAfterReconnect(t *testing.T) {
	sp := newStubProvider(t)
	kc := &refusingKeychain{}
	window, _ := newTestEngine(t, sp.providersFile(""), func(p *Params) { kc.Keychain = p.Keychain; p.Keychain = kc })
	a := connectStub(t, window, sp)
	sp.refresh = "rt-stale"
	kc.refuse.Store(true)
	if err := window.Refresh(context.Background(), a.Key()); !errors.Is(err, ErrKeychainUnavailable) {
		t.Fatalf("refresh with the keychain refusing: %v", err)
	}
	kc.refuse.Store(false)
	terminal := otherProcess(t, window)
	terminal.keychain = kc.Keychain
	sp.refresh = "rt-new-grant"
	connectStub(t, terminal, sp)

	if _, err := window.Token(context.Background(), a.Key()); err != nil {
		t.Fatalf("Token: %v", err)
	}
	s, _ := terminal.loadSecret(context.Background(), a.Key())
	if s.RefreshToken != "rt-new-grant" {
		t.Errorf("the keychain's refresh token is %q: the stale unsaved secret was written over the reconnect", s.RefreshToken)
	}
}

// `keyport setup` in a terminal while the window is open: the window's own
// set-up of another provider keeps the terminal's, and its Reload shows it.
func TestSetupWhileWindowOpen(t *testing.T) {
	sp := newStubProvider(t)
	two := strings.Replace(sp.providersFile(""), `{"providers":[`, `{"providers":[{"id":"second","name":"Second","authorize_url":"https://s.example/a","token_url":"https://s.example/t"},`, 1)
	window, _ := newTestEngine(t, two, nil)
	terminal := otherProcess(t, window)
	ctx := context.Background()
	if err := terminal.SetClient(ctx, "test", ClientSettings{ClientID: "from-terminal", RedirectPort: 8765}, ""); err != nil {
		t.Fatal(err)
	}
	if err := window.SetClient(ctx, "second", ClientSettings{ClientID: "from-window"}, ""); err != nil {
		t.Fatal(err)
	}
	fresh := otherProcess(t, window)
	if got := fresh.Client("test"); got.ClientID != "from-terminal" || got.RedirectPort != 8765 {
		t.Errorf("the window's save undid the terminal's set-up: %+v", got)
	}
	if err := window.Reload(); err != nil {
		t.Fatal(err)
	}
	if got := window.Client("test"); got.ClientID != "from-terminal" {
		t.Errorf("after Reload the window still has %+v", got)
	}
}

// Ctrl-C during a slow refresh: Token returns while the provider still has
// not answered, and the refresh goes on to save the rotated token, which
// Wait waits for (quitting during a rotation).
func TestTokenReturnsWhenCancelled(t *testing.T) {
	sp := newStubProvider(t)
	e, _ := newTestEngine(t, sp.providersFile(""), nil)
	sp.expiresIn = 1 // due half a second after the sign-in: Token refreshes
	a := connectStub(t, e, sp)
	time.Sleep(600 * time.Millisecond)
	entered, release := slowRefresh(sp, "at-after-ctrl-c")
	ctx, cancel := context.WithCancel(context.Background())
	result := make(chan error, 1)
	go func() { _, err := e.Token(ctx, a.Key()); result <- err }()
	<-entered
	start := time.Now()
	cancel()
	var err error
	select {
	case err = <-result: // the provider has still not answered: release is open
	case <-time.After(10 * time.Second):
		t.Fatal("Token did not return after its context ended")
	}
	took := time.Since(start)
	t.Logf("Token returned %v after its context ended", took)
	if !errors.Is(err, context.Canceled) || !errors.Is(err, ErrCancelled) {
		t.Errorf("Token: %v, want ErrCancelled wrapping context.Canceled", err)
	}
	if took > time.Second {
		t.Errorf("Token took %v to return after its context ended", took)
	}
	short, cancelShort := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancelShort()
	if err := e.Wait(short); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Wait returned %v while the refresh still waited on the provider", err)
	}
	close(release)
	long, cancelLong := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancelLong()
	if err := e.Wait(long); err != nil {
		t.Fatalf("Wait after the provider answered: %v", err)
	}
	if s, _ := e.loadSecret(context.Background(), a.Key()); s.AccessToken != "at-after-ctrl-c" || s.RefreshToken != "rt-rotated" {
		t.Errorf("the keychain holds %q / %q: the rotation was not saved", s.AccessToken, s.RefreshToken)
	}
	if got, _ := e.Account(a.Key()); got.Status != StatusValid {
		t.Errorf("status %q after the refresh", got.Status)
	}
}

// The window reloads again and again while the terminal refreshes the
// account and the window refreshes it too: what the window publishes never
// goes back to an older token, and it ends on what the disk holds.
func TestReloadRacingRefresh(t *testing.T) {
	sp := newStubProvider(t)
	window, _ := newTestEngine(t, sp.providersFile(""), nil)
	a := connectStub(t, window, sp)
	terminal := otherProcess(t, window)
	sub := window.Subscribe()
	defer sub.Close()
	var backwards atomic.Int32
	var seenMu sync.Mutex
	var last time.Time
	check := func() {
		for _, got := range sub.Drain() {
			seenMu.Lock()
			if got.Obtained.Before(last) {
				backwards.Add(1)
			}
			if got.Obtained.After(last) {
				last = got.Obtained
			}
			seenMu.Unlock()
		}
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			select {
			case <-stop:
				return
			default:
				window.Reload()
				check()
			}
		}
	})
	for i := range 10 {
		who := terminal
		if i%2 == 1 {
			who = window
		}
		if err := who.Refresh(context.Background(), a.Key()); err != nil {
			t.Fatal(err)
		}
	}
	close(stop)
	wg.Wait()
	time.Sleep(1100 * time.Millisecond) // past the coarse file-time window, so the last Reload reads
	window.Reload()
	check()
	if n := backwards.Load(); n != 0 {
		t.Errorf("the window published an older token %d times", n)
	}
	disk := diskAccounts(t, window.ConfigDir())
	if got, _ := window.Account(a.Key()); len(disk) != 1 || !got.Obtained.Equal(disk[0].Obtained) {
		t.Errorf("the window ends on %v, the disk holds %+v", got.Obtained, disk)
	}
}

// A disconnect in the terminal while the window refreshes the same account
// ends with the account gone everywhere: the refresh does not bring it back.
func TestDisconnectDuringOtherProcessRefresh(t *testing.T) {
	sp := newStubProvider(t)
	window, _ := newTestEngine(t, sp.providersFile(""), nil)
	a := connectStub(t, window, sp)
	terminal := otherProcess(t, window)
	entered, release := slowRefresh(sp, "refreshed-after-disconnect")
	refreshed := make(chan error, 1)
	go func() { refreshed <- window.Refresh(context.Background(), a.Key()) }()
	<-entered
	disconnected := make(chan error, 1)
	go func() { disconnected <- terminal.Disconnect(context.Background(), a.Key()) }()
	time.Sleep(100 * time.Millisecond)
	close(release)
	<-refreshed
	if err := <-disconnected; err != nil {
		t.Fatalf("disconnect: %v", err)
	}
	window.Reload()
	if _, ok := window.Account(a.Key()); ok {
		t.Error("the window still lists the disconnected account")
	}
	if len(diskAccounts(t, window.ConfigDir())) != 0 {
		t.Error("the disconnected account is back in the index")
	}
	if _, err := terminal.loadSecret(context.Background(), a.Key()); !errors.Is(err, ErrSecretNotFound) {
		t.Errorf("the keychain still holds a token: %v", err)
	}
}

// indexFiles returns the account index's files under dir (whatever their
// layout) with their contents.
func indexFiles(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	files := map[string][]byte{}
	filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		rel, _ := filepath.Rel(dir, path)
		if err == nil && d.Type().IsRegular() && (rel == "accounts.json" || strings.HasPrefix(rel, "accounts"+string(filepath.Separator))) {
			data, _ := os.ReadFile(path)
			files[path] = data
		}
		return nil
	})
	return files
}

// writeBack replaces files with the contents given, each by a rename, as a
// process that read them earlier and writes its copy back would.
func writeBack(t *testing.T, files map[string][]byte) {
	t.Helper()
	for path, data := range files {
		tmp := path + ".stale"
		if err := os.WriteFile(tmp, data, 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(tmp, path); err != nil {
			t.Fatal(err)
		}
	}
}

// A copy of the index read before a refresh and written back after it
// (what a window left open did to the single index file) does not make the
// window go back to the older token at its next Reload.
func TestReloadKeepsNewerThanStaleCopy(t *testing.T) {
	sp := newStubProvider(t)
	window, _ := newTestEngine(t, sp.providersFile(""), nil)
	a := connectStub(t, window, sp)
	stale := indexFiles(t, window.ConfigDir())
	if err := window.Refresh(context.Background(), a.Key()); err != nil {
		t.Fatal(err)
	}
	newer, _ := window.Account(a.Key())
	writeBack(t, stale)
	if err := window.Reload(); err != nil {
		t.Fatal(err)
	}
	if got, _ := window.Account(a.Key()); !got.Obtained.Equal(newer.Obtained) || got.LastRefresh.IsZero() {
		t.Errorf("after the stale copy and a Reload the window shows the token of %v, want the newer %v", got.Obtained, newer.Obtained)
	}
}

// A token without a refresh token that reaches its expiry is marked
// expired by the background refresher (and Token says to reconnect).
func TestExpiredWithoutRefreshToken(t *testing.T) {
	sp := newStubProvider(t)
	sp.refresh, sp.expiresIn = "", 1
	e, _ := newTestEngine(t, sp.providersFile(""), nil)
	a := connectStub(t, e, sp)
	ctx, cancel := context.WithCancel(context.Background())
	ran := make(chan struct{})
	go func() { e.Run(ctx); close(ran) }()
	defer func() { cancel(); <-ran }()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if got, _ := e.Account(a.Key()); got.Status == StatusExpired {
			if !strings.Contains(got.Reason, "connect the account again") {
				t.Errorf("reason %q", got.Reason)
			}
			break
		}
		if time.Now().After(deadline) {
			got, _ := e.Account(a.Key())
			t.Fatalf("status %q 10 s after the token expired, want %q", got.Status, StatusExpired)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if _, err := e.Token(context.Background(), a.Key()); !errors.Is(err, ErrReconnectNeeded) {
		t.Errorf("Token of an expired account: %v", err)
	}
}

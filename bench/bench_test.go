package bench

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"
	"github.com/zalando/go-keyring"
	"golang.org/x/oauth2"

	"github.com/keyport/keyport/auth"
	"github.com/keyport/keyport/bench/flowbase"
	"github.com/keyport/keyport/internal/authserver"
	"github.com/keyport/keyport/ui"
)

// record writes one result for bench/run.sh ("key value" lines appended to
// $KEYPORT_BENCH_OUT) and logs it.
func record(t testing.TB, key string, value any) {
	t.Helper()
	t.Logf("%s %v", key, value)
	out := os.Getenv("KEYPORT_BENCH_OUT")
	if out == "" {
		return
	}
	f, err := os.OpenFile(out, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	fmt.Fprintf(f, "%s %v\n", key, value)
}

// heavy skips the figures that need the real parts and take seconds.
func heavy(t *testing.T) {
	if os.Getenv("KEYPORT_BENCH") != "1" {
		t.Skip("a figure of bench/run.sh: run `make bench`")
	}
}

// countingKeychain counts calls and passes them on (or, without next,
// answers "not found").
type countingKeychain struct {
	next       auth.Keychain
	gets, sets atomic.Int64
	mu         sync.Mutex
	setTook    []time.Duration
}

func (k *countingKeychain) Get(ctx context.Context, name string) ([]byte, error) {
	k.gets.Add(1)
	if k.next == nil {
		return nil, auth.ErrSecretNotFound
	}
	return k.next.Get(ctx, name)
}

func (k *countingKeychain) Set(ctx context.Context, name string, v []byte) error {
	k.sets.Add(1)
	if k.next == nil {
		return nil
	}
	start := time.Now()
	err := k.next.Set(ctx, name, v)
	k.mu.Lock()
	k.setTook = append(k.setTook, time.Since(start))
	k.mu.Unlock()
	return err
}

func (k *countingKeychain) Delete(ctx context.Context, name string) error {
	if k.next == nil {
		return nil
	}
	return k.next.Delete(ctx, name)
}

// TestStartupKeychainReads opens the window (Fyne's test app) on an index
// of 1,000 accounts with the refresher running: nothing may read the
// keychain until a secret is asked for.
func TestStartupKeychainReads(t *testing.T) {
	dir := t.TempDir()
	if err := Seed(dir, Accounts(1000, time.Now(), false)); err != nil {
		t.Fatal(err)
	}
	kc := &countingKeychain{}
	e, err := auth.New(auth.Params{ConfigDir: dir, Keychain: kc})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { e.Run(ctx); close(done) }()
	a := test.NewTempApp(t)
	u := ui.New(a, e, ui.Options{})
	u.Window().Show()
	time.Sleep(300 * time.Millisecond)
	cancel()
	<-done
	u.Window().Close()
	record(t, "startup_keychain_reads_go", kc.gets.Load()+kc.sets.Load())
	if n := kc.gets.Load() + kc.sets.Load(); n != 0 {
		t.Errorf("%d keychain calls while starting with 1,000 accounts, want 0", n)
	}
}

// countingClock counts the timers made.
type countingClock struct {
	auth.SystemClock
	timers atomic.Int64
}

func (c *countingClock) NewTimer(d time.Duration) auth.Timer {
	c.timers.Add(1)
	return c.SystemClock.NewTimer(d)
}

func heapInUse() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// TestRefresher10k opens an engine on 10,000 accounts and starts the
// refresher: how long loading and scheduling take, the heap per account,
// and the goroutines and timers the refresher adds.
func TestRefresher10k(t *testing.T) {
	heavy(t)
	const n = 10000
	dir, empty := t.TempDir(), t.TempDir()
	if err := Seed(dir, Accounts(n, time.Now(), false)); err != nil {
		t.Fatal(err)
	}
	if _, err := auth.New(auth.Params{ConfigDir: dir, Keychain: &countingKeychain{}}); err != nil { // warm the page cache
		t.Fatal(err)
	}
	var newEmpty, new10k []time.Duration
	var heapPer []float64
	for range 7 {
		start := time.Now()
		if _, err := auth.New(auth.Params{ConfigDir: empty, Keychain: &countingKeychain{}}); err != nil {
			t.Fatal(err)
		}
		newEmpty = append(newEmpty, time.Since(start))

		h0 := heapInUse()
		start = time.Now()
		e, err := auth.New(auth.Params{ConfigDir: dir, Keychain: &countingKeychain{}})
		if err != nil {
			t.Fatal(err)
		}
		new10k = append(new10k, time.Since(start))
		heapPer = append(heapPer, float64(heapInUse()-h0)/n)
		runtime.KeepAlive(e)
	}
	record(t, "refresher_new_empty_ms", ms(median(newEmpty)))
	record(t, "refresher_new10k_ms", ms(median(new10k)))
	record(t, "refresher_load_schedule_ms", ms(median(new10k)-median(newEmpty)))
	slices.Sort(heapPer)
	record(t, "refresher_heap_per_account_b", fmt.Sprintf("%.0f", heapPer[len(heapPer)/2]))

	clock := &countingClock{}
	kc := &countingKeychain{}
	e, err := auth.New(auth.Params{ConfigDir: dir, Keychain: kc, Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(50 * time.Millisecond)
	g0 := runtime.NumGoroutine()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { e.Run(ctx); close(done) }()
	time.Sleep(300 * time.Millisecond)
	g1 := runtime.NumGoroutine()
	cancel()
	<-done
	record(t, "refresher_goroutines", g1-g0)
	record(t, "refresher_timers", clock.timers.Load())
	record(t, "refresher_keychain_calls", kc.gets.Load()+kc.sets.Load())
}

// timing records how long each request took, by URL path.
type timing struct {
	mu   sync.Mutex
	reqs map[string]int
	took map[string]time.Duration
}

func (tr *timing) RoundTrip(r *http.Request) (*http.Response, error) {
	start := time.Now()
	resp, err := http.DefaultTransport.RoundTrip(r)
	tr.mu.Lock()
	tr.took[r.URL.Path] += time.Since(start)
	tr.reqs[r.URL.Path]++
	tr.mu.Unlock()
	return resp, err
}

func (tr *timing) reset() {
	tr.mu.Lock()
	tr.took, tr.reqs = map[string]time.Duration{}, map[string]int{}
	tr.mu.Unlock()
}

func (tr *timing) count(path string) int {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	return tr.reqs[path]
}

func (tr *timing) get(path string) time.Duration {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	return tr.took[path]
}

// TestConnectFlow times a sign-in from the moment the browser requests the
// callback URL to the flow's end, Keyport (auth.Engine.Connect with the
// Secret Service) against flowbase (exchange and one profile GET only),
// interleaved, and a keychain write on its own.
func TestConnectFlow(t *testing.T) {
	heavy(t)
	if os.Getenv("DBUS_SESSION_BUS_ADDRESS") == "" {
		t.Fatal("no session bus: run under scripts/with-keyring.sh")
	}
	srv := authserver.Start(t, authserver.Options{RedirectPaths: []string{"/callback/local"}})
	prefix := "keyport-bench-" + strings.ToLower(rand.Text()[:8])
	pairs := 21
	if n, err := strconv.Atoi(os.Getenv("BENCH_FLOW_PAIRS")); err == nil && n > 0 {
		pairs = n
	}
	t.Cleanup(func() {
		for i := range pairs + 1 {
			keyring.DeleteAll(fmt.Sprintf("%s-%d", prefix, i))
		}
		keyring.DeleteAll(prefix + "-set")
	})
	ctx := context.Background()
	tr := &timing{}
	tr.reset()
	var tokenRequests atomic.Int64
	browser := &http.Client{Timeout: 30 * time.Second}
	paths := func(u string) string { p, _ := http.NewRequest("GET", u, nil); return p.URL.Path }
	tokenPath, userinfoPath, jwksPath := paths(srv.Metadata.TokenEndpoint), paths(srv.Metadata.UserinfoEndpoint), paths(srv.Metadata.JWKSURI)

	var kpAfter, bAfter []time.Duration
	var kp, kpOwn, base, kpToken, kpUser, kpJWKS, kpSet, bToken, bUser []time.Duration
	// callback signs in at authURL, then times the browser's GET of the
	// callback URL until the page is in and wait has returned; after is
	// the part from the page to wait's return. Keyport and the baseline
	// go through it alike, so they carry the same measuring overhead.
	callback := func(authURL string, wait func() error) (took, after time.Duration) {
		back, err := srv.SignIn(ctx, authURL, "demo", "demo", true)
		if err != nil {
			t.Fatal(err)
		}
		tr.reset()
		start := time.Now()
		resp, err := browser.Get(back.String())
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		answered := time.Now()
		if err := wait(); err != nil {
			t.Fatal(err)
		}
		return time.Since(start), time.Since(answered)
	}
	keyport := func(i int) {
		dir := t.TempDir()
		file := fmt.Sprintf(`{"providers":[{"id":"local","name":"Local","issuer":%q,"client_id":%q}]}`, srv.Issuer, srv.ClientID)
		if err := os.WriteFile(filepath.Join(dir, "providers.json"), []byte(file), 0o600); err != nil {
			t.Fatal(err)
		}
		service := fmt.Sprintf("%s-%d", prefix, i)
		kc := &countingKeychain{next: auth.NewSystemKeychain(service, 30*time.Second)}
		e, err := auth.New(auth.Params{ConfigDir: dir, Service: service, Keychain: kc, HTTPClient: &http.Client{Transport: tr, Timeout: 30 * time.Second}})
		if err != nil {
			t.Fatal(err)
		}
		flow, err := e.Connect(ctx, "local")
		if err != nil {
			t.Fatal(err)
		}
		took, after := callback(flow.URL(), func() error { _, err := flow.Wait(); return err })
		kp = append(kp, took)
		kpAfter = append(kpAfter, after)
		kpToken, kpUser, kpJWKS = append(kpToken, tr.get(tokenPath)), append(kpUser, tr.get(userinfoPath)), append(kpJWKS, tr.get(jwksPath))
		if len(kc.setTook) != 1 {
			t.Fatalf("%d keychain writes in one sign-in, want 1", len(kc.setTook))
		}
		kpSet = append(kpSet, kc.setTook[0])
		// Keyport's own time: the sign-in less its keychain write, whose
		// D-Bus and disk time varies the most from run to run.
		kpOwn = append(kpOwn, took-kc.setTook[0])
		tokenRequests.Add(int64(tr.count(tokenPath)))
	}
	baseline := func() {
		cfg := oauth2.Config{ClientID: srv.ClientID, Endpoint: srv.Endpoint(), Scopes: []string{"openid", "profile", "email", "offline_access"}}
		cfg.Endpoint.AuthStyle = oauth2.AuthStyleInParams
		bctx := context.WithValue(ctx, oauth2.HTTPClient, &http.Client{Transport: tr, Timeout: 30 * time.Second})
		flow, err := flowbase.Start(bctx, cfg, "/callback/local", srv.Metadata.UserinfoEndpoint)
		if err != nil {
			t.Fatal(err)
		}
		took, after := callback(flow.URL, func() error { _, err := flow.Wait(ctx); return err })
		base = append(base, took)
		bAfter = append(bAfter, after)
		bToken, bUser = append(bToken, tr.get(tokenPath)), append(bUser, tr.get(userinfoPath))
	}
	keyport(pairs) // warm up both: connections, JIT of the node server
	baseline()
	kp, kpOwn, base, kpToken, kpUser, kpJWKS, kpSet, bToken, bUser, kpAfter, bAfter = nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil
	for i := range pairs {
		keyport(i)
		baseline()
	}
	// A keychain write on its own: a new item, through Keyport's keychain
	// (which reads the old head first) and through go-keyring directly.
	kc := auth.NewSystemKeychain(prefix+"-set", 30*time.Second)
	// A value of a stored token's shape and size (auth.Secret marshals as
	// "[redacted]" outside the keychain's own encoding).
	value, _ := json.Marshal(map[string]any{"access_token": strings.Repeat("a", 43), "refresh_token": strings.Repeat("r", 43), "token_type": "Bearer", "expiry": time.Now().Add(time.Hour)})
	var set, rawSet, get []time.Duration
	for i := range 9 {
		start := time.Now()
		if err := kc.Set(ctx, fmt.Sprintf("account:local/bench%d", i), value); err != nil {
			t.Fatal(err)
		}
		set = append(set, time.Since(start))
		start = time.Now()
		if _, err := kc.Get(ctx, fmt.Sprintf("account:local/bench%d", i)); err != nil {
			t.Fatal(err)
		}
		get = append(get, time.Since(start))
		start = time.Now()
		if err := keyring.Set(prefix+"-set", fmt.Sprintf("raw%d", i), string(value)); err != nil {
			t.Fatal(err)
		}
		rawSet = append(rawSet, time.Since(start))
	}
	record(t, "flow_keyport_ms", ms(median(kp)))
	record(t, "flow_keyport_own_ms", ms(median(kpOwn)))
	record(t, "keychain_set_raw_ms", ms(median(rawSet)))
	record(t, "flow_keyport_exchange_ms", ms(median(kpToken)))
	record(t, "flow_keyport_jwks_ms", ms(median(kpJWKS)))
	record(t, "flow_keyport_profile_ms", ms(median(kpUser)))
	record(t, "flow_keyport_keychain_set_ms", ms(median(kpSet)))
	record(t, "flow_baseline_ms", ms(median(base)))
	record(t, "flow_baseline_exchange_ms", ms(median(bToken)))
	record(t, "flow_baseline_profile_ms", ms(median(bUser)))
	record(t, "keychain_set_ms", ms(median(set)))
	record(t, "keychain_get_ms", ms(median(get)))
	record(t, "flow_runs", len(kp))
	record(t, "flow_keyport_after_response_ms", ms(median(kpAfter)))
	record(t, "flow_baseline_after_response_ms", ms(median(bAfter)))

	// The account's record a connect writes after the keychain write, on
	// its own: the account's lock, a temporary file, fsync, rename and the
	// directory's fsync (Engine.Import without a secret writes just that).
	var records []time.Duration
	for i := range 15 {
		e, err := auth.New(auth.Params{ConfigDir: t.TempDir(), Keychain: &countingKeychain{}})
		if err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		if err := e.Import(ctx, auth.Account{Provider: "patreon", ID: fmt.Sprint(i), Connected: time.Now()}, auth.Secret{}); err != nil {
			t.Fatal(err)
		}
		records = append(records, time.Since(start))
	}
	record(t, "flow_keyport_index_ms", ms(median(records)))
	record(t, "flow_keyport_token_requests", tokenRequests.Load()/int64(len(kp)+1))
}

func median(d []time.Duration) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := slices.Clone(d)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2f", float64(d.Microseconds())/1000) }

package auth

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestConnectSuccess(t *testing.T) {
	sp := newStubProvider(t)
	e, opened := newTestEngine(t, sp.providersFile(""), nil)
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())

	flow, err := e.Connect(context.Background(), "test")
	if err != nil {
		t.Fatal(err)
	}
	if u := <-opened; u.String() != flow.URL() {
		t.Errorf("browser opened %s, flow offers %s", u, flow.URL())
	}
	q := mustQuery(t, flow.URL())
	if len(q.Get("state")) < 22 { // 128 bits in base32
		t.Errorf("state %q is shorter than 128 bits", q.Get("state"))
	}
	ru, _ := url.Parse(q.Get("redirect_uri"))
	if ru.Hostname() != "127.0.0.1" || ru.Path != "/callback/test" || ru.Port() == "" {
		t.Errorf("redirect_uri = %s, want http://127.0.0.1:PORT/callback/test", ru)
	}
	status, page := get(t, sp.authorize(t, flow.URL()).String())
	if status != http.StatusOK || !strings.Contains(page, "Ada Lovelace") {
		t.Errorf("callback answered %d: %s", status, page)
	}
	a, err := flow.Wait()
	if err != nil {
		t.Fatal(err)
	}
	if a.Key() != "test/42" || a.Email != "ada@example.test" || !a.HasRefresh || a.Status != StatusValid {
		t.Errorf("account = %+v", a)
	}
	if got := strings.Join(a.Scopes, " "); got != "profile email" {
		t.Errorf("scopes = %q", got)
	}
	s, err := e.loadSecret(context.Background(), a.Key())
	if err != nil || s.AccessToken != "at-0" || s.RefreshToken != "rt-1" {
		t.Errorf("keychain holds %+v, %v", s, err)
	}
	if list := diskAccounts(t, e.ConfigDir()); len(list) != 1 || list[0].Key() != "test/42" {
		t.Errorf("index = %+v", list)
	}
	if raw, err := e.Profile(a.Key()); err != nil || !strings.Contains(string(raw), "Ada") {
		t.Errorf("profile = %s, %v", raw, err)
	}
	if _, err := net.Dial("tcp", ru.Host); err == nil {
		t.Errorf("the loopback server still listens on %s after the flow", ru.Host)
	}
}

func TestConnectCallbackChecks(t *testing.T) {
	sp := newStubProvider(t)
	e, _ := newTestEngine(t, sp.providersFile(""), nil)
	flow, err := e.Connect(context.Background(), "test")
	if err != nil {
		t.Fatal(err)
	}
	good := sp.authorize(t, flow.URL())
	// Another Host, even with the right state, is a page that made its
	// own name resolve to 127.0.0.1 (DNS rebinding).
	host := func(h string) func(u url.URL) url.URL {
		return func(u url.URL) url.URL { u.Host = strings.ReplaceAll(h, "PORT", u.Port()); return u }
	}
	tests := []struct {
		name   string
		mutate func(u url.URL) url.URL
		want   int
	}{
		{"another host name", host("evil.example:PORT"), http.StatusBadRequest},
		{"localhost instead of 127.0.0.1", host("localhost:PORT"), http.StatusBadRequest},
		{"no port", host("127.0.0.1"), http.StatusBadRequest},
		{"wrong path", func(u url.URL) url.URL { u.Path = "/callback/other"; return u }, http.StatusNotFound},
		{"no state", func(u url.URL) url.URL { q := u.Query(); q.Del("state"); u.RawQuery = q.Encode(); return u }, http.StatusBadRequest},
		{"wrong state", func(u url.URL) url.URL {
			q := u.Query()
			q.Set("state", "x"+q.Get("state"))
			u.RawQuery = q.Encode()
			return u
		}, http.StatusBadRequest},
		{"error with wrong state", func(u url.URL) url.URL { u.RawQuery = "error=access_denied&state=nope"; return u }, http.StatusBadRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u := tt.mutate(*good)
			if status, page := getAt(t, good.Host, u); status != tt.want || strings.Contains(page, "Ada") {
				t.Errorf("status = %d, want %d (page %q)", status, tt.want, page)
			}
			select {
			case <-flow.Done():
				t.Fatal("the flow ended; it must keep waiting for the real callback")
			default:
			}
		})
	}
	if status, _ := get(t, good.String()); status != http.StatusOK {
		t.Fatalf("real callback answered %d", status)
	}
	if _, err := flow.Wait(); err != nil {
		t.Fatal(err)
	}
}

func TestConnectEndsWithout(t *testing.T) {
	tests := []struct {
		name  string
		extra string
		query func(state string) string // the callback's query; empty: no callback
		end   func(f *Flow)
		want  error
		text  string
	}{
		{name: "denied", query: func(s string) string { return "error=access_denied&state=" + s },
			want: ErrDenied, text: "you declined access on Test"},
		{name: "provider error", query: func(s string) string { return "error=server_error&error_description=down&state=" + s },
			text: "the provider answered server_error: down"},
		{name: "no code", query: func(s string) string { return "state=" + s }, text: "without a code"},
		{name: "issuer mix-up", extra: `,"issuer":"https://idp.example.test","authorize_url":"x"`,
			query: func(s string) string { return "code=c&iss=https://evil.example.test&state=" + s }, text: "mix-up"},
		{name: "cancelled", end: func(f *Flow) { f.Cancel() }, want: ErrCancelled},
		{name: "timed out", end: func(f *Flow) {}, want: ErrTimeout, text: "try again"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sp := newStubProvider(t)
			extra := strings.Replace(tt.extra, `"x"`, `"`+sp.URL+`/authorize"`, 1)
			timeout := time.Minute
			if tt.want == ErrTimeout {
				timeout = 50 * time.Millisecond
			}
			e, _ := newTestEngine(t, sp.providersFile(extra), func(p *Params) { p.FlowTimeout = timeout })
			flow, err := startWithoutDiscovery(t, e)
			if err != nil {
				t.Fatal(err)
			}
			if tt.query != nil {
				u, _ := url.Parse(flow.RedirectURI())
				u.RawQuery = tt.query(mustQuery(t, flow.URL()).Get("state"))
				if status, _ := get(t, u.String()); status != http.StatusBadRequest {
					t.Errorf("callback status = %d, want 400", status)
				}
			}
			if tt.end != nil {
				tt.end(flow)
			}
			a, err := flow.Wait()
			if err == nil || a.ID != "" {
				t.Fatalf("Wait = %+v, %v; want an error", a, err)
			}
			if tt.want != nil && !errors.Is(err, tt.want) {
				t.Errorf("error %v is not %v", err, tt.want)
			}
			if !strings.Contains(err.Error(), tt.text) {
				t.Errorf("error %q does not say %q", err, tt.text)
			}
			if n := len(e.Accounts()); n != 0 {
				t.Errorf("%d accounts after a failed connect", n)
			}
		})
	}
}

// startWithoutDiscovery connects provider "test"; entries in these tests
// give an issuer only for the iss check, so discovery is skipped by
// resolving the entry by hand.
func startWithoutDiscovery(t *testing.T, e *Engine) (*Flow, error) {
	t.Helper()
	p, _ := e.Provider("test")
	if p.Issuer != "" {
		e.issuers.put(p.Issuer, discovery{meta: metadata{Issuer: p.Issuer, Authorization: p.AuthorizeURL, Token: p.TokenURL}})
	}
	return e.Connect(context.Background(), "test")
}

func TestConnectRefusesSecondFlow(t *testing.T) {
	sp := newStubProvider(t)
	e, _ := newTestEngine(t, sp.providersFile(""), nil)
	first, err := e.Connect(context.Background(), "test")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Connect(context.Background(), "test"); !errors.Is(err, ErrFlowRunning) {
		t.Errorf("second Connect: %v, want ErrFlowRunning", err)
	}
	first.Cancel()
	first.Wait()
	again, err := e.Connect(context.Background(), "test")
	if err != nil {
		t.Fatalf("Connect after the first ended: %v", err)
	}
	again.Cancel()
	again.Wait()
}

func TestConnectFixedPortInUse(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	port := busy.Addr().(*net.TCPAddr).Port
	sp := newStubProvider(t)
	e, _ := newTestEngine(t, sp.providersFile(`,"redirect_port":`+itoa(port)), nil)
	_, err = e.Connect(context.Background(), "test")
	if err == nil || !strings.Contains(err.Error(), "port "+itoa(port)) || !strings.Contains(err.Error(), "Set up") {
		t.Fatalf("err = %v; want one naming port %d and the setting", err, port)
	}
	if _, err := e.Connect(context.Background(), "test"); errors.Is(err, ErrFlowRunning) {
		t.Error("a failed Connect left the provider marked as running")
	}
}

func TestPaste(t *testing.T) {
	sp := newStubProvider(t)
	e, _ := newTestEngine(t, sp.providersFile(""), nil)
	flow, err := e.Connect(context.Background(), "test")
	if err != nil {
		t.Fatal(err)
	}
	good := sp.authorize(t, flow.URL())
	if err := flow.Paste("https://example.test/elsewhere?code=x"); err == nil || !strings.Contains(err.Error(), flow.RedirectURI()) {
		t.Errorf("foreign URL: %v", err)
	}
	bad := *good
	bad.RawQuery = "code=x&state=stale"
	if err := flow.Paste(bad.String()); !errors.Is(err, errWrongState) {
		t.Errorf("stale state: %v", err)
	}
	// A browser on another machine: same path and query, another host.
	other := *good
	other.Host = "127.0.0.1:1"
	if err := flow.Paste("  " + other.String() + "\n"); err != nil {
		t.Fatalf("good paste: %v", err)
	}
	if a, err := flow.Wait(); err != nil || a.Name != "Ada Lovelace" {
		t.Errorf("Wait = %+v, %v", a, err)
	}
}

func TestConnectNotConfigured(t *testing.T) {
	sp := newStubProvider(t)
	file := strings.Replace(sp.providersFile(""), `"client_id":"cid",`, "", 1)
	e, _ := newTestEngine(t, file, nil)
	if _, err := e.Connect(context.Background(), "test"); !errors.Is(err, ErrNotConfigured) {
		t.Errorf("err = %v, want ErrNotConfigured", err)
	}
	if _, err := e.Connect(context.Background(), "nope"); !errors.Is(err, ErrUnknownProvider) {
		t.Errorf("err = %v, want ErrUnknownProvider", err)
	}
}

func FuzzCallbackQuery(f *testing.F) {
	f.Add("code=abc&state=x")
	f.Add("error=access_denied&error_description=%00&state=")
	f.Add("state=%ff%fe&iss=http://a")
	f.Fuzz(func(t *testing.T, raw string) {
		q, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		fl := &Flow{state: "the-real-state-value-1234", result: make(chan outcome, 1), answered: make(chan struct{})}
		status, _, _, err := fl.handle(q)
		if q.Get("state") != fl.state && (status != http.StatusBadRequest || !errors.Is(err, errWrongState)) {
			t.Fatalf("query %q without the state was not refused: %d %v", raw, status, err)
		}
	})
}

func mustQuery(t *testing.T, raw string) url.Values {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return u.Query()
}

func itoa(n int) string { return strconv.Itoa(n) }

// TestConnectCancelDuringCallback cancels a sign-in while its callback is
// being handled (the token request hangs): Wait reports the cancellation
// at once and leaves no goroutine behind, and no account is stored.
func TestConnectCancelDuringCallback(t *testing.T) {
	sp := newStubProvider(t)
	exchanging := make(chan struct{})
	sp.tokenHook = func(w http.ResponseWriter, r *http.Request) bool {
		r.ParseForm() // read the body, so a closed connection cancels r's context
		close(exchanging)
		<-r.Context().Done() // until Keyport gives up the request
		return true
	}
	e, _ := newTestEngine(t, sp.providersFile(""), nil)
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	flow, err := e.Connect(context.Background(), "test")
	if err != nil {
		t.Fatal(err)
	}
	back := sp.authorize(t, flow.URL()).String()
	type page struct {
		status int
		body   string
	}
	browser := make(chan page, 1)
	go func() {
		c := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
		resp, err := c.Get(back)
		if err != nil {
			browser <- page{body: err.Error()}
			return
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		browser <- page{resp.StatusCode, string(b)}
	}()
	<-exchanging
	flow.Cancel()
	if _, err := flow.Wait(); !errors.Is(err, ErrCancelled) {
		t.Fatalf("Wait: %v, want ErrCancelled", err)
	}
	// The browser gets a page saying so, not a dropped connection.
	if p := <-browser; p.status != http.StatusBadRequest || !strings.Contains(p.body, "cancelled") {
		t.Errorf("the browser got %d: %s", p.status, p.body)
	}
	if n := len(e.Accounts()); n != 0 {
		t.Errorf("%d accounts after a cancelled sign-in", n)
	}
}

package auth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// recorder is a second host that a hostile provider tries to send Keyport
// to. Any request reaching it is a leak.
type recorder struct {
	*httptest.Server
	hits atomic.Int32
}

func newRecorder(t *testing.T) *recorder {
	t.Helper()
	rec := &recorder{}
	rec.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec.hits.Add(1)
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"access_token":"attacker-token","token_type":"Bearer","expires_in":3600,"user":{"id":"1"},"sub":"1"}`)
	}))
	t.Cleanup(rec.Close)
	return rec
}

// vault is a keychain that remembers which items hold a value.
type vault struct {
	Keychain
	mu   sync.Mutex
	live map[string]bool
}

func (v *vault) Set(ctx context.Context, name string, val []byte) error {
	err := v.Keychain.Set(ctx, name, val)
	if err == nil {
		v.mu.Lock()
		v.live[name] = true
		v.mu.Unlock()
	}
	return err
}

func (v *vault) Delete(ctx context.Context, name string) error {
	err := v.Keychain.Delete(ctx, name)
	if err == nil {
		v.mu.Lock()
		delete(v.live, name)
		v.mu.Unlock()
	}
	return err
}

func (v *vault) items() []string {
	v.mu.Lock()
	defer v.mu.Unlock()
	out := make([]string, 0, len(v.live))
	for k := range v.live {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// hostile is one engine on a stub provider that misbehaves, with the
// recorder it tries to send Keyport to and the URLs the browser was asked
// to open.
type hostile struct {
	t      *testing.T
	sp     *stubProvider
	rec    *recorder
	e      *Engine
	kc     *vault
	opened chan *url.URL
}

// newHostile builds the engine with the providers file that providers
// returns for the stub and the recorder; setup makes the stub misbehave
// before the engine exists (discovery happens at Connect).
func newHostile(t *testing.T, providers func(sp *stubProvider, rec *recorder) string, setup func(sp *stubProvider, rec *recorder)) *hostile {
	t.Helper()
	h := &hostile{t: t, sp: newStubProvider(t), rec: newRecorder(t)}
	if setup != nil {
		setup(h.sp, h.rec)
	}
	file := h.sp.providersFile("")
	if providers != nil {
		file = providers(h.sp, h.rec)
	}
	h.e, h.opened = newTestEngine(t, file, func(p *Params) {
		h.kc = &vault{Keychain: p.Keychain, live: map[string]bool{}}
		p.Keychain = h.kc
	})
	return h
}

// connect runs a sign-in with the stub's browser and returns its error.
func (h *hostile) connect() error {
	h.t.Helper()
	flow, err := h.e.Connect(context.Background(), "test")
	if err != nil {
		return err
	}
	get(h.t, h.sp.authorize(h.t, flow.URL()).String())
	_, err = flow.Wait()
	return err
}

// assertClean checks what every misbehaviour must leave: nothing reached
// the recorder, nothing in the keychain, the index or the profiles, and no
// browser asked to open anything but an http(s) link.
func (h *hostile) assertClean() {
	h.t.Helper()
	if n := h.rec.hits.Load(); n != 0 {
		h.t.Errorf("the second host received %d requests", n)
	}
	if items := h.kc.items(); len(items) != 0 {
		h.t.Errorf("keychain items left: %q", items)
	}
	if list := diskAccounts(h.t, h.e.ConfigDir()); len(list) != 0 {
		h.t.Errorf("index holds %+v", list)
	}
	if files, _ := os.ReadDir(filepath.Join(h.e.ConfigDir(), "profiles")); len(files) != 0 {
		h.t.Errorf("%d profile files left", len(files))
	}
	for {
		select {
		case u := <-h.opened:
			if u.Scheme != "http" && u.Scheme != "https" {
				h.t.Errorf("the browser was asked to open %s", u)
			}
		default:
			return
		}
	}
}

// redirectTo answers with a redirect to target.
func redirectTo(target string, status int) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		http.Redirect(w, r, target, status)
	}
}

// metadataWith serves the stub's discovery document with fields changed.
func metadataWith(sp *stubProvider, change map[string]any) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		doc := map[string]any{"issuer": sp.URL, "authorization_endpoint": sp.URL + "/authorize",
			"token_endpoint": sp.URL + "/token", "userinfo_endpoint": sp.URL + "/userinfo", "jwks_uri": sp.URL + "/jwks",
			"id_token_signing_alg_values_supported": []string{"RS256"}}
		for k, v := range change {
			doc[k] = v
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(doc)
	}
}

func issuerFile(sp *stubProvider, _ *recorder) string {
	return fmt.Sprintf(`{"providers":[{"id":"test","name":"Test","client_id":"cid","issuer":%q}]}`, sp.URL)
}

// TestHostileProvider runs a sign-in, or an API-key check, against a
// provider that misbehaves in one way each, and checks that Keyport says
// what the provider did and that nothing leaked or was stored.
func TestHostileProvider(t *testing.T) {
	tests := []struct {
		name      string
		providers func(sp *stubProvider, rec *recorder) string
		setup     func(sp *stubProvider, rec *recorder)
		do        func(h *hostile) error // default: a sign-in
		want      []string               // words of the error, %s replaced by the recorder's URL
	}{
		{name: "token endpoint redirects the code to another host",
			setup: func(sp *stubProvider, rec *recorder) {
				sp.on("/token", redirectTo(rec.URL+"/token", http.StatusTemporaryRedirect))
			},
			want: []string{"exchange the sign-in code: Test answered", "with a redirect to %s/token (HTTP 307)", "never follows a redirect"}},
		{name: "token endpoint redirects within its own host",
			setup: func(sp *stubProvider, _ *recorder) {
				sp.on("/token", redirectTo("/token2", http.StatusPermanentRedirect))
			},
			want: []string{"Test answered", "/token2 (HTTP 308)", "never follows a redirect"}},
		{name: "profile redirects the access token to another host",
			setup: func(sp *stubProvider, rec *recorder) { sp.on("/me", redirectTo(rec.URL+"/me", http.StatusFound)) },
			want:  []string{"read profile: Test answered", "redirect to %s/me (HTTP 302)", "only within the same site"}},
		{name: "API-key check redirects the key over plain http",
			providers: func(sp *stubProvider, _ *recorder) string {
				return fmt.Sprintf(`{"providers":[{"id":"test","name":"Test","mode":"api_key","api_key":{"header":"API-KEY","check_url":%q}}]}`, sp.URL+"/check")
			},
			setup: func(sp *stubProvider, rec *recorder) { sp.on("/check", redirectTo(rec.URL+"/check", http.StatusFound)) },
			do: func(h *hostile) error {
				_, err := h.e.ConnectAPIKey(context.Background(), "test", "secret-api-key")
				return err
			},
			want: []string{"check the API key: Test answered", "redirect to %s/check", "never follows a redirect"}},
		{name: "discovery names a file: authorization endpoint", providers: issuerFile,
			setup: func(sp *stubProvider, _ *recorder) {
				sp.on("/.well-known/openid-configuration", metadataWith(sp, map[string]any{"authorization_endpoint": "file:///etc/passwd"}))
			},
			want: []string{"authorization_endpoint uses file:"}},
		{name: "discovery names a javascript: authorization endpoint", providers: issuerFile,
			setup: func(sp *stubProvider, _ *recorder) {
				sp.on("/.well-known/openid-configuration", metadataWith(sp, map[string]any{"authorization_endpoint": "javascript:alert(1)"}))
			},
			want: []string{"authorization_endpoint is not an absolute URL"}},
		{name: "discovery names a plain-http token endpoint elsewhere", providers: issuerFile,
			setup: func(sp *stubProvider, _ *recorder) {
				sp.on("/.well-known/openid-configuration", metadataWith(sp, map[string]any{"token_endpoint": "http://idp.example/token"}))
			},
			want: []string{"token_endpoint must use https"}},
		{name: "discovery names an smb: userinfo endpoint", providers: issuerFile,
			setup: func(sp *stubProvider, _ *recorder) {
				sp.on("/.well-known/openid-configuration", metadataWith(sp, map[string]any{"userinfo_endpoint": "smb://attacker/share"}))
			},
			want: []string{"userinfo_endpoint uses smb:"}},
		{name: "discovery names a relative revocation endpoint", providers: issuerFile,
			setup: func(sp *stubProvider, _ *recorder) {
				sp.on("/.well-known/openid-configuration", metadataWith(sp, map[string]any{"revocation_endpoint": "/revoke"}))
			},
			want: []string{"revocation_endpoint is not an absolute URL"}},
		{name: "discovery names a file: key set", providers: issuerFile,
			setup: func(sp *stubProvider, _ *recorder) {
				sp.on("/.well-known/openid-configuration", metadataWith(sp, map[string]any{"jwks_uri": "file:///etc/ssl/private/key.pem"}))
			},
			want: []string{"jwks_uri uses file:"}},
		{name: "discovery answers more than 1 MiB", providers: issuerFile,
			setup: func(sp *stubProvider, _ *recorder) {
				sp.on("/.well-known/openid-configuration", metadataWith(sp, map[string]any{"pad": strings.Repeat("x", 1<<20)}))
			},
			want: []string{"larger than Keyport reads"}},
		{name: "discovery redirects to another host", providers: issuerFile,
			setup: func(sp *stubProvider, rec *recorder) {
				sp.on("/.well-known/openid-configuration", redirectTo(rec.URL+"/.well-known/openid-configuration", http.StatusFound))
				sp.on("/.well-known/oauth-authorization-server", redirectTo(rec.URL+"/.well-known/oauth-authorization-server", http.StatusFound))
			},
			want: []string{"another origin"}},
		{name: "token error description carries terminal escapes",
			setup: func(sp *stubProvider, _ *recorder) {
				sp.on("/token", func(w http.ResponseWriter, r *http.Request) {
					w.Header().Set("Content-Type", "application/json")
					w.WriteHeader(http.StatusUnauthorized)
					io.WriteString(w, `{"error":"invalid_client\u001b[2J","error_description":"\u001b]0;pwned\u0007 bad \u202eclient\u009b31m"}`)
				})
			},
			want: []string{"Test answered invalid_client[2J: ]0;pwned bad client31m"}},
		{name: "the authorization response's error carries terminal escapes",
			do: func(h *hostile) error {
				flow, err := h.e.Connect(context.Background(), "test")
				if err != nil {
					return err
				}
				back := h.sp.authorize(h.t, flow.URL())
				q := back.Query()
				q.Del("code")
				q.Set("error", "temporarily_unavailable\x1b[31m")
				q.Set("error_description", "try\x1b]8;;https://evil.example\x07 later\u2066")
				back.RawQuery = q.Encode()
				get(h.t, back.String())
				_, err = flow.Wait()
				return err
			},
			want: []string{"the provider answered temporarily_unavailable[31m: try]8;;https://evil.example later"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHostile(t, tt.providers, tt.setup)
			do := tt.do
			if do == nil {
				do = (*hostile).connect
			}
			err := do(h)
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tt.want {
				if w = strings.ReplaceAll(w, "%s", h.rec.URL); !strings.Contains(err.Error(), w) {
					t.Errorf("error %q\ndoes not say %q", err, w)
				}
			}
			if strings.ContainsFunc(err.Error(), func(r rune) bool {
				return r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) || r == 0x202e || r == 0x2066
			}) {
				t.Errorf("error carries control characters: %q", err)
			}
			h.assertClean()
		})
	}
}

// TestHostileRefreshAndRevoke connects a working account, then makes the
// token and revocation endpoints redirect to another host: the refresh
// fails saying so, the stored grant stays as it was, and neither the
// refresh token nor the revocation request reaches the other host.
func TestHostileRefreshAndRevoke(t *testing.T) {
	h := newHostile(t, nil, nil)
	a := connectStub(t, h.e, h.sp)
	before, err := h.e.loadSecret(context.Background(), a.Key())
	if err != nil {
		t.Fatal(err)
	}
	h.sp.on("/token", redirectTo(h.rec.URL+"/token", http.StatusTemporaryRedirect))
	err = h.e.Refresh(context.Background(), a.Key())
	if err == nil || !strings.Contains(err.Error(), "refresh the token: Test answered") || !strings.Contains(err.Error(), "redirect to "+h.rec.URL+"/token") {
		t.Fatalf("refresh: %v", err)
	}
	if after, err := h.e.loadSecret(context.Background(), a.Key()); err != nil || after != before {
		t.Errorf("the stored grant changed: %v", err)
	}
	if got, _ := h.e.Account(a.Key()); got.Status != StatusError || !strings.Contains(got.Reason, "redirect") {
		t.Errorf("status %q, reason %q", got.Status, got.Reason)
	}

	h.sp.on("/revoke", redirectTo(h.rec.URL+"/revoke", http.StatusTemporaryRedirect))
	err = h.e.Disconnect(context.Background(), a.Key())
	var re *RevokeError
	if !errors.As(err, &re) || !strings.Contains(err.Error(), "redirect to "+h.rec.URL+"/revoke") {
		t.Fatalf("disconnect: %v", err)
	}
	h.assertClean()
}

// TestHostileProfileText checks that what a profile says reaches the index
// and the account as safe text: no escape sequences, no bidi overrides, and
// no picture or page link that is not an https URL.
func TestHostileProfileText(t *testing.T) {
	h := newHostile(t, nil, nil)
	h.sp.on("/me", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `{"user":{"id":"42","name":"\u001b]0;owned\u0007Ada\u202e \u001b[31mLovelace\n","email":"ada@example.test\u0085",
			"avatar":"file:///etc/passwd","page":"javascript:alert(1)"}}`)
	})
	file := strings.Replace(h.sp.providersFile(""), `"email":"user.email"`, `"email":"user.email","avatar":"user.avatar","page":"user.page"`, 1)
	h.e, _ = newTestEngine(t, file, nil)
	a := connectStub(t, h.e, h.sp)
	list := diskAccounts(t, h.e.ConfigDir())
	if len(list) != 1 {
		t.Fatalf("index = %+v", list)
	}
	for _, got := range []Account{a, list[0]} {
		if got.Name != "]0;ownedAda [31mLovelace" || got.Email != "ada@example.test" || got.AvatarURL != "" || got.ProfileURL != "" {
			t.Errorf("account = %+v", got)
		}
	}
}

// TestCallbackClosesConnections checks that the loopback server keeps no
// connection open after answering: nothing idles on the port.
func TestCallbackClosesConnections(t *testing.T) {
	sp := newStubProvider(t)
	e, _ := newTestEngine(t, sp.providersFile(""), nil)
	flow, err := e.Connect(context.Background(), "test")
	if err != nil {
		t.Fatal(err)
	}
	defer flow.Cancel()
	u, _ := url.Parse(flow.RedirectURI())
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	resp, err := (&http.Client{Transport: tr}).Get("http://" + u.Host + "/favicon.ico")
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound || !resp.Close {
		t.Errorf("HTTP %d, Connection: close %v; want 404 and the connection closed", resp.StatusCode, resp.Close)
	}
}

// TestOpenIDChecksBeforeUse covers OpenID Connect Core's rules: the ID token
// is checked before the access token is sent anywhere (a broken one means
// userinfo never sees the token), a userinfo response about another user is
// refused, and a response without the required ID token is refused.
func TestOpenIDChecksBeforeUse(t *testing.T) {
	tests := []struct {
		name   string
		token  func(sign func(map[string]any, bool) string, iss, nonce string) string // nil: no ID token
		wantUI int32                                                                  // userinfo requests expected
		want   string
	}{
		{"unpublished key", func(sign func(map[string]any, bool) string, iss, nonce string) string {
			return sign(claims(iss, "cid", nonce, time.Hour), true)
		}, 0, "the ID token failed verification"},
		{"userinfo about another user", func(sign func(map[string]any, bool) string, iss, nonce string) string {
			c := claims(iss, "cid", nonce, time.Hour)
			c["sub"] = "someone-else"
			return sign(c, false)
		}, 1, "the userinfo response is about another user"},
		{"no ID token", nil, 0, "without the ID token that OpenID Connect requires"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHostile(t, issuerFile, nil)
			_, sign := oidcStub(t, h.sp)
			if tt.token != nil {
				h.sp.idToken = func(nonce string) string { return tt.token(sign, h.sp.URL, nonce) }
			}
			var userinfo atomic.Int32
			h.sp.on("/userinfo", func(w http.ResponseWriter, r *http.Request) {
				userinfo.Add(1)
				io.WriteString(w, `{"sub":"42","name":"Ada Lovelace"}`)
			})
			err := h.connect()
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want %q", err, tt.want)
			}
			if n := userinfo.Load(); n != tt.wantUI {
				t.Errorf("userinfo was asked %d times, want %d", n, tt.wantUI)
			}
			h.assertClean()
		})
	}
}

// TestCatalogueRefusesHostileLinks checks that a providers file cannot name
// a register page the browser would hand to another program.
func TestCatalogueRefusesHostileLinks(t *testing.T) {
	for _, link := range []string{"javascript:alert(1)", "file:///etc/passwd", "smb://host/share", "/relative"} {
		dir := t.TempDir()
		file := fmt.Sprintf(`{"providers":[{"id":"x","name":"X","authorize_url":"https://x.example/a","token_url":"https://x.example/t","register_url":%q}]}`, link)
		os.WriteFile(filepath.Join(dir, userProvidersFile), []byte(file), 0o600)
		_, err := New(Params{ConfigDir: dir, Keychain: mockKeychain(t)})
		if err == nil || !strings.Contains(err.Error(), "register_url") {
			t.Errorf("register_url %q: %v", link, err)
		}
	}
}

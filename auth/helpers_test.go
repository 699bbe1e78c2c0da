package auth

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/zalando/go-keyring"
)

// stubProvider is an httptest OAuth server for unit tests: it issues one
// code per authorization request it is shown, checks the PKCE verifier and
// redirect URI at the token endpoint, and serves a profile. Integration
// tests use the real authorization server instead (internal/authserver).
type stubProvider struct {
	*httptest.Server
	mu        sync.Mutex
	codes     map[string]codeGrant // code -> what it was issued for
	refreshes int
	tokenHook func(w http.ResponseWriter, r *http.Request) bool // returns true when it answered
	expiresIn int
	refresh   string // refresh token to issue; empty: none
	revoked   []string
	// OpenID Connect, for providers files that name the stub as issuer:
	// idToken, when set, makes the ID token for an authorization request's
	// nonce; jwks is served at /jwks.
	idToken  func(nonce string) string
	jwks     []byte
	jwksHits atomic.Int32
	// hooks replace the handler of a path (see on); guarded by mu.
	hooks map[string]http.HandlerFunc
}

// on makes the stub answer requests for path with h instead of its own
// handler: a misbehaving provider for one test.
func (sp *stubProvider) on(path string, h http.HandlerFunc) {
	sp.mu.Lock()
	defer sp.mu.Unlock()
	if sp.hooks == nil {
		sp.hooks = map[string]http.HandlerFunc{}
	}
	sp.hooks[path] = h
}

// serve answers with a hook for the request's path, else with mux.
func (sp *stubProvider) serve(mux http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sp.mu.Lock()
		h := sp.hooks[r.URL.Path]
		sp.mu.Unlock()
		if h != nil {
			h(w, r)
			return
		}
		mux.ServeHTTP(w, r)
	})
}

type codeGrant struct{ challenge, redirect, nonce string }

func newStubProvider(t testing.TB) *stubProvider {
	t.Helper()
	sp := &stubProvider{codes: map[string]codeGrant{}, expiresIn: 3600, refresh: "rt-1"}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /token", sp.token)
	mux.HandleFunc("POST /revoke", func(w http.ResponseWriter, r *http.Request) {
		sp.mu.Lock()
		sp.revoked = append(sp.revoked, r.PostFormValue("token_type_hint"))
		sp.mu.Unlock()
	})
	mux.HandleFunc("GET /me", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") == "" {
			http.Error(w, "no token", http.StatusUnauthorized)
			return
		}
		fmt.Fprint(w, `{"user":{"id":"42","name":"Ada Lovelace","email":"ada@example.test"}}`)
	})
	mux.HandleFunc("GET /userinfo", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") == "" {
			http.Error(w, "no token", http.StatusUnauthorized)
			return
		}
		fmt.Fprint(w, `{"sub":"42","name":"Ada Lovelace","email":"ada@example.test"}`)
	})
	mux.HandleFunc("GET /.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(map[string]any{"issuer": sp.URL, "authorization_endpoint": sp.URL + "/authorize",
			"token_endpoint": sp.URL + "/token", "userinfo_endpoint": sp.URL + "/userinfo", "jwks_uri": sp.URL + "/jwks",
			"id_token_signing_alg_values_supported": []string{"RS256"}})
	})
	mux.HandleFunc("GET /jwks", func(w http.ResponseWriter, r *http.Request) { sp.jwksHits.Add(1); w.Write(sp.jwks) })
	sp.Server = httptest.NewServer(sp.serve(mux))
	t.Cleanup(sp.Close)
	return sp
}

// authorize plays the browser at the authorization endpoint: it reads the
// request and returns the redirect back to the app with a fresh code.
func (sp *stubProvider) authorize(t *testing.T, authURL string) *url.URL {
	t.Helper()
	u, err := url.Parse(authURL)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	if q.Get("code_challenge_method") != "S256" || q.Get("code_challenge") == "" {
		t.Fatalf("authorization request lacks PKCE S256: %v", q)
	}
	code := fmt.Sprintf("code-%d", len(sp.codes)+1)
	sp.mu.Lock()
	sp.codes[code] = codeGrant{challenge: q.Get("code_challenge"), redirect: q.Get("redirect_uri"), nonce: q.Get("nonce")}
	sp.mu.Unlock()
	back, err := url.Parse(q.Get("redirect_uri"))
	if err != nil {
		t.Fatal(err)
	}
	back.RawQuery = url.Values{"code": {code}, "state": {q.Get("state")}}.Encode()
	return back
}

func (sp *stubProvider) token(w http.ResponseWriter, r *http.Request) {
	if sp.tokenHook != nil && sp.tokenHook(w, r) {
		return
	}
	sp.mu.Lock()
	defer sp.mu.Unlock()
	var nonce string // of the authorization request, for the ID token
	switch r.PostFormValue("grant_type") {
	case "authorization_code":
		g, ok := sp.codes[r.PostFormValue("code")]
		delete(sp.codes, r.PostFormValue("code"))
		nonce = g.nonce
		sum := sha256.Sum256([]byte(r.PostFormValue("code_verifier")))
		if !ok || base64.RawURLEncoding.EncodeToString(sum[:]) != g.challenge || r.PostFormValue("redirect_uri") != g.redirect {
			writeOAuthError(w, "invalid_grant")
			return
		}
	case "refresh_token":
		sp.refreshes++
	default:
		writeOAuthError(w, "unsupported_grant_type")
		return
	}
	resp := map[string]any{"access_token": fmt.Sprintf("at-%d", sp.refreshes), "token_type": "Bearer", "scope": "profile email"}
	if sp.idToken != nil && r.PostFormValue("grant_type") == "authorization_code" {
		resp["id_token"] = sp.idToken(nonce)
	}
	if sp.expiresIn > 0 {
		resp["expires_in"] = sp.expiresIn
	}
	if sp.refresh != "" {
		resp["refresh_token"] = sp.refresh
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(resp)
}

func writeOAuthError(w http.ResponseWriter, code string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusBadRequest)
	fmt.Fprintf(w, `{"error":%q}`, code)
}

// providersFile returns a user providers file with one provider "test" on
// the stub server.
func (sp *stubProvider) providersFile(extra string) string {
	return fmt.Sprintf(`{"providers":[{"id":"test","name":"Test","client_id":"cid",
		"authorize_url":%q,"token_url":%q,"revocation_url":%q,
		"scopes":["profile","email"],
		"profile":{"url":%q,"id":"user.id","name":"user.name","email":"user.email"}%s}]}`,
		sp.URL+"/authorize", sp.URL+"/token", sp.URL+"/revoke", sp.URL+"/me", extra)
}

// newTestEngine builds an Engine on a temporary config directory with the
// given user providers file and go-keyring's in-memory mock keychain.
func newTestEngine(t testing.TB, providers string, tweak func(*Params)) (*Engine, chan *url.URL) {
	t.Helper()
	keyring.MockInit()
	dir := t.TempDir()
	if providers != "" {
		if err := os.WriteFile(filepath.Join(dir, userProvidersFile), []byte(providers), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	opened := make(chan *url.URL, 16)
	p := Params{
		ConfigDir:   dir,
		Keychain:    NewSystemKeychain("keyport-unit", 5*time.Second),
		HTTPClient:  &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}},
		OpenURL:     func(u *url.URL) error { opened <- u; return nil },
		FlowTimeout: time.Minute,
	}
	if tweak != nil {
		tweak(&p)
	}
	e, err := New(p)
	if err != nil {
		t.Fatal(err)
	}
	return e, opened
}

// getAt fetches u from the server at addr (host:port), with u's host as the
// Host header, and returns the status and body.
func getAt(t *testing.T, addr string, u url.URL) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, u.String(), nil)
	if err != nil {
		t.Fatal(err)
	}
	req.URL.Host, req.Host = addr, u.Host
	c := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("GET callback: %v", err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// get fetches a URL without keep-alive (so no client goroutine lingers) and
// returns the status and body.
func get(t *testing.T, u string) (int, string) {
	t.Helper()
	c := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err := c.Get(u)
	if err != nil {
		t.Fatalf("GET callback: %v", err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read callback page: %v", err)
	}
	return resp.StatusCode, string(b)
}

// mockKeychain returns a keychain on go-keyring's in-memory mock.
func mockKeychain(t testing.TB) Keychain {
	t.Helper()
	keyring.MockInit()
	return NewSystemKeychain("keyport-unit", time.Second)
}

// diskAccounts lists the accounts of the index in dir as a new process
// would read them.
func diskAccounts(t testing.TB, dir string) []Account {
	t.Helper()
	s, err := openAccountStore(dir, time.Now, func(record) {})
	if err != nil {
		t.Fatalf("read the account index: %v", err)
	}
	return s.list()
}

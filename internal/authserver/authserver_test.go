package authserver_test

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/keyport/keyport/internal/authserver"
)

const accessTTL = 10 * time.Minute

var scopes = []string{"openid", "profile", "email", "offline_access"}

// noRedirect is an HTTP client that returns redirects instead of following
// them.
var noRedirect = &http.Client{
	Timeout:       10 * time.Second,
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
}

func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// callback serves the app's side of the loopback redirect on a random port
// of 127.0.0.1 and returns its redirect URI and the queries it receives.
func callback(t *testing.T) (redirectURI string, queries <-chan url.Values) {
	ch := make(chan url.Values, 1)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /callback/local", func(w http.ResponseWriter, r *http.Request) {
		select {
		case ch <- r.URL.Query():
			_, _ = w.Write([]byte("done\n"))
		default:
			http.Error(w, "already called", http.StatusConflict)
		}
	})
	ts := httptest.NewServer(mux)
	t.Cleanup(ts.Close)
	return ts.URL + "/callback/local", ch
}

// publicConfig returns an oauth2.Config for the public client redirecting to
// a fresh loopback listener, and that listener's queries.
func publicConfig(t *testing.T, srv *authserver.Server) (*oauth2.Config, <-chan url.Values) {
	redirectURI, queries := callback(t)
	return &oauth2.Config{
		ClientID:    srv.ClientID,
		Endpoint:    withStyle(srv.Endpoint(), oauth2.AuthStyleInParams),
		RedirectURL: redirectURI,
		Scopes:      scopes,
	}, queries
}

func withStyle(e oauth2.Endpoint, s oauth2.AuthStyle) oauth2.Endpoint {
	e.AuthStyle = s
	return e
}

// authorize runs the browser's part of the code flow with PKCE and returns
// what the app's callback received and the PKCE verifier.
func authorize(t *testing.T, srv *authserver.Server, cfg *oauth2.Config, queries <-chan url.Values, login string, allow bool) (url.Values, string) {
	t.Helper()
	ctx := testContext(t)
	verifier, state := oauth2.GenerateVerifier(), rand.Text()
	loc, err := srv.SignIn(ctx, cfg.AuthCodeURL(state, oauth2.S256ChallengeOption(verifier)), login, login, allow)
	if err != nil {
		t.Fatalf("SignIn: %v", err)
	}
	if got := loc.Scheme + "://" + loc.Host + loc.Path; got != cfg.RedirectURL {
		t.Fatalf("SignIn stopped at %s, want the redirect URI %s", got, cfg.RedirectURL)
	}
	resp, err := http.Get(loc.String())
	if err != nil {
		t.Fatalf("GET callback: %v", err)
	}
	resp.Body.Close()
	q := <-queries
	if q.Get("state") != state {
		t.Fatalf("callback state = %q, want %q", q.Get("state"), state)
	}
	if q.Get("iss") != srv.Issuer {
		t.Fatalf("callback iss = %q, want %q (RFC 9207)", q.Get("iss"), srv.Issuer)
	}
	return q, verifier
}

// connect runs the whole code flow and returns the token.
func connect(t *testing.T, srv *authserver.Server, cfg *oauth2.Config, queries <-chan url.Values, login string) *oauth2.Token {
	t.Helper()
	q, verifier := authorize(t, srv, cfg, queries, login, true)
	tok, err := cfg.Exchange(testContext(t), q.Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatalf("Exchange: %v", err)
	}
	return tok
}

func wantOAuthError(t *testing.T, err error, code string) {
	t.Helper()
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) || re.ErrorCode != code {
		t.Fatalf("err = %v, want an OAuth %s error", err, code)
	}
}

func TestDiscovery(t *testing.T) {
	t.Parallel()
	srv := authserver.Start(t, authserver.Options{})
	resp, err := http.Get(srv.Issuer + "/.well-known/openid-configuration")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var doc map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&doc); err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"authorization_endpoint", "token_endpoint", "userinfo_endpoint", "revocation_endpoint", "introspection_endpoint", "jwks_uri"} {
		t.Run(key, func(t *testing.T) {
			if s, _ := doc[key].(string); !strings.HasPrefix(s, srv.Issuer+"/") {
				t.Errorf("%s = %v, want a URL under %s", key, doc[key], srv.Issuer)
			}
		})
	}
	tests := []struct {
		key  string
		want any
	}{
		{"issuer", srv.Issuer},
		{"code_challenge_methods_supported", []any{"S256"}},
		{"authorization_response_iss_parameter_supported", true},
		{"response_types_supported", []any{"code"}},
	}
	for _, tt := range tests {
		t.Run(tt.key, func(t *testing.T) {
			if got, _ := json.Marshal(doc[tt.key]); string(got) != string(must(json.Marshal(tt.want))) {
				t.Errorf("%s = %s, want %v", tt.key, got, tt.want)
			}
		})
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

func TestAuthorizationRequest(t *testing.T) {
	t.Parallel()
	srv := authserver.Start(t, authserver.Options{RedirectPaths: []string{"/callback/local", "/callback/a,/callback/b"}})
	verifier := oauth2.GenerateVerifier()
	tests := []struct {
		name     string
		set      url.Values // query parameters to set, "" deletes
		wantErr  string     // OAuth error sent to the redirect URI; "" for success
		wantPage bool       // true: an error page, no redirect at all
	}{
		{name: "ok", set: url.Values{}},
		{name: "any loopback port", set: url.Values{"redirect_uri": {"http://127.0.0.1:1/callback/local"}}},
		{name: "second registered path", set: url.Values{"redirect_uri": {"http://127.0.0.1:1/callback/a"}}},
		{name: "comma-separated path", set: url.Values{"redirect_uri": {"http://127.0.0.1:1/callback/b"}}},
		{name: "no code_challenge", set: url.Values{"code_challenge": {""}, "code_challenge_method": {""}}, wantErr: "invalid_request"},
		{name: "plain code_challenge_method", set: url.Values{"code_challenge": {verifier}, "code_challenge_method": {"plain"}}, wantErr: "invalid_request"},
		{name: "other redirect path", set: url.Values{"redirect_uri": {"http://127.0.0.1:5555/callback/other"}}, wantPage: true},
		{name: "redirect path with trailing slash", set: url.Values{"redirect_uri": {"http://127.0.0.1:5555/callback/local/"}}, wantPage: true},
		{name: "redirect host localhost", set: url.Values{"redirect_uri": {"http://localhost:5555/callback/local"}}, wantPage: true},
		{name: "unknown client", set: url.Values{"client_id": {"nobody"}}, wantPage: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := &oauth2.Config{ClientID: srv.ClientID, Endpoint: srv.Endpoint(), RedirectURL: "http://127.0.0.1:5555/callback/local", Scopes: scopes}
			u := must(url.Parse(cfg.AuthCodeURL("st", oauth2.S256ChallengeOption(verifier))))
			q := u.Query()
			for k, v := range tt.set {
				if v[0] == "" {
					q.Del(k)
				} else {
					q.Set(k, v[0])
				}
			}
			u.RawQuery = q.Encode()
			resp, err := noRedirect.Get(u.String())
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			loc, _ := resp.Location()
			switch {
			case tt.wantPage:
				if resp.StatusCode != http.StatusBadRequest || loc != nil {
					t.Fatalf("got HTTP %d to %v, want 400 and no redirect", resp.StatusCode, loc)
				}
			case loc == nil:
				t.Fatalf("got HTTP %d, want a redirect", resp.StatusCode)
			case tt.wantErr != "":
				if got := loc.Query(); got.Get("error") != tt.wantErr || got.Get("iss") != srv.Issuer || got.Get("state") != "st" {
					t.Fatalf("redirected to %s, want error=%s with iss and state", loc.Redacted(), tt.wantErr)
				}
			case !strings.HasPrefix(loc.String(), srv.Issuer+"/interaction/"):
				t.Fatalf("redirected to %s, want the login page", loc.Redacted())
			}
		})
	}
}

func TestCodeFlow(t *testing.T) {
	t.Parallel()
	srv := authserver.Start(t, authserver.Options{AccessTTL: accessTTL, Title: "Code flow test"})
	tests := []struct {
		name, clientSuffix, secret string
		style                      oauth2.AuthStyle
		login, wantName, wantEmail string
	}{
		{"public client", "", "", oauth2.AuthStyleInParams, "demo", "Dana Demo", "demo@example.test"},
		{"client_secret_basic", "-secret", authserver.ClientSecret, oauth2.AuthStyleInHeader, "alice", "Alice Example", "alice@example.test"},
		{"client_secret_post", "-post", authserver.ClientSecret, oauth2.AuthStyleInParams, "demo", "Dana Demo", "demo@example.test"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx := testContext(t)
			cfg, queries := publicConfig(t, srv)
			cfg.ClientID += tt.clientSuffix
			cfg.ClientSecret = tt.secret
			cfg.Endpoint.AuthStyle = tt.style
			before := time.Now()
			tok := connect(t, srv, cfg, queries, tt.login)

			if tok.AccessToken == "" || tok.RefreshToken == "" || tok.Extra("id_token") == nil {
				t.Fatalf("token has access %t, refresh %t, id_token %t; want all", tok.AccessToken != "", tok.RefreshToken != "", tok.Extra("id_token") != nil)
			}
			if strings.Count(tok.AccessToken, ".") == 2 {
				t.Error("access token looks like a JWT, want an opaque one")
			}
			if lo, hi := before.Add(accessTTL-time.Minute), time.Now().Add(accessTTL+time.Minute); tok.Expiry.Before(lo) || tok.Expiry.After(hi) {
				t.Errorf("token expiry %v, want about %v from now", tok.Expiry, accessTTL)
			}
			if active, err := srv.Introspect(ctx, tok.AccessToken); err != nil || !active {
				t.Errorf("Introspect(access token) = %t, %v; want active", active, err)
			}

			var info struct {
				Sub, Name, Email, Picture, Profile string
				EmailVerified                      bool `json:"email_verified"`
			}
			resp, err := cfg.Client(ctx, tok).Get(srv.Metadata.UserinfoEndpoint)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			if err := json.NewDecoder(resp.Body).Decode(&info); err != nil {
				t.Fatal(err)
			}
			if info.Sub != tt.login || info.Name != tt.wantName || info.Email != tt.wantEmail || !info.EmailVerified || info.Profile == "" {
				t.Errorf("userinfo = %+v, want %s, %s, %s, verified, with a profile URL", info, tt.login, tt.wantName, tt.wantEmail)
			}
			pic, err := http.Get(info.Picture)
			if err != nil {
				t.Fatal(err)
			}
			pic.Body.Close()
			if pic.StatusCode != http.StatusOK || pic.Header.Get("Content-Type") != "image/png" {
				t.Errorf("GET picture: HTTP %d %s, want a PNG", pic.StatusCode, pic.Header.Get("Content-Type"))
			}
		})
	}
}

func TestCodeExchangeRejected(t *testing.T) {
	t.Parallel()
	srv := authserver.Start(t, authserver.Options{})
	tests := []struct {
		name     string
		exchange func(ctx context.Context, cfg *oauth2.Config, code, verifier string) error
	}{
		{"wrong verifier", func(ctx context.Context, cfg *oauth2.Config, code, _ string) error {
			_, err := cfg.Exchange(ctx, code, oauth2.VerifierOption(oauth2.GenerateVerifier()))
			return err
		}},
		{"no verifier", func(ctx context.Context, cfg *oauth2.Config, code, _ string) error {
			_, err := cfg.Exchange(ctx, code)
			return err
		}},
		{"other redirect_uri port", func(ctx context.Context, cfg *oauth2.Config, code, verifier string) error {
			c := *cfg
			c.RedirectURL = "http://127.0.0.1:1/callback/local"
			_, err := c.Exchange(ctx, code, oauth2.VerifierOption(verifier))
			return err
		}},
		{"code used twice", func(ctx context.Context, cfg *oauth2.Config, code, verifier string) error {
			if _, err := cfg.Exchange(ctx, code, oauth2.VerifierOption(verifier)); err != nil {
				return err
			}
			_, err := cfg.Exchange(ctx, code, oauth2.VerifierOption(verifier))
			return err
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg, queries := publicConfig(t, srv)
			q, verifier := authorize(t, srv, cfg, queries, "demo", true)
			wantOAuthError(t, tt.exchange(testContext(t), cfg, q.Get("code"), verifier), "invalid_grant")
		})
	}
}

func TestRefreshRotation(t *testing.T) {
	t.Parallel()
	srv := authserver.Start(t, authserver.Options{})
	tests := []struct {
		name, clientSuffix, secret string
		style                      oauth2.AuthStyle
	}{
		{"public client", "", "", oauth2.AuthStyleInParams},
		{"confidential client", "-secret", authserver.ClientSecret, oauth2.AuthStyleInHeader},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx := testContext(t)
			cfg, queries := publicConfig(t, srv)
			cfg.ClientID += tt.clientSuffix
			cfg.ClientSecret = tt.secret
			cfg.Endpoint.AuthStyle = tt.style
			first := connect(t, srv, cfg, queries, "demo")
			refresh := func(rt string) (*oauth2.Token, error) {
				return cfg.TokenSource(ctx, &oauth2.Token{RefreshToken: rt, Expiry: time.Now().Add(-time.Minute)}).Token()
			}

			second, err := refresh(first.RefreshToken)
			if err != nil {
				t.Fatalf("refresh: %v", err)
			}
			if second.RefreshToken == "" || second.RefreshToken == first.RefreshToken || second.AccessToken == first.AccessToken {
				t.Fatal("refresh did not rotate the refresh token and issue a new access token")
			}
			_, err = refresh(first.RefreshToken)
			wantOAuthError(t, err, "invalid_grant")

			// Reuse of a rotated refresh token revokes the whole grant.
			_, err = refresh(second.RefreshToken)
			wantOAuthError(t, err, "invalid_grant")
			if active, err := srv.Introspect(ctx, second.AccessToken); err != nil || active {
				t.Errorf("Introspect(access token) after reuse = %t, %v; want inactive", active, err)
			}
		})
	}
}

func TestRevocation(t *testing.T) {
	t.Parallel()
	srv := authserver.Start(t, authserver.Options{})
	tests := []struct {
		revoke                    string // token_type_hint
		wantAccess, wantRefreshed bool
	}{
		{revoke: "access_token", wantAccess: false, wantRefreshed: true},
		{revoke: "refresh_token", wantAccess: false, wantRefreshed: false},
	}
	for _, tt := range tests {
		t.Run(tt.revoke, func(t *testing.T) {
			t.Parallel()
			ctx := testContext(t)
			cfg, queries := publicConfig(t, srv)
			tok := connect(t, srv, cfg, queries, "alice")
			token := map[string]string{"access_token": tok.AccessToken, "refresh_token": tok.RefreshToken}[tt.revoke]

			// RFC 7009 §2.1: the public client identifies itself with client_id.
			form := url.Values{"token": {token}, "token_type_hint": {tt.revoke}, "client_id": {cfg.ClientID}}
			resp, err := http.PostForm(srv.Metadata.RevocationEndpoint, form)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("revoke: HTTP %d, want 200", resp.StatusCode)
			}

			if active, err := srv.Introspect(ctx, tok.AccessToken); err != nil || active != tt.wantAccess {
				t.Errorf("Introspect(access token) = %t, %v; want %t", active, err, tt.wantAccess)
			}
			if active, err := srv.Introspect(ctx, tok.RefreshToken); err != nil || active != tt.wantRefreshed {
				t.Errorf("Introspect(refresh token) = %t, %v; want %t", active, err, tt.wantRefreshed)
			}
		})
	}
}

func TestSignIn(t *testing.T) {
	t.Parallel()
	srv := authserver.Start(t, authserver.Options{Title: "Local demo — sign in as demo / demo"})
	tests := []struct {
		name, login, password string
		allow                 bool
		wantErr               string // in SignIn's error
		want                  url.Values
	}{
		{name: "allow", login: "demo", password: "demo", allow: true, want: url.Values{"code": nil}},
		{name: "deny", login: "demo", password: "demo", allow: false, want: url.Values{"error": {"access_denied"}, "error_description": nil}},
		{name: "wrong password", login: "demo", password: "alice", wantErr: "Wrong username or password"},
		{name: "unknown user", login: "mallory", password: "mallory", wantErr: "Wrong username or password"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg := &oauth2.Config{ClientID: srv.ClientID, Endpoint: srv.Endpoint(), RedirectURL: "http://127.0.0.1:5555/callback/local", Scopes: scopes}
			authURL := cfg.AuthCodeURL("st", oauth2.S256ChallengeOption(oauth2.GenerateVerifier()))
			loc, err := srv.SignIn(testContext(t), authURL, tt.login, tt.password, tt.allow)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("SignIn error = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			q := loc.Query()
			if loc.Host != "127.0.0.1:5555" || loc.Path != "/callback/local" || q.Get("iss") != srv.Issuer || q.Get("state") != "st" {
				t.Fatalf("SignIn returned %s, want the redirect URI with iss and state", loc.Redacted())
			}
			for k, v := range tt.want {
				if !q.Has(k) || (v != nil && !slices.Equal(q[k], v)) {
					t.Errorf("callback %s = %q, want %q", k, q[k], v)
				}
			}
		})
	}
}

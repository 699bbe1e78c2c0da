package auth

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
)

// TestAPIKeyAccountID checks that an API-key account's id says nothing about
// the key (it used to be a hash of it, which a copy of the index would let
// anyone test guesses against), while the same key connected twice is
// still one account.
func TestAPIKeyAccountID(t *testing.T) {
	e, _ := newTestEngine(t, `{"providers":[{"id":"k","name":"K","mode":"api_key","api_key":{"header":"X-Key"}}]}`, nil)
	ctx := context.Background()
	a, err := e.ConnectAPIKey(ctx, "k", "first-key-1234")
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte("k\x00first-key-1234"))
	for _, part := range []string{hex.EncodeToString(sum[:6]), hex.EncodeToString(sum[:3]), "first", "1234"} {
		if strings.Contains(a.ID, part) {
			t.Errorf("id %q carries %q", a.ID, part)
		}
	}
	again, err := e.ConnectAPIKey(ctx, "k", " first-key-1234\n")
	if err != nil || again.Key() != a.Key() {
		t.Errorf("the same key again: %s, %v; want %s", again.Key(), err, a.Key())
	}
	other, err := e.ConnectAPIKey(ctx, "k", "second-key-5678")
	if err != nil || other.Key() == a.Key() {
		t.Errorf("another key: %s, %v", other.Key(), err)
	}
	if n := len(e.Accounts()); n != 2 {
		t.Errorf("%d accounts, want 2", n)
	}
}

// TestConfigDirTightened checks that a config directory other users can
// read is made private at start.
func TestConfigDirTightened(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "keyport")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o755); err != nil { // whatever the umask
		t.Fatal(err)
	}
	if _, err := New(Params{ConfigDir: dir, Keychain: mockKeychain(t)}); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(dir)
	if err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf("mode %v, %v; want 0700", fi.Mode().Perm(), err)
	}
}

// TestMetadataCheck checks that a remote issuer cannot name endpoints on
// this computer, while an issuer on this computer may.
func TestMetadataCheck(t *testing.T) {
	remote := metadata{Issuer: "https://idp.example", Authorization: "https://idp.example/a", Token: "http://127.0.0.1:6379/token"}
	if err := remote.check(); err == nil || !strings.Contains(err.Error(), "token_endpoint points at this computer") {
		t.Errorf("remote issuer naming loopback: %v", err)
	}
	remote.Token, remote.JWKS = "https://idp.example/t", "https://localhost/keys"
	if err := remote.check(); err == nil || !strings.Contains(err.Error(), "jwks_uri points at this computer") {
		t.Errorf("remote issuer naming a local key set: %v", err)
	}
	local := metadata{Issuer: "http://127.0.0.1:9460", Authorization: "http://127.0.0.1:9460/auth", Token: "http://127.0.0.1:9460/token"}
	if err := local.check(); err != nil {
		t.Errorf("local issuer: %v", err)
	}
}

// TestProvidersFileCapped checks that an oversized providers file is
// refused with its name, not read whole.
func TestProvidersFileCapped(t *testing.T) {
	dir := t.TempDir()
	big := `{"providers":[],"pad":"` + strings.Repeat("x", maxProvidersFile) + `"}`
	os.WriteFile(filepath.Join(dir, userProvidersFile), []byte(big), 0o600)
	_, err := New(Params{ConfigDir: dir, Keychain: mockKeychain(t)})
	if err == nil || !strings.Contains(err.Error(), "larger than Keyport reads") || !strings.Contains(err.Error(), userProvidersFile) {
		t.Errorf("err = %v", err)
	}
}

// A personal access token pasted for one's own account is checked by
// reading the profile with it, and the account is the profile's (apart
// from an OAuth sign-in to the same account).
func TestConnectPersonalToken(t *testing.T) {
	sp := newStubProvider(t)
	var seen atomic.Value
	sp.on("/me", func(w http.ResponseWriter, r *http.Request) {
		seen.Store(r.Header.Get("Authorization"))
		if r.Header.Get("Authorization") != "Bearer good-token" {
			http.Error(w, "no", http.StatusUnauthorized)
			return
		}
		io.WriteString(w, `{"user":{"id":"42","name":"Ada Lovelace","email":"ada@example.test"}}`)
	})
	file := strings.Replace(sp.providersFile(`,"api_key":{"label":"access token","header":"Authorization","prefix":"Bearer ","profile":true,"help":"Press Generate."}`), `"client_id":"cid",`, "", 1)
	e, _ := newTestEngine(t, file, nil)
	ctx := context.Background()
	if _, err := e.ConnectAPIKey(ctx, "test", "bad-token"); err == nil || !strings.Contains(err.Error(), "Test rejected the access token (HTTP 401): copy it again. Press Generate.") {
		t.Fatalf("a rejected token: %v", err)
	}
	a, err := e.ConnectAPIKey(ctx, "test", "good-token")
	if err != nil {
		t.Fatal(err)
	}
	if a.Key() != "test/token:42" || a.Name != "Ada Lovelace" || a.Email != "ada@example.test" || !a.APIKey {
		t.Errorf("account = %+v", a)
	}
	if raw, err := e.Profile(a.Key()); err != nil || !strings.Contains(string(raw), "Ada") {
		t.Errorf("profile %s, %v", raw, err)
	}
	if s, err := e.Token(ctx, a.Key()); err != nil || s.Value() != "good-token" {
		t.Errorf("Token: %v", err)
	}
}

// A provider whose hosts depend on the account: the set-up's param values
// go into its URLs, are checked, and stay with the account.
func TestParamsFillEndpoints(t *testing.T) {
	sp := newStubProvider(t)
	u, _ := url.Parse(sp.URL)
	// {host} stands for the stub's host: 127.0.0.1, a host name part.
	file := fmt.Sprintf(`{"providers":[{"id":"test","name":"Test","client_id":"cid",
		"params":[{"name":"host","label":"Host","help":"the server's name"}],
		"authorize_url":"http://{host}:%[1]s/authorize","token_url":"http://{host}:%[1]s/token",
		"profile":{"url":"http://{host}:%[1]s/me","id":"user.id","name":"user.name"}}]}`, u.Port())
	e, _ := newTestEngine(t, file, nil)
	ctx := context.Background()
	if _, err := e.Connect(ctx, "test"); !errors.Is(err, ErrNotConfigured) || !strings.Contains(err.Error(), "--param host=VALUE") {
		t.Fatalf("Connect without the param: %v", err)
	}
	for _, bad := range []string{"evil.example/x", "a b", "127.0.0.1:1@evil", "..", "x#"} {
		if err := e.SetClient(ctx, "test", ClientSettings{ClientID: "cid", Params: map[string]string{"host": bad}}, ""); err == nil || !strings.Contains(err.Error(), "host name part") {
			t.Errorf("set-up with host %q: %v", bad, err)
		}
		if got := e.Client("test").Params["host"]; got != "" {
			t.Errorf("a refused host was saved: %q", got)
		}
	}
	if err := e.SetClient(ctx, "test", ClientSettings{ClientID: "cid", Params: map[string]string{"host": u.Hostname()}}, ""); err != nil {
		t.Fatal(err)
	}
	a := connectStub(t, e, sp)
	if a.Params["host"] != u.Hostname() || a.Name != "Ada Lovelace" {
		t.Fatalf("account = %+v", a)
	}
	// A later change of the set-up does not move the account.
	if err := e.SetClient(ctx, "test", ClientSettings{ClientID: "cid", Params: map[string]string{"host": "other.example"}}, ""); err != nil {
		t.Fatal(err)
	}
	if err := e.Refresh(ctx, a.Key()); err != nil {
		t.Errorf("refresh of the account on its own host: %v", err)
	}
}

// A token response that nests its fields (Slack's user token) is read
// from where the entry says.
func TestNestedTokenResponse(t *testing.T) {
	sp := newStubProvider(t)
	sp.tokenHook = func(w http.ResponseWriter, r *http.Request) bool {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"ok":true,"authed_user":{"id":"U1","scope":"identity.basic","access_token":"xoxp-nested","token_type":"user","refresh_token":"xoxe-1","expires_in":43200}}`)
		return true
	}
	e, _ := newTestEngine(t, sp.providersFile(`,"token_response":{"access_token":"authed_user.access_token","scope":"authed_user.scope","refresh_token":"authed_user.refresh_token","expires_in":"authed_user.expires_in"}`), nil)
	a := connectStub(t, e, sp)
	s, _ := e.loadSecret(context.Background(), a.Key())
	if s.AccessToken != "xoxp-nested" || s.RefreshToken != "xoxe-1" || !a.Expires() || strings.Join(a.Scopes, " ") != "identity.basic" {
		t.Errorf("secret %q/%q, account %+v", s.AccessToken, s.RefreshToken, a)
	}
}

package auth

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// oidcStub makes sp an OpenID Connect provider whose ID tokens are signed
// with a fresh RSA key published at its jwks_uri, and returns a providers
// file naming it by issuer only (so discovery fills in the rest) and a
// function that signs claims with the published key or, with other set,
// with a key the provider never published.
func oidcStub(t *testing.T, sp *stubProvider) (providers string, sign func(claims map[string]any, other bool) string) {
	t.Helper()
	published, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	unknown, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	sp.jwks, _ = json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &published.PublicKey, KeyID: "k1", Algorithm: "RS256", Use: "sig"}}})
	sign = func(claims map[string]any, other bool) string {
		key := published
		if other {
			key = unknown
		}
		signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: jose.JSONWebKey{Key: key, KeyID: "k1"}},
			(&jose.SignerOptions{}).WithType("JWT"))
		if err != nil {
			t.Fatal(err)
		}
		payload, _ := json.Marshal(claims)
		jws, err := signer.Sign(payload)
		if err != nil {
			t.Fatal(err)
		}
		compact, err := jws.CompactSerialize()
		if err != nil {
			t.Fatal(err)
		}
		return compact
	}
	return fmt.Sprintf(`{"providers":[{"id":"test","name":"Test","client_id":"cid","issuer":%q}]}`, sp.URL), sign
}

// TestConnectChecksIDToken runs sign-ins whose ID token is good or broken in
// one way each. The profile request runs beside the check, so a broken token
// must still refuse the sign-in and store nothing.
func TestConnectChecksIDToken(t *testing.T) {
	tests := []struct {
		name  string
		token func(iss, nonce string, sign func(map[string]any, bool) string) string
		want  string // in the error; empty: the sign-in succeeds
	}{
		{"valid", func(iss, nonce string, sign func(map[string]any, bool) string) string {
			return sign(claims(iss, "cid", nonce, time.Hour), false)
		}, ""},
		{"wrong nonce", func(iss, nonce string, sign func(map[string]any, bool) string) string {
			return sign(claims(iss, "cid", "x"+nonce, time.Hour), false)
		}, "nonce does not match"},
		{"unpublished key", func(iss, nonce string, sign func(map[string]any, bool) string) string {
			return sign(claims(iss, "cid", nonce, time.Hour), true)
		}, "failed verification"},
		{"other audience", func(iss, nonce string, sign func(map[string]any, bool) string) string {
			return sign(claims(iss, "someone-else", nonce, time.Hour), false)
		}, "failed verification"},
		{"other issuer", func(iss, nonce string, sign func(map[string]any, bool) string) string {
			return sign(claims("https://evil.example.test", "cid", nonce, time.Hour), false)
		}, "failed verification"},
		{"expired", func(iss, nonce string, sign func(map[string]any, bool) string) string {
			return sign(claims(iss, "cid", nonce, -time.Hour), false)
		}, "failed verification"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sp := newStubProvider(t)
			providers, sign := oidcStub(t, sp)
			sp.idToken = func(nonce string) string { return tt.token(sp.URL, nonce, sign) }
			e, _ := newTestEngine(t, providers, nil)
			flow, err := e.Connect(context.Background(), "test")
			if err != nil {
				t.Fatal(err)
			}
			if mustQuery(t, flow.URL()).Get("nonce") == "" {
				t.Fatal("the authorization request of an OpenID provider carries no nonce")
			}
			// The keys are fetched while the person signs in, not after.
			for deadline := time.Now().Add(5 * time.Second); sp.jwksHits.Load() == 0; time.Sleep(time.Millisecond) {
				if time.Now().After(deadline) {
					t.Fatal("the issuer's keys were not fetched while the sign-in was open")
				}
			}
			status, page := get(t, sp.authorize(t, flow.URL()).String())
			a, err := flow.Wait()
			if tt.want == "" {
				if err != nil || status != http.StatusOK || a.Key() != "test/42" || a.Email != "ada@example.test" {
					t.Fatalf("Wait = %+v, %v (page %d)", a, err, status)
				}
				if n := sp.jwksHits.Load(); n != 1 {
					t.Errorf("the keys were fetched %d times, want once (the check uses the fetched ones)", n)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), "refused") {
				t.Fatalf("Wait = %+v, %v; want an error saying %q", a, err, tt.want)
			}
			if status != http.StatusBadRequest || !strings.Contains(page, "ID token") {
				t.Errorf("the browser got %d: %s", status, page)
			}
			if n := len(e.Accounts()); n != 0 {
				t.Errorf("%d accounts after a refused ID token", n)
			}
			if _, err := e.loadSecret(context.Background(), "test/42"); !errors.Is(err, ErrSecretNotFound) {
				t.Errorf("keychain after a refused ID token: %v, want nothing stored", err)
			}
		})
	}
}

func claims(iss, aud, nonce string, valid time.Duration) map[string]any {
	now := time.Now()
	return map[string]any{"iss": iss, "aud": aud, "sub": "42", "nonce": nonce,
		"iat": now.Add(-time.Minute).Unix(), "exp": now.Add(valid).Unix()}
}

// TestConnectKeychainRefuses: when the keychain refuses the new token, the
// sign-in fails saying so and leaves neither an account nor its profile.
func TestConnectKeychainRefuses(t *testing.T) {
	sp := newStubProvider(t)
	kc := &refusingKeychain{}
	var dir string
	e, _ := newTestEngine(t, sp.providersFile(""), func(p *Params) { dir = p.ConfigDir; kc.Keychain = p.Keychain; p.Keychain = kc })
	kc.refuse.Store(true)
	flow, err := e.Connect(context.Background(), "test")
	if err != nil {
		t.Fatal(err)
	}
	if err := flow.Paste(sp.authorize(t, flow.URL()).String()); err == nil {
		t.Fatal("Paste succeeded though the keychain refused the token")
	}
	_, err = flow.Wait()
	if !errors.Is(err, ErrKeychainUnavailable) || !strings.Contains(err.Error(), "keychain") {
		t.Fatalf("Wait: %v, want the keychain's refusal", err)
	}
	if n := len(e.Accounts()); n != 0 {
		t.Errorf("%d accounts after the keychain refused", n)
	}
	if raw, err := e.Profile("test/42"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("profile after the keychain refused: %s, %v; want none", raw, err)
	}
	// Once the keychain takes it, the same account connects with its profile.
	kc.refuse.Store(false)
	a := connectStub(t, e, sp)
	if raw, err := e.Profile(a.Key()); err != nil || !strings.Contains(string(raw), "Ada") {
		t.Errorf("profile = %s, %v", raw, err)
	}
	// A reconnect the keychain refuses leaves the account as it was, in
	// this engine and in the index file, and its profile in place.
	index, _ := os.ReadFile(filepath.Join(dir, "accounts.json"))
	kc.refuse.Store(true)
	flow, err = e.Connect(context.Background(), "test")
	if err != nil {
		t.Fatal(err)
	}
	flow.Paste(sp.authorize(t, flow.URL()).String())
	if _, err := flow.Wait(); !errors.Is(err, ErrKeychainUnavailable) {
		t.Fatalf("reconnect: %v, want the keychain's refusal", err)
	}
	if got, ok := e.Account(a.Key()); !ok || !reflect.DeepEqual(got, a) {
		t.Errorf("account after the refused reconnect: %+v, %v; want %+v", got, ok, a)
	}
	if now, _ := os.ReadFile(filepath.Join(dir, "accounts.json")); string(now) != string(index) {
		t.Errorf("the index changed though the keychain refused the new token:\nbefore %s\nafter  %s", index, now)
	}
	if _, err := e.Profile(a.Key()); err != nil {
		t.Errorf("profile after the refused reconnect: %v", err)
	}
}

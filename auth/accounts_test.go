package auth

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
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

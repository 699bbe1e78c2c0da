package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/zalando/go-keyring"

	"github.com/keyport/keyport/auth"
)

// connected returns a config directory with one OAuth account, demo/7
// (token at-cli, 1 h, refreshed by the stub provider, which is also its
// api_base), and one pasted key
// of provider "keyed", keyed/k1 (key key-123, sent in X-Key after "Key ").
// The accounts are imported rather than connected: the command line's
// sign-in is TestCommandLine's.
func connected(t *testing.T) string {
	t.Helper()
	keyring.MockInit()
	srv := provider(t)
	dir := t.TempDir()
	file := fmt.Sprintf(`{"providers":[{"id":"demo","name":"Demo","client_id":"cid","authorize_url":%q,"token_url":%q,"api_base":%q,
		"profile":{"url":%q,"id":"id","name":"name","email":"email"}},
		{"id":"keyed","name":"Keyed","mode":"api_key","api_key":{"header":"X-Key","prefix":"Key "}}]}`, srv.URL+"/authorize", srv.URL+"/token", srv.URL, srv.URL+"/me")
	if err := os.WriteFile(filepath.Join(dir, "providers.json"), []byte(file), 0o600); err != nil {
		t.Fatal(err)
	}
	e, err := auth.New(auth.Params{ConfigDir: dir, Keychain: auth.NewSystemKeychain("keyport-cli-test", 5*time.Second)})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	ctx := context.Background()
	oauth := auth.Account{Provider: "demo", ID: "7", Name: "Grace Hopper", Scopes: []string{"read", "write"}, TokenType: "Bearer",
		Expiry: now.Add(time.Hour), Obtained: now, HasRefresh: true, Connected: now, Status: auth.StatusValid}
	if err := e.Import(ctx, oauth, auth.Secret{AccessToken: "at-cli", RefreshToken: "rt", TokenType: "Bearer", Expiry: oauth.Expiry}); err != nil {
		t.Fatal(err)
	}
	key := auth.Account{Provider: "keyed", ID: "k1", Name: "Keyed API key", APIKey: true, Connected: now, Status: auth.StatusValid}
	if err := e.Import(ctx, key, auth.Secret{APIKey: "key-123"}); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestTokenFormats(t *testing.T) {
	dir := connected(t)
	tests := []struct {
		args []string
		code int
		out  string // exact stdout
		err  string // in stderr
	}{
		{[]string{"token", "demo"}, 0, "at-cli\n", ""},
		{[]string{"token", "demo", "--format", "bare"}, 0, "at-cli\n", ""},
		{[]string{"token", "demo", "--format", "header"}, 0, "Authorization: Bearer at-cli\n", ""},
		{[]string{"token", "keyed", "--format", "header"}, 0, "X-Key: Key key-123\n", ""},
		{[]string{"token", "keyed", "--min-valid", "1000h"}, 0, "key-123\n", ""},
		{[]string{"token", "demo", "--min-valid", "30m"}, 0, "at-cli\n", ""},
		{[]string{"token", "demo", "--min-valid", "2h"}, 1, "", "Demo issues tokens valid for 59m5"},
		{[]string{"token", "demo", "--format", "xml"}, 2, "", `--format "xml" is not one of bare, header, json`},
		{[]string{"token", "demo", "--min-valid", "soon"}, 2, "", "invalid value"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args[1:], " "), func(t *testing.T) {
			code, out, stderr := run(t, dir, "", tt.args...)
			if code != tt.code || out != tt.out || !strings.Contains(stderr, tt.err) {
				t.Errorf("exit %d, stdout %q, stderr %q; want %d, %q and %q", code, out, stderr, tt.code, tt.out, tt.err)
			}
		})
	}
}

func TestTokenJSON(t *testing.T) {
	dir := connected(t)
	code, out, stderr := run(t, dir, "", "token", "demo", "--format", "json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var got map[string]any
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	expiry, err := time.Parse(time.RFC3339, fmt.Sprint(got["expiry"]))
	if err != nil || time.Until(expiry) < 59*time.Minute || time.Until(expiry) > time.Hour {
		t.Errorf("expiry %v (%v), want an RFC 3339 time about 1 h away", got["expiry"], err)
	}
	if unix, _ := got["expiry_unix"].(float64); int64(unix) != expiry.Unix() {
		t.Errorf("expiry_unix %v, want %d", got["expiry_unix"], expiry.Unix())
	}
	if left, _ := got["expires_in"].(float64); left < 3540 || left > 3600 {
		t.Errorf("expires_in %v, want about 3600", got["expires_in"])
	}
	want := map[string]any{"access_token": "at-cli", "token_type": "Bearer", "account": "demo/7", "provider": "demo", "scopes": []any{"read", "write"}}
	for k, v := range want {
		if fmt.Sprint(got[k]) != fmt.Sprint(v) {
			t.Errorf("%s = %v, want %v", k, got[k], v)
		}
	}
	if len(got) != 8 {
		t.Errorf("fields %v, want the 8 documented ones", got)
	}

	_, out, _ = run(t, dir, "", "token", "keyed", "--format", "json")
	var key tokenJSON
	if err := json.Unmarshal([]byte(out), &key); err != nil || key.AccessToken != "key-123" || key.TokenType != "api_key" || key.Expiry != nil || key.ExpiresIn != nil || key.Scopes == nil {
		t.Errorf("API key as JSON: %s (%v)", out, err)
	}
}

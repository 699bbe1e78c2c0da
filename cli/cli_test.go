package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/keyport/keyport/auth"
	"github.com/zalando/go-keyring"
)

// provider is a minimal OAuth server for the command line's tests: it
// redirects straight back with a code and answers the token and profile
// requests. The engine's own tests check the protocol in depth.
func provider(t *testing.T) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	mux.HandleFunc("GET /authorize", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		http.Redirect(w, r, q.Get("redirect_uri")+"?code=c1&state="+url.QueryEscape(q.Get("state")), http.StatusFound)
	})
	mux.HandleFunc("POST /token", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"access_token":"at-cli","token_type":"Bearer","refresh_token":"rt","expires_in":3600}`)
	})
	mux.HandleFunc("GET /me", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `{"id":"7","name":"Grace Hopper","email":"grace@example.test"}`)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

// run runs one command line against a config directory and returns exit
// code, stdout and stderr. The "browser" follows the sign-in link.
func run(t *testing.T, dir, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	env := Env{In: strings.NewReader(stdin), Out: &out, Err: &errOut, Engine: func(log *slog.Logger) (*auth.Engine, error) {
		return auth.New(auth.Params{ConfigDir: dir, Keychain: auth.NewSystemKeychain("keyport-cli-test", 5*time.Second), Log: log,
			OpenURL: func(u *url.URL) error {
				go func() {
					if resp, err := http.Get(u.String()); err == nil {
						io.Copy(io.Discard, resp.Body)
						resp.Body.Close()
					}
				}()
				return nil
			}})
	}}
	code := Run(context.Background(), env, args)
	return code, out.String(), errOut.String()
}

func TestCommandLine(t *testing.T) {
	keyring.MockInit()
	srv := provider(t)
	dir := t.TempDir()
	file := fmt.Sprintf(`{"providers":[{"id":"demo","name":"Demo","authorize_url":%q,"token_url":%q,
		"profile":{"url":%q,"id":"id","name":"name","email":"email"}}]}`, srv.URL+"/authorize", srv.URL+"/token", srv.URL+"/me")
	if err := os.WriteFile(filepath.Join(dir, "providers.json"), []byte(file), 0o600); err != nil {
		t.Fatal(err)
	}

	code, _, stderr := run(t, dir, "", "connect", "demo")
	if code != 1 || !strings.Contains(stderr, "keyport setup") && !strings.Contains(stderr, "client id") {
		t.Fatalf("connect before set-up: %d %q", code, stderr)
	}
	if code, _, stderr = run(t, dir, "", "setup", "demo", "--client-id", "cid"); code != 0 || !strings.Contains(stderr, "http://127.0.0.1/callback/demo") {
		t.Fatalf("setup: %d %q", code, stderr)
	}
	code, out, stderr := run(t, dir, "", "connect", "demo")
	if code != 0 || !strings.Contains(out, "Grace Hopper <grace@example.test>") || !strings.Contains(stderr, srv.URL+"/authorize?") {
		t.Fatalf("connect: %d out=%q err=%q", code, out, stderr)
	}
	if code, out, _ = run(t, dir, "", "accounts"); code != 0 || !regexp.MustCompile(`demo/7\s+Grace Hopper\s+grace@example.test\s+valid · expires in (59|60) min`).MatchString(out) {
		t.Errorf("accounts: %d %q", code, out)
	}
	var list []auth.Account
	if _, out, _ = run(t, dir, "", "accounts", "--json"); json.Unmarshal([]byte(out), &list) != nil || len(list) != 1 || strings.Contains(out, "at-cli") {
		t.Errorf("accounts --json: %q", out)
	}
	for _, who := range []string{"demo/7", "demo", "grace@example.test"} {
		if code, out, _ = run(t, dir, "", "token", who); code != 0 || out != "at-cli\n" {
			t.Errorf("token %s: %d %q", who, code, out)
		}
	}
	if code, out, stderr = run(t, dir, "", "token", "nobody"); code != 1 || out != "" || !strings.Contains(stderr, "keyport accounts") {
		t.Errorf("token for an unknown account: %d %q %q", code, out, stderr)
	}
	if code, _, stderr = run(t, dir, "", "disconnect", "demo"); code != 0 || !strings.Contains(stderr, "Disconnected Grace Hopper") {
		t.Errorf("disconnect: %d %q", code, stderr)
	}
	if _, out, stderr = run(t, dir, "", "accounts"); out != "" || !strings.Contains(stderr, "No accounts yet") {
		t.Errorf("accounts after disconnect: %q %q", out, stderr)
	}
}

func TestUsage(t *testing.T) {
	tests := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"help"}, 0, "keyport token"},
		{[]string{"frobnicate"}, 2, `unknown command "frobnicate"`},
		{[]string{"token"}, 2, "expected 1 argument"},
		{[]string{"token", "a", "b"}, 2, "expected 1 argument"},
		{[]string{"accounts", "--nope"}, 2, "flag provided but not defined"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			code, out, stderr := run(t, t.TempDir(), "", tt.args...)
			if code != tt.code || !strings.Contains(out+stderr, tt.want) {
				t.Errorf("code %d, output %q; want %d and %q", code, out+stderr, tt.code, tt.want)
			}
		})
	}
}

// syncBuffer is a bytes.Buffer safe for one writer and one reader.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// `keyport connect --no-browser` opens nothing, prints the link, and the
// sign-in completes from the redirect URL pasted back.
func TestConnectNoBrowser(t *testing.T) {
	keyring.MockInit()
	srv := provider(t)
	dir := t.TempDir()
	file := fmt.Sprintf(`{"providers":[{"id":"demo","name":"Demo","client_id":"cid","authorize_url":%q,"token_url":%q,
		"profile":{"url":%q,"id":"id","name":"name","email":"email"}}]}`, srv.URL+"/authorize", srv.URL+"/token", srv.URL+"/me")
	os.WriteFile(filepath.Join(dir, "providers.json"), []byte(file), 0o600)
	var opened atomic.Int32
	stdin, typed := io.Pipe()
	var out, errOut syncBuffer
	env := Env{In: stdin, Out: &out, Err: &errOut, Engine: func(log *slog.Logger) (*auth.Engine, error) {
		return auth.New(auth.Params{ConfigDir: dir, Keychain: auth.NewSystemKeychain("keyport-cli-test", 5*time.Second), Log: log,
			OpenURL: func(*url.URL) error { opened.Add(1); return nil }})
	}}
	done := make(chan int, 1)
	go func() { done <- Run(context.Background(), env, []string{"connect", "demo", "--no-browser"}) }()
	link := regexp.MustCompile(`Open this link in a browser and sign in to Demo:\s+(\S+)`)
	var authURL string
	for deadline := time.Now().Add(10 * time.Second); authURL == "" && time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if m := link.FindStringSubmatch(errOut.String()); m != nil {
			authURL = m[1]
		}
	}
	if authURL == "" {
		t.Fatalf("no link printed: %q", errOut.String())
	}
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noFollow.Get(authURL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	fmt.Fprintln(typed, resp.Header.Get("Location"))
	select {
	case code := <-done:
		if code != 0 || !strings.Contains(out.String(), "Connected Demo account Grace Hopper") {
			t.Errorf("exit %d, stdout %q, stderr %q", code, out.String(), errOut.String())
		}
	case <-time.After(20 * time.Second):
		t.Fatal("connect did not finish")
	}
	if n := opened.Load(); n != 0 {
		t.Errorf("--no-browser opened the browser %d times", n)
	}
}

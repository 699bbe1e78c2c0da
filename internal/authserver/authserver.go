// Package authserver runs the project's local OpenID Connect / OAuth 2.0
// authorization server, tools/authserver (a real server built on the npm
// package oidc-provider), for tests.
//
// The server listens on 127.0.0.1 at a random port and knows these clients:
//
//   - ClientID: a public native client (token_endpoint_auth_method none);
//   - ClientID+"-secret": a confidential client using client_secret_basic;
//   - ClientID+"-post": a confidential client using client_secret_post;
//   - IntrospectorID: a resource server allowed to call introspection.
//
// The three user clients are native clients with redirect URIs
// http://127.0.0.1<path> for each of Options.RedirectPaths: any port is
// accepted, the path must match exactly (RFC 8252 §7.3). PKCE with S256 is
// required for every authorization request (RFC 7636), refresh tokens are
// always issued and rotated on every use, and a reused refresh token is
// rejected with invalid_grant and revokes the whole grant. Authorization
// responses carry iss (RFC 9207).
//
// Users: "demo" (password "demo", Dana Demo, demo@example.test) and "alice"
// (password "alice", Alice Example, alice@example.test).
//
// The package needs node and tools/authserver/node_modules, which
// `make test` installs. Without them Start skips the test, or fails it when
// the environment variable KEYPORT_INTEGRATION is "1".
package authserver

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/oauth2"
)

// Credentials of the server's confidential clients.
const (
	// ClientSecret is the secret of the clients ClientID+"-secret" and
	// ClientID+"-post".
	ClientSecret = "test-secret"
	// IntrospectorID is the client ID of the resource server that may call
	// the introspection endpoint (RFC 7662).
	IntrospectorID = "introspector"
	// IntrospectorSecret is IntrospectorID's secret (client_secret_basic).
	IntrospectorSecret = "introspector-secret"
)

const (
	startTimeout = 20 * time.Second
	stopTimeout  = 5 * time.Second
)

// Options configures a server. The zero value is ready to use.
type Options struct {
	// AccessTTL is the lifetime of access tokens, rounded up to whole
	// seconds; zero means one hour.
	AccessTTL time.Duration
	// ClientID is the public client's ID; empty means "keyport-test".
	ClientID string
	// RedirectPaths are the registered redirect URI paths, such as
	// "/callback/local" (the default when empty).
	RedirectPaths []string
	// Title is shown on the login and consent pages.
	Title string
	// DeviceTTL is how long a device code (RFC 8628) lives; zero means
	// ten minutes. DeviceInterval is the polling interval the server
	// announces and enforces with slow_down; zero means 5 s. The first
	// DeviceSlowDown polls of each device code get slow_down anyway.
	DeviceTTL      time.Duration
	DeviceInterval time.Duration
	DeviceSlowDown int
}

// Metadata holds the endpoints from the server's discovery document
// (OpenID Connect Discovery 1.0, RFC 8414).
type Metadata struct {
	Issuer                string `json:"issuer"`
	AuthorizationEndpoint string `json:"authorization_endpoint"`
	TokenEndpoint         string `json:"token_endpoint"`
	UserinfoEndpoint      string `json:"userinfo_endpoint"`
	RevocationEndpoint    string `json:"revocation_endpoint"`
	IntrospectionEndpoint string `json:"introspection_endpoint"`
	JWKSURI               string `json:"jwks_uri"`
	DeviceAuthorization   string `json:"device_authorization_endpoint"`
}

// Server is a running authorization server. Its methods are safe for
// concurrent use.
type Server struct {
	// Issuer is the server's issuer identifier, http://127.0.0.1:PORT.
	Issuer string
	// ClientID is the public native client's ID.
	ClientID string
	// Metadata holds the endpoints the server advertises.
	Metadata Metadata

	issuer *url.URL
	http   *http.Client
}

// Start runs tools/authserver/server.js with opts and returns once the
// server is listening, at most 20 s later. The server's log goes to t.Log;
// it is stopped (SIGTERM, then SIGKILL) when the test and its subtests
// finish, and exits by itself when the test binary dies.
func Start(t testing.TB, opts Options) *Server {
	t.Helper()
	root, err := repoRoot()
	if err != nil {
		t.Fatalf("authserver: %v", err)
	}
	dir := filepath.Join(root, "tools", "authserver")
	node, err := exec.LookPath("node")
	if err != nil {
		unavailable(t, "node is not on PATH")
	}
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "oidc-provider", "package.json")); err != nil {
		unavailable(t, "tools/authserver/node_modules is missing")
	}

	cmd := exec.Command(node, append([]string{"server.js"}, opts.args()...)...)
	cmd.Dir = dir
	// The server exits when this pipe closes, that is when the test binary
	// dies without running its cleanups.
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatalf("authserver: %v", err)
	}
	ready := make(chan string, 1)
	cmd.Stdout = &lineWriter{t: t, first: ready}
	cmd.Stderr = &lineWriter{t: t}
	if err := cmd.Start(); err != nil {
		t.Fatalf("authserver: start node: %v", err)
	}
	exited := make(chan struct{})
	var waitErr error
	go func() {
		waitErr = cmd.Wait()
		close(exited)
	}()
	t.Cleanup(func() {
		select {
		case <-exited:
			t.Logf("authserver: exited early: %v", waitErr)
			return
		default:
		}
		if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
			_ = cmd.Process.Kill()
		}
		select {
		case <-exited:
		case <-time.After(stopTimeout):
			t.Logf("authserver: no exit %v after SIGTERM, killing it", stopTimeout)
			_ = cmd.Process.Kill()
			<-exited
		}
		_ = stdin.Close()
	})

	var line string
	select {
	case line = <-ready:
	case <-exited:
		t.Fatalf("authserver: exited before it was ready: %v", waitErr)
	case <-time.After(startTimeout):
		t.Fatalf("authserver: not ready within %v", startTimeout)
	}
	var hello struct {
		Issuer string `json:"issuer"`
	}
	if err := json.Unmarshal([]byte(line), &hello); err != nil || hello.Issuer == "" {
		t.Fatalf("authserver: want an issuer line on stdout, got %q", line)
	}
	s, err := newServer(hello.Issuer, opts.clientID())
	if err != nil {
		t.Fatalf("authserver: %v", err)
	}
	return s
}

func unavailable(t testing.TB, why string) {
	t.Helper()
	msg := fmt.Sprintf("authserver: %s; run `make test`, which installs node and the server's npm packages", why)
	if os.Getenv("KEYPORT_INTEGRATION") == "1" {
		t.Fatal(msg)
	}
	t.Skip(msg)
}

func newServer(issuer, clientID string) (*Server, error) {
	u, err := url.Parse(issuer)
	if err != nil {
		return nil, fmt.Errorf("parse issuer: %w", err)
	}
	s := &Server{Issuer: issuer, ClientID: clientID, issuer: u, http: &http.Client{Timeout: 10 * time.Second}}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.getJSON(ctx, issuer+"/.well-known/openid-configuration", &s.Metadata); err != nil {
		return nil, fmt.Errorf("read discovery document: %w", err)
	}
	if s.Metadata.Issuer != issuer {
		return nil, fmt.Errorf("discovery document names issuer %q, want %q", s.Metadata.Issuer, issuer)
	}
	return s, nil
}

func (o Options) clientID() string {
	if o.ClientID == "" {
		return "keyport-test"
	}
	return o.ClientID
}

func (o Options) args() []string {
	args := []string{"--exit-on-stdin-close", "--port", "0", "--client-id", o.clientID()}
	if o.AccessTTL > 0 {
		secs := (o.AccessTTL + time.Second - 1) / time.Second
		args = append(args, "--access-ttl", strconv.FormatInt(int64(secs), 10))
	}
	for _, p := range o.RedirectPaths {
		args = append(args, "--redirect-path", p)
	}
	if o.Title != "" {
		args = append(args, "--title", o.Title)
	}
	secs := func(d time.Duration) string { return strconv.FormatInt(int64((d+time.Second-1)/time.Second), 10) }
	if o.DeviceTTL > 0 {
		args = append(args, "--device-ttl", secs(o.DeviceTTL))
	}
	if o.DeviceInterval > 0 {
		args = append(args, "--device-interval", secs(o.DeviceInterval))
	}
	if o.DeviceSlowDown > 0 {
		args = append(args, "--device-slow-down", strconv.Itoa(o.DeviceSlowDown))
	}
	return args
}

// repoRoot walks up from the working directory to the one holding go.mod.
func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod above the working directory")
		}
		dir = parent
	}
}

// Endpoint returns the server's authorization and token endpoints for
// golang.org/x/oauth2.
func (s *Server) Endpoint() oauth2.Endpoint {
	return oauth2.Endpoint{AuthURL: s.Metadata.AuthorizationEndpoint, TokenURL: s.Metadata.TokenEndpoint}
}

// Stats are the server's counts of device-grant polls.
type Stats struct {
	DevicePolls int `json:"device_polls"`  // token requests with a device code
	SlowDowns   int `json:"slow_downs"`    // of them answered slow_down
	Grants      int `json:"device_grants"` // of them answered with tokens
}

// Stats returns the server's counts so far.
func (s *Server) Stats(ctx context.Context) (Stats, error) {
	var st Stats
	err := s.getJSON(ctx, s.Issuer+"/test/stats", &st)
	return st, err
}

// Introspect asks the introspection endpoint (RFC 7662) as IntrospectorID
// whether token, an access or refresh token, is active. It blocks until the
// server answers or ctx is done.
func (s *Server) Introspect(ctx context.Context, token string) (active bool, err error) {
	form := url.Values{"token": {token}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.Metadata.IntrospectionEndpoint, strings.NewReader(form.Encode()))
	if err != nil {
		return false, fmt.Errorf("introspect: %w", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(url.QueryEscape(IntrospectorID), url.QueryEscape(IntrospectorSecret))
	var out struct {
		Active bool `json:"active"`
	}
	if err := s.doJSON(req, &out); err != nil {
		return false, fmt.Errorf("introspect: %w", err)
	}
	return out.Active, nil
}

func (s *Server) getJSON(ctx context.Context, u string, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	return s.doJSON(req, v)
}

func (s *Server) doJSON(req *http.Request, v any) error {
	req.Header.Set("Accept", "application/json")
	resp, err := s.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		var buf bytes.Buffer
		_, _ = buf.ReadFrom(http.MaxBytesReader(nil, resp.Body, 4096))
		return fmt.Errorf("%s %s: %s: %s", req.Method, req.URL.Path, resp.Status, strings.TrimSpace(buf.String()))
	}
	return json.NewDecoder(resp.Body).Decode(v)
}

// lineWriter hands each complete line written to it to t.Log; the first
// line goes to first instead when first is not nil. exec.Cmd writes from one
// goroutine and Wait returns only after the last write.
type lineWriter struct {
	t     testing.TB
	first chan<- string
	buf   []byte
}

func (w *lineWriter) Write(p []byte) (int, error) {
	w.buf = append(w.buf, p...)
	for {
		i := bytes.IndexByte(w.buf, '\n')
		if i < 0 {
			return len(p), nil
		}
		line := string(w.buf[:i])
		w.buf = w.buf[i+1:]
		if w.first != nil {
			w.first <- line
			w.first = nil
			continue
		}
		w.t.Log(line)
	}
}

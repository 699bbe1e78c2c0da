package proxy

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/keyport/keyport/auth"
)

const testKey = "kp_TESTKEY234567ABCDEFGHIJKL"

// fakeEngine is the engine's part the proxy uses, with counters. Accounts
// "api/1" (OAuth, tokens tok-1, tok-2, … each refresh), "keyed/k" (an API
// key in X-Key after "Key ") and "noapi/1" (a provider without api_base).
type fakeEngine struct {
	base string // the API server's URL, api_base of api and keyed

	mu         sync.Mutex
	n          int  // refreshes so far; the token is tok-(n+1)
	due        bool // Due answers true for every credential
	tokenCalls int
	reloads    int
	refreshErr error
	accounts   map[string]auth.Account
}

func newFakeEngine(base string) *fakeEngine {
	return &fakeEngine{base: base, accounts: map[string]auth.Account{
		"api/1":   {Provider: "api", ID: "1", Email: "ada@example.test"},
		"keyed/k": {Provider: "keyed", ID: "k", APIKey: true},
		"noapi/1": {Provider: "noapi", ID: "1"},
	}}
}

func (f *fakeEngine) Account(key string) (auth.Account, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	a, ok := f.accounts[key]
	return a, ok
}

func (f *fakeEngine) FindAccount(q string) (auth.Account, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if a, ok := f.accounts[q]; ok {
		return a, nil
	}
	for _, a := range f.accounts {
		if a.Provider == q || a.Email == q {
			return a, nil
		}
	}
	return auth.Account{}, fmt.Errorf("%w %q", auth.ErrUnknownAccount, q)
}

func (f *fakeEngine) Reload() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.reloads++
	return nil
}

func (f *fakeEngine) AccountAPI(key string) (auth.AccountAPI, error) {
	switch key {
	case "api/1":
		return auth.AccountAPI{Base: f.base + "/v1", Header: "Authorization"}, nil
	case "keyed/k":
		return auth.AccountAPI{Base: f.base + "/v1", Header: "X-Key", Prefix: "Key "}, nil
	case "noapi/1":
		return auth.AccountAPI{Header: "Authorization"}, nil
	}
	return auth.AccountAPI{}, fmt.Errorf("%w %q", auth.ErrUnknownAccount, key)
}

func (f *fakeEngine) token() auth.Secret {
	return auth.Secret{AccessToken: fmt.Sprintf("tok-%d", f.n+1), RefreshToken: "rt", TokenType: "Bearer", Expiry: time.Now().Add(time.Hour)}
}

func (f *fakeEngine) Token(ctx context.Context, key string) (auth.Secret, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.tokenCalls++
	if key == "keyed/k" {
		return auth.Secret{APIKey: "key-123"}, nil
	}
	if f.due {
		f.n++ // the engine refreshes a due token
		f.due = false
	}
	return f.token(), nil
}

func (f *fakeEngine) Due(key string, s auth.Secret) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.due
}

func (f *fakeEngine) Refresh(ctx context.Context, key string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.refreshErr != nil {
		return f.refreshErr
	}
	f.n++
	return nil
}

func (f *fakeEngine) counts() (refreshes, tokenCalls int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.n, f.tokenCalls
}

// seen is one request as the API server received it.
type seen struct {
	Method, Path, RawPath, Query, Host string
	Header                             http.Header
	Body                               []byte
}

// apiServer is the provider's API: it records every request, and paths
// under /v1/ choose what it answers (see on).
type apiServer struct {
	*httptest.Server
	mu    sync.Mutex
	reqs  []seen
	hooks map[string]http.HandlerFunc
}

func newAPIServer(t *testing.T) *apiServer {
	t.Helper()
	s := &apiServer{hooks: map[string]http.HandlerFunc{}}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		h := s.hooks[r.URL.Path]
		s.mu.Unlock()
		if h != nil {
			s.record(r, nil)
			h(w, r)
			return
		}
		body, _ := io.ReadAll(r.Body)
		s.record(r, body)
		w.Header().Set("Content-Type", "text/plain")
		fmt.Fprintf(w, "ok %s", r.Header.Get("Authorization")+r.Header.Get("X-Key"))
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *apiServer) record(r *http.Request, body []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reqs = append(s.reqs, seen{r.Method, r.URL.Path, r.URL.RawPath, r.URL.RawQuery, r.Host, r.Header.Clone(), body})
}

// on makes the server answer path with h.
func (s *apiServer) on(path string, h http.HandlerFunc) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.hooks[path] = h
}

func (s *apiServer) requests() []seen {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]seen(nil), s.reqs...)
}

// logBuffer collects the proxy's log lines.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) lines() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Split(strings.TrimSpace(l.b.String()), "\n")
}

// fixture is a proxy on TCP and a Unix socket in front of an API server.
type fixture struct {
	t      *testing.T
	api    *apiServer
	eng    *fakeEngine
	srv    *Server
	log    *logBuffer
	tcp    *http.Client
	socket *http.Client
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	return newTrackedFixture(t, nil)
}

// newTrackedFixture is newFixture with tr as the proxy's Config.Requests.
func newTrackedFixture(t *testing.T, tr Tracker) *fixture {
	t.Helper()
	api := newAPIServer(t)
	f := &fixture{t: t, api: api, eng: newFakeEngine(api.URL), log: &logBuffer{}}
	p := New(f.eng, testKey, slog.New(slog.NewTextHandler(f.log, nil)), nil)
	srv, err := p.Start(Config{Listen: "127.0.0.1:0", Socket: filepath.Join(t.TempDir(), "proxy.sock"), Requests: tr})
	if err != nil {
		t.Fatal(err)
	}
	f.srv = srv
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
	})
	f.tcp = &http.Client{Timeout: 20 * time.Second}
	f.socket = &http.Client{Timeout: 20 * time.Second, Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, "unix", srv.Socket())
		}}}
	return f
}

// waitQueued waits until n request lines wait in the proxy's log queue:
// a caller has its answer before the handler returns and queues the line.
func (f *fixture) waitQueued(n int) {
	f.t.Helper()
	for end := time.Now().Add(10 * time.Second); ; time.Sleep(2 * time.Millisecond) {
		f.srv.log.mu.Lock()
		queued := len(f.srv.log.pending)
		f.srv.log.mu.Unlock()
		if queued >= n {
			return
		}
		if time.Now().After(end) {
			f.t.Fatalf("%d request lines queued after 10 s, want %d", queued, n)
		}
	}
}

// get sends a GET through the proxy on TCP with the key, and returns the
// status and body.
func (f *fixture) get(path string, header ...string) (int, string) {
	f.t.Helper()
	req, err := http.NewRequest(http.MethodGet, f.srv.URL()+path, nil)
	if err != nil {
		f.t.Fatal(err)
	}
	req.Header.Set(KeyHeader, testKey)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	return f.do(f.tcp, req)
}

func (f *fixture) do(c *http.Client, req *http.Request) (int, string) {
	f.t.Helper()
	resp, err := c.Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		f.t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

// raw writes request as it is to the proxy's TCP port and reads the
// answer: for what http.Client would never send.
func (f *fixture) raw(request string) *http.Response {
	f.t.Helper()
	c, err := net.Dial("tcp", f.srv.Addr())
	if err != nil {
		f.t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(c, request); err != nil {
		f.t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		f.t.Fatalf("%q: %v", request, err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body = io.NopCloser(bytes.NewReader(body))
	return resp
}

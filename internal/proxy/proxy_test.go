package proxy

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// Every refusal, each with everything else about the request right: none
// reaches the API server or asks the engine for a token.
func TestRefusals(t *testing.T) {
	f := newFixture(t)
	own := f.srv.Addr()
	api := strings.TrimPrefix(f.api.URL, "http://")
	key := "X-Keyport-Key: " + testKey + "\r\n"
	tests := []struct {
		name, request string
		status        int
		why           string
	}{
		{"no key", "GET /api/echo HTTP/1.1\r\nHost: " + own + "\r\n\r\n", 407, "the proxy key is missing or wrong"},
		{"wrong key", "GET /api/echo HTTP/1.1\r\nHost: " + own + "\r\nX-Keyport-Key: kp_WRONG\r\n\r\n", 407, "missing or wrong"},
		{"wrong key in Proxy-Authorization", "GET /api/echo HTTP/1.1\r\nHost: " + own + "\r\nProxy-Authorization: Bearer kp_WRONG\r\n\r\n", 407, "missing or wrong"},
		{"key under another scheme", "GET /api/echo HTTP/1.1\r\nHost: " + own + "\r\nProxy-Authorization: Basic " + testKey + "\r\n\r\n", 407, "missing or wrong"},
		{"foreign Host (DNS rebinding)", "GET /api/echo HTTP/1.1\r\nHost: evil.example:" + portOf(own) + "\r\n" + key + "\r\n", 400, `Host "evil.example:`},
		{"Host of the API", "GET /api/echo HTTP/1.1\r\nHost: " + api + "\r\n" + key + "\r\n", 400, "is not this proxy's address"},
		{"no Host", "GET /api/echo HTTP/1.0\r\n" + key + "\r\n", 400, `Host ""`},
		{"absolute URI to the API", "GET " + f.api.URL + "/v1/echo HTTP/1.1\r\nHost: " + own + "\r\n" + key + "\r\n", 400, "not an absolute URI"},
		{"absolute URI to the proxy itself", "GET http://" + own + "/api/echo HTTP/1.1\r\nHost: " + own + "\r\n" + key + "\r\n", 400, "not an absolute URI"},
		{"CONNECT", "CONNECT " + api + " HTTP/1.1\r\nHost: " + api + "\r\n" + key + "\r\n", 405, "CONNECT is refused"},
		{"CONNECT to the proxy's host", "CONNECT " + own + " HTTP/1.1\r\nHost: " + own + "\r\n" + key + "\r\n", 405, "CONNECT is refused"},
		{"asterisk", "OPTIONS * HTTP/1.1\r\nHost: " + own + "\r\n" + key + "\r\n", 400, "not an absolute URI"},
		{"no account", "GET / HTTP/1.1\r\nHost: " + own + "\r\n" + key + "\r\n", 404, "name an account"},
		{"unknown account", "GET /nobody/echo HTTP/1.1\r\nHost: " + own + "\r\n" + key + "\r\n", 404, `unknown account "nobody"`},
		{"dot-dot", "GET /api/../x HTTP/1.1\r\nHost: " + own + "\r\n" + key + "\r\n", 400, ". or .. segment"},
		{"escaped dot-dot", "GET /api/%2e%2e/x HTTP/1.1\r\nHost: " + own + "\r\n" + key + "\r\n", 400, ". or .. segment"},
		{"trailing dot", "GET /api/items/. HTTP/1.1\r\nHost: " + own + "\r\n" + key + "\r\n", 400, ". or .. segment"},
		{"provider without api_base", "GET /noapi/echo HTTP/1.1\r\nHost: " + own + "\r\n" + key + "\r\n", 404, "names no api_base for noapi/1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := f.raw(tt.request)
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tt.status || !strings.HasPrefix(string(body), "keyport: ") || !strings.Contains(string(body), tt.why) {
				t.Errorf("%d %q; want %d and %q", resp.StatusCode, body, tt.status, tt.why)
			}
			if tt.status == 407 && resp.Header.Get("Proxy-Authenticate") != `Bearer realm="keyport"` {
				t.Errorf("Proxy-Authenticate %q", resp.Header.Get("Proxy-Authenticate"))
			}
		})
	}
	if n := len(f.api.requests()); n != 0 {
		t.Errorf("%d refused requests reached the API: %+v", n, f.api.requests())
	}
	if _, calls := f.eng.counts(); calls != 0 {
		t.Errorf("refused requests asked the engine for a token %d times", calls)
	}
}

// The same request with the key (either header) and an accepted Host goes
// through: the refusals above are about what they change, nothing else.
func TestAccepted(t *testing.T) {
	f := newFixture(t)
	own := f.srv.Addr()
	for _, request := range []string{
		"GET /api/echo HTTP/1.1\r\nHost: " + own + "\r\nX-Keyport-Key: " + testKey + "\r\n\r\n",
		"GET /api/echo HTTP/1.1\r\nHost: " + own + "\r\nProxy-Authorization: Bearer " + testKey + "\r\n\r\n",
		"GET /api/echo HTTP/1.1\r\nHost: " + own + "\r\nProxy-Authorization: bearer " + testKey + "\r\n\r\n",
		"GET /api/echo HTTP/1.1\r\nHost: LOCALHOST:" + portOf(own) + "\r\nX-Keyport-Key: " + testKey + "\r\n\r\n",
	} {
		if resp := f.raw(request); resp.StatusCode != 200 {
			body, _ := io.ReadAll(resp.Body)
			t.Errorf("%q: %d %s", request, resp.StatusCode, body)
		}
	}
	if n := len(f.api.requests()); n != 4 {
		t.Errorf("the API saw %d requests, want 4", n)
	}
}

func portOf(addr string) string { return addr[strings.LastIndexByte(addr, ':')+1:] }

// The caller's credentials, cookies and the proxy key stay behind; the
// account's credential, the path after the account (escapes kept) and the
// query go to the account's api_base.
func TestForwarding(t *testing.T) {
	f := newFixture(t)
	tests := []struct {
		path, wantPath, wantRaw, wantQuery, header, value string
	}{
		{"/api/items/a%2Fb?q=1&r=two+words", "/v1/items/a/b", "/v1/items/a%2Fb", "q=1&r=two+words", "Authorization", "Bearer tok-1"},
		{"/api/1/me", "/v1/me", "", "", "Authorization", "Bearer tok-1"}, // PROVIDER/ID
		{"/api%2F1/me", "/v1/me", "", "", "Authorization", "Bearer tok-1"},
		{"/ap%69/%31/me/a%2Fb", "/v1/me/a/b", "/v1/me/a%2Fb", "", "Authorization", "Bearer tok-1"}, // PROVIDER/ID escaped
		{"/ada@example.test/me", "/v1/me", "", "", "Authorization", "Bearer tok-1"},
		{"/api", "/v1", "", "", "Authorization", "Bearer tok-1"},
		{"/api/", "/v1/", "", "", "Authorization", "Bearer tok-1"},
		{"/keyed/k/things?x=1", "/v1/things", "", "x=1", "X-Key", "Key key-123"},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			before := len(f.api.requests())
			code, body := f.get(tt.path, "Authorization", "Bearer the-callers-own", "Cookie", "session=1",
				"Proxy-Authorization", "Bearer "+testKey, "X-Forwarded-For", "203.0.113.9", "Forwarded", "for=203.0.113.9", "X-Other", "kept")
			if code != 200 {
				t.Fatalf("%d %s", code, body)
			}
			reqs := f.api.requests()
			if len(reqs) != before+1 {
				t.Fatalf("the API saw %d requests, want 1", len(reqs)-before)
			}
			got := reqs[len(reqs)-1]
			if got.Path != tt.wantPath || got.RawPath != tt.wantRaw || got.Query != tt.wantQuery || got.Host != strings.TrimPrefix(f.api.URL, "http://") {
				t.Errorf("the API saw %s %q (raw %q) ?%s Host %s", got.Method, got.Path, got.RawPath, got.Query, got.Host)
			}
			if v := got.Header.Values(tt.header); len(v) != 1 || v[0] != tt.value {
				t.Errorf("%s = %q, want %q", tt.header, v, tt.value)
			}
			for _, h := range []string{"Cookie", "Proxy-Authorization", "X-Keyport-Key", "X-Forwarded-For", "Forwarded"} {
				if v := got.Header.Get(h); v != "" {
					t.Errorf("%s reached the provider: %q", h, v)
				}
			}
			if tt.header != "Authorization" && got.Header.Get("Authorization") != "" {
				t.Errorf("the caller's Authorization reached the provider: %q", got.Header.Get("Authorization"))
			}
			if got.Header.Get("X-Other") != "kept" {
				t.Error("an ordinary header was dropped")
			}
		})
	}
}

// On the Unix socket no key is needed and Host is localhost; the socket
// is 0600 and gone after Shutdown.
func TestSocket(t *testing.T) {
	f := newFixture(t)
	fi, err := os.Stat(f.srv.Socket())
	if err != nil || fi.Mode().Type() != os.ModeSocket || fi.Mode().Perm() != 0o600 {
		t.Fatalf("socket %v, %v; want a socket with mode 0600", fi.Mode(), err)
	}
	if entries, _ := os.ReadDir(filepath.Dir(f.srv.Socket())); len(entries) != 1 {
		t.Errorf("beside the socket: %v, want nothing (no temporary directory left)", entries)
	}
	req, _ := http.NewRequest(http.MethodGet, "http://localhost/api/echo", nil)
	if code, body := f.do(f.socket, req); code != 200 || body != "ok Bearer tok-1" {
		t.Errorf("on the socket without a key: %d %q", code, body)
	}
	req, _ = http.NewRequest(http.MethodGet, "http://evil.example/api/echo", nil)
	if code, body := f.do(f.socket, req); code != 400 || !strings.Contains(body, "not this proxy's address (localhost)") {
		t.Errorf("on the socket with a foreign Host: %d %q", code, body)
	}
	if n := len(f.api.requests()); n != 1 {
		t.Errorf("the API saw %d requests, want 1", n)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := f.srv.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Lstat(f.srv.Socket()); !os.IsNotExist(err) {
		t.Errorf("socket still there after Shutdown: %v", err)
	}
}

// A socket a proxy left behind is replaced; one that answers, or a file
// that is not a socket, is not.
func TestSocketInUse(t *testing.T) {
	f := newFixture(t)
	p := New(f.eng, testKey, nil, nil)
	if _, err := p.Start(Config{Socket: f.srv.Socket()}); err == nil || !strings.Contains(err.Error(), "another Keyport proxy listens on") {
		t.Errorf("a second proxy on a live socket: %v", err)
	}
	plain := filepath.Join(t.TempDir(), "file")
	os.WriteFile(plain, nil, 0o600)
	if _, err := p.Start(Config{Socket: plain}); err == nil || !strings.Contains(err.Error(), "is not a socket") {
		t.Errorf("a socket path that is a file: %v", err)
	}
	if _, err := p.Start(Config{Listen: "0.0.0.0:0"}); err == nil || !strings.Contains(err.Error(), "is not on this computer") {
		t.Errorf("listening on every interface: %v", err)
	}
	if _, err := New(f.eng, "", nil, nil).Start(Config{Listen: "127.0.0.1:0"}); err == nil {
		t.Error("a TCP proxy without a key started")
	}
}

// One log line per request: method, account, path without query, status,
// duration; never a token, the key or the query.
func TestLogLines(t *testing.T) {
	f := newFixture(t)
	f.srv.log.every = time.Hour // written when the test flushes
	f.get("/api/items?secret=q-value", "Authorization", "Bearer caller-token")
	// The answer leaves before the handler returns and queues the line.
	f.waitQueued(1)
	f.raw("GET /api/items HTTP/1.1\r\nHost: " + f.srv.Addr() + "\r\n\r\n") // no key
	f.waitQueued(2)
	f.srv.log.flush()
	lines := f.log.lines()
	if len(lines) != 2 {
		t.Fatalf("%d log lines for 2 requests:\n%s", len(lines), strings.Join(lines, "\n"))
	}
	want := []*regexp.Regexp{
		regexp.MustCompile(`^time=\S+ level=INFO msg=proxy method=GET account=api/1 path=/api/items status=200 duration=\S+$`),
		regexp.MustCompile(`^time=\S+ level=INFO msg=proxy method=GET account="" path=/api/items status=407 duration=\S+$`),
	}
	for i, line := range lines {
		if !want[i].MatchString(line) {
			t.Errorf("line %d: %s", i, line)
		}
		for _, secret := range []string{"tok-1", testKey, "q-value", "caller-token"} {
			if strings.Contains(line, secret) {
				t.Errorf("line %d holds %q: %s", i, secret, line)
			}
		}
	}
}

// A credential is asked of the engine once, then kept until the engine
// says it is due.
func TestCredentialKeptUntilDue(t *testing.T) {
	f := newFixture(t)
	for range 3 {
		if code, body := f.get("/api/echo"); code != 200 || body != "ok Bearer tok-1" {
			t.Fatalf("%d %q", code, body)
		}
	}
	if _, calls := f.eng.counts(); calls != 1 {
		t.Errorf("3 requests asked for the token %d times, want 1", calls)
	}
	f.eng.mu.Lock()
	f.eng.due = true
	f.eng.mu.Unlock()
	if code, body := f.get("/api/echo"); code != 200 || body != "ok Bearer tok-2" {
		t.Errorf("once due: %d %q, want the refreshed tok-2", code, body)
	}
	if refreshes, calls := f.eng.counts(); calls != 2 || refreshes != 1 {
		t.Errorf("once due: %d token calls and %d refreshes, want 2 and 1", calls, refreshes)
	}
}

// tracker counts what a Tracker is told.
type tracker struct {
	mu            sync.Mutex
	entered, left int
	inFlightAtAPI []int
}

func (tr *tracker) Enter() { tr.mu.Lock(); tr.entered++; tr.mu.Unlock() }
func (tr *tracker) Leave() { tr.mu.Lock(); tr.left++; tr.mu.Unlock() }
func (tr *tracker) counts() (int, int) {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	return tr.entered, tr.left
}

// TestRequestsTracked: Config.Requests hears of every request, refused
// ones too, on TCP and the socket, entered before the provider is asked
// and left once it is answered.
func TestRequestsTracked(t *testing.T) {
	tr := &tracker{}
	f := newTrackedFixture(t, tr)
	f.api.on("/v1/seen", func(w http.ResponseWriter, r *http.Request) {
		in, out := tr.counts()
		tr.mu.Lock()
		tr.inFlightAtAPI = append(tr.inFlightAtAPI, in-out)
		tr.mu.Unlock()
		io.WriteString(w, "ok")
	})
	if code, body := f.get("/api/1/seen"); code != 200 {
		t.Fatalf("through TCP: %d %s", code, body)
	}
	if resp := f.raw("GET /api/1/seen HTTP/1.1\r\nHost: " + f.srv.Addr() + "\r\n\r\n"); resp.StatusCode != http.StatusProxyAuthRequired {
		t.Fatalf("without the key: %d", resp.StatusCode)
	}
	req, _ := http.NewRequest(http.MethodGet, "http://localhost/api/1/seen", nil)
	if code, body := f.do(f.socket, req); code != 200 {
		t.Fatalf("through the socket: %d %s", code, body)
	}
	for end := time.Now().Add(10 * time.Second); ; time.Sleep(2 * time.Millisecond) {
		in, out := tr.counts()
		if in == 3 && out == 3 {
			break
		}
		if time.Now().After(end) {
			t.Fatalf("after 3 requests the tracker was entered %d and left %d times, want 3 and 3", in, out)
		}
	}
	tr.mu.Lock()
	defer tr.mu.Unlock()
	if fmt.Sprint(tr.inFlightAtAPI) != "[1 1]" {
		t.Errorf("requests in flight while the API answered: %v, want [1 1]", tr.inFlightAtAPI)
	}
}

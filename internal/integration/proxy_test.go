package integration

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/keyport/keyport/auth"
	"github.com/keyport/keyport/internal/authserver"
	"github.com/keyport/keyport/internal/proxy"
)

// 60 s of requests through `keyport proxy` to the server's userinfo, with
// 20 s tokens: several refreshes and expiries pass, and not one request
// fails, over TCP with the key or on the socket without it.
func TestProxySixtySeconds(t *testing.T) {
	v := newEnv(t, authserver.Options{AccessTTL: 20 * time.Second})
	api := newAPIRecorder(t, v.srv.Issuer)
	v.withAPIBase(api.URL)
	v.connect(v.engine(), "demo")
	p := v.startProxy()
	tcp := &http.Client{Timeout: 30 * time.Second}
	socket := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, "unix", p.socket)
	}}}

	end := time.Now().Add(60 * time.Second)
	var sent, failed atomic.Int64
	var mu sync.Mutex
	var failures []string
	var wg sync.WaitGroup
	for worker := range 3 {
		wg.Go(func() {
			for time.Now().Before(end) {
				var code int
				var body string
				var err error
				if worker == 2 {
					var resp *http.Response
					if resp, err = socket.Get("http://localhost/local/me"); err == nil {
						b, _ := io.ReadAll(resp.Body)
						resp.Body.Close()
						code, body = resp.StatusCode, string(b)
					}
				} else {
					code, body, err = p.get(tcp, "/local/me")
				}
				sent.Add(1)
				if err != nil || code != 200 || !strings.Contains(body, `"sub":"demo"`) {
					failed.Add(1)
					mu.Lock()
					failures = append(failures, time.Now().Format("15:04:05.000")+" "+body+errString(err))
					mu.Unlock()
				}
				time.Sleep(100 * time.Millisecond)
			}
		})
	}
	wg.Wait()
	paths, tokens := api.seen()
	t.Logf("%d requests, %d failed; the API saw %d requests with %d different tokens", sent.Load(), failed.Load(), len(paths), tokens)
	if failed.Load() != 0 {
		t.Errorf("%d of %d requests failed:\n%s\nproxy log:\n%s", failed.Load(), sent.Load(), strings.Join(failures, "\n"), p.stderr.String())
	}
	if sent.Load() < 300 {
		t.Errorf("only %d requests in 60 s", sent.Load())
	}
	if tokens < 4 { // a 20 s token is refreshed 10 s before it expires
		t.Errorf("the API saw %d tokens in 60 s of 20 s tokens, want at least 4", tokens)
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return " " + err.Error()
}

// countingTransport counts the engine's refresh requests to the token
// endpoint.
type countingTransport struct {
	tokenURL  string
	refreshes atomic.Int64
}

func (c *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Method == http.MethodPost && r.URL.String() == c.tokenURL {
		c.refreshes.Add(1)
	}
	return http.DefaultTransport.RoundTrip(r)
}

// A token revoked at the server gets a 401 from its API; the proxy
// refreshes once and sends the request once more, and the caller gets the
// answer.
func TestProxyRevokedTokenOneRefresh(t *testing.T) {
	v := newEnv(t, authserver.Options{AccessTTL: 20 * time.Second})
	api := newAPIRecorder(t, v.srv.Issuer)
	v.withAPIBase(api.URL)
	counter := &countingTransport{tokenURL: v.srv.Metadata.TokenEndpoint}
	e, err := auth.New(auth.Params{ConfigDir: v.dir, Service: v.service, HTTPClient: &http.Client{Transport: counter, Timeout: 30 * time.Second}})
	if err != nil {
		t.Fatal(err)
	}
	a := v.connect(e, "demo")
	ctx := context.Background()
	key, err := e.ProxyKey(ctx)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := proxy.New(e, key, nil, nil).Start(proxy.Config{Listen: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Shutdown(ctx) })
	p := &runningProxy{url: srv.URL(), key: key}
	c := &http.Client{Timeout: 30 * time.Second}

	// A fresh token: the next 10 s hold no refresh that is due.
	if err := e.Refresh(ctx, a.Key()); err != nil {
		t.Fatal(err)
	}
	if code, body, err := p.get(c, "/local/me"); err != nil || code != 200 {
		t.Fatalf("before revoking: %d %s %v", code, body, err)
	}
	s, err := e.Token(ctx, a.Key())
	if err != nil {
		t.Fatal(err)
	}
	revoke(t, v.srv, s.AccessToken)
	before := counter.refreshes.Load()
	pathsBefore, _ := api.seen()

	code, body, err := p.get(c, "/local/me")
	if err != nil || code != 200 || !strings.Contains(body, `"sub":"demo"`) {
		t.Fatalf("after revoking: %d %s %v", code, body, err)
	}
	if n := counter.refreshes.Load() - before; n != 1 {
		t.Errorf("%d refreshes after the 401, want 1", n)
	}
	if paths, _ := api.seen(); len(paths)-len(pathsBefore) != 2 {
		t.Errorf("the API saw %v after revoking, want the rejected request and one retry", paths[len(pathsBefore):])
	}
}

// revoke revokes an access token at the server (RFC 7009).
func revoke(t *testing.T, srv *authserver.Server, token string) {
	t.Helper()
	resp, err := http.PostForm(srv.Metadata.RevocationEndpoint, url.Values{"token": {token}, "token_type_hint": {"access_token"}, "client_id": {srv.ClientID}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("revoke: HTTP %d", resp.StatusCode)
	}
	if code := userinfo(t, srv, token); code != http.StatusUnauthorized {
		t.Fatalf("userinfo with the revoked token: HTTP %d, want 401", code)
	}
}

// What the proxy refuses reaches no server: the recorder in front of the
// API sees none of it, though each request names the recorder or the
// proxy's own address. The same request with the key, the proxy's Host and
// a connected account does reach it.
func TestProxyRefusesReachNoServer(t *testing.T) {
	v := newEnv(t, authserver.Options{AccessTTL: 20 * time.Second})
	api := newAPIRecorder(t, v.srv.Issuer)
	v.withAPIBase(api.URL)
	v.connect(v.engine(), "demo")
	p := v.startProxy()
	own := strings.TrimPrefix(p.url, "http://")
	target := strings.TrimPrefix(api.URL, "http://")
	key := "X-Keyport-Key: " + p.key + "\r\n"
	tests := []struct {
		name, request string
		status        int
	}{
		{"no key", "GET /local/me HTTP/1.1\r\nHost: " + own + "\r\n\r\n", 407},
		{"wrong key", "GET /local/me HTTP/1.1\r\nHost: " + own + "\r\nX-Keyport-Key: kp_NOTTHEKEY\r\n\r\n", 407},
		{"foreign Host", "GET /local/me HTTP/1.1\r\nHost: rebound.example:" + own[strings.LastIndexByte(own, ':')+1:] + "\r\n" + key + "\r\n", 400},
		{"the API's Host", "GET /local/me HTTP/1.1\r\nHost: " + target + "\r\n" + key + "\r\n", 400},
		{"absolute URI", "GET " + api.URL + "/me HTTP/1.1\r\nHost: " + own + "\r\n" + key + "\r\n", 400},
		{"CONNECT", "CONNECT " + target + " HTTP/1.1\r\nHost: " + target + "\r\n" + key + "\r\n", 405},
		{"unknown account", "GET /nobody/me HTTP/1.1\r\nHost: " + own + "\r\n" + key + "\r\n", 404},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if code := rawStatus(t, own, tt.request); code != tt.status {
				t.Errorf("HTTP %d, want %d", code, tt.status)
			}
		})
	}
	if paths, _ := api.seen(); len(paths) != 0 {
		t.Fatalf("refused requests reached the API: %v", paths)
	}
	if code := rawStatus(t, own, "GET /local/me HTTP/1.1\r\nHost: "+own+"\r\n"+key+"\r\n"); code != 200 {
		t.Fatalf("the accepted request: HTTP %d", code)
	}
	if paths, _ := api.seen(); len(paths) != 1 || paths[0] != "GET /me" {
		t.Errorf("the API saw %v, want the one accepted request", paths)
	}
}

// rawStatus sends request as written to addr and returns the status.
func rawStatus(t *testing.T, addr, request string) int {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(20 * time.Second))
	if _, err := io.WriteString(c, request); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

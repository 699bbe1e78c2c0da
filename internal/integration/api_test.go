package integration

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
)

// apiRecorder stands in front of the authorization server as the test
// provider's api_base: it records every request that reaches it and passes
// it on, so the server's userinfo endpoint plays the provider's API.
type apiRecorder struct {
	*httptest.Server
	mu     sync.Mutex
	paths  []string
	tokens map[string]int // Authorization values seen, and how often
}

func newAPIRecorder(t *testing.T, issuer string) *apiRecorder {
	t.Helper()
	target, err := url.Parse(issuer)
	if err != nil {
		t.Fatal(err)
	}
	r := &apiRecorder{tokens: map[string]int{}}
	forward := &httputil.ReverseProxy{Rewrite: func(pr *httputil.ProxyRequest) { pr.SetURL(target) }}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		r.mu.Lock()
		r.paths = append(r.paths, req.Method+" "+req.URL.Path)
		r.tokens[req.Header.Get("Authorization")]++
		r.mu.Unlock()
		forward.ServeHTTP(w, req)
	}))
	t.Cleanup(r.Close)
	return r
}

// seen returns the requests that reached the recorder and the distinct
// Authorization values they carried.
func (r *apiRecorder) seen() (paths []string, tokens int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.paths...), len(r.tokens)
}

// withAPIBase rewrites the installation's providers file so that the
// "local" provider's API is at base.
func (v *env) withAPIBase(base string) {
	v.t.Helper()
	file := fmt.Sprintf(`{"providers":[{"id":"local","name":"Local demo","issuer":%q,"client_id":%q,"api_base":%q}]}`, v.srv.Issuer, v.srv.ClientID, base)
	if err := os.WriteFile(filepath.Join(v.dir, "providers.json"), []byte(file), 0o600); err != nil {
		v.t.Fatal(err)
	}
}

// runningProxy is `keyport proxy` running on this installation.
type runningProxy struct {
	url, socket, key string
	stderr           *lockedBuffer
}

// startProxy runs `keyport proxy` on a free port and a socket of its own,
// and stops it (SIGTERM) when the test ends.
func (v *env) startProxy() *runningProxy {
	v.t.Helper()
	key, stderr, err := v.run("proxy", "--print-key")
	if err != nil {
		v.t.Fatalf("keyport proxy --print-key: %v: %s", err, stderr)
	}
	p := &runningProxy{key: strings.TrimSpace(key), stderr: &lockedBuffer{}}
	sock := filepath.Join(v.t.TempDir(), "proxy.sock")
	c := v.cmd(context.Background(), "proxy", "--listen", "127.0.0.1:0", "--socket", sock)
	out, err := c.StdoutPipe()
	if err != nil {
		v.t.Fatal(err)
	}
	c.Stderr = p.stderr
	if err := c.Start(); err != nil {
		v.t.Fatal(err)
	}
	v.t.Cleanup(func() {
		c.Process.Signal(syscall.SIGTERM)
		if err := c.Wait(); err != nil {
			v.t.Errorf("keyport proxy after SIGTERM: %v\n%s", err, p.stderr.String())
		}
	})
	lines := bufio.NewScanner(out)
	for _, want := range []string{"http://", "unix:"} {
		if !lines.Scan() || !strings.HasPrefix(lines.Text(), want) {
			v.t.Fatalf("keyport proxy printed %q, want a line starting %s; stderr: %s", lines.Text(), want, p.stderr.String())
		}
		if want == "http://" {
			p.url = lines.Text()
		} else {
			p.socket = strings.TrimPrefix(lines.Text(), "unix:")
		}
	}
	go io.Copy(io.Discard, out)
	return p
}

// get asks the proxy for path with the key and returns the status and body.
func (p *runningProxy) get(c *http.Client, path string) (int, string, error) {
	req, err := http.NewRequest(http.MethodGet, p.url+path, nil)
	if err != nil {
		return 0, "", err
	}
	req.Header.Set("X-Keyport-Key", p.key)
	resp, err := c.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), err
}

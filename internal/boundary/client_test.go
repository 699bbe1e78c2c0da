package boundary

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
)

// recorder is a second host that must never be reached.
func recorder(t *testing.T) (*httptest.Server, *atomic.Int32) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		io.WriteString(w, `{"access_token":"stolen"}`)
	}))
	t.Cleanup(srv.Close)
	return srv, &hits
}

func TestClientRedirectPolicies(t *testing.T) {
	other, hits := recorder(t)
	mux := http.NewServeMux()
	mux.HandleFunc("/cross", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other.URL+"/token?code=abc", http.StatusTemporaryRedirect)
	})
	mux.HandleFunc("/same", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/final", http.StatusFound) })
	mux.HandleFunc("/loop", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/loop", http.StatusFound) })
	mux.HandleFunc("/final", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") })
	srv := httptest.NewServer(mux)
	defer srv.Close()

	tests := []struct {
		policy Redirects
		path   string
		want   string // body, or a word of the error
		refuse bool
	}{
		{NoRedirects, "/cross", "never follows a redirect with a secret", true},
		{NoRedirects, "/same", "never follows a redirect with a secret", true},
		{NoRedirects, "/final", "ok", false},
		{SameOrigin, "/cross", "another origin", true},
		{SameOrigin, "/same", "ok", false},
		{SameOrigin, "/loop", "redirected more than 5 times", false},
	}
	for _, tt := range tests {
		c := Client(&http.Client{}, tt.policy)
		resp, err := c.Post(srv.URL+tt.path, "application/x-www-form-urlencoded", strings.NewReader("code=abc&code_verifier=v"))
		if err == nil {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if string(b) != tt.want {
				t.Errorf("policy %d %s: body %q, want %q", tt.policy, tt.path, b, tt.want)
			}
			continue
		}
		if !strings.Contains(err.Error(), tt.want) {
			t.Errorf("policy %d %s: error %q does not say %q", tt.policy, tt.path, err, tt.want)
		}
		re, ok := AsRedirect(err)
		if ok != tt.refuse {
			t.Errorf("policy %d %s: RedirectError %v, want %v", tt.policy, tt.path, ok, tt.refuse)
		}
		if ok && (re.Status != http.StatusTemporaryRedirect && re.Status != http.StatusFound || strings.Contains(re.To, "code=")) {
			t.Errorf("policy %d %s: %+v", tt.policy, tt.path, re)
		}
	}
	if n := hits.Load(); n != 0 {
		t.Errorf("the other host got %d requests", n)
	}
}

func TestClientNeverHTTPSToHTTP(t *testing.T) {
	plain, hits := recorder(t)
	tlsSrv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, plain.URL+"/me", http.StatusFound)
	}))
	defer tlsSrv.Close()
	c := Client(tlsSrv.Client(), SameOrigin)
	_, err := c.Get(tlsSrv.URL + "/me")
	if _, ok := AsRedirect(err); !ok {
		t.Fatalf("https to http: err = %v, want a RedirectError", err)
	}
	if hits.Load() != 0 {
		t.Error("the plain-http host was reached")
	}
}

func TestClientKeepsBase(t *testing.T) {
	base := &http.Client{Timeout: 7}
	c := Client(base, NoRedirects)
	if c == base || c.Timeout != 7 || base.CheckRedirect != nil {
		t.Error("Client changed its base or lost its settings")
	}
}

func TestLimitBodies(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/chunked" {
			w.(http.Flusher).Flush() // no Content-Length
		}
		io.WriteString(w, strings.Repeat("k", 100))
	}))
	defer srv.Close()
	c := LimitBodies(&http.Client{}, 50)
	for _, path := range []string{"/sized", "/chunked"} {
		resp, err := c.Get(srv.URL + path)
		if err == nil {
			_, err = io.ReadAll(resp.Body)
			resp.Body.Close()
		}
		if !errors.Is(err, ErrTooLarge) {
			t.Errorf("%s: err = %v, want ErrTooLarge", path, err)
		}
	}
	c = LimitBodies(&http.Client{}, 100)
	resp, err := c.Get(srv.URL + "/chunked")
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || len(b) != 100 {
		t.Errorf("a body of exactly the limit: %d bytes, %v", len(b), err)
	}
}

func TestReadAll(t *testing.T) {
	if b, err := ReadAll(strings.NewReader("12345"), 5); err != nil || string(b) != "12345" {
		t.Errorf("at the limit: %q %v", b, err)
	}
	if _, err := ReadAll(strings.NewReader("123456"), 5); !errors.Is(err, ErrTooLarge) {
		t.Errorf("over the limit: %v", err)
	}
}

// RefuseRedirects answers a redirect with a RedirectError naming where it
// pointed, sends nothing there, and passes every other answer on.
func TestRefuseRedirects(t *testing.T) {
	other, elsewhere := recorder(t)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/moved":
			http.Redirect(w, r, other.URL+"/took", http.StatusTemporaryRedirect)
		case "/no-location":
			w.WriteHeader(http.StatusFound)
		case "/not-modified":
			w.Header().Set("Location", other.URL)
			w.WriteHeader(http.StatusNotModified)
		default:
			io.WriteString(w, "ok")
		}
	}))
	defer srv.Close()
	rt := RefuseRedirects(http.DefaultTransport)
	for path, want := range map[string]int{"/ok": 200, "/no-location": 302, "/not-modified": 304, "/moved": 0} {
		req, _ := http.NewRequest(http.MethodGet, srv.URL+path, nil)
		resp, err := rt.RoundTrip(req)
		if want == 0 {
			re, ok := AsRedirect(err)
			if !ok || re.Status != 307 || !strings.Contains(re.To, other.URL+"/took") || re.Policy != NoRedirects {
				t.Errorf("%s: %v, want a RedirectError to %s/took", path, err, other.URL)
			}
			continue
		}
		if err != nil || resp.StatusCode != want {
			t.Errorf("%s: %v %v, want HTTP %d passed on", path, resp, err, want)
			continue
		}
		resp.Body.Close()
	}
	if n := elsewhere.Load(); n != 0 {
		t.Errorf("%d requests reached the redirect's target", n)
	}
}

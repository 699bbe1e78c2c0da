package proxy

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// rejectOld answers 401 to the first token and 200 to any other, with the
// body's length and its SHA-less fingerprint (first and last byte).
func rejectOld(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	if r.Header.Get("Authorization") == "Bearer tok-1" {
		http.Error(w, "token revoked", http.StatusUnauthorized)
		return
	}
	fmt.Fprintf(w, "ok %s %d", r.Header.Get("Authorization"), len(body))
}

// A 401 to the token makes the proxy refresh it once and send the request
// again, body and all, when the body is empty or at most 1 MiB; a longer
// one, or one of unknown length, gets the 401 (the token is refreshed all
// the same, for the next request).
func TestRetryAfter401(t *testing.T) {
	tests := []struct {
		name     string
		body     func() io.Reader // nil: no body
		length   int64            // -1: chunked
		status   int
		wantBody string
		requests int // reaching the API
	}{
		{"GET", nil, 0, 200, "ok Bearer tok-2 0", 2},
		{"1 MiB", func() io.Reader { return bytes.NewReader(bytes.Repeat([]byte("a"), maxReplay)) }, maxReplay, 200, fmt.Sprintf("ok Bearer tok-2 %d", maxReplay), 2},
		{"1 MiB + 1", func() io.Reader { return bytes.NewReader(bytes.Repeat([]byte("a"), maxReplay+1)) }, maxReplay + 1, 401, "token revoked\n", 1},
		{"chunked", func() io.Reader { return io.MultiReader(strings.NewReader("ab")) }, -1, 401, "token revoked\n", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			f.api.on("/v1/items", rejectOld)
			method, body := http.MethodGet, io.Reader(nil)
			if tt.body != nil {
				method, body = http.MethodPost, tt.body()
			}
			req, _ := http.NewRequest(method, f.srv.URL()+"/api/items", body)
			req.ContentLength = tt.length
			req.Header.Set(KeyHeader, testKey)
			code, got := f.do(f.tcp, req)
			if code != tt.status || got != tt.wantBody {
				t.Errorf("%d %q; want %d %q", code, got, tt.status, tt.wantBody)
			}
			if refreshes, _ := f.eng.counts(); refreshes != 1 {
				t.Errorf("%d refreshes, want 1", refreshes)
			}
			reqs := f.api.requests()
			if len(reqs) != tt.requests {
				t.Fatalf("the API saw %d requests, want %d", len(reqs), tt.requests)
			}
			if code, got := f.get("/api/items"); code != 200 || got != "ok Bearer tok-2 0" {
				t.Errorf("the next request: %d %q, want it sent with the refreshed token", code, got)
			}
		})
	}
}

// A provider that keeps answering 401 gets one refresh and one retry,
// not a loop; a key cannot be refreshed, so its 401 passes on at once.
func TestRetryOnlyOnce(t *testing.T) {
	f := newFixture(t)
	f.api.on("/v1/never", func(w http.ResponseWriter, r *http.Request) { http.Error(w, "no", http.StatusUnauthorized) })
	for range 2 {
		if code, _ := f.get("/api/never"); code != 401 {
			t.Errorf("status %d, want the provider's 401", code)
		}
	}
	if refreshes, _ := f.eng.counts(); refreshes != 1 {
		t.Errorf("%d refreshes for a provider that always says 401, want 1", refreshes)
	}
	if n := len(f.api.requests()); n != 3 { // the first, its retry, the second with the new token
		t.Errorf("the API saw %d requests, want 3", n)
	}
	if code, _ := f.get("/keyed/never"); code != 401 {
		t.Errorf("API key: status %d, want 401", code)
	}
	if refreshes, _ := f.eng.counts(); refreshes != 1 {
		t.Errorf("an API key's 401 made a refresh")
	}
}

// A refresh that fails after a 401 passes the 401 on, and is logged.
func TestRetryRefreshFails(t *testing.T) {
	f := newFixture(t)
	f.eng.refreshErr = errors.New("reconnect needed: the grant was revoked")
	f.api.on("/v1/items", rejectOld)
	if code, body := f.get("/api/items"); code != 401 || body != "token revoked\n" {
		t.Errorf("%d %q, want the provider's 401", code, body)
	}
	if n := len(f.api.requests()); n != 1 {
		t.Errorf("the API saw %d requests, want 1", n)
	}
	if log := strings.Join(f.log.lines(), "\n"); !strings.Contains(log, "refresh after the provider's 401 failed") || !strings.Contains(log, "grant was revoked") {
		t.Errorf("log:\n%s", log)
	}
}

// Requests that get 401 at the same time share one refresh.
func TestConcurrent401sOneRefresh(t *testing.T) {
	f := newFixture(t)
	const n = 8
	var arrived sync.WaitGroup
	arrived.Add(n)
	f.api.on("/v1/items", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") == "Bearer tok-1" {
			arrived.Done()
			arrived.Wait() // all eight hold the old token before any is answered
		}
		rejectOld(w, r)
	})
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			if code, body := f.get("/api/items"); code != 200 || body != "ok Bearer tok-2 0" {
				t.Errorf("%d %q", code, body)
			}
		})
	}
	wg.Wait()
	if refreshes, _ := f.eng.counts(); refreshes != 1 {
		t.Errorf("%d refreshes for %d concurrent 401s, want 1", refreshes, n)
	}
}

// A redirect from the provider is not followed: the token would go with
// it. The proxy says where it pointed, and nothing reaches there.
func TestRedirectNotFollowed(t *testing.T) {
	f := newFixture(t)
	var elsewhere int
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { elsewhere++ }))
	defer other.Close()
	for _, status := range []int{http.StatusFound, http.StatusTemporaryRedirect, http.StatusPermanentRedirect} {
		f.api.on("/v1/moved", func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, other.URL+"/steal?code=1", status)
		})
		code, body := f.get("/api/moved")
		if code != 502 || !strings.Contains(body, "with a redirect to "+other.URL+"/steal") || !strings.Contains(body, "never follows a redirect with a secret") {
			t.Errorf("HTTP %d: %d %q", status, code, body)
		}
	}
	if elsewhere != 0 {
		t.Errorf("%d requests followed the redirect", elsewhere)
	}
}

// A provider that cannot be reached gets a 502 saying so, without the
// query.
func TestUpstreamUnreachable(t *testing.T) {
	f := newFixture(t)
	f.api.Close()
	code, body := f.get("/api/items?secret=1")
	if code != 502 || !strings.Contains(body, "the provider could not be asked: "+f.api.URL+"/v1/items: ") || strings.Contains(body, "secret") {
		t.Errorf("%d %q", code, body)
	}
}

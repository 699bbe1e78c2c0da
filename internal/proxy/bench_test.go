package proxy

import (
	"bytes"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strconv"
	"testing"
)

// canned answers every request with the same small JSON page, without a
// network, so that the benchmark holds only the proxy's own work.
type canned struct{ body []byte }

func (c canned) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Body != nil {
		r.Body.Close()
	}
	return &http.Response{StatusCode: 200, Header: http.Header{"Content-Type": {"application/json"}, "Content-Length": {strconv.Itoa(len(c.body))}},
		Body: io.NopCloser(bytes.NewReader(c.body)), ContentLength: int64(len(c.body)), Request: r, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1}, nil
}

// BenchmarkHandler serves one request through Keyport's proxy handler
// (the key, Host and path checks, the account's credential, the rewrite,
// the log line) and through a bare httputil.ReverseProxy that adds a
// fixed header, both with the same pooled buffers and an upstream that
// answers at once: the CPU and garbage the proxy adds to a request.
// bench/proxy_test.go measures the whole binary over the network.
func BenchmarkHandler(b *testing.B) {
	body := []byte(`{"data":[{"id":"1","type":"item"},{"id":"2","type":"item"}],"meta":{"page":1}}`)
	tr := canned{body}
	p := New(newFakeEngine("http://127.0.0.1:7"), testKey, slog.New(slog.NewTextHandler(io.Discard, nil)), tr)
	h := &handler{p: p, hosts: []string{"127.0.0.1:9"}, needKey: true}
	target, _ := url.Parse("http://127.0.0.1:7/v1")
	bare := &httputil.ReverseProxy{Rewrite: func(pr *httputil.ProxyRequest) { pr.SetURL(target); pr.Out.Header.Set("Authorization", "Bearer tok-1") }, Transport: tr, BufferPool: buffers{}}
	for _, c := range []struct {
		name string
		h    http.Handler
		path string
	}{{"keyport", h, "/api/items?page=1"}, {"bare", bare, "/items?page=1"}} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				req := httptest.NewRequest("GET", "http://127.0.0.1:9"+c.path, nil)
				req.RequestURI = c.path
				req.Header.Set(KeyHeader, testKey)
				req.Header.Set("User-Agent", "Go-http-client/1.1")
				w := httptest.NewRecorder()
				c.h.ServeHTTP(w, req)
				if w.Code != 200 {
					b.Fatal(w.Code, w.Body.String())
				}
			}
		})
	}
}

package auth

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzCallback sends the loopback server requests with any Host header and
// any query ("STATE" in the query stands for the flow's real state, so the
// error paths after the state check run too). The server must answer 400
// to any Host but its own without ending the flow, and its page must never
// carry a control or bidi character from the request.
func FuzzCallback(f *testing.F) {
	f.Add("127.0.0.1:PORT", "code=c&state=STATE")
	f.Add("evil.example:PORT", "code=c&state=STATE")
	f.Add("127.0.0.1:PORT", "state=STATE&error=access_denied")
	f.Add("127.0.0.1:PORT", "state=STATE&error=x%1B%5B2J&error_description=%1B%5D0%3Bpwned%07%E2%80%AE")
	f.Add("127.0.0.1:PORT", "state=STATE&iss=%1B%5B31mhttps%3A%2F%2Fevil&code=c")
	f.Add("127.0.0.1:PORT", "state=wrong&code=c")
	f.Add("", "")
	f.Add("LOCALHOST:PORT", "state=STATE")
	sp := newStubProvider(f)
	e, _ := newTestEngine(f, sp.providersFile(""), func(p *Params) { p.OpenURL = nil })
	f.Fuzz(func(t *testing.T, host, query string) {
		flow, err := e.Connect(context.Background(), "test")
		if err != nil {
			t.Fatal(err)
		}
		defer func() { flow.Cancel(); flow.Wait() }()
		port := flow.host[strings.LastIndexByte(flow.host, ':')+1:]
		host = strings.ReplaceAll(host, "PORT", port)
		query = strings.ReplaceAll(query, "STATE", flow.state)
		req := httptest.NewRequest(http.MethodGet, "http://"+flow.host+flow.path, nil)
		req.URL.RawQuery = query
		req.Host = host
		w := httptest.NewRecorder()
		flow.srv.Handler.ServeHTTP(w, req)
		body := w.Body.String()
		if !strings.EqualFold(host, flow.host) {
			if w.Code != http.StatusBadRequest {
				t.Fatalf("Host %q: HTTP %d", host, w.Code)
			}
			select {
			case <-flow.Done():
				t.Fatalf("Host %q ended the flow", host)
			default:
			}
		}
		if !utf8.ValidString(body) {
			t.Fatalf("page is not UTF-8: %q", body)
		}
		for _, r := range body {
			if r != '\n' && r != '\t' && unsafeForPage(r) {
				t.Fatalf("page carries %U: %q", r, body)
			}
		}
	})
}

func unsafeForPage(r rune) bool {
	return r < 0x20 || r == 0x7f || (r >= 0x80 && r <= 0x9f) || (r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069)
}

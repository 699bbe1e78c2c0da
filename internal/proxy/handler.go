package proxy

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/keyport/keyport/auth"
	"github.com/keyport/keyport/internal/boundary"
)

// handler serves one listener: over TCP it wants the key, and Host must be
// one of hosts.
type handler struct {
	p       *Proxy
	hosts   []string
	needKey bool
	track   Tracker // or nil
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if h.track != nil {
		h.track.Enter()
		defer h.track.Leave()
	}
	start := time.Now()
	rec := &recorder{ResponseWriter: w}
	var account string
	defer func() { h.p.logRequest(r, account, rec.status(), start) }()
	if code, msg := h.refuse(r); code != 0 {
		if code == http.StatusProxyAuthRequired {
			rec.Header().Set("Proxy-Authenticate", `Bearer realm="keyport"`)
		}
		fail(rec, code, msg)
		return
	}
	rt, code, err := h.p.route(r)
	if err != nil {
		fail(rec, code, err.Error())
		return
	}
	account = rt.key
	h.p.rp.ServeHTTP(rec, r.WithContext(context.WithValue(r.Context(), routeKey{}, rt)))
}

// logRequest queues the request's line: method, account, path without
// the query, status, duration.
func (p *Proxy) logRequest(r *http.Request, account string, status int, start time.Time) {
	if !p.log.Enabled(r.Context(), slog.LevelInfo) {
		return
	}
	now := time.Now()
	p.reqlog.add(logEntry{at: now, method: r.Method, path: r.URL.Path, account: account, status: status, took: now.Sub(start)})
}

// refuse checks what makes a request one for this proxy at all, before
// anything about an account is looked at, and returns the status and
// message of a refusal, or 0.
func (h *handler) refuse(r *http.Request) (int, string) {
	switch {
	case r.Method == http.MethodConnect:
		return http.StatusMethodNotAllowed, "CONNECT is refused: Keyport's proxy is not an open proxy; request /ACCOUNT/path on it"
	case !strings.HasPrefix(r.RequestURI, "/"):
		return http.StatusBadRequest, "only a path (/ACCOUNT/path) is accepted, not an absolute URI: Keyport's proxy is not an open proxy"
	case !h.ownHost(r.Host):
		return http.StatusBadRequest, fmt.Sprintf("Host %q is not this proxy's address (%s): Keyport answers only requests to its own address", boundary.Text(r.Host, 100), h.hosts[0])
	case h.needKey && !h.p.hasKey(r):
		return http.StatusProxyAuthRequired, "the proxy key is missing or wrong: send it as Proxy-Authorization: Bearer KEY or " + KeyHeader + ": KEY ('keyport proxy --print-key' prints it), or use the Unix socket"
	}
	return 0, ""
}

func (h *handler) ownHost(host string) bool {
	for _, own := range h.hosts {
		if strings.EqualFold(host, own) {
			return true
		}
	}
	return false
}

// hasKey reports whether r carries the proxy key, compared in constant
// time.
func (p *Proxy) hasKey(r *http.Request) bool {
	given := r.Header.Get(KeyHeader)
	if scheme, v, ok := strings.Cut(r.Header.Get("Proxy-Authorization"), " "); ok && strings.EqualFold(scheme, "Bearer") {
		given = strings.TrimSpace(v)
	}
	return len(p.key) > 0 && subtle.ConstantTimeCompare([]byte(given), p.key) == 1
}

// route finds the account the path names and its current credential. The
// status goes with the error.
func (p *Proxy) route(r *http.Request) (*route, int, error) {
	key, rawRest, err := p.account(r.URL.EscapedPath())
	if err != nil {
		return nil, http.StatusNotFound, err
	}
	rest, err := url.PathUnescape(rawRest)
	if err != nil {
		return nil, http.StatusBadRequest, fmt.Errorf("the path is not valid: %w", err)
	}
	if dotSegment(rest) {
		return nil, http.StatusBadRequest, errors.New("the path has a . or .. segment, which the proxy does not pass on: write the path it stands for")
	}
	cred, err := p.creds.get(r.Context(), key)
	if err != nil {
		var ne noAPIError
		if errors.As(err, &ne) {
			return nil, http.StatusNotFound, err
		}
		return nil, http.StatusBadGateway, err
	}
	rt := &route{key: key, cred: cred, path: rest}
	if rawRest != (&url.URL{Path: rest}).EscapedPath() {
		rt.rawPath = rawRest // keep the caller's escaping (%2F in a segment)
	}
	return rt, 0, nil
}

// account resolves the path's account and returns its key and the rest of
// the escaped path ("" or starting with /). The first two segments name
// the account when they are its PROVIDER/ID (or, escaped as one,
// PROVIDER%2FID); otherwise the first does, as `keyport token` takes it: a
// provider id with one account, an email, a name. An account not found is
// looked for again after reading what other processes connected.
func (p *Proxy) account(escaped string) (string, string, error) {
	trimmed := strings.TrimPrefix(escaped, "/")
	first, after, _ := strings.Cut(trimmed, "/")
	if first == "" {
		return "", "", errors.New("name an account: request /ACCOUNT/path, ACCOUNT as 'keyport accounts' shows it or a provider id")
	}
	one, err := url.PathUnescape(first)
	if err != nil {
		return "", "", fmt.Errorf("the account in the path is not valid: %w", err)
	}
	second, _, _ := strings.Cut(after, "/")
	find := func() (string, string, error) {
		if second != "" {
			if two, err := url.PathUnescape(second); err == nil {
				n := len(first) + 1 + len(second)
				key := trimmed[:n] // PROVIDER/ID as written, when nothing in it was escaped
				if one != first || two != second {
					key = one + "/" + two
				}
				if _, ok := p.eng.Account(key); ok {
					return key, trimmed[n:], nil
				}
			}
		}
		a, err := p.eng.FindAccount(one)
		if err != nil {
			return "", "", err
		}
		return a.Key(), trimmed[len(first):], nil
	}
	key, rest, err := find()
	if errors.Is(err, auth.ErrUnknownAccount) && p.eng.Reload() == nil {
		key, rest, err = find()
	}
	return key, rest, err
}

// dotSegment reports whether path has a . or .. segment.
func dotSegment(path string) bool {
	for path != "" {
		var seg string
		seg, path, _ = strings.Cut(path, "/")
		if seg == "." || seg == ".." {
			return true
		}
	}
	return false
}

// fail answers with the proxy's own error: plain text starting "keyport:".
func fail(w http.ResponseWriter, code int, msg string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	io.WriteString(w, "keyport: "+msg+"\n")
}

// recorder notes the status written, for the log line, and passes each
// write on to the caller at once (see New). Unwrap lets
// http.ResponseController reach Flush and Hijack underneath.
type recorder struct {
	http.ResponseWriter
	code int
}

func (r *recorder) WriteHeader(code int) {
	if r.code == 0 && code >= 200 {
		r.code = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(b []byte) (int, error) {
	if r.code == 0 {
		r.code = http.StatusOK
	}
	n, err := r.ResponseWriter.Write(b)
	if f, ok := r.ResponseWriter.(http.Flusher); ok && err == nil {
		f.Flush() // the body's part leaves now; a small response still goes out in one write
	}
	return n, err
}

func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// status is the status written, or 0 when the caller left before any.
func (r *recorder) status() int { return r.code }

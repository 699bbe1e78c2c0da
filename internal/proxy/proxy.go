// Package proxy is Keyport's local API proxy: a request to
// http://127.0.0.1:PORT/ACCOUNT/rest/of/path?query goes to the account's
// provider API (the catalogue's api_base, with the account's params) plus
// /rest/of/path?query, with the account's current token in the header the
// catalogue names. Programs on this computer call an API without ever
// holding its token.
//
// It is not an open proxy, and only the person's own programs reach it:
// requests must be in origin form (no absolute URI, no CONNECT), go only to
// the account's api_base origin, name the proxy's own loopback address in
// Host (against DNS rebinding), and, over TCP, carry the proxy key
// (Proxy-Authorization: Bearer KEY or X-Keyport-Key: KEY). The Unix socket,
// which only its owner can open, needs no key. The caller's Authorization,
// Cookie, Proxy-Authorization and X-Keyport-Key never reach the provider.
// SECURITY.md lists each rule and its test.
//
// Tokens are kept in memory between requests and asked of the engine again
// when due; a 401 from the provider makes the proxy refresh once and retry
// a request whose body it can replay. Bodies stream both ways. The package
// imports no Fyne: the command line (`keyport proxy`) and the window share
// it. Its types are safe for concurrent use.
package proxy

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/keyport/keyport/auth"
	"github.com/keyport/keyport/internal/boundary"
)

// Engine is what the proxy needs of *auth.Engine; tests pass a fake. Its
// methods must be safe for concurrent use.
type Engine interface {
	// Account returns the account with key (PROVIDER/ID), reading only
	// memory.
	Account(key string) (auth.Account, bool)
	// FindAccount resolves an account as `keyport token` does: a key
	// (PROVIDER/ID), a provider id with one account, an email or a name.
	FindAccount(query string) (auth.Account, error)
	// Reload picks up accounts another process connected.
	Reload() error
	// AccountAPI says where the account's API is and how its credential
	// is sent.
	AccountAPI(key string) (auth.AccountAPI, error)
	// Token returns a valid credential, refreshing it first when due.
	Token(ctx context.Context, key string) (auth.Secret, error)
	// Due reports whether a credential Token returned is due for
	// refreshing; it reads only memory.
	Due(key string, s auth.Secret) bool
	// Refresh refreshes the account's token now.
	Refresh(ctx context.Context, key string) error
}

// KeyHeader is the request header that may carry the proxy key, for
// clients that cannot set Proxy-Authorization.
const KeyHeader = "X-Keyport-Key"

// stripped are the caller's headers that never reach a provider: its own
// credentials and cookies, and the proxy key.
var stripped = []string{"Authorization", "Cookie", "Proxy-Authorization", KeyHeader}

// Proxy forwards requests to providers' APIs with accounts' tokens. Serve
// it with Start; build it with New.
type Proxy struct {
	key   []byte
	log   *slog.Logger
	eng   Engine
	creds *credentials
	rp    *httputil.ReverseProxy
}

// New returns a proxy on e. key is what requests over TCP must carry
// (auth.Engine.ProxyKey); log receives one line per request (nil: none).
// transport carries the requests to providers (nil: a clone of
// http.DefaultTransport); it is wrapped in the engine's rule for requests
// with a secret, boundary.NoRedirects.
func New(e Engine, key string, log *slog.Logger, transport http.RoundTripper) *Proxy {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if transport == nil {
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.MaxIdleConnsPerHost = 16 // a script's parallel calls to one API
		transport = t
	}
	p := &Proxy{key: []byte(key), log: log, eng: e, creds: newCredentials(e)}
	up := &upstream{client: boundary.Client(&http.Client{Transport: transport}, boundary.NoRedirects), creds: p.creds, log: log}
	p.rp = &httputil.ReverseProxy{
		Rewrite:       rewrite,
		Transport:     up,
		FlushInterval: flushEvery,
		BufferPool:    buffers{},
		ErrorHandler:  p.upstreamFailed,
		ErrorLog:      slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	return p
}

// flushEvery bounds how long a response with a declared length waits in
// the proxy's buffers before it is passed on, when the provider sends it
// slowly. Responses that stream (server-sent events, or of unknown length,
// as large downloads often are) ReverseProxy passes on at every write
// whatever this is. A FlushInterval of -1 would do that for every response
// too, at the cost of a goroutine and a write of its own for the headers of
// each one (the proxy's largest cost per request, bench/FINDINGS.md).
const flushEvery = 100 * time.Millisecond

// buffers lends ReverseProxy its 32 KiB copy buffers, which it would
// otherwise allocate for every response: most of the garbage a request
// makes.
type buffers struct{}

var bufferPool = sync.Pool{New: func() any { b := make([]byte, 32<<10); return &b }}

func (buffers) Get() []byte  { return *bufferPool.Get().(*[]byte) }
func (buffers) Put(b []byte) { bufferPool.Put(&b) }

// route is what the checks found for one request, for rewrite and the
// upstream transport.
type route struct {
	key           string // the account
	cred          *credential
	path, rawPath string // the rest of the path, after the account
}

type routeKey struct{}

func routeOf(ctx context.Context) *route { r, _ := ctx.Value(routeKey{}).(*route); return r }

// rewrite points the outbound request at the account's API with its
// credential, and without the caller's credentials.
func rewrite(pr *httputil.ProxyRequest) {
	rt := routeOf(pr.In.Context())
	pr.Out.URL.Path, pr.Out.URL.RawPath = rt.path, rt.rawPath
	pr.SetURL(rt.cred.base) // the api_base origin and path; the query stays
	if rt.path == "" {      // /ACCOUNT: the api_base itself, without a / SetURL would add
		pr.Out.URL.Path, pr.Out.URL.RawPath = rt.cred.base.Path, rt.cred.base.RawPath
	}
	pr.Out.RequestURI = "" // a client request, as http.Client wants it
	for _, h := range stripped {
		pr.Out.Header.Del(h)
	}
	pr.Out.Header.Set(rt.cred.api.Header, rt.cred.value)
}

// handler serves one listener: over TCP it wants the key, and Host must be
// one of hosts.
type handler struct {
	p       *Proxy
	hosts   []string
	needKey bool
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
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

// logRequest writes the request's line: method, account, path without
// the query, status, duration. The record is made by hand, without the
// caller's program counter that Logger.Info would look up each time.
func (p *Proxy) logRequest(r *http.Request, account string, status int, start time.Time) {
	if !p.log.Enabled(r.Context(), slog.LevelInfo) {
		return
	}
	rec := slog.NewRecord(time.Now(), slog.LevelInfo, "proxy", 0)
	rec.AddAttrs(slog.String("method", boundary.Text(r.Method, 20)), slog.String("account", account),
		slog.String("path", boundary.Text(r.URL.Path, 200)), slog.Int("status", status),
		slog.Duration("duration", time.Since(start).Round(time.Microsecond)))
	_ = p.log.Handler().Handle(r.Context(), rec)
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
	for _, seg := range strings.Split(rest, "/") {
		if seg == "." || seg == ".." {
			return nil, http.StatusBadRequest, errors.New("the path has a . or .. segment, which the proxy does not pass on: write the path it stands for")
		}
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
	segs := strings.SplitN(trimmed, "/", 3)
	if segs[0] == "" {
		return "", "", errors.New("name an account: request /ACCOUNT/path, ACCOUNT as 'keyport accounts' shows it or a provider id")
	}
	one, err := url.PathUnescape(segs[0])
	if err != nil {
		return "", "", fmt.Errorf("the account in the path is not valid: %w", err)
	}
	find := func() (string, string, error) {
		if len(segs) > 1 && segs[1] != "" {
			if two, err := url.PathUnescape(segs[1]); err == nil {
				if a, ok := p.eng.Account(one + "/" + two); ok {
					return a.Key(), restAfter(trimmed, 2), nil
				}
			}
		}
		a, err := p.eng.FindAccount(one)
		if err != nil {
			return "", "", err
		}
		return a.Key(), restAfter(trimmed, 1), nil
	}
	key, rest, err := find()
	if errors.Is(err, auth.ErrUnknownAccount) && p.eng.Reload() == nil {
		key, rest, err = find()
	}
	return key, rest, err
}

// restAfter returns path (without its leading /) after its first n
// segments: "" when nothing follows them, else "/" and the rest.
func restAfter(path string, n int) string {
	for range n {
		i := strings.IndexByte(path, '/')
		if i < 0 {
			return ""
		}
		path = path[i+1:]
	}
	return "/" + path
}

// upstreamFailed answers a request the provider could not be asked:
// unreachable, a redirect refused, the caller gone.
func (p *Proxy) upstreamFailed(w http.ResponseWriter, r *http.Request, err error) {
	var ue *url.Error
	if errors.As(err, &ue) {
		if re, ok := boundary.AsRedirect(ue.Err); ok {
			fail(w, http.StatusBadGateway, re.Error())
			return
		}
		err = fmt.Errorf("%s: %w", boundary.Where(r.URL), ue.Err)
	}
	fail(w, http.StatusBadGateway, "the provider could not be asked: "+err.Error())
}

// fail answers with the proxy's own error: plain text starting "keyport:".
func fail(w http.ResponseWriter, code int, msg string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	io.WriteString(w, "keyport: "+msg+"\n")
}

// recorder notes the status written, for the log line. Unwrap lets
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
	return r.ResponseWriter.Write(b)
}

func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// status is the status written, or 0 when the caller left before any.
func (r *recorder) status() int { return r.code }

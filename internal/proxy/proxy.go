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
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httputil"
	"net/url"
	"sync"

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
	key    []byte
	log    *slog.Logger
	reqlog *requestLog
	eng    Engine
	creds  *credentials
	rp     *httputil.ReverseProxy
}

// New returns a proxy on e. key is what requests over TCP must carry
// (auth.Engine.ProxyKey); log receives one line per request (nil: none).
// transport carries the requests to providers (nil: a clone of
// http.DefaultTransport); it is wrapped in the engine's rule for requests
// with a secret, boundary.RefuseRedirects.
func New(e Engine, key string, log *slog.Logger, transport http.RoundTripper) *Proxy {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if transport == nil {
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.MaxIdleConnsPerHost = 16 // a script's parallel calls to one API
		transport = t
	}
	p := &Proxy{key: []byte(key), log: log, reqlog: newRequestLog(log), eng: e, creds: newCredentials(e)}
	up := &upstream{send: boundary.RefuseRedirects(transport), creds: p.creds, log: log}
	// No FlushInterval: the writer ServeHTTP gives the ReverseProxy (a
	// recorder) passes each write of the body on at once, so that a
	// response the provider sends slowly, of declared length or not,
	// reaches the caller as it comes. A FlushInterval would do that with a
	// timer per response, and -1 with a goroutine per response as well.
	p.rp = &httputil.ReverseProxy{
		Rewrite:      rewrite,
		Transport:    up,
		BufferPool:   buffers{},
		ErrorHandler: p.upstreamFailed,
		ErrorLog:     slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	return p
}

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

// upstreamFailed answers a request the provider could not be asked:
// unreachable, a redirect refused, the caller gone.
func (p *Proxy) upstreamFailed(w http.ResponseWriter, r *http.Request, err error) {
	if re, ok := boundary.AsRedirect(err); ok {
		fail(w, http.StatusBadGateway, re.Error())
		return
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err // its URL holds the query
	}
	fail(w, http.StatusBadGateway, fmt.Sprintf("the provider could not be asked: %s: %v", boundary.Where(r.URL), err))
}

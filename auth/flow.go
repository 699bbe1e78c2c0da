package auth

import (
	"cmp"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
)

// Flow is one sign-in in progress: a loopback redirect server (RFC 8252
// section 7.3) waiting for the provider to send the browser back with an
// authorization code. Its methods are safe for concurrent use.
type Flow struct {
	e        *Engine
	p        Provider
	cfg      oauth2.Config
	ids      *idTokens // the issuer's ID token checker; nil without OpenID Connect
	verifier string    // PKCE code_verifier (RFC 7636); empty when the provider does not take PKCE
	state    string
	nonce    string
	authURL  string
	path     string
	host     string            // the redirect URI's host and port: the only Host the server answers
	params   map[string]string // the provider's param values this sign-in uses

	ctx      context.Context
	cancel   context.CancelCauseFunc
	srv      *http.Server
	claimed  atomic.Bool   // a callback with the right state has arrived
	answered chan struct{} // closed once the claiming callback's outcome is passed on
	warmed   chan struct{} // closed once the page is parsed and the ID token keys fetched (or the flow ended)
	result   chan outcome  // the claiming callback's outcome (capacity 1)
	done     chan struct{} // closed once the server is shut down
	acct     Account       // valid after done
	err      error         // valid after done
	openErr  error         // the browser could not be opened
}

type outcome struct {
	acct Account
	err  error
}

// ConnectOption changes how Connect signs in.
type ConnectOption func(*connectOptions)

type connectOptions struct {
	noBrowser bool
}

// NoBrowser makes Connect open no browser: the caller shows Flow.URL for
// the person to open wherever they like.
func NoBrowser() ConnectOption { return func(o *connectOptions) { o.noBrowser = true } }

// Connect starts signing in to a provider: it binds the loopback redirect
// server, then opens the browser at the authorization URL with PKCE S256
// and a fresh state (unless NoBrowser). It returns at once; Wait blocks
// until the flow ends. Cancelling ctx ends the flow with ErrCancelled;
// after the Engine's flow timeout it ends with ErrTimeout. A second Connect
// for a provider whose flow is still running fails with ErrFlowRunning.
func (e *Engine) Connect(ctx context.Context, providerID string, opts ...ConnectOption) (*Flow, error) {
	var o connectOptions
	for _, opt := range opts {
		opt(&o)
	}
	p, err := e.provider(providerID)
	if err != nil {
		return nil, err
	}
	if !p.SupportsOAuth() {
		return nil, fmt.Errorf("%s connects with an API key, not a browser sign-in: paste the key instead", p.Name)
	}
	client := e.Client(p.ID)
	filled, values, err := e.setupProvider(p)
	if err != nil {
		return nil, err
	}
	if !e.Configured(p.ID) && (p.Mode == ModeOAuth2 || client.ClientID == "") {
		return nil, fmt.Errorf("%w: %s needs %s first; register a client at %s", ErrNotConfigured, p.Name, setupNeeds(p, client), cmp.Or(p.RegisterURL, "the provider's developer page"))
	}
	if !e.signins.start(p.ID) {
		return nil, fmt.Errorf("connect %s: %w", p.Name, ErrFlowRunning)
	}
	f, err := e.startFlow(ctx, filled, values, client, o)
	if err != nil {
		e.signins.end(p.ID)
		return nil, err
	}
	return f, nil
}

// signins is the set of providers with a sign-in in progress: one at a time
// per provider. It is safe for concurrent use.
type signins struct {
	mu      sync.Mutex // guards running
	running map[string]bool
}

// start claims the provider's sign-in, or reports false when one runs.
func (s *signins) start(providerID string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.running[providerID] {
		return false
	}
	if s.running == nil {
		s.running = map[string]bool{}
	}
	s.running[providerID] = true
	return true
}

// end releases the provider's sign-in.
func (s *signins) end(providerID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.running, providerID)
}

func setupNeeds(p Provider, c ClientSettings) string {
	var need []string
	if c.ClientID == "" {
		need = append(need, "a client id")
	}
	if p.NeedsSecret && !c.HasSecret {
		need = append(need, "a client secret")
	}
	if p.NeedsFixedPort && c.RedirectPort == 0 {
		need = append(need, "a fixed redirect port")
	}
	if _, err := p.ParamValues(c.Params); err != nil {
		for _, pr := range p.Params {
			if strings.TrimSpace(c.Params[pr.Name]) == "" && pr.Default == "" {
				need = append(need, "its "+strings.ToLower(pr.Label))
			}
		}
	}
	return strings.Join(need, " and ")
}

func (e *Engine) startFlow(parent context.Context, p Provider, params map[string]string, client ClientSettings, o connectOptions) (*Flow, error) {
	p, ids, err := e.resolve(parent, p)
	if err != nil {
		return nil, err
	}
	secret, err := e.clientSecret(parent, p.ID)
	if err != nil {
		return nil, err
	}
	ln, host, err := listenLoopback(p, client.RedirectPort)
	if err != nil {
		return nil, err
	}
	f := &Flow{e: e, p: p, ids: ids, params: params, path: callbackPath(p.ID), state: rand.Text(),
		result: make(chan outcome, 1), answered: make(chan struct{}), warmed: make(chan struct{}), done: make(chan struct{})}
	port := ln.Addr().(*net.TCPAddr).Port
	f.host = net.JoinHostPort(host, strconv.Itoa(port))
	f.cfg = oauth2Config(p, client.ClientID, secret)
	f.cfg.RedirectURL = "http://" + f.host + f.path
	f.authURL = f.cfg.AuthCodeURL(f.state, f.authOptions()...)

	ctx, cancelTimeout := context.WithTimeoutCause(parent, e.timeout, ErrTimeout)
	f.ctx, f.cancel = context.WithCancelCause(ctx)
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+f.path, f.serveCallback)
	f.srv = &http.Server{Handler: f.onlyOwnHost(mux), ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 20 * time.Second,
		IdleTimeout: 5 * time.Second, MaxHeaderBytes: 16 << 10}
	f.srv.SetKeepAlivesEnabled(false) // one answer per connection: nothing idles on the port
	served := make(chan struct{})
	go func() {
		defer close(served)
		_ = f.srv.Serve(ln) // returns http.ErrServerClosed after Shutdown
	}()
	go func() {
		defer cancelTimeout()
		var o outcome
		select {
		case o = <-f.result:
		case <-f.ctx.Done():
			o = outcome{err: f.ctxErr()}
		}
		f.finish(o)
		<-served
		e.signins.end(p.ID)
		close(f.done)
	}()
	// While the person signs in: parse the page the callback answers with
	// and, when an ID token will come, fetch its keys.
	go func() {
		defer close(f.warmed)
		callbackPage()
		if f.nonce != "" {
			f.ids.warm(f.ctx)
		}
	}()
	if e.openURL != nil && !o.noBrowser {
		u, _ := url.Parse(f.authURL)
		if err := e.openURL(u); err != nil {
			f.openErr = fmt.Errorf("open the browser: %w; open the sign-in link yourself", err)
			e.log.Warn("open the browser", "provider", p.ID, "err", err)
		}
	}
	return f, nil
}

// authOptions are the authorization request's extra parameters: PKCE S256,
// the OIDC nonce, the scope in the provider's separator and the catalogue's
// extra parameters.
func (f *Flow) authOptions() []oauth2.AuthCodeOption {
	var opts []oauth2.AuthCodeOption
	if f.p.UsesPKCE() {
		f.verifier = oauth2.GenerateVerifier()
		opts = append(opts, oauth2.S256ChallengeOption(f.verifier))
	}
	if f.ids != nil && containsScope(f.p.Scopes, "openid") {
		f.nonce = rand.Text()
		opts = append(opts, oidc.Nonce(f.nonce))
	}
	if f.p.Separator() != " " && len(f.p.Scopes) > 0 {
		opts = append(opts, oauth2.SetAuthURLParam("scope", strings.Join(f.p.Scopes, f.p.Separator())))
	}
	for k, v := range f.p.AuthorizeParams {
		opts = append(opts, oauth2.SetAuthURLParam(k, v))
	}
	return opts
}

// oauth2Config builds the x/oauth2 configuration of a resolved provider.
func oauth2Config(p Provider, clientID, secret string) oauth2.Config {
	style := oauth2.AuthStyleAutoDetect
	switch {
	case p.AuthStyle == "basic":
		style = oauth2.AuthStyleInHeader
	case p.AuthStyle == "body" || secret == "":
		style = oauth2.AuthStyleInParams
	}
	cfg := oauth2.Config{ClientID: clientID, ClientSecret: secret,
		Endpoint: oauth2.Endpoint{AuthURL: p.AuthorizeURL, TokenURL: p.TokenURL, AuthStyle: style}}
	if p.Separator() == " " {
		cfg.Scopes = p.Scopes
	}
	return cfg
}

// listenLoopback binds the redirect server before the browser opens: on
// 127.0.0.1, falling back to [::1] when IPv4 loopback is unavailable; on
// the fixed port the provider registered, or any free port.
func listenLoopback(p Provider, port int) (net.Listener, string, error) {
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	ln, err := net.Listen("tcp", addr)
	if err == nil {
		return ln, "127.0.0.1", nil
	}
	if errors.Is(err, syscall.EADDRINUSE) {
		return nil, "", fmt.Errorf("connect %s: port %d on 127.0.0.1 is already in use by another program; close it, or pick another redirect port in %s's Set up and register the new redirect URI with %s", p.Name, port, p.Name, p.Name)
	}
	if ln6, err6 := net.Listen("tcp", net.JoinHostPort("::1", strconv.Itoa(port))); err6 == nil {
		return ln6, "::1", nil
	}
	return nil, "", fmt.Errorf("connect %s: cannot listen on the loopback interface (%w)", p.Name, err)
}

// onlyOwnHost answers 400 to a request whose Host is not the redirect URI's
// 127.0.0.1:PORT (or [::1]:PORT): a web page that makes its own host name
// resolve to 127.0.0.1 (DNS rebinding) reaches the server under that name,
// and gets nothing. The flow keeps waiting.
func (f *Flow) onlyOwnHost(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.EqualFold(r.Host, f.host) {
			http.Error(w, "This is Keyport's sign-in server; it answers only at "+f.host+".", http.StatusBadRequest)
			return
		}
		next.ServeHTTP(w, r)
	})
}

func (f *Flow) ctxErr() error {
	if errors.Is(context.Cause(f.ctx), ErrTimeout) {
		return fmt.Errorf("connect %s: %w: nobody finished signing in within %s; press Connect to try again", f.p.Name, ErrTimeout, f.e.timeout)
	}
	return fmt.Errorf("connect %s: %w", f.p.Name, ErrCancelled)
}

// finish records the outcome and closes the server. The claiming callback's
// page has been sent by then: on success its outcome comes only after the
// page, and when the flow ends otherwise (timeout, cancel) while a callback
// is being handled, the cancelled context cuts that short and finish waits
// (at most 2 s) for the page to go out. Close then drops only connections
// with nothing left to say, such as a browser's speculative ones, which
// Shutdown would wait for (it polls, from 1 ms up).
func (f *Flow) finish(o outcome) {
	f.acct, f.err = o.acct, o.err
	f.cancel(ErrCancelled)
	if f.claimed.Load() {
		select {
		case <-f.answered:
		case <-time.After(2 * time.Second):
		}
	}
	f.srv.Close()
	<-f.warmed // returns at once: f.ctx is done
}

// pass hands the claiming callback's outcome to the flow; once only.
func (f *Flow) pass(o outcome) {
	f.result <- o
	close(f.answered)
}

// URL returns the authorization URL, to show and copy when no browser
// opens. It carries no secret: the PKCE challenge is a hash.
func (f *Flow) URL() string { return f.authURL }

// RedirectURI returns the loopback callback URL the provider sends the
// browser to.
func (f *Flow) RedirectURI() string { return f.cfg.RedirectURL }

// BrowserError reports why the browser could not be opened, or nil.
func (f *Flow) BrowserError() error { return f.openErr }

// Cancel ends the flow with ErrCancelled, unless it has already ended.
func (f *Flow) Cancel() { f.cancel(ErrCancelled) }

// Done is closed when the flow has ended and its server is shut down.
func (f *Flow) Done() <-chan struct{} { return f.done }

// Wait blocks until the flow ends and returns the connected account, or why
// it did not connect (ErrDenied, ErrTimeout, ErrCancelled, a *TokenError or
// a profile or keychain error). No goroutine or listener of the flow is
// left when Wait returns.
func (f *Flow) Wait() (Account, error) {
	<-f.done
	return f.acct, f.err
}

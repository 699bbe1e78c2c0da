package boundary

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
)

// Redirects is the redirect policy of a client made by Client.
type Redirects int

// The redirect policies.
const (
	// NoRedirects follows no redirect: for every request that carries a
	// code, a PKCE verifier, a refresh token, a client secret or an API key
	// in its body or headers (code exchange, refresh, revocation, API-key
	// check). Go drops only Authorization and Cookie on a redirect to
	// another host, and a 307 or 308 resends the whole body.
	NoRedirects Redirects = iota
	// SameOrigin follows up to five redirects that stay on the first
	// request's origin (scheme, host and port): for profile and userinfo
	// requests with the access token, discovery, signing keys and
	// pictures. https to http is never the same origin.
	SameOrigin
)

// maxSameOriginRedirects bounds the redirects SameOrigin follows.
const maxSameOriginRedirects = 5

// RedirectError reports a redirect that the client's policy refused. It
// names where the request was going and where the server tried to send it,
// without query or fragment.
type RedirectError struct {
	From, To string // Where of each URL
	Status   int    // the redirect's HTTP status, 0 if unknown
	Policy   Redirects
}

func (e *RedirectError) Error() string {
	status := ""
	if e.Status != 0 {
		status = fmt.Sprintf(" (HTTP %d)", e.Status)
	}
	if e.Policy == NoRedirects {
		return fmt.Sprintf("the server answered %s with a redirect to %s%s, and Keyport never follows a redirect with a secret in the request", e.From, e.To, status)
	}
	return fmt.Sprintf("the server answered %s with a redirect to %s%s, another origin, which Keyport does not follow", e.From, e.To, status)
}

// Client returns a copy of base (http.DefaultClient when nil) that follows
// redirects only as policy allows; a refused redirect makes Do return an
// error wrapping a *RedirectError, and the redirected request is never
// sent. base's transport, timeout and cookie jar are shared.
func Client(base *http.Client, policy Redirects) *http.Client {
	if base == nil {
		base = http.DefaultClient
	}
	c := *base
	c.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		first, last := via[0].URL, via[len(via)-1].URL
		status := 0
		if req.Response != nil {
			status = req.Response.StatusCode
		}
		refuse := &RedirectError{From: Where(last), To: Where(req.URL), Status: status, Policy: policy}
		if policy == NoRedirects || Origin(req.URL) != Origin(first) {
			return refuse
		}
		if len(via) > maxSameOriginRedirects {
			return fmt.Errorf("the server at %s redirected more than %d times", Where(first), maxSameOriginRedirects)
		}
		return nil
	}
	return &c
}

// RefuseRedirects returns a RoundTripper that sends requests with rt and
// answers a redirect (301, 302, 303, 307, 308 with a Location) with an
// error wrapping a *RedirectError instead of the response, for callers
// that use a transport directly (the API proxy) with the rule Client
// applies with NoRedirects: the request is never sent on.
func RefuseRedirects(rt http.RoundTripper) http.RoundTripper { return refuseRedirects{rt} }

type refuseRedirects struct{ rt http.RoundTripper }

func (r refuseRedirects) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := r.rt.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	switch resp.StatusCode {
	case http.StatusMovedPermanently, http.StatusFound, http.StatusSeeOther, http.StatusTemporaryRedirect, http.StatusPermanentRedirect:
		loc := resp.Header.Get("Location")
		if loc == "" {
			return resp, nil // not a redirect http.Client would follow either
		}
		resp.Body.Close()
		to := "an address it could not read"
		if u, err := req.URL.Parse(loc); err == nil {
			to = Where(u)
		}
		return nil, &url.Error{Op: req.Method, URL: Where(req.URL), Err: &RedirectError{From: Where(req.URL), To: to, Status: resp.StatusCode, Policy: NoRedirects}}
	}
	return resp, nil
}

// AsRedirect returns the *RedirectError in err's chain, if any.
func AsRedirect(err error) (*RedirectError, bool) {
	var re *RedirectError
	ok := errors.As(err, &re)
	return re, ok
}

// ErrTooLarge reports a response body over the limit LimitBodies set.
var ErrTooLarge = errors.New("the answer is larger than Keyport reads")

// LimitBodies returns a copy of base whose response bodies end with an error
// wrapping ErrTooLarge once they pass n bytes, for answers read by code that
// takes no limit of its own (go-oidc's key set).
func LimitBodies(base *http.Client, n int64) *http.Client {
	if base == nil {
		base = http.DefaultClient
	}
	c := *base
	rt := c.Transport
	if rt == nil {
		rt = http.DefaultTransport
	}
	c.Transport = limitTransport{rt: rt, n: n}
	return &c
}

type limitTransport struct {
	rt http.RoundTripper
	n  int64
}

func (t limitTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.rt.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	if resp.ContentLength > t.n {
		resp.Body.Close()
		return nil, fmt.Errorf("%s: %w (%d bytes, at most %d)", Where(req.URL), ErrTooLarge, resp.ContentLength, t.n)
	}
	resp.Body = &limitedBody{rc: resp.Body, left: t.n, where: Where(req.URL)}
	return resp, nil
}

// ReadAll reads r up to n bytes; a longer body is an error wrapping
// ErrTooLarge rather than a silently shortened answer.
func ReadAll(r io.Reader, n int64) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, n+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > n {
		return nil, fmt.Errorf("%w (over %d bytes)", ErrTooLarge, n)
	}
	return b, nil
}

type limitedBody struct {
	rc    io.ReadCloser
	left  int64
	where string
}

func (b *limitedBody) Read(p []byte) (int, error) {
	if b.left < 0 {
		return 0, fmt.Errorf("%s: %w", b.where, ErrTooLarge)
	}
	if int64(len(p)) > b.left+1 {
		p = p[:b.left+1]
	}
	n, err := b.rc.Read(p)
	b.left -= int64(n)
	if b.left < 0 {
		return n, fmt.Errorf("%s: %w", b.where, ErrTooLarge)
	}
	return n, err
}

func (b *limitedBody) Close() error { return b.rc.Close() }

package auth

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"time"

	"github.com/tidwall/gjson"

	"github.com/keyport/keyport/internal/boundary"
)

// maxMetadataBytes bounds a discovery document and a key set (JWKS).
const maxMetadataBytes = 1 << 20

// outbound holds the engine's HTTP clients, one per rule of
// internal/boundary, all on the transport and timeout of Params.HTTPClient.
// Every request to a provider goes through one of them, chosen by what the
// request carries.
type outbound struct {
	// secret follows no redirect: the code exchange, refresh, revocation
	// and API-key check carry a code, a PKCE verifier, a refresh token, a
	// client secret or a key.
	secret *http.Client
	// profile follows same-origin redirects only: the profile and userinfo
	// requests carry the access token in Authorization.
	profile *http.Client
	// public follows same-origin redirects and caps bodies at
	// maxMetadataBytes: discovery and the issuer's signing keys carry no
	// secret, but what they answer decides where secrets go.
	public *http.Client
}

func newOutbound(base *http.Client) outbound {
	base = withUserAgent(base)
	return outbound{
		secret:  boundary.Client(base, boundary.NoRedirects),
		profile: boundary.Client(base, boundary.SameOrigin),
		public:  boundary.LimitBodies(boundary.Client(base, boundary.SameOrigin), maxMetadataBytes),
	}
}

// userAgent names Keyport in every request to a provider: some ask for a
// descriptive one (Patreon, Reddit) and throttle or refuse generic ones.
const userAgent = "Keyport/1 (+https://github.com/keyport/keyport)"

// withUserAgent returns a copy of base that sends userAgent unless a
// request names its own. base's Timeout moves into the transport as a
// deadline on each request that ends when its body is read to the end or
// closed: the http.Client's own timeout, with a transport it does not
// know, keeps a goroutine per request until the body is closed, and
// golang.org/x/oauth2's device authorization request never closes it.
func withUserAgent(base *http.Client) *http.Client {
	c := *base
	rt := c.Transport
	if rt == nil {
		rt = http.DefaultTransport
	}
	c.Transport = agentTransport{rt: rt, timeout: c.Timeout}
	c.Timeout = 0
	return &c
}

type agentTransport struct {
	rt      http.RoundTripper
	timeout time.Duration
}

func (t agentTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx, cancel := req.Context(), context.CancelFunc(func() {})
	if t.timeout > 0 {
		ctx, cancel = context.WithTimeout(ctx, t.timeout)
	}
	req = req.Clone(ctx)
	if req.Header.Get("User-Agent") == "" {
		req.Header.Set("User-Agent", userAgent)
	}
	resp, err := t.rt.RoundTrip(req)
	if err != nil {
		cancel()
		return nil, err
	}
	resp.Body = &endBody{rc: resp.Body, end: cancel}
	return resp, nil
}

// endBody calls end once its body is read to the end or closed.
type endBody struct {
	rc  io.ReadCloser
	end context.CancelFunc
}

func (b *endBody) Read(p []byte) (int, error) {
	n, err := b.rc.Read(p)
	if err == io.EOF {
		b.end()
	}
	return n, err
}

func (b *endBody) Close() error {
	err := b.rc.Close()
	b.end()
	return err
}

// tokenClient returns the client for p's token endpoint: the secret client,
// and for an entry whose token responses nest their fields
// (Provider.TokenResponse) one whose responses from that endpoint have them
// moved to the top level, where golang.org/x/oauth2 reads them.
func (o outbound) tokenClient(p Provider) *http.Client {
	if len(p.TokenResponse) == 0 {
		return o.secret
	}
	c := *o.secret
	rt := c.Transport
	if rt == nil {
		rt = http.DefaultTransport
	}
	c.Transport = nestedToken{rt: rt, tokenURL: p.TokenURL, paths: p.TokenResponse}
	return &c
}

// nestedToken lifts a token response's nested fields to the top level.
type nestedToken struct {
	rt       http.RoundTripper
	tokenURL string
	paths    map[string]string // field → gjson path
}

func (n nestedToken) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := n.rt.RoundTrip(req)
	if err != nil || req.URL.String() != n.tokenURL || resp.StatusCode/100 != 2 {
		return resp, err
	}
	body, err := boundary.ReadAll(resp.Body, maxTokenResponseBytes)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	var doc map[string]any
	if json.Unmarshal(body, &doc) == nil {
		for field, path := range n.paths {
			if _, ok := doc[field]; ok {
				continue
			}
			if r := gjson.GetBytes(body, path); r.Exists() {
				doc[field] = r.Value()
			}
		}
		if lifted, err := json.Marshal(doc); err == nil {
			body = lifted
		}
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	resp.ContentLength = int64(len(body))
	resp.Header.Del("Content-Length")
	return resp, nil
}

// maxTokenResponseBytes bounds a token response read whole.
const maxTokenResponseBytes = 1 << 20

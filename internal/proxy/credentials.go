package proxy

import (
	"context"
	"fmt"
	"net/url"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"

	"github.com/keyport/keyport/auth"
	"github.com/keyport/keyport/internal/boundary"
)

// recheck is how long a credential that is due but was handed back
// unrefreshed (the provider did not answer; the old token is still valid)
// is used before the engine is asked again, so that a provider outage does
// not turn every request into a refresh attempt.
const recheck = 5 * time.Second

// askTimeout bounds one question to the engine (keychain and refresh): it
// runs detached from the request that asked, which others may share.
const askTimeout = 2 * time.Minute

// credential is what requests for one account need: where its API is and
// the header value with its token, as of when the engine was asked.
type credential struct {
	api    auth.AccountAPI
	base   *url.URL
	secret auth.Secret // for Due; it never leaves this package
	value  string      // api.Value(secret)
	asked  time.Time
	// late says the engine handed the credential back already due: it
	// could not refresh it (see recheck).
	late bool
	// after401 says the credential came from a refresh the provider's 401
	// asked for; a 401 to it too is passed on without another refresh.
	after401 bool
}

// noAPIError reports an account whose provider names no api_base.
type noAPIError struct{ key string }

func (e noAPIError) Error() string {
	return fmt.Sprintf("the catalogue names no api_base for %s, so the proxy does not know where its API is; add \"api_base\" to the provider in providers.json", e.key)
}

// credentials keeps each account's credential in memory between requests
// and asks the engine again when it is due or rejected. Requests asking at
// once share one question (single flight), which runs detached from them.
type credentials struct {
	eng    Engine
	now    func() time.Time
	flight singleflight.Group

	mu    sync.Mutex // guards byKey
	byKey map[string]*credential
}

func newCredentials(e Engine) *credentials {
	return &credentials{eng: e, now: time.Now, byKey: map[string]*credential{}}
}

func (c *credentials) current(key string) *credential {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.byKey[key]
}

// get returns the account's credential: the one in memory unless the
// engine says it is due, else a fresh one (refreshed by the engine when
// due). It returns when ctx ends.
func (c *credentials) get(ctx context.Context, key string) (*credential, error) {
	if cr := c.current(key); cr != nil && c.usable(key, cr) {
		return cr, nil
	}
	return c.ask(ctx, "token "+key, func(ctx context.Context) (*credential, error) {
		if cr := c.current(key); cr != nil && c.usable(key, cr) {
			return cr, nil // another request renewed it while this one waited
		}
		return c.load(ctx, key, false)
	})
}

// usable reports whether cr can be sent without asking the engine: it is
// not due, or it came back due less than recheck ago and has not expired.
func (c *credentials) usable(key string, cr *credential) bool {
	if !c.eng.Due(key, cr.secret) {
		return true
	}
	return cr.late && c.now().Sub(cr.asked) < recheck && (cr.secret.Expiry.IsZero() || c.now().Before(cr.secret.Expiry))
}

// rejected handles the provider's 401 to sent, a credential of the
// account: it returns the credential to retry with, or nil when there is
// none to try. A credential renewed since sent was taken is that one;
// otherwise the token is refreshed once, unless sent itself came from a
// refresh after a 401, or the account has no refresh token (an API key).
// Concurrent 401s share one refresh.
func (c *credentials) rejected(ctx context.Context, key string, sent *credential) (*credential, error) {
	return c.ask(ctx, "401 "+key, func(ctx context.Context) (*credential, error) {
		if cr := c.current(key); cr != nil && cr.value != sent.value {
			return cr, nil
		}
		if sent.after401 || sent.secret.RefreshToken == "" {
			return nil, nil
		}
		if err := c.eng.Refresh(ctx, key); err != nil {
			return nil, err
		}
		return c.load(ctx, key, true)
	})
}

// ask runs fn once for everyone asking under name at the same time,
// detached from their contexts; each caller returns when its ctx ends.
func (c *credentials) ask(ctx context.Context, name string, fn func(context.Context) (*credential, error)) (*credential, error) {
	ch := c.flight.DoChan(name, func() (any, error) {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), askTimeout)
		defer cancel()
		return fn(ctx)
	})
	select {
	case r := <-ch:
		cr, _ := r.Val.(*credential)
		return cr, r.Err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// load asks the engine for the account's API and token and keeps them.
func (c *credentials) load(ctx context.Context, key string, after401 bool) (*credential, error) {
	api, err := c.eng.AccountAPI(key)
	if err != nil {
		return nil, err
	}
	if api.Base == "" {
		return nil, noAPIError{key}
	}
	base, err := boundary.CheckURL(api.Base, true) // the catalogue checked it; the proxy relies on it
	if err != nil {
		return nil, fmt.Errorf("the api_base of %s %w", key, err)
	}
	s, err := c.eng.Token(ctx, key)
	if err != nil {
		return nil, err
	}
	cr := &credential{api: api, base: base, secret: s, value: api.Value(s), asked: c.now(), late: c.eng.Due(key, s), after401: after401}
	c.mu.Lock()
	c.byKey[key] = cr
	c.mu.Unlock()
	return cr, nil
}

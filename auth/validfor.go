package auth

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// ErrShortLived reports that an account's access token cannot be made valid
// for as long as a caller asked (TokenValidFor): the provider issues tokens
// that live less long, or the token cannot be renewed. The message says
// which, and what to do.
var ErrShortLived = errors.New("the token cannot be made valid for that long")

// TokenValidFor is Token for a caller that needs the credential to stay
// valid for at least d, such as a script that runs for ten minutes
// (`keyport token --min-valid 10m`, `keyport exec --min-valid 10m`). When
// less than d remains it refreshes the token first, even if Token would not
// yet. It returns an error wrapping ErrShortLived when even a fresh token
// would not last d (the provider's tokens live less long, which the message
// names) or when less than d remains and the account has no refresh token,
// and any error of the refresh itself. API keys and tokens without expiry
// are valid for any d; d <= 0 asks no more than Token. It blocks and is
// cancelled like Token, and is safe for concurrent use.
func (e *Engine) TokenValidFor(ctx context.Context, key string, d time.Duration) (Secret, error) {
	s, err := e.Token(ctx, key)
	if err != nil || d <= 0 || e.lasts(s, d) {
		return s, err
	}
	if s.RefreshToken == "" {
		return Secret{}, fmt.Errorf("%w: the token of %s expires in %s, before the %s asked for, and it cannot be renewed (the provider gave no refresh token); connect the account again for a new one, or ask for less time",
			ErrShortLived, key, span(s.Expiry.Sub(e.clock.Now())), span(d))
	}
	fresh, err := e.refresh(ctx, key, true)
	if err != nil {
		return Secret{}, fmt.Errorf("make the token of %s valid for %s: %w", key, span(d), err)
	}
	if !e.lasts(fresh, d) {
		a, _ := e.Account(key)
		name := a.Provider
		if p, ok := e.Provider(a.Provider); ok {
			name = p.Name
		}
		return Secret{}, fmt.Errorf("%w: %s issues tokens valid for %s, less than the %s asked for; ask for at most that",
			ErrShortLived, name, span(fresh.Expiry.Sub(e.clock.Now())), span(d))
	}
	return fresh, nil
}

// lasts reports whether s stays valid for at least d from now: an API key
// or a token without expiry always does.
func (e *Engine) lasts(s Secret, d time.Duration) bool {
	return s.APIKey != "" || s.Expiry.IsZero() || !e.clock.Now().Add(d).After(s.Expiry)
}

// Due reports whether s, a credential Token returned for the account with
// key, is due for refreshing: the moment the background refresher would
// refresh it has come (for a 1 h token, 6 minutes before it expires), or
// the account is gone. A caller that keeps a credential in memory between
// requests (the local API proxy) asks Token again once it is. API keys and
// tokens without expiry are never due. It reads only memory, never the
// keychain, and is safe for concurrent use.
func (e *Engine) Due(key string, s Secret) bool {
	a, ok := e.Account(key)
	if !ok {
		return true
	}
	return s.APIKey == "" && e.stale(a, s)
}

// span writes a duration as the command line's --min-valid takes it, in
// whole seconds: "20s", "9m30s", "1h".
func span(d time.Duration) string {
	d = max(d, 0).Truncate(time.Second)
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

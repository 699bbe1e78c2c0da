package auth

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"time"

	"golang.org/x/oauth2"
)

// workers bounds concurrent background refreshes.
const workers = 4

// Token returns a valid credential for an account: the API key, an access
// token that does not expire, or an access token valid for at least a
// minute (or half its lifetime, for short-lived tokens), refreshing it
// first when needed. Refreshes are single-flight
// within the process and serialised across processes by a per-account file
// lock. If a refresh fails for a transient reason while the old access token
// is still valid, the old one is returned. It blocks on the keychain and,
// when refreshing, on the provider; ctx bounds both.
func (e *Engine) Token(ctx context.Context, key string) (Secret, error) {
	a, ok := e.Account(key)
	if !ok {
		return Secret{}, fmt.Errorf("%w %q: 'keyport accounts' lists the connected ones", ErrUnknownAccount, key)
	}
	s, err := e.loadSecret(ctx, key)
	if err != nil {
		return Secret{}, err
	}
	if _, unsaved := e.unsavedSecret(key); !unsaved && (a.APIKey || !e.stale(a, s)) {
		return s, nil
	}
	fresh, err := e.refresh(ctx, key, false)
	if err != nil && e.clock.Now().Before(s.Expiry) && retryableErr(err) {
		return s, nil
	}
	return fresh, err
}

// Refresh refreshes an account's access token now, whatever its expiry.
func (e *Engine) Refresh(ctx context.Context, key string) error {
	if _, ok := e.Account(key); !ok {
		return fmt.Errorf("%w %q", ErrUnknownAccount, key)
	}
	_, err := e.refresh(ctx, key, true)
	return err
}

// stale reports whether a token is due for refreshing: the moment the
// background refresher would refresh it has come. Tokens without expiry
// never are.
func (e *Engine) stale(a Account, s Secret) bool {
	if s.Expiry.IsZero() {
		return false
	}
	obtained := a.Obtained
	if !a.Expiry.Equal(s.Expiry) { // the index lags behind the keychain: another process refreshed
		obtained = time.Time{}
	}
	return !e.clock.Now().Before(refreshAt(obtained, s.Expiry))
}

// refresh is the one way a token is refreshed. Callers asking at once share
// one request (single flight); another process is kept out by the account's
// file lock, and the keychain is read again after taking it, since that
// process may have refreshed already. The new token (with a rotated
// refresh token, or the old one when the provider sent none) is written to
// the keychain before anyone gets it.
func (e *Engine) refresh(ctx context.Context, key string, force bool) (Secret, error) {
	v, err, _ := e.flight.Do(key, func() (any, error) {
		return e.refreshLocked(context.WithoutCancel(ctx), key, force)
	})
	s, _ := v.(Secret)
	return s, err
}

func (e *Engine) refreshLocked(ctx context.Context, key string, force bool) (Secret, error) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	unlock, err := lockAccount(ctx, e.dir, key)
	if err != nil {
		return Secret{}, fmt.Errorf("refresh %s: wait for another Keyport process: %w", key, err)
	}
	defer unlock()
	a, err := e.reread(key)
	if err != nil {
		return Secret{}, err
	}
	if s, ok := e.unsavedSecret(key); ok {
		return e.commit(ctx, a, s, a.Obtained)
	}
	s, err := e.loadSecret(ctx, key)
	if err != nil {
		return Secret{}, e.fail(a, err)
	}
	if !force && !e.stale(a, s) {
		if !a.RefreshStarted.IsZero() || !a.Expiry.Equal(s.Expiry) { // another process refreshed, or we were stopped after saving
			return e.commit(ctx, a, s, e.clock.Now())
		}
		return s, nil
	}
	p, err := e.provider(a.Provider)
	if err != nil {
		return Secret{}, err
	}
	if s.RefreshToken == "" {
		return Secret{}, e.fail(a, fmt.Errorf("%w: the token of %s has expired and %s gave no refresh token; connect the account again", ErrReconnectNeeded, key, p.Name))
	}
	interrupted := !a.RefreshStarted.IsZero()
	start := e.clock.Now()
	if a, err = e.update(key, func(x *Account) bool {
		x.Status, x.Reason, x.RefreshStarted = StatusRefreshing, "", start
		return true
	}); err != nil {
		return Secret{}, err
	}
	tok, err := e.requestRefresh(ctx, p, s.RefreshToken)
	if err != nil {
		if interrupted && errors.Is(err, ErrReconnectNeeded) {
			err = fmt.Errorf("%w: Keyport was stopped during an earlier refresh, after %s had replaced the refresh token and before the new one was saved; connect the account again", ErrReconnectNeeded, p.Name)
		}
		return Secret{}, e.fail(a, err)
	}
	next := Secret{AccessToken: tok.AccessToken, RefreshToken: cmp.Or(tok.RefreshToken, s.RefreshToken), TokenType: tok.Type(), Expiry: tok.Expiry}
	return e.commit(ctx, a, next, start)
}

// requestRefresh asks the token endpoint for a new access token (RFC 6749
// section 6).
func (e *Engine) requestRefresh(ctx context.Context, p Provider, refreshToken string) (*oauth2.Token, error) {
	p, _, err := e.resolve(ctx, p)
	if err != nil {
		return nil, err
	}
	secret, err := e.clientSecret(ctx, p.ID)
	if err != nil {
		return nil, err
	}
	cfg := oauth2Config(p, e.Client(p.ID).ClientID, secret)
	ctx = context.WithValue(ctx, oauth2.HTTPClient, e.http.secret)
	tok, err := cfg.TokenSource(ctx, &oauth2.Token{RefreshToken: refreshToken}).Token()
	if err != nil {
		return nil, tokenError(p.Name, "refresh the token", err, true)
	}
	return tok, nil
}

// commit writes a refreshed secret to the keychain and then the index. If
// the keychain write fails, the secret (maybe carrying a rotated refresh
// token that is the only one left) stays in memory, the account says so,
// and the refresher retries the write.
func (e *Engine) commit(ctx context.Context, a Account, s Secret, obtained time.Time) (Secret, error) {
	key := a.Key()
	if err := e.saveSecret(ctx, key, s); err != nil {
		e.mu.Lock()
		e.unsaved[key] = s
		e.mu.Unlock()
		retry := e.clock.Now().Add(30 * time.Second)
		e.update(key, func(x *Account) bool {
			x.Status, x.Reason, x.RetryAt = StatusError, "the refreshed token could not be saved: "+err.Error()+"; Keyport keeps it in memory and retries", retry
			return true
		})
		e.sched.Set(key, retry)
		return Secret{}, err
	}
	e.mu.Lock()
	delete(e.unsaved, key)
	delete(e.retries, key)
	e.mu.Unlock()
	now := e.clock.Now()
	saved, err := e.update(key, func(x *Account) bool {
		x.TokenType, x.Expiry, x.Obtained, x.HasRefresh = s.TokenType, s.Expiry, obtained, s.RefreshToken != ""
		x.Status, x.Reason, x.RetryAt, x.RefreshStarted, x.LastRefresh = StatusValid, "", time.Time{}, time.Time{}, now
		return true
	})
	if err != nil {
		return s, nil // the keychain has the token; the index catches up at the next refresh
	}
	e.schedule(saved)
	return s, nil
}

// fail records a failed refresh. A rejected grant marks the account
// "reconnect needed" and unschedules it (nothing is deleted); anything else
// is tried again with exponential backoff and jitter: transient failures
// (network, 5xx, 429 with its Retry-After) as "retrying", the rest (a locked
// keychain, a rejected client) as "error" with the next try shown.
func (e *Engine) fail(a Account, err error) error {
	key := a.Key()
	if errors.Is(err, ErrReconnectNeeded) {
		e.update(key, func(x *Account) bool {
			x.Status, x.Reason, x.RetryAt, x.RefreshStarted = StatusReconnect, err.Error(), time.Time{}, time.Time{}
			return true
		})
		e.sched.Remove(key)
		return err
	}
	var te *TokenError
	status, retryAfter := StatusError, time.Duration(0)
	if errors.As(err, &te) && te.Retryable {
		status, retryAfter = StatusRetrying, parseRetryAfter(te.RetryAfter, e.clock.Now())
	}
	e.mu.Lock()
	e.retries[key]++
	n := e.retries[key]
	e.mu.Unlock()
	at := e.clock.Now().Add(backoff(n, retryAfter, rand.Float64))
	e.update(key, func(x *Account) bool {
		x.Status, x.Reason, x.RetryAt = status, err.Error(), at
		return true
	})
	e.sched.Set(key, at)
	return err
}

func retryableErr(err error) bool {
	var te *TokenError
	return errors.As(err, &te) && te.Retryable
}

// reread returns the account as the index file has it now (another process
// may have changed it) and updates the cache. It only reads: the caller
// holds the account's lock, so no other process changes this account.
func (e *Engine) reread(key string) (Account, error) {
	list, err := e.index.Load()
	if err != nil {
		return Account{}, err
	}
	i := slices.IndexFunc(list, func(a Account) bool { return a.Key() == key })
	e.mu.Lock()
	defer e.mu.Unlock()
	if i < 0 {
		delete(e.accounts, key)
		return Account{}, fmt.Errorf("%w %q: it was disconnected", ErrUnknownAccount, key)
	}
	e.accounts[key] = list[i]
	return list[i], nil
}

func (e *Engine) unsavedSecret(key string) (Secret, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	s, ok := e.unsaved[key]
	return s, ok
}

// schedule sets the account's next background refresh: 10 % of the token's
// lifetime (at least a minute) before it expires, or the retry time.
// Tokens that do not expire, API keys and accounts that need reconnecting
// are not scheduled.
func (e *Engine) schedule(a Account) {
	switch {
	case a.APIKey || !a.HasRefresh || a.Status == StatusReconnect:
		e.sched.Remove(a.Key())
	case (a.Status == StatusRetrying || a.Status == StatusError) && !a.RetryAt.IsZero():
		e.sched.Set(a.Key(), a.RetryAt)
	default:
		e.sched.Set(a.Key(), refreshAt(a.Obtained, a.Expiry))
	}
}

// Run is the background refresher: one goroutine and one timer for all
// accounts while idle; each due account is refreshed on a short-lived
// goroutine, at most a few at once. It returns when ctx is done and those
// refreshes have ended.
func (e *Engine) Run(ctx context.Context) {
	sem := make(chan struct{}, workers)
	var wg sync.WaitGroup
	e.sched.Run(ctx, func(key string) {
		select {
		case sem <- struct{}{}:
		default: // enough refreshes in flight: try again shortly
			e.sched.Set(key, e.clock.Now().Add(time.Second))
			return
		}
		wg.Go(func() {
			defer func() { <-sem }()
			if _, err := e.refresh(ctx, key, false); err != nil {
				e.logf("refresh %s: %v", key, err)
			}
			// The scheduler dropped the key when it fell due; whatever the
			// refresh found (done here, by another process, or joined in
			// flight), put the account's next deadline back.
			if a, ok := e.Account(key); ok {
				e.schedule(a)
			}
		})
	})
	wg.Wait()
}

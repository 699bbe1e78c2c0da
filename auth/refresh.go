package auth

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/sync/singleflight"

	"github.com/keyport/keyport/internal/schedule"
)

// workers bounds concurrent background refreshes.
const workers = 4

// refreshTimeout bounds one refresh, lock wait and keychain included.
const refreshTimeout = 2 * time.Minute

// minRefreshLead is the least time before expiry at which refreshAt
// schedules a refresh.
const minRefreshLead = 60 * time.Second

// refreshAt returns when a token obtained at obtained and expiring at expiry
// should be refreshed: expiry minus the larger of 60 s and a tenth of the
// token's lifetime, so a 1 h token refreshes 6 min early and a 5 min token
// 60 s early; but never before half its lifetime has passed, so a token
// that lives under two minutes (a 20 s test token) is refreshed halfway
// rather than again and again at once. A zero expiry (the token does not
// expire) gives the zero time, meaning never. When obtained is zero or
// after expiry the lifetime is unknown and the lead is 60 s.
func refreshAt(obtained, expiry time.Time) time.Time {
	if expiry.IsZero() {
		return time.Time{}
	}
	if obtained.IsZero() || obtained.After(expiry) {
		return expiry.Add(-minRefreshLead)
	}
	life := expiry.Sub(obtained)
	lead := min(max(minRefreshLead, life/10), life/2)
	return expiry.Add(-lead)
}

// refresher owns what keeping tokens fresh needs in this process: the
// schedule of due accounts, the count of consecutive failures of each,
// refreshed secrets the keychain has not taken yet, the single flight that
// makes callers asking at once share one request, and the count of
// refreshes running (for Wait). It is safe for concurrent use.
type refresher struct {
	sched   *schedule.Scheduler
	flight  singleflight.Group
	running tracker

	mu      sync.Mutex // guards retries and unsaved
	retries map[string]int
	unsaved map[string]unsavedSecret
}

// unsavedSecret is a refreshed secret the keychain refused to store, with
// the grant it belongs to: after a reconnect it is stale and never written.
type unsavedSecret struct {
	secret Secret
	grant  string
}

func newRefresher(clock Clock) *refresher {
	return &refresher{sched: schedule.New(clock), retries: map[string]int{}, unsaved: map[string]unsavedSecret{}}
}

// failed counts one more consecutive failure of key and returns the count.
func (r *refresher) failed(key string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.retries[key]++
	return r.retries[key]
}

// keep holds a refreshed secret the keychain refused.
func (r *refresher) keep(key, grant string, s Secret) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.unsaved[key] = unsavedSecret{s, grant}
}

// pending returns the unsaved secret of key, if any.
func (r *refresher) pending(key string) (unsavedSecret, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	u, ok := r.unsaved[key]
	return u, ok
}

// saved forgets key's failures and unsaved secret: the keychain holds the
// newest secret now.
func (r *refresher) saved(key string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.retries, key)
	delete(r.unsaved, key)
}

// forget drops everything known of key: it was reconnected or disconnected,
// so what began for its old grant must not continue.
func (r *refresher) forget(key string) {
	r.saved(key)
	r.sched.Remove(key)
}

// tracker counts work in flight and lets Wait wait for none.
type tracker struct {
	mu   sync.Mutex
	n    int
	idle chan struct{} // closed while n is 0; nil means closed
}

func (t *tracker) begin() {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.n == 0 {
		t.idle = make(chan struct{})
	}
	t.n++
}

func (t *tracker) end() {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.n--; t.n == 0 {
		close(t.idle)
	}
}

func (t *tracker) wait(ctx context.Context) error {
	t.mu.Lock()
	idle := t.idle
	t.mu.Unlock()
	if idle == nil {
		return nil
	}
	select {
	case <-idle:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Token returns a valid credential for an account: the API key, an access
// token that does not expire, or an access token valid for at least a
// minute (or half its lifetime, for short-lived tokens), refreshing it
// first when needed. Refreshes are single-flight within the process and
// serialised across processes by the account's lock. If a refresh fails for
// a transient reason while the old access token is still valid, the old one
// is returned. It blocks on the keychain and, when refreshing, on the
// provider, and returns ctx.Err() (wrapped with ErrCancelled) as soon as ctx
// ends: a refresh already sent goes on in the background until the new
// token is saved (Wait waits for it).
func (e *Engine) Token(ctx context.Context, key string) (Secret, error) {
	a, ok := e.Account(key)
	if !ok {
		return Secret{}, fmt.Errorf("%w %q: 'keyport accounts' lists the connected ones", ErrUnknownAccount, key)
	}
	s, err := e.loadSecret(ctx, key)
	if err != nil {
		return Secret{}, err
	}
	if _, unsaved := e.refresher.pending(key); !unsaved && (a.APIKey || !e.stale(a, s)) {
		return s, nil
	}
	fresh, err := e.refresh(ctx, key, false)
	if err != nil && ctx.Err() == nil && e.clock.Now().Before(s.Expiry) && retryableErr(err) {
		return s, nil
	}
	return fresh, err
}

// Refresh refreshes an account's access token now, whatever its expiry. It
// returns when ctx ends, like Token.
func (e *Engine) Refresh(ctx context.Context, key string) error {
	if _, ok := e.Account(key); !ok {
		return fmt.Errorf("%w %q", ErrUnknownAccount, key)
	}
	_, err := e.refresh(ctx, key, true)
	return err
}

// Wait blocks until no refresh of this engine is running (each one ends by
// saving what the provider answered, a rotated refresh token above all), or
// ctx is done. A program calls it before it exits, bounded by a few
// seconds.
func (e *Engine) Wait(ctx context.Context) error { return e.refresher.running.wait(ctx) }

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
// one request (single flight), which runs detached from their contexts so
// that a caller giving up cannot cut a rotation short; the caller returns
// when ctx ends. Another process is kept out by the account's lock, and the
// keychain is read again after taking it, since that process may have
// refreshed already. The new token (with a rotated refresh token, or the old
// one when the provider sent none) is written to the keychain before anyone
// gets it.
func (e *Engine) refresh(ctx context.Context, key string, force bool) (Secret, error) {
	e.refresher.running.begin() // before DoChan: Wait must see the refresh before it starts
	ch := e.refresher.flight.DoChan(key, func() (any, error) {
		return e.refreshLocked(context.WithoutCancel(ctx), key, force)
	})
	var r singleflight.Result
	select {
	case r = <-ch:
		e.refresher.running.end()
	case <-ctx.Done():
		go func() { <-ch; e.refresher.running.end() }()
		return Secret{}, fmt.Errorf("refresh %s: %w: %w", key, ErrCancelled, ctx.Err())
	}
	s, _ := r.Val.(Secret)
	return s, r.Err
}

func (e *Engine) refreshLocked(ctx context.Context, key string, force bool) (Secret, error) {
	ctx, cancel := context.WithTimeout(ctx, refreshTimeout)
	defer cancel()
	unlock, err := lockAccount(ctx, e.dir, key)
	if err != nil {
		return Secret{}, fmt.Errorf("refresh %s: wait for another Keyport process: %w", key, err)
	}
	defer unlock()
	rec, err := e.accounts.read(key)
	if err != nil {
		return Secret{}, err
	}
	if !rec.live() {
		e.refresher.forget(key)
		return Secret{}, fmt.Errorf("%w %q: it was disconnected", ErrUnknownAccount, key)
	}
	a := *rec.Account
	if u, ok := e.refresher.pending(key); ok {
		if u.grant == rec.Grant {
			return e.commit(ctx, rec, u.secret, a.Obtained)
		}
		e.refresher.saved(key) // the account was connected again since: that secret is stale
	}
	s, err := e.loadSecret(ctx, key)
	if err != nil {
		return Secret{}, e.fail(key, err)
	}
	if !force && !e.stale(a, s) {
		if !a.RefreshStarted.IsZero() || !a.Expiry.Equal(s.Expiry) { // another process refreshed, or we were stopped after saving
			return e.commit(ctx, rec, s, e.clock.Now())
		}
		return s, nil
	}
	p, err := e.accountProvider(a)
	if err != nil {
		return Secret{}, e.fail(key, err)
	}
	if s.RefreshToken == "" {
		return Secret{}, e.expired(key, p)
	}
	interrupted := !a.RefreshStarted.IsZero()
	start := e.clock.Now()
	if _, err := e.accounts.updateAccount(key, func(x *Account) {
		x.Status, x.Reason, x.RefreshStarted = StatusRefreshing, "", start
	}); err != nil {
		return Secret{}, err
	}
	tok, err := e.requestRefresh(ctx, p, s.RefreshToken)
	if err != nil {
		if interrupted && errors.Is(err, ErrReconnectNeeded) {
			err = fmt.Errorf("%w: Keyport was stopped during an earlier refresh, after %s had replaced the refresh token and before the new one was saved; connect the account again", ErrReconnectNeeded, p.Name)
		}
		return Secret{}, e.fail(key, err)
	}
	next := Secret{AccessToken: tok.AccessToken, RefreshToken: cmp.Or(tok.RefreshToken, s.RefreshToken), TokenType: tok.Type(), Expiry: tok.Expiry}
	return e.commit(ctx, rec, next, start)
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
	if p.RefreshURL != "" {
		p.TokenURL = p.RefreshURL
	}
	cfg := oauth2Config(p, e.Client(p.ID).ClientID, secret)
	ctx = context.WithValue(ctx, oauth2.HTTPClient, e.http.tokenClient(p))
	tok, err := cfg.TokenSource(ctx, &oauth2.Token{RefreshToken: refreshToken}).Token()
	if err != nil {
		return nil, tokenError(p.Name, "refresh the token", err, true)
	}
	return tok, nil
}

// commit writes a refreshed secret to the keychain and then the account's
// record. The caller holds the account's lock. If the keychain write fails,
// the secret (maybe carrying a rotated refresh token that is the only one
// left) stays in memory with its grant, the account says so, and the
// refresher retries the write; it is dropped if the account is connected
// again meanwhile.
func (e *Engine) commit(ctx context.Context, rec record, s Secret, obtained time.Time) (Secret, error) {
	key := rec.Key
	if err := e.saveSecret(ctx, key, s); err != nil {
		e.refresher.keep(key, rec.Grant, s)
		retry := e.clock.Now().Add(30 * time.Second)
		if _, uerr := e.accounts.updateAccount(key, func(x *Account) {
			x.Status, x.Reason, x.RetryAt = StatusError, "the refreshed token could not be saved: "+err.Error()+"; Keyport keeps it in memory and retries", retry
		}); uerr != nil {
			e.log.Error("record a keychain failure", "account", key, "err", uerr)
		}
		e.refresher.sched.Set(key, retry)
		return Secret{}, err
	}
	e.refresher.saved(key)
	now := e.clock.Now()
	if _, err := e.accounts.updateAccount(key, func(x *Account) {
		x.TokenType, x.Expiry, x.Obtained, x.HasRefresh = s.TokenType, s.Expiry, obtained, s.RefreshToken != ""
		x.Status, x.Reason, x.RetryAt, x.RefreshStarted, x.LastRefresh = StatusValid, "", time.Time{}, time.Time{}, now
	}); err != nil {
		e.log.Error("record a refresh", "account", key, "err", err) // the keychain has the token; the record catches up at the next refresh
	}
	e.log.Info("refreshed", "account", key)
	return s, nil
}

// fail records a failed refresh; the caller holds the account's lock. A
// rejected grant marks the account "reconnect needed" and unschedules it
// (nothing is deleted); anything else is tried again with exponential
// backoff and jitter: transient failures (network, 5xx, 429 with its
// Retry-After) as "retrying", the rest (a locked keychain, a rejected
// client) as "error" with the next try shown.
func (e *Engine) fail(key string, err error) error {
	e.log.Warn("refresh failed", "account", key, "err", err)
	if errors.Is(err, ErrReconnectNeeded) {
		if _, uerr := e.accounts.updateAccount(key, func(x *Account) {
			x.Status, x.Reason, x.RetryAt, x.RefreshStarted = StatusReconnect, err.Error(), time.Time{}, time.Time{}
		}); uerr != nil {
			e.log.Error("record a rejected grant", "account", key, "err", uerr)
		}
		e.refresher.sched.Remove(key)
		return err
	}
	var te *TokenError
	status, retryAfter := StatusError, time.Duration(0)
	if errors.As(err, &te) && te.Retryable {
		status, retryAfter = StatusRetrying, schedule.ParseRetryAfter(te.RetryAfter, e.clock.Now())
	}
	at := e.clock.Now().Add(schedule.Backoff(e.refresher.failed(key), retryAfter, rand.Float64))
	if _, uerr := e.accounts.updateAccount(key, func(x *Account) {
		x.Status, x.Reason, x.RetryAt = status, err.Error(), at
	}); uerr != nil {
		e.log.Error("record a failed refresh", "account", key, "err", uerr)
	}
	e.refresher.sched.Set(key, at)
	return err
}

// expired marks an account whose token expired with no refresh token to
// renew it; the caller holds the account's lock. The person must connect
// again, so the error wraps ErrReconnectNeeded.
func (e *Engine) expired(key string, p Provider) error {
	err := fmt.Errorf("%w: the token of %s has expired and %s gave no refresh token; connect the account again", ErrReconnectNeeded, key, p.Name)
	if _, uerr := e.accounts.updateAccount(key, func(x *Account) {
		x.Status, x.Reason, x.RetryAt, x.RefreshStarted = StatusExpired, err.Error(), time.Time{}, time.Time{}
	}); uerr != nil {
		e.log.Error("record an expired token", "account", key, "err", uerr)
	}
	e.refresher.sched.Remove(key)
	return err
}

// markExpired records that an account's token without a refresh token has
// reached its expiry, so the window and `keyport accounts` say so.
func (e *Engine) markExpired(ctx context.Context, key string) {
	err := e.accounts.locked(ctx, key, func() error {
		rec, err := e.accounts.read(key)
		if err != nil || !rec.live() {
			return err
		}
		a := *rec.Account
		if a.HasRefresh || a.APIKey || !a.Expires() || e.clock.Now().Before(a.Expiry) || a.Status == StatusExpired {
			return nil
		}
		p, _ := e.Provider(a.Provider)
		_ = e.expired(key, p)
		return nil
	})
	if err != nil {
		e.log.Warn("mark an expired token", "account", key, "err", err)
	}
}

func retryableErr(err error) bool {
	var te *TokenError
	return errors.As(err, &te) && te.Retryable
}

// schedule sets the account's next background event: its refresh, 10 % of
// the token's lifetime (at least a minute) before it expires, or its retry;
// for a token with no refresh token, its expiry (to mark it expired). API
// keys, tokens that do not expire and accounts that need reconnecting are
// not scheduled.
func (e *Engine) schedule(a Account) {
	sched := e.refresher.sched
	switch {
	case a.APIKey || a.Status == StatusReconnect || a.Status == StatusExpired:
		sched.Remove(a.Key())
	case !a.HasRefresh:
		sched.Set(a.Key(), a.Expiry) // zero (no expiry) removes it
	case (a.Status == StatusRetrying || a.Status == StatusError) && !a.RetryAt.IsZero():
		sched.Set(a.Key(), a.RetryAt)
	default:
		sched.Set(a.Key(), refreshAt(a.Obtained, a.Expiry))
	}
}

// Run is the background refresher: one goroutine and one timer for all
// accounts while idle; each due account is refreshed on a short-lived
// goroutine, at most a few at once. It returns when ctx is done and those
// refreshes have ended. Failures are logged and shown in the account's
// status.
func (e *Engine) Run(ctx context.Context) {
	sem := make(chan struct{}, workers)
	var wg sync.WaitGroup
	e.accounts.sweep(ctx)
	e.refresher.sched.Run(ctx, func(key string) {
		select {
		case sem <- struct{}{}:
		default: // enough refreshes in flight: try again shortly
			e.refresher.sched.Set(key, e.clock.Now().Add(time.Second))
			return
		}
		wg.Go(func() {
			defer func() { <-sem }()
			a, ok := e.Account(key)
			switch {
			case !ok:
				return
			case !a.HasRefresh:
				e.markExpired(ctx, key)
			default:
				_, _ = e.refresh(ctx, key, false) // fail logs and records what went wrong
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

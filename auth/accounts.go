package auth

import (
	"cmp"
	"context"
	"crypto/rand"
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// saveConnected records a freshly connected account, all under the
// account's cross-process lock, so a refresh in another process cannot
// write the old grant over it: the secret goes to the keychain first (if
// that fails no account is recorded and the error says why), then the
// record, with a new grant. The profile file, which holds no secret, is
// written while the keychain write waits on the Secret Service; when that
// write fails, the profile of an account the index does not list is
// removed again. Connecting an account that is already in the index
// updates it in place, and what the refresher held for its old grant
// (failures, an unsaved secret) is forgotten.
func (e *Engine) saveConnected(ctx context.Context, a Account, s Secret, rawProfile []byte) (Account, error) {
	key := a.Key()
	unlock, err := lockAccount(ctx, e.dir, key)
	if err != nil {
		return Account{}, fmt.Errorf("connect %s: wait for another Keyport process: %w", key, err)
	}
	defer unlock()
	profileErr := make(chan error, 1)
	if rawProfile != nil {
		go func() { profileErr <- e.profiles.save(key, rawProfile) }()
	} else {
		profileErr <- nil
	}
	err = e.saveSecret(ctx, key, s)
	perr := <-profileErr
	if err != nil {
		if _, known := e.Account(key); !known && rawProfile != nil && perr == nil {
			if err := e.profiles.remove(key); err != nil {
				e.log.Warn("remove the profile after the keychain refused the token", "account", key, "err", err)
			}
		}
		return Account{}, err
	}
	if perr != nil {
		e.log.Warn("save profile", "account", key, "err", perr)
	}
	e.refresher.forget(key)
	now := e.clock.Now()
	rec, err := e.accounts.update(key, func(r *record) error {
		connected := now
		if r.live() && !r.Account.Connected.IsZero() {
			connected = r.Account.Connected
		}
		next := a
		next.Connected, next.Status = connected, StatusValid
		r.Account, r.Removed, r.Grant = &next, time.Time{}, rand.Text()
		return nil
	})
	if err != nil {
		return Account{}, err
	}
	e.log.Info("connected", "account", key)
	return *rec.Account, nil
}

// ConnectAPIKey connects an account with a credential the person pastes:
// an API key, or a personal access token for their own account. It checks
// the credential with the catalogue's check request, or, where the
// catalogue says the profile request takes it, by reading the profile,
// which then makes the account (its id, name and email; the id is prefixed
// with "token:" so that it is not the same account as an OAuth sign-in).
// It stores the credential like a token. A key without a profile gets a
// random id, not one derived from the key (a hash of a key in a plain file
// would let anyone test guesses against it); the same key connected twice
// is still one account, found by comparing it with the provider's stored
// keys.
func (e *Engine) ConnectAPIKey(ctx context.Context, providerID, key string) (Account, error) {
	p, err := e.provider(providerID)
	if err != nil {
		return Account{}, err
	}
	if !p.SupportsAPIKey() {
		return Account{}, fmt.Errorf("%s does not take API keys: use Connect", p.Name)
	}
	label := p.APIKey.KeyLabel()
	key = strings.TrimSpace(key)
	if key == "" {
		return Account{}, fmt.Errorf("the %s is empty: %s", label, cmp.Or(p.APIKey.Help, "copy it from "+p.Name))
	}
	p, values, err := e.setupProvider(p)
	if err != nil {
		return Account{}, err
	}
	var a Account
	var raw []byte
	if p.APIKey.Profile {
		a, raw, err = fetchProfile(ctx, e.http.secret, p, p.APIKey.Header, p.APIKey.Prefix+key)
		var se *statusError
		if errors.As(err, &se) && (se.Status == http.StatusUnauthorized || se.Status == http.StatusForbidden) {
			return Account{}, fmt.Errorf("%s rejected the %s (HTTP %d): copy it again. %s", p.Name, label, se.Status, p.APIKey.Help)
		}
		if err != nil {
			return Account{}, err
		}
		a.ID = "token:" + a.ID
	} else {
		if err := e.checkAPIKey(ctx, p, key); err != nil {
			return Account{}, err
		}
		a = Account{Provider: p.ID, ID: e.apiKeyID(ctx, p.ID, key), Name: p.Name + " " + label}
	}
	a.APIKey, a.Params = true, values
	return e.saveConnected(ctx, a, Secret{APIKey: key}, raw)
}

// apiKeyID returns the id of the provider's API-key account that holds key
// already, or a new random one.
func (e *Engine) apiKeyID(ctx context.Context, providerID, key string) string {
	for _, a := range e.Accounts() {
		if a.Provider != providerID || !a.APIKey {
			continue
		}
		if s, err := e.loadSecret(ctx, a.Key()); err == nil && subtle.ConstantTimeCompare([]byte(s.APIKey), []byte(key)) == 1 {
			return a.ID
		}
	}
	return "key-" + strings.ToLower(rand.Text()[:12])
}

func (e *Engine) checkAPIKey(ctx context.Context, p Provider, key string) error {
	if p.APIKey.CheckURL == "" {
		return nil
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.APIKey.CheckURL, nil)
	if err != nil {
		return fmt.Errorf("check the %s: %w", p.APIKey.KeyLabel(), err)
	}
	req.Header.Set(p.APIKey.Header, p.APIKey.Prefix+key)
	req.Header.Set("Accept", "application/json")
	resp, err := e.http.secret.Do(req)
	if err != nil {
		return unreachable("check the "+p.APIKey.KeyLabel(), p.Name, err)
	}
	resp.Body.Close()
	switch {
	case resp.StatusCode/100 == 2:
		return nil
	case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden:
		return fmt.Errorf("%s rejected the %s (HTTP %d): copy it again. %s", p.Name, p.APIKey.KeyLabel(), resp.StatusCode, p.APIKey.Help)
	default:
		return fmt.Errorf("check the %s: %s answered HTTP %d; try again later", p.APIKey.KeyLabel(), p.Name, resp.StatusCode)
	}
}

// Disconnect removes an account: it revokes the refresh token and then the
// access token at the provider when the catalogue names a revocation
// endpoint (RFC 7009 section 2.1), then deletes the keychain item, the
// profile and the index entry, all under the account's lock, so a refresh
// in another process cannot write it back. If revocation fails the account
// is still removed locally and a *RevokeError says the provider may still
// hold the grant. If the keychain cannot be reached nothing is removed.
func (e *Engine) Disconnect(ctx context.Context, key string) error {
	a, ok := e.Account(key)
	if !ok {
		return fmt.Errorf("%w %q", ErrUnknownAccount, key)
	}
	unlock, err := lockAccount(ctx, e.dir, key)
	if err != nil {
		return fmt.Errorf("disconnect %s: wait for another Keyport process: %w", key, err)
	}
	defer unlock()
	s, err := e.loadSecret(ctx, key)
	if err != nil && !errors.Is(err, ErrSecretNotFound) {
		return fmt.Errorf("disconnect %s: %w", key, err)
	}
	var revokeErr error
	if !a.APIKey && err == nil {
		revokeErr = e.revokeAll(ctx, a, s)
	}
	if err := e.keychain.Delete(ctx, secretName(key)); err != nil {
		return fmt.Errorf("disconnect %s: delete its token from the keychain: %w", key, err)
	}
	if err := e.profiles.remove(key); err != nil {
		e.log.Warn("delete profile", "account", key, "err", err)
	}
	e.refresher.forget(key)
	if _, err := e.accounts.update(key, func(r *record) error {
		r.Account, r.Grant, r.Removed = nil, "", e.clock.Now()
		return nil
	}); err != nil {
		return fmt.Errorf("disconnect %s: %w", key, err)
	}
	e.log.Info("disconnected", "account", key)
	return revokeErr
}

// Import records an account as connected without a sign-in, with its secret
// in the keychain, for moving accounts from another Keyport configuration
// and for seeding benchmarks. An account of that key is replaced. A zero
// Secret stores the record only (a benchmark's listing needs no tokens);
// Token then fails with ErrSecretNotFound. The provider must be in the
// catalogue.
func (e *Engine) Import(ctx context.Context, a Account, s Secret) error {
	if _, err := e.provider(a.Provider); err != nil {
		return err
	}
	if a.ID == "" || a.Provider == "" {
		return errors.New("import: the account has no provider or id")
	}
	if s == (Secret{}) {
		return e.accounts.locked(ctx, a.Key(), func() error {
			_, err := e.accounts.update(a.Key(), func(r *record) error {
				r.Account, r.Removed, r.Grant = &a, time.Time{}, rand.Text()
				return nil
			})
			return err
		})
	}
	_, err := e.saveConnected(ctx, a, s, nil)
	return err
}

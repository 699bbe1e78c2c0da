package auth

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// RevokeError reports that an account was removed from Keyport but the
// provider could not be told to revoke its tokens, so it may still hold the
// grant.
type RevokeError struct {
	Provider string
	Err      error
}

func (e *RevokeError) Error() string {
	return fmt.Sprintf("disconnected from Keyport, but %s may still hold the grant (%v); revoke Keyport's access on %s's website", e.Provider, e.Err, e.Provider)
}

func (e *RevokeError) Unwrap() error { return e.Err }

// revokeAll revokes the refresh token first (which on most servers revokes
// the whole grant), then the access token, as RFC 7009 section 2.1 allows.
func (e *Engine) revokeAll(ctx context.Context, a Account, s Secret) error {
	p, err := e.accountProvider(a)
	if err != nil {
		return &RevokeError{Provider: a.Provider, Err: err}
	}
	p, _, err = e.resolve(ctx, p)
	if err != nil {
		return &RevokeError{Provider: p.Name, Err: err}
	}
	if p.RevocationURL == "" {
		return nil
	}
	c := e.Client(p.ID)
	secret, err := e.clientSecret(ctx, p.ID)
	if err != nil {
		return &RevokeError{Provider: p.Name, Err: err}
	}
	cfg := oauth2Config(p, c.ClientID, secret)
	var errs []error
	for _, t := range []struct{ token, hint string }{{s.RefreshToken, "refresh_token"}, {s.AccessToken, "access_token"}} {
		if t.token != "" {
			errs = append(errs, e.revoke(ctx, p, cfg.ClientID, cfg.ClientSecret, t.token, t.hint))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return &RevokeError{Provider: p.Name, Err: err}
	}
	return nil
}

// revoke sends one RFC 7009 revocation request. The server answers 200 for
// tokens it does not know, too (section 2.2).
func (e *Engine) revoke(ctx context.Context, p Provider, clientID, secret, token, hint string) error {
	form := url.Values{"token": {token}, "token_type_hint": {hint}}
	basic := secret != "" && p.AuthStyle != "body"
	if !basic {
		form.Set("client_id", clientID)
		if secret != "" {
			form.Set("client_secret", secret)
		}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.RevocationURL, strings.NewReader(form.Encode()))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if basic {
		req.SetBasicAuth(url.QueryEscape(clientID), url.QueryEscape(secret))
	}
	resp, err := e.http.secret.Do(req)
	if err != nil {
		return unreachable("revoke the "+strings.ReplaceAll(hint, "_", " "), p.Name, err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s answered HTTP %d to revoking the %s", p.Name, resp.StatusCode, strings.ReplaceAll(hint, "_", " "))
	}
	return nil
}

package auth

import (
	"bytes"
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/keyport/keyport/assets"
	"github.com/keyport/keyport/internal/boundary"
	"golang.org/x/oauth2"
)

// callbackPage is parsed on first use, not at start-up: every `keyport`
// command would pay for it (docs/BENCHMARKS.md), and only a sign-in needs it.
// Connect parses it while the person signs in.
var callbackPage = sync.OnceValue(func() *template.Template {
	return template.Must(template.New("callback").Parse(assets.CallbackPage))
})

// errWrongState reports a callback that does not belong to this flow; the
// flow keeps waiting for the real one.
var errWrongState = errors.New("this sign-in response does not belong to the sign-in Keyport is waiting for (its state does not match); it may come from an older attempt")

// serveCallback answers the browser's redirect to the loopback server. The
// page goes out whole (with its length, then flushed) before a claiming
// callback's outcome is passed on, so the flow can close the server at once
// without cutting the page short.
func (f *Flow) serveCallback(w http.ResponseWriter, r *http.Request) {
	status, acct, claimed, err := f.handle(r.URL.Query())
	page := struct {
		OK             bool
		Title, Message string
	}{OK: err == nil, Title: "Connected to " + f.p.Name}
	switch {
	case err == nil:
		page.Message = "Keyport has connected " + acct.Name + "."
	case errors.Is(err, ErrDenied):
		page.Title, page.Message = "Not connected", sentence(err)
	default:
		page.Title, page.Message = "Could not connect to "+f.p.Name, sentence(err)
	}
	var body bytes.Buffer
	_ = callbackPage().Execute(&body, page)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(body.Len()))
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Connection", "close")
	w.WriteHeader(status)
	_, _ = w.Write(body.Bytes())
	_ = http.NewResponseController(w).Flush()
	if claimed {
		f.pass(outcome{acct, err})
	}
}

// handle checks one authorization response (RFC 6749 section 4.1.2) and,
// for the first one with the right state, completes the sign-in. It returns
// the HTTP status for the browser, the account, whether this response
// claimed the flow and what went wrong; the caller passes the outcome of a
// claiming response on to the flow.
func (f *Flow) handle(q url.Values) (status int, acct Account, claimed bool, err error) {
	got := q.Get("state")
	if got == "" || subtle.ConstantTimeCompare([]byte(got), []byte(f.state)) != 1 {
		return http.StatusBadRequest, Account{}, false, errWrongState
	}
	if !f.claimed.CompareAndSwap(false, true) {
		return http.StatusConflict, Account{}, false, errors.New("this sign-in has already been completed; return to Keyport")
	}
	acct, err = f.complete(q)
	if err != nil && f.ctx.Err() != nil {
		err = f.ctxErr() // cancelled or timed out meanwhile: say that, not what it broke
	}
	if err != nil {
		return http.StatusBadRequest, Account{}, true, err
	}
	return http.StatusOK, acct, true, nil
}

// complete turns a response with the right state into a connected account:
// RFC 9207 issuer check, error response, code exchange with the PKCE
// verifier, ID token check, profile, keychain and index.
func (f *Flow) complete(q url.Values) (Account, error) {
	name := f.p.Name
	if err := checkIssuer(f.p, q); err != nil {
		return Account{}, err
	}
	if code := q.Get("error"); code != "" {
		return Account{}, authorizeError(name, code, q.Get("error_description"))
	}
	code := q.Get("code")
	if code == "" {
		return Account{}, fmt.Errorf("connect %s: the provider sent the browser back without a code; try again", name)
	}
	ctx := context.WithValue(f.ctx, oauth2.HTTPClient, f.e.http.tokenClient(f.p))
	var opts []oauth2.AuthCodeOption
	if f.verifier != "" {
		opts = append(opts, oauth2.VerifierOption(f.verifier))
	}
	tok, err := f.cfg.Exchange(ctx, code, opts...)
	if err != nil {
		return Account{}, tokenError(name, "exchange the sign-in code", err, false)
	}
	// The ID token's keys were fetched while the person signed in; a
	// fetch still under way is waited for rather than raced with a second.
	select {
	case <-f.warmed:
	case <-ctx.Done():
	}
	return f.grant().accept(ctx, f.e, tok)
}

// grant describes what this flow's token response must satisfy.
func (f *Flow) grant() grant {
	return grant{p: f.p, ids: f.ids, clientID: f.cfg.ClientID, nonce: f.nonce, params: f.params,
		wantIDToken: f.nonce != ""}
}

// checkIssuer applies RFC 9207: an iss parameter must name the provider's
// issuer, and must be present when the metadata says the server sends it.
func checkIssuer(p Provider, q url.Values) error {
	iss, present := q.Get("iss"), q.Has("iss")
	switch {
	case present && p.Issuer != "" && iss != p.Issuer:
		return fmt.Errorf("connect %s: the response names issuer %q, not %q; it may come from another provider (mix-up attack), so it was refused", p.Name, boundary.Text(iss, 100), p.Issuer)
	case !present && p.IssRequired:
		return fmt.Errorf("connect %s: the response lacks the iss parameter the provider promises (RFC 9207), so it was refused", p.Name)
	}
	return nil
}

// authorizeError words an error response from the authorization endpoint.
func authorizeError(provider, code, desc string) error {
	code, desc = boundary.Text(code, maxCodeLen), boundary.Text(desc, maxDescLen)
	switch code {
	case "access_denied":
		return fmt.Errorf("%w: you declined access on %s", ErrDenied, provider)
	case "invalid_scope":
		return fmt.Errorf("connect %s: the provider refused the requested scopes (%s); check the scopes in the providers file", provider, desc)
	case "unauthorized_client", "invalid_request":
		return fmt.Errorf("connect %s: the provider refused the sign-in request (%s: %s); check the client id and the registered redirect URI", provider, code, desc)
	}
	if desc != "" {
		return fmt.Errorf("connect %s: the provider answered %s: %s", provider, code, desc)
	}
	return fmt.Errorf("connect %s: the provider answered %s", provider, code)
}

// Paste completes the flow from the final redirect URL copied out of a
// browser that cannot reach the loopback server (an SSH session, another
// machine). The same state, issuer and PKCE checks apply. A URL that does
// not belong to this flow returns an error and the flow keeps waiting;
// otherwise Paste waits for the flow to end and returns its error.
func (f *Flow) Paste(redirectURL string) error {
	u, err := url.Parse(strings.TrimSpace(redirectURL))
	if err != nil || u.Path != f.path {
		return fmt.Errorf("that is not the redirect URL of this sign-in: it should start with %s", f.cfg.RedirectURL)
	}
	_, acct, claimed, err := f.handle(u.Query())
	if errors.Is(err, errWrongState) {
		return err
	}
	if claimed {
		f.pass(outcome{acct, err})
	}
	_, err = f.Wait()
	return err
}

// fillToken copies the token's non-secret facts onto the account: type,
// expiry (zero when the provider sent no expires_in: the token does not
// expire), granted scopes (RFC 6749 section 5.1; the requested ones when
// the answer does not list them) and whether a refresh token came.
func fillToken(a *Account, tok *oauth2.Token, p Provider, now time.Time) {
	a.TokenType = tok.Type()
	a.Expiry = tok.Expiry
	a.Obtained = now
	a.HasRefresh = tok.RefreshToken != ""
	a.Scopes = slices.Clone(p.Scopes)
	if granted, _ := tok.Extra("scope").(string); granted != "" {
		a.Scopes = splitScopes(granted, p.Separator())
	}
}

func splitScopes(s, sep string) []string {
	var out []string
	for _, part := range strings.Split(s, sep) {
		if part = strings.TrimSpace(part); part != "" {
			out = append(out, part)
		}
	}
	if sep != " " && len(out) == 1 { // some servers answer space-separated whatever they take
		return strings.Fields(out[0])
	}
	return out
}

func secretOf(tok *oauth2.Token) Secret {
	return Secret{AccessToken: tok.AccessToken, RefreshToken: tok.RefreshToken, TokenType: tok.Type(), Expiry: tok.Expiry}
}

func containsScope(scopes []string, s string) bool { return slices.Contains(scopes, s) }

// sentence capitalises an error message for a person to read.
func sentence(err error) string {
	s := err.Error()
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:] + "."
}

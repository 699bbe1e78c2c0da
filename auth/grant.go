package auth

import (
	"context"
	"crypto/subtle"
	"fmt"

	"github.com/tidwall/gjson"
	"golang.org/x/oauth2"

	"github.com/keyport/keyport/internal/boundary"
)

// grant is what a sign-in's token response must satisfy before it becomes
// an account, whichever way it came (the browser's code, or a device
// code): the provider, its ID token checker, the client, the nonce sent,
// the param values.
type grant struct {
	p           Provider
	ids         *idTokens // nil without OpenID Connect
	clientID    string
	nonce       string // "" when none was sent
	params      map[string]string
	wantIDToken bool // openid was asked of an OpenID provider
}

// accept turns a token response into a connected account: the ID token is
// checked before the access token goes anywhere (a response that fails is
// not used at all), then the profile is read and, when it is userinfo,
// matched with the ID token; the account is stored.
func (g grant) accept(ctx context.Context, e *Engine, tok *oauth2.Token) (Account, error) {
	sub, err := g.verifyIDToken(ctx, e, tok)
	if err != nil {
		return Account{}, err
	}
	var acct Account
	var raw []byte
	if g.p.Profile.URL == "" && len(g.params) > 0 {
		acct = accountOfParams(g.p, g.params) // the account is the shop, site or tenant itself
	} else if acct, raw, err = fetchProfile(ctx, e.http.profile, g.p, "Authorization", authorization(tok.Type(), tok.AccessToken)); err != nil {
		return Account{}, err
	}
	if err := g.checkUserinfoSub(sub, raw); err != nil {
		return Account{}, err
	}
	fillToken(&acct, tok, g.p, e.clock.Now())
	acct.Params = g.params
	return e.saveConnected(ctx, acct, secretOf(tok), raw)
}

// verifyIDToken checks an ID token (OpenID Connect Core section 3.1.3.7):
// signature, issuer, audience, expiry (go-oidc) and the nonce sent, and
// returns its subject. When openid was asked of an OpenID provider, a token
// response without an ID token is refused: section 3.1.3.3 makes it
// required. Without OpenID Connect it returns "".
func (g grant) verifyIDToken(ctx context.Context, e *Engine, tok *oauth2.Token) (string, error) {
	raw, _ := tok.Extra("id_token").(string)
	if g.ids == nil {
		return "", nil
	}
	if raw == "" {
		if g.wantIDToken {
			return "", fmt.Errorf("connect %s: the provider answered without the ID token that OpenID Connect requires; the sign-in was refused", g.p.Name)
		}
		return "", nil
	}
	idt, err := g.ids.verifier(g.clientID, e.clock.Now).Verify(ctx, raw)
	if err != nil {
		return "", fmt.Errorf("connect %s: the ID token failed verification (%s); the sign-in was refused", g.p.Name, boundary.Text(err.Error(), 200))
	}
	if g.nonce != "" && subtle.ConstantTimeCompare([]byte(idt.Nonce), []byte(g.nonce)) != 1 {
		return "", fmt.Errorf("connect %s: the ID token's nonce does not match this sign-in; the sign-in was refused", g.p.Name)
	}
	return idt.Subject, nil
}

// checkUserinfoSub applies OpenID Connect Core section 5.3.2: when the
// profile is the userinfo response, its sub must equal the ID token's, or
// the response belongs to someone else and is not used.
func (g grant) checkUserinfoSub(idSub string, profile []byte) error {
	if idSub == "" || g.p.UserinfoURL == "" || g.p.Profile.URL != g.p.UserinfoURL {
		return nil
	}
	if got := gjson.GetBytes(profile, "sub"); got.Type != gjson.String || got.Str != idSub {
		return fmt.Errorf("connect %s: the userinfo response is about another user than the ID token (its sub differs); the sign-in was refused", g.p.Name)
	}
	return nil
}

package auth

import (
	"fmt"
	"strings"
)

// AccountAPI says where an account's API requests go and how its
// credential travels, as the catalogue says: for `keyport token --format
// header` and the local API proxy.
type AccountAPI struct {
	// Base is the provider's api_base with the account's params (its shop,
	// tenant or base URL) filled in, checked like every endpoint; empty when
	// the catalogue names none.
	Base string
	// Header is the request header that carries the credential:
	// Authorization for an OAuth token, the header api_key names for a
	// pasted key.
	Header string
	// Prefix comes before a pasted key in Header (api_key.prefix, such as
	// "Bearer "). An OAuth token is always preceded by its token type.
	Prefix string
}

// Value returns the value of Header for s, a credential of the account:
// Prefix and the pasted key, or the token type and the access token
// ("Bearer …", RFC 6750 section 2.1).
func (a AccountAPI) Value(s Secret) string {
	if s.APIKey != "" {
		return a.Prefix + s.APIKey
	}
	return authorization(s.TokenType, s.AccessToken)
}

// AccountAPI returns where the API of the account with key is and how its
// credential is sent. It reads only the catalogue and the index, never the
// keychain; an unknown account is an error wrapping ErrUnknownAccount.
func (e *Engine) AccountAPI(key string) (AccountAPI, error) {
	a, ok := e.Account(key)
	if !ok {
		return AccountAPI{}, fmt.Errorf("%w %q: 'keyport accounts' lists the connected ones", ErrUnknownAccount, key)
	}
	p, err := e.accountProvider(a)
	if err != nil {
		return AccountAPI{}, err
	}
	api := AccountAPI{Base: strings.TrimSuffix(p.APIBase, "/"), Header: "Authorization"}
	if a.APIKey {
		if !p.SupportsAPIKey() {
			return AccountAPI{}, fmt.Errorf("%s is connected with a pasted key, but the catalogue entry of %s no longer says how to send one (api_key.header)", key, p.Name)
		}
		api.Header, api.Prefix = p.APIKey.Header, p.APIKey.Prefix
	}
	return api, nil
}

package auth

import (
	"strings"
	"time"
)

// Status is the state of an account's token as the window shows it.
type Status string

// Token states, as published by the refresher.
const (
	StatusValid      Status = "valid"      // the access token works; Expiry says until when (zero: does not expire)
	StatusRefreshing Status = "refreshing" // a refresh request is in flight
	StatusRetrying   Status = "retrying"   // a transient failure; RetryAt says when the next try is
	StatusReconnect  Status = "reconnect"  // the provider rejected the grant; connect again
	StatusError      Status = "error"      // something else went wrong; Reason says what
	StatusExpired    Status = "expired"    // the access token expired and no refresh token exists
)

// Account is the non-secret record of one connected account, as kept in the
// index file. Everything the window lists comes from here, so starting the
// app never touches the keychain. Secrets live in the keychain under Key.
type Account struct {
	Provider   string `json:"provider"`          // catalogue id, e.g. "patreon"
	ID         string `json:"id"`                // the provider's account id
	Name       string `json:"name,omitempty"`    // display name from the profile
	Email      string `json:"email,omitempty"`   // email or handle
	AvatarURL  string `json:"avatar,omitempty"`  // picture URL from the profile
	ProfileURL string `json:"profile,omitempty"` // the account's page at the provider

	Scopes     []string  `json:"scopes,omitempty"`     // scopes granted (RFC 6749 section 5.1), or requested when the provider did not say
	TokenType  string    `json:"token_type,omitempty"` // usually "Bearer"
	Expiry     time.Time `json:"expiry,omitzero"`      // access token expiry; zero means it does not expire
	Obtained   time.Time `json:"obtained,omitzero"`    // when the current access token was issued to us
	HasRefresh bool      `json:"has_refresh,omitempty"`
	APIKey     bool      `json:"api_key,omitempty"` // the secret is an API key the person pasted, not an OAuth token
	// Params are the values of the provider's params (its shop, tenant or
	// base URL) the account was connected with; its refreshes and API
	// calls go there.
	Params map[string]string `json:"params,omitempty"`

	Connected   time.Time `json:"connected"`
	LastRefresh time.Time `json:"last_refresh,omitzero"`

	// RefreshStarted is set while a refresh request is out and cleared once
	// its result is saved; found set at the next refresh, it means Keyport
	// was stopped in between.
	RefreshStarted time.Time `json:"refresh_started,omitzero"`

	Status  Status    `json:"status"`
	Reason  string    `json:"reason,omitempty"`  // words for the person when Status is retrying, reconnect or error
	RetryAt time.Time `json:"retry_at,omitzero"` // next try when Status is retrying
}

// Key identifies an account: provider id and the provider's account id.
// Connecting the same account again updates it instead of adding another.
func (a Account) Key() string { return a.Provider + "/" + a.ID }

// splitKey is the inverse of Account.Key.
func splitKey(key string) (provider, id string, ok bool) {
	return strings.Cut(key, "/")
}

// Expires reports whether the access token has an expiry at all.
func (a Account) Expires() bool { return !a.Expiry.IsZero() }

// Secret is what Keyport keeps in the keychain for one account. It never
// goes into a plain file, a log or an error string.
type Secret struct {
	AccessToken  string    `json:"access_token,omitempty"`
	RefreshToken string    `json:"refresh_token,omitempty"`
	TokenType    string    `json:"token_type,omitempty"`
	Expiry       time.Time `json:"expiry,omitzero"`
	APIKey       string    `json:"api_key,omitempty"`
}

// Value is the credential a person copies: the access token, or the API key.
func (s Secret) Value() string {
	if s.APIKey != "" {
		return s.APIKey
	}
	return s.AccessToken
}

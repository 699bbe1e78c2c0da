package auth

import (
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strings"

	"github.com/keyport/keyport/internal/boundary"
)

// Mode says how a provider authenticates.
type Mode string

// Provider modes.
const (
	ModeOAuth2 Mode = "oauth2"  // authorization code flow with PKCE in the browser
	ModeAPIKey Mode = "api_key" // the person pastes an API key
)

// Provider is one catalogue entry: everything Keyport needs to connect an
// account and read its profile. Entries are data (assets/providers.json and
// the user providers file), not code. The zero value of an optional field
// means its default.
type Provider struct {
	ID          string `json:"id"`                     // stable id: lower-case letters, digits and dashes
	Name        string `json:"name"`                   // display name
	Icon        string `json:"icon,omitempty"`         // file name under assets/icons, or empty for a generic icon
	Mode        Mode   `json:"mode,omitempty"`         // the way Connect works: oauth2 (default) or api_key; an entry may support both
	Unconfirmed bool   `json:"unconfirmed,omitempty"`  // a fact came from elsewhere than the provider's own documentation (notes say which)
	Docs        string `json:"docs,omitempty"`         // the provider's own page for its OAuth or API-key set-up: the source of the entry's facts
	RegisterURL string `json:"register_url,omitempty"` // where a person registers an OAuth client (or finds the API key)
	Notes       string `json:"notes,omitempty"`        // one sentence for the set-up form
	// APIBase is the URL the provider's API is under (its origin, and a
	// base path where every endpoint shares one): for the documentation
	// and for the local API proxy.
	APIBase string `json:"api_base,omitempty"`
	// Params are what the person gives at set-up when the provider's hosts
	// depend on the account (a shop, a subdomain, a tenant, a self-hosted
	// base URL); endpoint URLs name them as {name}.
	Params []Param `json:"params,omitempty"`
	// TokenResponse names, by gjson path, where a token response that
	// nests its fields keeps them (Slack's user token:
	// "authed_user.access_token"); a field the response has at the top
	// level is taken from there.
	TokenResponse map[string]string `json:"token_response,omitempty"`

	// Issuer turns on OpenID Connect / RFC 8414 discovery: endpoints the
	// entry leaves empty come from the issuer's metadata, the userinfo
	// endpoint serves as profile, and ID tokens are verified.
	Issuer          string            `json:"issuer,omitempty"`
	AuthorizeURL    string            `json:"authorize_url,omitempty"`
	TokenURL        string            `json:"token_url,omitempty"`
	RefreshURL      string            `json:"refresh_url,omitempty"`              // where refreshes go when not to token_url (Figma)
	RevocationURL   string            `json:"revocation_url,omitempty"`           // RFC 7009; empty: tokens cannot be revoked from here
	DeviceAuthURL   string            `json:"device_authorization_url,omitempty"` // RFC 8628 device authorization endpoint; empty: no device grant
	Scopes          []string          `json:"scopes,omitempty"`
	ScopeSeparator  string            `json:"scope_separator,omitempty"`  // default " "
	PKCE            *bool             `json:"pkce,omitempty"`             // default true (S256)
	AuthStyle       string            `json:"auth_style,omitempty"`       // "body" (client_secret_post), "basic" (client_secret_basic) or "" to detect
	RedirectPort    int               `json:"redirect_port,omitempty"`    // a fixed loopback port the provider has registered; 0: any port
	NeedsFixedPort  bool              `json:"needs_fixed_port,omitempty"` // the provider matches redirect URIs exactly, port included
	NeedsSecret     bool              `json:"needs_secret,omitempty"`     // the provider issues confidential clients only
	AuthorizeParams map[string]string `json:"authorize_params,omitempty"`
	ClientID        string            `json:"client_id,omitempty"` // user file only: client ids are the person's, not the repository's

	Profile ProfileSpec `json:"profile,omitzero"`
	APIKey  *APIKeySpec `json:"api_key,omitempty"`

	// IssRequired is set from discovery metadata
	// (authorization_response_iss_parameter_supported, RFC 9207): the
	// callback must then carry iss.
	IssRequired bool `json:"-"`
	// UserinfoURL is set from discovery metadata.
	UserinfoURL string `json:"-"`
}

// ProfileSpec says how to fetch the account's profile with the access token
// and where its fields are in the JSON answer. Paths use gjson syntax
// ("user.name", "data.attributes.email").
type ProfileSpec struct {
	URL     string            `json:"url,omitempty"`
	Headers map[string]string `json:"headers,omitempty"`
	ID      string            `json:"id,omitempty"`
	Name    string            `json:"name,omitempty"`
	Email   string            `json:"email,omitempty"`
	Avatar  string            `json:"avatar,omitempty"`
	Page    string            `json:"page,omitempty"`
}

// APIKeySpec describes a credential the person pastes instead of signing
// in: an API key, or a personal access token the provider issues for the
// person's own account. It says how the credential is sent and, where the
// provider has one, a request that checks it.
type APIKeySpec struct {
	Label    string `json:"label,omitempty"`     // what the provider calls it: "API key" (default), "access token", "personal access token"
	Header   string `json:"header"`              // e.g. "API-KEY", "Authorization"
	Prefix   string `json:"prefix,omitempty"`    // e.g. "Bearer "
	CheckURL string `json:"check_url,omitempty"` // GET with the key; 2xx means valid
	// Profile says the provider's profile request (profile.url and its
	// field paths) works with the pasted credential: it is checked by
	// reading the profile, and the account is the profile's.
	Profile bool   `json:"profile,omitempty"`
	Help    string `json:"help,omitempty"` // where to find the key
}

// KeyLabel returns what the provider calls the credential a person pastes.
func (s *APIKeySpec) KeyLabel() string {
	if s == nil || s.Label == "" {
		return "API key"
	}
	return s.Label
}

// SupportsOAuth reports whether the entry has OAuth endpoints, or an issuer
// to discover them from.
func (p Provider) SupportsOAuth() bool {
	return p.Issuer != "" || (p.AuthorizeURL != "" && p.TokenURL != "")
}

// SupportsAPIKey reports whether a person can paste an API key instead.
func (p Provider) SupportsAPIKey() bool { return p.APIKey != nil && p.APIKey.Header != "" }

// UsesPKCE reports whether the flow sends a PKCE S256 challenge.
func (p Provider) UsesPKCE() bool { return p.PKCE == nil || *p.PKCE }

// Separator returns the scope separator.
func (p Provider) Separator() string {
	if p.ScopeSeparator == "" {
		return " "
	}
	return p.ScopeSeparator
}

// isID reports whether s is 1 to n bytes of a-z, 0-9 and '-'. (As
// regexps with a {0,39} repeat these were compiled at every start.)
func isID(s string, n int) bool {
	if s == "" || len(s) > n {
		return false
	}
	for _, c := range []byte(s) {
		if (c < 'a' || c > 'z') && (c < '0' || c > '9') && c != '-' {
			return false
		}
	}
	return true
}

// Validate checks an entry once its discovery (if any) is done and says
// which field is wrong and how to fix it.
func (p Provider) Validate() error {
	if !isID(p.ID, 40) || p.ID[0] == '-' {
		return fmt.Errorf("provider %q: id must be 1-40 lower-case letters, digits or dashes", p.ID)
	}
	if p.Name == "" {
		return fmt.Errorf("provider %s: name is missing", p.ID)
	}
	if p.RedirectPort < 0 || p.RedirectPort > 65535 {
		return fmt.Errorf("provider %s: redirect_port %d is not a port number (1-65535, or 0 for any)", p.ID, p.RedirectPort)
	}
	switch p.Mode {
	case ModeAPIKey:
		if !p.SupportsAPIKey() {
			return fmt.Errorf("provider %s: api_key mode needs api_key.header", p.ID)
		}
	case ModeOAuth2:
		if !p.SupportsOAuth() {
			return fmt.Errorf("provider %s: authorize_url and token_url are needed (or an issuer to discover them)", p.ID)
		}
	default:
		return fmt.Errorf("provider %s: mode %q is unknown (use oauth2 or api_key)", p.ID, p.Mode)
	}
	if p.APIKey != nil && p.APIKey.Header == "" {
		return fmt.Errorf("provider %s: api_key.header is missing", p.ID)
	}
	if p.APIKey != nil && p.APIKey.Profile && p.Profile.URL == "" {
		return fmt.Errorf("provider %s: api_key.profile needs profile.url and its field paths", p.ID)
	}
	if err := p.checkParams(); err != nil {
		return err
	}
	for field, path := range p.TokenResponse {
		if !slices.Contains(tokenFields, field) || path == "" {
			return fmt.Errorf("provider %s: token_response.%s is not one of %s, or has no path", p.ID, field, strings.Join(tokenFields, ", "))
		}
	}
	if p.AuthStyle != "" && p.AuthStyle != "body" && p.AuthStyle != "basic" {
		return fmt.Errorf("provider %s: auth_style %q is unknown (use body or basic)", p.ID, p.AuthStyle)
	}
	for name, link := range map[string]string{"register_url": p.RegisterURL, "docs": p.Docs} {
		if link == "" {
			continue
		}
		if _, err := boundary.CheckLink(p.sample(link)); err != nil {
			return fmt.Errorf("provider %s: %s %w", p.ID, name, err)
		}
	}
	if u, err := url.Parse(p.Issuer); err == nil && (u.RawQuery != "" || u.ForceQuery) {
		return fmt.Errorf("provider %s: issuer must not have a query (OpenID Connect Discovery section 3)", p.ID)
	}
	fields := map[string]string{
		"issuer": p.Issuer, "authorize_url": p.AuthorizeURL, "token_url": p.TokenURL, "refresh_url": p.RefreshURL,
		"revocation_url": p.RevocationURL, "profile.url": p.Profile.URL, "api_base": p.APIBase,
		"device_authorization_url": p.DeviceAuthURL,
	}
	if p.APIKey != nil {
		fields["api_key.check_url"] = p.APIKey.CheckURL
	}
	for name, raw := range fields {
		fields[name] = p.sample(raw)
	}
	return checkURLs(p.ID, fields)
}

// checkURLs applies boundary.CheckURL to a catalogue entry's endpoints:
// absolute https URLs, plain http only on this computer (local test and
// demo servers), no credentials and no fragment. A providers file is the
// person's own, so its entries may name this computer.
func checkURLs(id string, fields map[string]string) error {
	for _, name := range slices.Sorted(maps.Keys(fields)) {
		raw := fields[name]
		if raw == "" {
			continue
		}
		if _, err := boundary.CheckURL(raw, true); err != nil {
			return fmt.Errorf("provider %s: %s %w", id, name, err)
		}
	}
	return nil
}

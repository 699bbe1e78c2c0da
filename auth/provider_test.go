package auth

import (
	"strings"
	"testing"
)

func TestValidate(t *testing.T) {
	oauth := func(mut func(p *Provider)) Provider {
		p := Provider{ID: "my-idp", Name: "My IdP", Mode: ModeOAuth2,
			AuthorizeURL: "https://idp.example/authorize", TokenURL: "https://idp.example/token",
			RevocationURL: "https://idp.example/revoke",
			Profile:       ProfileSpec{URL: "https://idp.example/me", ID: "sub"}}
		if mut != nil {
			mut(&p)
		}
		return p
	}
	apiKey := func(mut func(p *Provider)) Provider {
		p := Provider{ID: "keyed", Name: "Keyed", Mode: ModeAPIKey,
			APIKey: &APIKeySpec{Header: "API-KEY", CheckURL: "https://api.example/check"}}
		if mut != nil {
			mut(&p)
		}
		return p
	}
	tests := []struct {
		name string
		p    Provider
		want []string // substrings of the error; nil: valid
	}{
		{"oauth2 entry", oauth(nil), nil},
		{"api_key entry", apiKey(nil), nil},
		{"issuer only", Provider{ID: "oidc", Name: "OIDC", Mode: ModeOAuth2, Issuer: "https://login.example"}, nil},
		{"oauth2 entry that also takes a key", oauth(func(p *Provider) { p.APIKey = &APIKeySpec{Header: "X-Key"} }), nil},
		{"api_key entry with OAuth endpoints", apiKey(func(p *Provider) { p.AuthorizeURL, p.TokenURL = "https://a.example/a", "https://a.example/t" }), nil},
		{"one-character id", oauth(func(p *Provider) { p.ID = "a" }), nil},
		{"40-character id", oauth(func(p *Provider) { p.ID = strings.Repeat("a", 40) }), nil},
		{"digits and dashes", oauth(func(p *Provider) { p.ID = "0-a-9" }), nil},
		{"port 0", oauth(func(p *Provider) { p.RedirectPort = 0 }), nil},
		{"port 65535", oauth(func(p *Provider) { p.RedirectPort = 65535 }), nil},
		{"auth_style body", oauth(func(p *Provider) { p.AuthStyle = "body" }), nil},
		{"auth_style basic", oauth(func(p *Provider) { p.AuthStyle = "basic" }), nil},
		{"http on 127.0.0.1", oauth(func(p *Provider) { p.TokenURL = "http://127.0.0.1:8080/token" }), nil},
		{"http on localhost", oauth(func(p *Provider) { p.TokenURL = "http://localhost/token" }), nil},
		{"http on [::1]", oauth(func(p *Provider) { p.TokenURL = "http://[::1]:9/token" }), nil},
		{"https with port and query", oauth(func(p *Provider) { p.Profile.URL = "https://api.example:8443/me?fields%5Buser%5D=a" }), nil},

		{"empty id", oauth(func(p *Provider) { p.ID = "" }), []string{`provider ""`, "id must be 1-40 lower-case letters"}},
		{"upper-case id", oauth(func(p *Provider) { p.ID = "Patreon" }), []string{`"Patreon"`, "id must be"}},
		{"underscore id", oauth(func(p *Provider) { p.ID = "my_idp" }), []string{"id must be"}},
		{"id starts with dash", oauth(func(p *Provider) { p.ID = "-idp" }), []string{"id must be"}},
		{"id with space", oauth(func(p *Provider) { p.ID = "my idp" }), []string{"id must be"}},
		{"id with slash", oauth(func(p *Provider) { p.ID = "a/b" }), []string{"id must be"}},
		{"id with newline", oauth(func(p *Provider) { p.ID = "a\n" }), []string{"id must be"}},
		{"41-character id", oauth(func(p *Provider) { p.ID = strings.Repeat("a", 41) }), []string{"id must be"}},
		{"missing name", oauth(func(p *Provider) { p.Name = "" }), []string{"provider my-idp", "name is missing"}},
		{"negative port", oauth(func(p *Provider) { p.RedirectPort = -1 }), []string{"redirect_port -1 is not a port number"}},
		{"port too large", oauth(func(p *Provider) { p.RedirectPort = 65536 }), []string{"redirect_port 65536"}},
		{"api_key mode without api_key", apiKey(func(p *Provider) { p.APIKey = nil }), []string{"provider keyed", "api_key mode needs api_key.header"}},
		{"api_key mode with empty header", apiKey(func(p *Provider) { p.APIKey.Header = "" }), []string{"api_key mode needs api_key.header"}},
		{"oauth2 without endpoints", oauth(func(p *Provider) { p.AuthorizeURL, p.TokenURL = "", "" }), []string{"authorize_url and token_url are needed"}},
		{"oauth2 without token_url", oauth(func(p *Provider) { p.TokenURL = "" }), []string{"authorize_url and token_url are needed"}},
		{"oauth2 without authorize_url", oauth(func(p *Provider) { p.AuthorizeURL = "" }), []string{"authorize_url and token_url are needed"}},
		{"empty mode", oauth(func(p *Provider) { p.Mode = "" }), []string{`mode "" is unknown`}},
		{"unknown mode", oauth(func(p *Provider) { p.Mode = "saml" }), []string{`mode "saml" is unknown (use oauth2 or api_key)`}},
		{"oauth2 with an api_key lacking header", oauth(func(p *Provider) { p.APIKey = &APIKeySpec{Prefix: "Bearer "} }), []string{"api_key.header is missing"}},
		{"check_url over http", apiKey(func(p *Provider) { p.APIKey.CheckURL = "http://api.example/check" }), []string{"api_key.check_url must use https"}},
		{"check_url relative", apiKey(func(p *Provider) { p.APIKey.CheckURL = "/v2/check" }), []string{`api_key.check_url is not an absolute URL`}},
		{"unknown auth_style", oauth(func(p *Provider) { p.AuthStyle = "post" }), []string{`auth_style "post" is unknown (use body or basic)`}},
		{"issuer over http", Provider{ID: "oidc", Name: "OIDC", Mode: ModeOAuth2, Issuer: "http://login.example"}, []string{"issuer must use https"}},
		{"authorize_url over http", oauth(func(p *Provider) { p.AuthorizeURL = "http://idp.example/a" }), []string{"authorize_url must use https"}},
		{"token_url over http", oauth(func(p *Provider) { p.TokenURL = "http://idp.example/t" }), []string{"token_url must use https"}},
		{"revocation_url over http", oauth(func(p *Provider) { p.RevocationURL = "http://idp.example/r" }), []string{"revocation_url must use https"}},
		{"profile.url over http", oauth(func(p *Provider) { p.Profile.URL = "http://idp.example/me" }), []string{"profile.url must use https"}},
		{"http on a public address", oauth(func(p *Provider) { p.TokenURL = "http://192.0.2.1/t" }), []string{"token_url must use https"}},
		{"http on a host named like localhost", oauth(func(p *Provider) { p.TokenURL = "http://localhost.evil.example/t" }), []string{"token_url must use https"}},
		{"ftp scheme", oauth(func(p *Provider) { p.TokenURL = "ftp://idp.example/t" }), []string{"token_url uses ftp:"}},
		{"https on loopback is fine but not http on a remote", oauth(func(p *Provider) { p.AuthorizeURL = "https://127.0.0.1/a"; p.TokenURL = "http://example.com/t" }), []string{"token_url must use https"}},
		{"URL without scheme", oauth(func(p *Provider) { p.TokenURL = "idp.example/token" }), []string{`token_url is not an absolute URL`}},
		{"unparsable URL", oauth(func(p *Provider) { p.TokenURL = "https://idp.example/%zz" }), []string{"token_url", "not an absolute URL"}},
		{"URL with bad host", oauth(func(p *Provider) { p.AuthorizeURL = "https://[::1" }), []string{"authorize_url", "not an absolute URL"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.p.Validate()
			if tt.want == nil {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Validate() = nil, want an error containing %q", tt.want)
			}
			for _, s := range tt.want {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("Validate() = %q, want it to contain %q", err, s)
				}
			}
		})
	}
}

func TestProviderUsesPKCE(t *testing.T) {
	yes, no := true, false
	tests := []struct {
		name string
		pkce *bool
		want bool
	}{
		{"default", nil, true},
		{"explicit true", &yes, true},
		{"explicit false", &no, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := (Provider{PKCE: tt.pkce}).UsesPKCE(); got != tt.want {
				t.Errorf("UsesPKCE() = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestProviderSeparator(t *testing.T) {
	tests := []struct{ set, want string }{
		{"", " "},
		{" ", " "},
		{",", ","},
		{"+", "+"},
	}
	for _, tt := range tests {
		t.Run(tt.set, func(t *testing.T) {
			if got := (Provider{ScopeSeparator: tt.set}).Separator(); got != tt.want {
				t.Errorf("Separator() = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestProviderSupports(t *testing.T) {
	tests := []struct {
		name          string
		p             Provider
		oauth, apiKey bool
	}{
		{"nothing", Provider{}, false, false},
		{"issuer", Provider{Issuer: "https://i.example"}, true, false},
		{"both endpoints", Provider{AuthorizeURL: "https://a", TokenURL: "https://t"}, true, false},
		{"authorize only", Provider{AuthorizeURL: "https://a"}, false, false},
		{"token only", Provider{TokenURL: "https://t"}, false, false},
		{"api key", Provider{APIKey: &APIKeySpec{Header: "K"}}, false, true},
		{"api key without header", Provider{APIKey: &APIKeySpec{}}, false, false},
		{"both", Provider{Issuer: "https://i.example", APIKey: &APIKeySpec{Header: "K"}}, true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.p.SupportsOAuth(); got != tt.oauth {
				t.Errorf("SupportsOAuth() = %v, want %v", got, tt.oauth)
			}
			if got := tt.p.SupportsAPIKey(); got != tt.apiKey {
				t.Errorf("SupportsAPIKey() = %v, want %v", got, tt.apiKey)
			}
		})
	}
}

package auth

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"

	"github.com/keyport/keyport/internal/boundary"
)

// metadata is the part of an OpenID Provider Configuration / RFC 8414
// Authorization Server Metadata document that Keyport reads.
type metadata struct {
	Issuer           string   `json:"issuer"`
	Authorization    string   `json:"authorization_endpoint"`
	Token            string   `json:"token_endpoint"`
	Revocation       string   `json:"revocation_endpoint"`
	Userinfo         string   `json:"userinfo_endpoint"`
	JWKS             string   `json:"jwks_uri"`
	Device           string   `json:"device_authorization_endpoint"`
	IssParameter     bool     `json:"authorization_response_iss_parameter_supported"`
	SigningAlgs      []string `json:"id_token_signing_alg_values_supported"`
	ChallengeMethods []string `json:"code_challenge_methods_supported"`
	AuthMethods      []string `json:"token_endpoint_auth_methods_supported"`
}

// discovery is a resolved issuer: the metadata, and the checker of its ID
// tokens (nil for a plain OAuth server without jwks_uri).
type discovery struct {
	meta metadata
	ids  *idTokens
}

// wellKnown returns the discovery URLs to try for an issuer, in order:
// OpenID Connect Discovery 1.0 section 4, then RFC 8414 section 3 (with the
// well-known segment inserted before the issuer's path).
func wellKnown(issuer string) []string {
	trimmed := strings.TrimSuffix(issuer, "/")
	urls := []string{trimmed + "/.well-known/openid-configuration"}
	if scheme, rest, ok := strings.Cut(trimmed, "://"); ok {
		host, path, _ := strings.Cut(rest, "/")
		if path != "" {
			path = "/" + path
		}
		urls = append(urls, scheme+"://"+host+"/.well-known/oauth-authorization-server"+path)
	}
	return urls
}

// errNoDocument reports a well-known URL that holds no document.
var errNoDocument = errors.New("no metadata there")

// discover fetches the issuer's metadata. The issuer in the document must
// equal the configured one exactly (OpenID Connect Discovery section 4.3,
// RFC 8414 section 3.3), or the entry is refused.
func discover(ctx context.Context, client *http.Client, issuer string) (discovery, error) {
	var lastErr error
	for _, u := range wellKnown(issuer) {
		m, err := fetchMetadata(ctx, client, u)
		if err != nil {
			// A document that is not there sends Keyport to the next
			// well-known URL; any other failure says more.
			if lastErr == nil || errors.Is(lastErr, errNoDocument) {
				lastErr = err
			}
			continue
		}
		if m.Issuer != issuer {
			return discovery{}, fmt.Errorf("discover %s: the metadata names issuer %q, which differs from the configured one; fix the issuer in the providers file", issuer, boundary.Text(m.Issuer, 200))
		}
		if m.Authorization == "" || m.Token == "" {
			return discovery{}, fmt.Errorf("discover %s: the metadata has no authorization or token endpoint", issuer)
		}
		if err := m.check(); err != nil {
			return discovery{}, fmt.Errorf("discover %s: %w; Keyport does not use an issuer whose metadata says so", issuer, err)
		}
		d := discovery{meta: m}
		if m.JWKS != "" {
			d.ids = newIDTokens(client, m)
		}
		return d, nil
	}
	return discovery{}, fmt.Errorf("discover %s: %w (check the issuer URL and that the server is running)", issuer, lastErr)
}

// check applies boundary.CheckURL to every endpoint the metadata names, as
// the catalogue's own endpoints are checked: https only, and this computer
// only for an issuer on this computer.
func (m metadata) check() error {
	loopbackOK := boundary.IsLoopbackURL(m.Issuer)
	fields := []struct{ name, raw string }{{"authorization_endpoint", m.Authorization}, {"token_endpoint", m.Token},
		{"revocation_endpoint", m.Revocation}, {"userinfo_endpoint", m.Userinfo}, {"jwks_uri", m.JWKS},
		{"device_authorization_endpoint", m.Device}}
	for _, f := range fields {
		if f.raw == "" {
			continue
		}
		if _, err := boundary.CheckURL(f.raw, loopbackOK); err != nil {
			return fmt.Errorf("the metadata's %s %w", f.name, err)
		}
	}
	return nil
}

func fetchMetadata(ctx context.Context, client *http.Client, u string) (metadata, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return metadata{}, err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return metadata{}, err
	}
	defer resp.Body.Close()
	body, err := boundary.ReadAll(resp.Body, maxMetadataBytes)
	if err != nil {
		return metadata{}, fmt.Errorf("read %s: %w", u, err)
	}
	if resp.StatusCode == http.StatusNotFound {
		return metadata{}, fmt.Errorf("%s answered HTTP 404: %w", u, errNoDocument)
	}
	if resp.StatusCode != http.StatusOK {
		return metadata{}, fmt.Errorf("%s answered HTTP %d", u, resp.StatusCode)
	}
	var m metadata
	if err := json.Unmarshal(body, &m); err != nil {
		return metadata{}, fmt.Errorf("%s is not a JSON metadata document", u)
	}
	return m, nil
}

// issuers caches the discovered metadata of each issuer URL, for the life
// of the Engine. It is safe for concurrent use.
type issuers struct {
	mu sync.Mutex // guards m
	m  map[string]discovery
}

func (is *issuers) get(providerID string) (discovery, bool) {
	is.mu.Lock()
	defer is.mu.Unlock()
	d, ok := is.m[providerID]
	return d, ok
}

func (is *issuers) put(providerID string, d discovery) {
	is.mu.Lock()
	defer is.mu.Unlock()
	if is.m == nil {
		is.m = map[string]discovery{}
	}
	is.m[providerID] = d
}

// resolve returns the provider with the endpoints an issuer-only entry left
// empty filled in from discovery (cached for the life of the Engine).
func (e *Engine) resolve(ctx context.Context, p Provider) (Provider, *idTokens, error) {
	if p.Issuer == "" {
		return p, nil, nil
	}
	d, ok := e.issuers.get(p.Issuer)
	if !ok {
		var err error
		if d, err = discover(ctx, e.http.public, p.Issuer); err != nil {
			return p, nil, err
		}
		e.issuers.put(p.Issuer, d)
	}
	p = clone(p)
	m := d.meta
	p.AuthorizeURL = cmp.Or(p.AuthorizeURL, m.Authorization)
	p.TokenURL = cmp.Or(p.TokenURL, m.Token)
	p.RevocationURL = cmp.Or(p.RevocationURL, m.Revocation)
	p.DeviceAuthURL = cmp.Or(p.DeviceAuthURL, m.Device)
	p.UserinfoURL = m.Userinfo
	p.IssRequired = m.IssParameter
	if p.Profile.URL == "" && m.Userinfo != "" {
		p.Profile = ProfileSpec{URL: m.Userinfo, ID: "sub", Name: "name", Email: "email", Avatar: "picture", Page: "profile"}
	}
	if len(p.Scopes) == 0 {
		p.Scopes = []string{"openid", "profile", "email", "offline_access"}
	}
	return p, d.ids, nil
}

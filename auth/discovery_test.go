package auth

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
)

func TestWellKnown(t *testing.T) {
	tests := []struct {
		issuer string
		want   []string
	}{
		{"https://login.example.com", []string{
			"https://login.example.com/.well-known/openid-configuration",
			"https://login.example.com/.well-known/oauth-authorization-server"}},
		{"https://login.example.com/", []string{
			"https://login.example.com/.well-known/openid-configuration",
			"https://login.example.com/.well-known/oauth-authorization-server"}},
		{"https://login.example.com/tenant", []string{
			"https://login.example.com/tenant/.well-known/openid-configuration",
			"https://login.example.com/.well-known/oauth-authorization-server/tenant"}},
		{"https://login.example.com/tenant/", []string{
			"https://login.example.com/tenant/.well-known/openid-configuration",
			"https://login.example.com/.well-known/oauth-authorization-server/tenant"}},
		{"https://login.example.com/realms/a/b", []string{
			"https://login.example.com/realms/a/b/.well-known/openid-configuration",
			"https://login.example.com/.well-known/oauth-authorization-server/realms/a/b"}},
		{"http://127.0.0.1:8080/t", []string{
			"http://127.0.0.1:8080/t/.well-known/openid-configuration",
			"http://127.0.0.1:8080/.well-known/oauth-authorization-server/t"}},
		{"login.example.com", []string{"login.example.com/.well-known/openid-configuration"}},
	}
	for _, tt := range tests {
		t.Run(tt.issuer, func(t *testing.T) {
			if got := wellKnown(tt.issuer); !slices.Equal(got, tt.want) {
				t.Errorf("wellKnown(%q) =\n %q\nwant\n %q", tt.issuer, got, tt.want)
			}
		})
	}
}

// metadataServer serves documents by path; a document's "{issuer}" and
// "{base}" are replaced with the issuer and the server URL. It records the
// paths asked for and the Accept headers sent.
type metadataServer struct {
	*httptest.Server
	mu      sync.Mutex
	paths   []string
	accepts []string
}

func newMetadataServer(t *testing.T, docs map[string]string, issuerPath string) (*metadataServer, string) {
	t.Helper()
	ms := &metadataServer{}
	ms.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ms.mu.Lock()
		ms.paths = append(ms.paths, r.URL.Path)
		ms.accepts = append(ms.accepts, r.Header.Get("Accept"))
		ms.mu.Unlock()
		doc, ok := docs[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		if strings.HasPrefix(doc, "status:") {
			http.Error(w, "down", http.StatusInternalServerError)
			return
		}
		doc = strings.NewReplacer("{issuer}", ms.URL+issuerPath, "{base}", ms.URL).Replace(doc)
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(doc))
	}))
	t.Cleanup(ms.Close)
	return ms, ms.URL + issuerPath
}

func (ms *metadataServer) requested() []string {
	ms.mu.Lock()
	defer ms.mu.Unlock()
	return slices.Clone(ms.paths)
}

const fullMetadata = `{"issuer":"{issuer}","authorization_endpoint":"{base}/authorize","token_endpoint":"{base}/token",
	"revocation_endpoint":"{base}/revoke","userinfo_endpoint":"{base}/userinfo","jwks_uri":"{base}/jwks",
	"authorization_response_iss_parameter_supported":true,"id_token_signing_alg_values_supported":["RS256","ES256"],
	"code_challenge_methods_supported":["S256"],"token_endpoint_auth_methods_supported":["client_secret_basic"]}`

func TestDiscover(t *testing.T) {
	const oidcPath = "/.well-known/openid-configuration"
	const rfc8414 = "/.well-known/oauth-authorization-server"
	tests := []struct {
		name       string
		issuerPath string
		docs       map[string]string
		wantErr    []string
		wantPaths  []string
		check      func(t *testing.T, d discovery, base string)
	}{
		{
			name: "OpenID configuration",
			docs: map[string]string{oidcPath: fullMetadata},
			check: func(t *testing.T, d discovery, base string) {
				m := d.meta
				if m.Authorization != base+"/authorize" || m.Token != base+"/token" || m.Revocation != base+"/revoke" ||
					m.Userinfo != base+"/userinfo" || m.JWKS != base+"/jwks" || !m.IssParameter ||
					!slices.Equal(m.SigningAlgs, []string{"RS256", "ES256"}) || !slices.Equal(m.ChallengeMethods, []string{"S256"}) ||
					!slices.Equal(m.AuthMethods, []string{"client_secret_basic"}) {
					t.Errorf("metadata = %+v", m)
				}
				if d.ids == nil {
					t.Error("no ID token verifier source despite jwks_uri")
				}
			},
			wantPaths: []string{oidcPath},
		},
		{
			name: "plain OAuth server without jwks_uri",
			docs: map[string]string{oidcPath: `{"issuer":"{issuer}","authorization_endpoint":"{base}/a","token_endpoint":"{base}/t"}`},
			check: func(t *testing.T, d discovery, base string) {
				if d.ids != nil || d.meta.Userinfo != "" || d.meta.IssParameter {
					t.Errorf("discovery = %+v", d)
				}
			},
		},
		{
			name:       "RFC 8414 fallback for an issuer with a path",
			issuerPath: "/tenant",
			docs:       map[string]string{rfc8414 + "/tenant": `{"issuer":"{issuer}","authorization_endpoint":"{base}/tenant/a","token_endpoint":"{base}/tenant/t"}`},
			check: func(t *testing.T, d discovery, base string) {
				if d.meta.Issuer != base+"/tenant" || d.meta.Token != base+"/tenant/t" {
					t.Errorf("metadata = %+v", d.meta)
				}
			},
			wantPaths: []string{"/tenant" + oidcPath, rfc8414 + "/tenant"},
		},
		{
			name:       "OpenID configuration under the issuer's path",
			issuerPath: "/realms/demo",
			docs:       map[string]string{"/realms/demo" + oidcPath: fullMetadata},
			wantPaths:  []string{"/realms/demo" + oidcPath},
		},
		{
			name:      "fallback after a server error",
			docs:      map[string]string{oidcPath: "status:500", rfc8414: fullMetadata},
			wantPaths: []string{oidcPath, rfc8414},
		},
		{
			name:      "fallback after a non-JSON document",
			docs:      map[string]string{oidcPath: "<html>hello</html>", rfc8414: fullMetadata},
			wantPaths: []string{oidcPath, rfc8414},
		},
		{
			name:    "issuer mismatch",
			docs:    map[string]string{oidcPath: strings.Replace(fullMetadata, `"{issuer}"`, `"https://evil.example"`, 1)},
			wantErr: []string{`names issuer "https://evil.example"`, "differs from the configured one", "fix the issuer in the providers file"},
			// A wrong issuer is refused, not a reason to try the next URL.
			wantPaths: []string{oidcPath},
		},
		{
			name:       "issuer differing by a trailing slash",
			issuerPath: "/",
			docs:       map[string]string{oidcPath: strings.Replace(fullMetadata, `"{issuer}"`, `"{base}"`, 1)},
			wantErr:    []string{"differs from the configured one"},
		},
		{
			name:    "issuer missing from the document",
			docs:    map[string]string{oidcPath: `{"authorization_endpoint":"{base}/a","token_endpoint":"{base}/t"}`},
			wantErr: []string{`names issuer ""`},
		},
		{
			name:    "missing token endpoint",
			docs:    map[string]string{oidcPath: `{"issuer":"{issuer}","authorization_endpoint":"{base}/a"}`},
			wantErr: []string{"no authorization or token endpoint"},
		},
		{
			name:    "missing authorization endpoint",
			docs:    map[string]string{oidcPath: `{"issuer":"{issuer}","token_endpoint":"{base}/t"}`},
			wantErr: []string{"no authorization or token endpoint"},
		},
		{
			name:       "404 everywhere",
			issuerPath: "/tenant",
			docs:       map[string]string{},
			wantErr:    []string{"answered HTTP 404", "check the issuer URL and that the server is running"},
			wantPaths:  []string{"/tenant" + oidcPath, rfc8414 + "/tenant"},
		},
		{
			name:    "not JSON everywhere",
			docs:    map[string]string{oidcPath: "<html/>", rfc8414: "nope"},
			wantErr: []string{"is not a JSON metadata document"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ms, issuer := newMetadataServer(t, tt.docs, tt.issuerPath)
			d, err := discover(context.Background(), ms.Client(), issuer)
			if tt.wantErr != nil {
				if err == nil {
					t.Fatalf("discover() = %+v, want an error", d)
				}
				if !strings.Contains(err.Error(), "discover "+issuer+":") {
					t.Errorf("error %q does not name the issuer %s", err, issuer)
				}
				for _, s := range tt.wantErr {
					if !strings.Contains(err.Error(), s) {
						t.Errorf("error %q does not contain %q", err, s)
					}
				}
			} else {
				if err != nil {
					t.Fatal(err)
				}
				if d.meta.Issuer != issuer {
					t.Errorf("issuer = %q, want %q", d.meta.Issuer, issuer)
				}
				if tt.check != nil {
					tt.check(t, d, ms.URL)
				}
			}
			if tt.wantPaths != nil {
				if got := ms.requested(); !slices.Equal(got, tt.wantPaths) {
					t.Errorf("requested %q, want %q", got, tt.wantPaths)
				}
			}
			ms.mu.Lock()
			for _, a := range ms.accepts {
				if a != "application/json" {
					t.Errorf("Accept = %q", a)
				}
			}
			ms.mu.Unlock()
		})
	}
}

func TestDiscoverFailures(t *testing.T) {
	closed := httptest.NewServer(http.NotFoundHandler())
	closedURL := closed.URL
	closed.Close()
	live, liveIssuer := newMetadataServer(t, map[string]string{"/.well-known/openid-configuration": fullMetadata}, "")
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()

	tests := []struct {
		name   string
		ctx    context.Context
		client *http.Client
		issuer string
		target error
	}{
		{"server gone", context.Background(), http.DefaultClient, closedURL, nil},
		{"cancelled", cancelled, live.Client(), liveIssuer, context.Canceled},
		{"bad issuer URL", context.Background(), http.DefaultClient, "http://[::1", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := discover(tt.ctx, tt.client, tt.issuer)
			if err == nil {
				t.Fatal("no error")
			}
			if !strings.Contains(err.Error(), "discover "+tt.issuer) {
				t.Errorf("error %q does not name the issuer", err)
			}
			if tt.target != nil && !errors.Is(err, tt.target) {
				t.Errorf("errors.Is(%v, %v) = false", err, tt.target)
			}
		})
	}
}

// TestDiscoverResolve checks how an issuer-only entry is completed from
// the metadata, and that the result is cached per provider.
func TestDiscoverResolve(t *testing.T) {
	ms, issuer := newMetadataServer(t, map[string]string{"/.well-known/openid-configuration": fullMetadata}, "")
	e := &Engine{http: newOutbound(ms.Client())}
	entry := Provider{ID: "my-idp", Name: "My IdP", Mode: ModeOAuth2, Issuer: issuer, TokenURL: ms.URL + "/own-token"}
	for range 2 {
		p, verifier, err := e.resolve(context.Background(), entry)
		if err != nil {
			t.Fatal(err)
		}
		if p.AuthorizeURL != ms.URL+"/authorize" || p.TokenURL != ms.URL+"/own-token" || p.RevocationURL != ms.URL+"/revoke" ||
			p.UserinfoURL != ms.URL+"/userinfo" || !p.IssRequired || verifier == nil {
			t.Errorf("resolved = %+v", p)
		}
		wantProfile := ProfileSpec{URL: ms.URL + "/userinfo", ID: "sub", Name: "name", Email: "email", Avatar: "picture", Page: "profile"}
		if !reflect.DeepEqual(p.Profile, wantProfile) {
			t.Errorf("profile = %+v", p.Profile)
		}
		if !slices.Equal(p.Scopes, []string{"openid", "profile", "email", "offline_access"}) {
			t.Errorf("scopes = %q", p.Scopes)
		}
		if err := p.Validate(); err != nil {
			t.Errorf("resolved entry does not validate: %v", err)
		}
	}
	if got := ms.requested(); len(got) != 1 {
		t.Errorf("metadata fetched %d times, want once: %q", len(got), got)
	}
	if entry.AuthorizeURL != "" || entry.Scopes != nil {
		t.Errorf("resolve changed its argument: %+v", entry)
	}
	// Not an issuer entry: returned as is, no request.
	plain := Provider{ID: "p", Name: "P", AuthorizeURL: "https://a", TokenURL: "https://t"}
	if p, v, err := e.resolve(context.Background(), plain); err != nil || v != nil || p.AuthorizeURL != "https://a" {
		t.Errorf("resolve(plain) = %+v, %v, %v", p, v, err)
	}
}

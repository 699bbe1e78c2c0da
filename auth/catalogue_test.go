package auth

import (
	"bytes"
	"cmp"
	"encoding/json"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/keyport/keyport/assets"
)

// builtinCatalogue loads the built-in catalogue with no user file.
func builtinCatalogue(t testing.TB) []Provider {
	t.Helper()
	ps, err := loadCatalogue(assets.Providers, filepath.Join(t.TempDir(), "absent.json"))
	if err != nil {
		t.Fatalf("load built-in catalogue: %v", err)
	}
	return ps
}

// builtinProvider returns one built-in entry by id.
func builtinProvider(t testing.TB, id string) Provider {
	t.Helper()
	ps := builtinCatalogue(t)
	i := slices.IndexFunc(ps, func(p Provider) bool { return p.ID == id })
	if i < 0 {
		t.Fatalf("built-in catalogue has no %q", id)
	}
	return ps[i]
}

// builtinByID decodes the built-in catalogue into a fresh map, the base
// decodeProviders starts user entries from.
func builtinByID(t testing.TB) map[string]Provider {
	t.Helper()
	ps, err := decodeProviders(assets.Providers, "built-in catalogue", nil)
	if err != nil {
		t.Fatal(err)
	}
	m := make(map[string]Provider, len(ps))
	for _, p := range ps {
		m[p.ID] = p
	}
	return m
}

// writeUserFile writes a user providers file into a temporary directory and
// returns its path.
func writeUserFile(t *testing.T, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), userProvidersFile)
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func findProvider(ps []Provider, id string) (Provider, bool) {
	i := slices.IndexFunc(ps, func(p Provider) bool { return p.ID == id })
	if i < 0 {
		return Provider{}, false
	}
	return ps[i], true
}

// TestCatalogueWalk checks every built-in entry the way a reviewer would:
// unique ids, a docs source, https everywhere, endpoints and a profile
// mapping for OAuth entries, a header for pasted credentials, no client id.
func TestCatalogueWalk(t *testing.T) {
	ps := builtinCatalogue(t)
	if len(ps) < 30 {
		t.Errorf("the built-in catalogue has %d providers, want at least 30", len(ps))
	}
	if !slices.IsSortedFunc(ps, func(a, b Provider) int {
		return strings.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name))
	}) {
		t.Error("the catalogue is not sorted by name")
	}
	// loadCatalogue would merge duplicates away; decode the raw file too.
	raw, err := decodeProviders(assets.Providers, "built-in catalogue", nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(raw) != len(ps) {
		t.Errorf("built-in file has %d entries, catalogue %d", len(raw), len(ps))
	}
	ids := map[string]bool{}
	for _, p := range raw {
		if ids[p.ID] {
			t.Errorf("provider id %q appears twice in assets/providers.json", p.ID)
		}
		ids[p.ID] = true
	}
	for _, p := range ps {
		t.Run(p.ID, func(t *testing.T) {
			if err := p.Validate(); err != nil {
				t.Error(err)
			}
			if p.Name == "" || p.Docs == "" || p.Notes == "" {
				t.Errorf("name, docs and notes are all needed: %+v", p)
			}
			if p.ClientID != "" {
				t.Errorf("client_id %q is in the built-in catalogue; client ids are the person's", p.ClientID)
			}
			for field, raw := range map[string]string{"docs": p.Docs, "register_url": p.RegisterURL} {
				if u, err := url.Parse(p.sample(raw)); raw != "" && (err != nil || u.Scheme != "https") {
					t.Errorf("%s %q is not an https link", field, raw)
				}
			}
			for _, raw := range p.urls() {
				if u, err := url.Parse(p.sample(raw)); raw != "" && (err != nil || u.Scheme != "https" || u.Host == "") {
					t.Errorf("%q is not an absolute https URL", raw)
				}
			}
			switch p.Mode {
			case ModeOAuth2:
				if p.Issuer == "" && (p.AuthorizeURL == "" || p.TokenURL == "") {
					t.Errorf("OAuth entry lacks an issuer, or authorize_url and token_url")
				}
				if p.Issuer == "" && len(p.Params) == 0 && (p.Profile.URL == "" || p.Profile.ID == "") {
					t.Errorf("OAuth entry lacks a profile mapping with an id path: %+v", p.Profile)
				}
			case ModeAPIKey:
				if !p.SupportsAPIKey() {
					t.Errorf("api_key entry lacks api_key.header")
				}
			default:
				t.Errorf("mode %q", p.Mode)
			}
			if p.APIKey != nil && p.APIKey.Profile && (p.Profile.URL == "" || p.Profile.ID == "") {
				t.Errorf("api_key.profile without a profile mapping")
			}
		})
	}
}

// profileSample is a recorded profile answer of a provider, written from
// the example in its documentation, with what Keyport must read from it.
type profileSample struct {
	Source string            `json:"source"`
	Sample json.RawMessage   `json:"sample"`
	Want   map[string]string `json:"want"`
}

// TestCatalogueProfiles runs every built-in profile mapping over the
// provider's documented example (testdata/profiles/<id>.json).
func TestCatalogueProfiles(t *testing.T) {
	for _, p := range builtinCatalogue(t) {
		if p.Profile.URL == "" {
			continue
		}
		t.Run(p.ID, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("testdata", "profiles", p.ID+".json"))
			if err != nil {
				t.Fatalf("no recorded profile sample: %v (write one from the documentation's example)", err)
			}
			var ps profileSample
			if err := json.Unmarshal(data, &ps); err != nil || ps.Source == "" || len(ps.Sample) == 0 {
				t.Fatalf("testdata/profiles/%s.json: %v; want source, sample and want", p.ID, err)
			}
			filled, err := p.WithParams(map[string]string{})
			if len(p.Params) > 0 {
				filled, err = p.WithParams(sampleParams(p))
			}
			if err != nil {
				t.Fatal(err)
			}
			a, err := mapProfile(filled, ps.Sample)
			if err != nil {
				t.Fatalf("mapProfile: %v", err)
			}
			got := map[string]string{"id": a.ID, "name": a.Name, "email": a.Email, "avatar": a.AvatarURL, "page": a.ProfileURL}
			for field, want := range ps.Want {
				if got[field] != want {
					t.Errorf("%s = %q, want %q", field, got[field], want)
				}
			}
			if ps.Want["name"] == "" && a.Name == "" {
				t.Error("no name")
			}
		})
	}
}

// sampleParams gives each param of p its default or a stand-in.
func sampleParams(p Provider) map[string]string {
	m := map[string]string{}
	for _, pr := range p.Params {
		m[pr.Name] = cmp.Or(pr.Default, map[bool]string{true: "https://base.example", false: "example"}[pr.URL])
	}
	return m
}

func TestCatalogueUserFile(t *testing.T) {
	builtin := builtinCatalogue(t)
	patreon, _ := findProvider(builtin, "patreon")
	tests := []struct {
		name    string
		content string
		wantErr []string // substrings of the error; nil: success
		check   func(t *testing.T, ps []Provider)
	}{
		{
			name: "adds a provider with mode oauth2 by default",
			content: `{"providers":[{"id":"my-idp","name":"My IdP","authorize_url":"https://idp.example/a",
				"token_url":"https://idp.example/t","client_id":"keyport",
				"profile":{"url":"https://idp.example/me","id":"sub"}}]}`,
			check: func(t *testing.T, ps []Provider) {
				if len(ps) != len(builtin)+1 {
					t.Errorf("%d providers, want %d", len(ps), len(builtin)+1)
				}
				p, ok := findProvider(ps, "my-idp")
				if !ok || p.Mode != ModeOAuth2 || p.ClientID != "keyport" || p.Profile.ID != "sub" {
					t.Errorf("my-idp = %+v", p)
				}
			},
		},
		{
			name:    "redirect_port override keeps everything else",
			content: `{"providers":[{"id":"patreon","redirect_port":8765}]}`,
			check: func(t *testing.T, ps []Provider) {
				p, _ := findProvider(ps, "patreon")
				if p.RedirectPort != 8765 {
					t.Errorf("redirect_port = %d", p.RedirectPort)
				}
				p.RedirectPort = 0
				if !reflect.DeepEqual(p, patreon) {
					t.Errorf("override changed other fields:\n got %+v\nwant %+v", p, patreon)
				}
				if len(ps) != len(builtin) {
					t.Errorf("%d providers, want %d", len(ps), len(builtin))
				}
			},
		},
		{
			name:    "override id with spaces matches the built-in",
			content: `{"providers":[{"id":" patreon ","client_id":"mine"}]}`,
			check: func(t *testing.T, ps []Provider) {
				p, _ := findProvider(ps, "patreon")
				if p.ClientID != "mine" || p.TokenURL != patreon.TokenURL {
					t.Errorf("patreon = %+v", p)
				}
			},
		},
		{
			name:    "scopes override replaces the list",
			content: `{"providers":[{"id":"patreon","scopes":["identity"]}]}`,
			check: func(t *testing.T, ps []Provider) {
				p, _ := findProvider(ps, "patreon")
				if !slices.Equal(p.Scopes, []string{"identity"}) {
					t.Errorf("scopes = %q", p.Scopes)
				}
			},
		},
		{
			name: "profile override keeps the other paths",
			content: `{"providers":[{"id":"gumroad","profile":{"name":"user.display_name",
				"headers":{"X-Version":"2"}}}]}`,
			check: func(t *testing.T, ps []Provider) {
				p, _ := findProvider(ps, "gumroad")
				if p.Profile.Name != "user.display_name" || p.Profile.ID != "user.user_id" ||
					p.Profile.URL == "" || p.Profile.Headers["X-Version"] != "2" {
					t.Errorf("profile = %+v", p.Profile)
				}
			},
		},
		{
			name:    "issuer-only entry is valid",
			content: `{"providers":[{"id":"my-idp","name":"My IdP","issuer":"https://login.example.com","client_id":"keyport"}]}`,
			check: func(t *testing.T, ps []Provider) {
				p, ok := findProvider(ps, "my-idp")
				if !ok || p.Mode != ModeOAuth2 || !p.SupportsOAuth() || p.AuthorizeURL != "" {
					t.Errorf("my-idp = %+v", p)
				}
			},
		},
		{
			name: "plain http on loopback is allowed",
			content: `{"providers":[
				{"id":"local-a","name":"A","authorize_url":"http://127.0.0.1:9000/a","token_url":"http://localhost:9000/t"},
				{"id":"local-b","name":"B","issuer":"http://[::1]:9000"}]}`,
			check: func(t *testing.T, ps []Provider) {
				if _, ok := findProvider(ps, "local-b"); !ok {
					t.Error("local-b missing")
				}
			},
		},
		{
			name:    "empty providers list",
			content: `{"providers":[]}`,
			check: func(t *testing.T, ps []Provider) {
				if !reflect.DeepEqual(ps, builtin) {
					t.Error("an empty user file changed the catalogue")
				}
			},
		},
		{
			name:    "unknown field names file and entry",
			content: `{"providers":[{"id":"patreon","redirect_port":8765},{"id":"patreon2","name":"P","tokn_url":"https://x"}]}`,
			wantErr: []string{userProvidersFile, "entry 2", `unknown field "tokn_url"`, "fix or move the file aside"},
		},
		{
			name:    "unknown nested field",
			content: `{"providers":[{"id":"gumroad","profile":{"identifier":"user.id"}}]}`,
			wantErr: []string{userProvidersFile, "entry 1", `unknown field "identifier"`},
		},
		{
			name:    "unknown top-level field",
			content: `{"provider":[]}`,
			wantErr: []string{userProvidersFile, `unknown field "provider"`, "fix or move the file aside"},
		},
		{
			name:    "wrong type",
			content: `{"providers":[{"id":"patreon","redirect_port":"8765"}]}`,
			wantErr: []string{userProvidersFile, "entry 1", "redirect_port"},
		},
		{
			name: "duplicate ids",
			content: `{"providers":[{"id":"my-idp","name":"A","issuer":"https://a.example"},
				{"id":"my-idp","name":"B","issuer":"https://b.example"}]}`,
			wantErr: []string{userProvidersFile, `"my-idp" appears twice`},
		},
		{
			name:    "duplicate override ids",
			content: `{"providers":[{"id":"patreon","redirect_port":1},{"id":"patreon","redirect_port":2}]}`,
			wantErr: []string{`"patreon" appears twice`},
		},
		{
			name:    "bad id",
			content: `{"providers":[{"id":"My_IdP","name":"My IdP","issuer":"https://login.example.com"}]}`,
			wantErr: []string{`"My_IdP"`, "lower-case letters, digits or dashes"},
		},
		{
			name:    "missing id",
			content: `{"providers":[{"name":"My IdP","issuer":"https://login.example.com"}]}`,
			wantErr: []string{`provider ""`, "id must be"},
		},
		{
			name:    "http URL to a remote host",
			content: `{"providers":[{"id":"my-idp","name":"My IdP","authorize_url":"https://idp.example/a","token_url":"http://idp.example/t"}]}`,
			wantErr: []string{"my-idp", "token_url must use https"},
		},
		{
			name:    "http override of a built-in URL",
			content: `{"providers":[{"id":"patreon","token_url":"http://evil.example/token"}]}`,
			wantErr: []string{"patreon", "token_url must use https"},
		},
		{
			name:    "http to a host that only looks like loopback",
			content: `{"providers":[{"id":"x","name":"X","issuer":"http://localhost.evil.example"}]}`,
			wantErr: []string{"issuer must use https"},
		},
		{
			name:    "override that breaks validation",
			content: `{"providers":[{"id":"patreon","redirect_port":70000}]}`,
			wantErr: []string{"patreon", "redirect_port 70000"},
		},
		{
			name:    "corrupt JSON",
			content: `{"providers":[{"id":"patreon",}]}`,
			wantErr: []string{userProvidersFile, "fix or move the file aside"},
		},
		{
			name:    "truncated JSON",
			content: `{"providers":[`,
			wantErr: []string{userProvidersFile, "fix or move the file aside"},
		},
		{
			name:    "trailing data",
			content: `{"providers":[]} {"providers":[]}`,
			wantErr: []string{userProvidersFile, "unexpected data after the JSON value"},
		},
		{
			name:    "empty file",
			content: ``,
			wantErr: []string{userProvidersFile, "fix or move the file aside"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writeUserFile(t, tt.content)
			ps, err := loadCatalogue(assets.Providers, path)
			if tt.wantErr != nil {
				if err == nil {
					t.Fatalf("no error; catalogue %+v", ps)
				}
				for _, s := range tt.wantErr {
					if !strings.Contains(err.Error(), s) {
						t.Errorf("error %q does not contain %q", err, s)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range ps {
				if err := p.Validate(); err != nil {
					t.Errorf("loaded entry does not validate: %v", err)
				}
			}
			tt.check(t, ps)
		})
	}
}

func TestCatalogueMissingOrUnreadableUserFile(t *testing.T) {
	dir := t.TempDir()
	ps, err := loadCatalogue(assets.Providers, filepath.Join(dir, "nope", userProvidersFile))
	if err != nil || len(ps) == 0 {
		t.Fatalf("missing user file: %d providers, %v", len(ps), err)
	}
	// A directory where the file should be is an error, not "absent".
	if _, err := loadCatalogue(assets.Providers, dir); err == nil || !strings.Contains(err.Error(), "read user providers file") {
		t.Errorf("directory as user file: %v", err)
	}
}

func TestCatalogueBuiltinErrors(t *testing.T) {
	absent := filepath.Join(t.TempDir(), "absent.json")
	tests := []struct {
		name, builtin, want string
	}{
		{"duplicate", `{"providers":[{"id":"a","name":"A","issuer":"https://a.example"},{"id":"a","name":"A","issuer":"https://a.example"}]}`, `"a" appears twice`},
		{"corrupt", `{"providers":`, "built-in catalogue"},
		{"invalid entry", `{"providers":[{"id":"a","name":"A"}]}`, "authorize_url and token_url are needed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := loadCatalogue([]byte(tt.builtin), absent)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

// TestCatalogueOverrideDoesNotMutate loads a user file that overrides every
// reference-typed field of a built-in entry and checks that neither the
// base entries nor a second load see the change.
func TestCatalogueOverrideDoesNotMutate(t *testing.T) {
	baseJSON := `{"providers":[{"id":"base","name":"Base","authorize_url":"https://b.example/a","token_url":"https://b.example/t",
		"scopes":["one","two"],"pkce":true,"authorize_params":{"prompt":"consent"},
		"profile":{"url":"https://b.example/me","id":"id","headers":{"X-A":"1"}},
		"api_key":{"header":"X-Key","prefix":"Key "}}]}`
	override := `{"providers":[{"id":"base","scopes":["three"],"pkce":false,"authorize_params":{"prompt":"login","access_type":"offline"},
		"profile":{"headers":{"X-A":"2","X-B":"3"}},"api_key":{"header":"X-Other"}}]}`

	t.Run("decodeProviders leaves base untouched", func(t *testing.T) {
		decode := func() map[string]Provider {
			ps, err := decodeProviders([]byte(baseJSON), "base", nil)
			if err != nil {
				t.Fatal(err)
			}
			return map[string]Provider{ps[0].ID: ps[0]}
		}
		base, want := decode(), decode()
		got, err := decodeProviders([]byte(override), "user", base)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(base, want) {
			t.Errorf("base changed:\n got %+v\nwant %+v", base["base"], want["base"])
		}
		p := got[0]
		if !slices.Equal(p.Scopes, []string{"three"}) || p.UsesPKCE() || p.AuthorizeParams["prompt"] != "login" ||
			p.Profile.Headers["X-A"] != "2" || p.APIKey.Header != "X-Other" || p.Name != "Base" || p.Profile.ID != "id" {
			t.Errorf("override = %+v", p)
		}
	})

	t.Run("loading twice gives the same catalogue", func(t *testing.T) {
		builtin := []byte(baseJSON)
		before := bytes.Clone(builtin)
		path := writeUserFile(t, override)
		first, err := loadCatalogue(builtin, path)
		if err != nil {
			t.Fatal(err)
		}
		second, err := loadCatalogue(builtin, path)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(first, second) {
			t.Errorf("second load differs:\n%+v\n%+v", first, second)
		}
		if !bytes.Equal(builtin, before) {
			t.Error("loadCatalogue modified the built-in bytes")
		}
		plain, err := loadCatalogue(builtin, filepath.Join(t.TempDir(), "absent.json"))
		if err != nil {
			t.Fatal(err)
		}
		if p := plain[0]; p.AuthorizeParams["access_type"] != "" || p.AuthorizeParams["prompt"] != "consent" ||
			!slices.Equal(p.Scopes, []string{"one", "two"}) || !p.UsesPKCE() || p.Profile.Headers["X-B"] != "" {
			t.Errorf("built-in entry after an override = %+v", p)
		}
	})

	t.Run("built-in patreon unaffected by an authorize_params override", func(t *testing.T) {
		path := writeUserFile(t, `{"providers":[{"id":"patreon","authorize_params":{"prompt":"consent"}}]}`)
		over, err := loadCatalogue(assets.Providers, path)
		if err != nil {
			t.Fatal(err)
		}
		if p, _ := findProvider(over, "patreon"); p.AuthorizeParams["prompt"] != "consent" {
			t.Errorf("override lost: %+v", p.AuthorizeParams)
		}
		if p := builtinProvider(t, "patreon"); len(p.AuthorizeParams) != 0 {
			t.Errorf("built-in patreon has authorize_params %v after an override", p.AuthorizeParams)
		}
	})
}

func TestCatalogueClone(t *testing.T) {
	yes := true
	p := Provider{ID: "a", Scopes: []string{"s"}, AuthorizeParams: map[string]string{"k": "v"}, PKCE: &yes,
		Profile: ProfileSpec{Headers: map[string]string{"h": "v"}}, APIKey: &APIKeySpec{Header: "X"}}
	c := clone(p)
	c.Scopes[0] = "changed"
	c.AuthorizeParams["k"] = "changed"
	c.Profile.Headers["h"] = "changed"
	*c.PKCE = false
	c.APIKey.Header = "changed"
	if p.Scopes[0] != "s" || p.AuthorizeParams["k"] != "v" || p.Profile.Headers["h"] != "v" || !*p.PKCE || p.APIKey.Header != "X" {
		t.Errorf("changing the clone changed the original: %+v", p)
	}
	if z := clone(Provider{}); z.PKCE != nil || z.APIKey != nil || z.Scopes != nil {
		t.Errorf("clone of the zero value = %+v", z)
	}
}

func FuzzDecodeProviders(f *testing.F) {
	f.Add(assets.Providers)
	f.Add([]byte(`{"providers":[{"id":"patreon","redirect_port":8765},{"id":"my-idp","name":"My IdP","issuer":"https://login.example.com","client_id":"keyport"}]}`))
	f.Add([]byte(`{"providers":[{"id":"gumroad","scopes":["a"],"pkce":false,"authorize_params":{"x":"y"},"profile":{"headers":{"a":"b"}},"api_key":{"header":"H"}}]}`))
	f.Add([]byte(`{"providers":[{"id":"outgrow","api_key":null,"pkce":null,"scopes":null}]}`))
	f.Add([]byte(`{"providers":[{"id":1}]}`))
	f.Add([]byte(`{"providers":null}`))
	f.Add([]byte(`null`))
	f.Add([]byte(`{"providers":[{"id":"x","name":"X","mode":"api_key","api_key":{"header":"K","check_url":"http://h"}}]}`))
	f.Add([]byte(`{"providers":[{"id":"x","redirect_port":-1,"authorize_url":"::"}]}`))
	// Fuzz functions run one at a time in each worker process, so base is
	// shared; a decode that changed it fails on the input that did.
	base, want := builtinByID(f), builtinByID(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		ps, err := decodeProviders(data, "fuzz", base)
		if !reflect.DeepEqual(base, want) {
			t.Fatalf("decodeProviders changed its base entries")
		}
		if err != nil {
			if !strings.Contains(err.Error(), "fuzz") {
				t.Errorf("error %q does not name the source", err)
			}
			return
		}
		for _, p := range ps {
			if p.ID != strings.TrimSpace(p.ID) {
				t.Errorf("id %q not trimmed", p.ID)
			}
			if p.Mode == "" {
				p.Mode = ModeOAuth2
			}
			if err := p.Validate(); err != nil {
				if err.Error() == "" {
					t.Error("empty validation error")
				}
				continue
			}
			if !idPattern.MatchString(p.ID) || p.Name == "" || (!p.SupportsOAuth() && !p.SupportsAPIKey()) {
				t.Errorf("entry validated but is unusable: %+v", p)
			}
		}
	})
}

func TestUserFileValidationNamesFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), userProvidersFile)
	if err := os.WriteFile(path, []byte(`{"providers":[{"id":"mine","name":"Mine","authorize_url":"http://idp.example.test/a","token_url":"https://idp.example.test/t"}]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := loadCatalogue(assets.Providers, path)
	if err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "https") {
		t.Fatalf("err = %v; want one naming %s and the https rule", err, path)
	}
}

// The provider id rule as a regexp, the oracle for Validate's hand-written
// check and for FuzzCatalogue.
var idPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,39}$`)

func TestProviderIDRule(t *testing.T) {
	for _, id := range []string{"a", "0", "my-idp", "-a", "a-", "A", "a_b", "a.b", "ä", "a b", "",
		strings.Repeat("a", 40), strings.Repeat("a", 41), "a" + strings.Repeat("-", 39)} {
		err := Provider{ID: id, Name: "N", Mode: ModeAPIKey, APIKey: &APIKeySpec{Header: "X"}}.Validate()
		idErr := err != nil && strings.Contains(err.Error(), "id must be")
		if want := !idPattern.MatchString(id); idErr != want {
			t.Errorf("id %q: refused %v, want %v (err %v)", id, idErr, want, err)
		}
	}
}

// TestCatalogueRedirectRules holds each provider's redirect rule as its
// documentation states it, and checks the entry agrees: a provider that
// matches redirect URIs exactly needs a fixed port, one that ignores the
// loopback port must not ask for one, and one that takes only https
// redirects cannot use the loopback sign-in at all.
func TestCatalogueRedirectRules(t *testing.T) {
	const anyPort, exact, httpsOnly = "any port", "exact", "https only"
	rules := map[string]struct{ rule, source string }{
		"github":    {anyPort, `"The redirect_uri does not need to match the port specified in the callback URL" (docs.github.com, authorizing OAuth apps)`},
		"microsoft": {anyPort, `"the port component ... is ignored for the purposes of matching a redirect URI" (learn.microsoft.com, reply URL restrictions)`},
		"spotify":   {anyPort, `"register your redirect URI with a loopback IP literal, but without any port number" (developer.spotify.com, redirect URI)`},
		"zoom":      {anyPort, `"Zoom ignores the port when it matches loopback redirect URIs" (developers.zoom.us changelog, PKCE loopback)`},
		"patreon":   {exact, `"One of your redirect_uris that you provided in step 1" (docs.patreon.com, OAuth)`},
		"paypal":    {exact, `"All parts of the specified redirect_uri, including protocol, host, port ... must match" (developer.paypal.com, get user consent)`},
		"kit":       {exact, `"must be one of the Redirect URIs configured in your app's settings" (developers.kit.com, OAuth)`},
		"vimeo":     {exact, `redirect_uri "Must match the redirect URI from" the authorization step (developer.vimeo.com)`},
		"twitch":    {exact, `"This must exactly match the redirect URI registered" (dev.twitch.tv, getting tokens OIDC)`},
		"thinkific": {exact, `"Only URIs defined in the app will be authorized" (support.thinkific.com)`},
		"notion":    {exact, `the URI "provided in the OAuth Domain & URI section" of the integration (developers.notion.com)`},
		"atlassian": {exact, `"the callback URL configured in Authorization for your app" (developer.atlassian.com, OAuth 2.0 3LO)`},
		"airtable":  {exact, `"Must exactly match a redirect URI" (airtable.com/developers, OAuth reference)`},
		"x":         {exact, `"URLs must match exactly (including trailing slashes)" (docs.x.com, developer apps)`},
		"calendly":  {httpsOnly, `"For the Production environment, this must be HTTPS" (developer.calendly.com, creating an OAuth app)`},
		"teachable": {httpsOnly, `"The URL must include https://" (docs.teachable.com, OAuth quickstart)`},
		"box":       {httpsOnly, `redirect_uri "must be a valid HTTPS URI" (developer.box.com, authorize)`},
	}
	ps := builtinByID(t)
	for id, r := range rules {
		p, ok := ps[id]
		if !ok {
			t.Errorf("%s: not in the catalogue", id)
			continue
		}
		if p.Mode == "" {
			p.Mode = ModeOAuth2
		}
		switch r.rule {
		case anyPort:
			if p.NeedsFixedPort {
				t.Errorf("%s ignores the loopback port (%s), but the entry asks for a fixed port", id, r.source)
			}
		case exact:
			if p.Mode == ModeOAuth2 && !p.NeedsFixedPort {
				t.Errorf("%s matches redirect URIs exactly (%s), but the entry does not ask for a fixed port", id, r.source)
			}
		case httpsOnly:
			if p.Mode == ModeOAuth2 {
				t.Errorf("%s takes only https redirects (%s), but the entry offers the loopback sign-in", id, r.source)
			}
		}
	}
}

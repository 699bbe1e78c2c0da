package auth

import (
	"unicode/utf8"

	"github.com/keyport/keyport/internal/boundary"

	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
)

// oidcProvider is an issuer entry after discovery: the userinfo endpoint
// with the standard claims (OpenID Connect Core section 5.1) as profile.
func oidcProvider(url string) Provider {
	return Provider{ID: "my-idp", Name: "My IdP", Mode: ModeOAuth2, Issuer: "https://login.example",
		Profile: ProfileSpec{URL: url, ID: "sub", Name: "name", Email: "email", Avatar: "picture", Page: "profile"}}
}

func TestMapProfile(t *testing.T) {
	gumroad := builtinProvider(t, "gumroad")
	patreon := builtinProvider(t, "patreon")
	oidc := oidcProvider("https://login.example/userinfo")
	tests := []struct {
		name    string
		p       Provider
		body    string
		want    Account
		wantErr []string
	}{
		{
			name: "gumroad",
			p:    gumroad,
			body: `{"success":true,"user":{"bio":null,"name":"Ada Lovelace","twitter_handle":null,"user_id":"G1x_Yz==",
				"email":"ada@example.test","url":"https://ada.gumroad.com","profile_url":"https://public-files.gumroad.com/ada.png"}}`,
			want: Account{Provider: "gumroad", ID: "G1x_Yz==", Name: "Ada Lovelace", Email: "ada@example.test",
				ProfileURL: "https://ada.gumroad.com"},
		},
		{
			name: "patreon JSON:API",
			p:    patreon,
			body: `{"data":{"id":"123","type":"user","attributes":{"full_name":"Ada Lovelace","email":"ada@example.test",
				"image_url":"https://c8.patreon.com/ada.png","url":"https://www.patreon.com/ada","vanity":"ada"}},
				"links":{"self":"https://www.patreon.com/api/oauth2/v2/user/123"}}`,
			want: Account{Provider: "patreon", ID: "123", Name: "Ada Lovelace", Email: "ada@example.test",
				AvatarURL: "https://c8.patreon.com/ada.png", ProfileURL: "https://www.patreon.com/ada"},
		},
		{
			name: "OIDC userinfo",
			p:    oidc,
			body: `{"sub":"248289761001","name":"Jane Doe","given_name":"Jane","email":"janedoe@example.com",
				"picture":"https://example.com/janedoe/me.jpg","profile":"https://example.com/janedoe"}`,
			want: Account{Provider: "my-idp", ID: "248289761001", Name: "Jane Doe", Email: "janedoe@example.com",
				AvatarURL: "https://example.com/janedoe/me.jpg", ProfileURL: "https://example.com/janedoe"},
		},
		{
			name: "numeric id",
			p:    gumroad,
			body: `{"user":{"user_id":42,"name":"Ada"}}`,
			want: Account{Provider: "gumroad", ID: "42", Name: "Ada"},
		},
		{
			name: "numeric id beyond float64 precision keeps its digits",
			p:    oidc,
			body: `{"sub":12345678901234567890123}`,
			want: Account{Provider: "my-idp", ID: "12345678901234567890123", Name: "My IdP 12345678901234567890123"},
		},
		{
			name: "negative numeric id",
			p:    oidc,
			body: `{"sub":-7,"name":"N"}`,
			want: Account{Provider: "my-idp", ID: "-7", Name: "N"},
		},
		{
			name: "values are trimmed",
			p:    oidc,
			body: `{"sub":"  abc \t","name":"  Jane  ","email":" j@example.com "}`,
			want: Account{Provider: "my-idp", ID: "abc", Name: "Jane", Email: "j@example.com"},
		},
		{
			name: "name falls back to email",
			p:    patreon,
			body: `{"data":{"id":"123","attributes":{"email":"ada@example.test"}}}`,
			want: Account{Provider: "patreon", ID: "123", Name: "ada@example.test", Email: "ada@example.test"},
		},
		{
			name: "empty name falls back to email",
			p:    oidc,
			body: `{"sub":"s","name":"   ","email":"e@example.com"}`,
			want: Account{Provider: "my-idp", ID: "s", Name: "e@example.com", Email: "e@example.com"},
		},
		{
			name: "name falls back to provider and id",
			p:    patreon,
			body: `{"data":{"id":"123","attributes":{}}}`,
			want: Account{Provider: "patreon", ID: "123", Name: "Patreon 123"},
		},
		{
			name: "null fields are empty",
			p:    gumroad,
			body: `{"user":{"user_id":"u","name":null,"email":null,"url":null}}`,
			want: Account{Provider: "gumroad", ID: "u", Name: "Gumroad u"},
		},
		{
			name: "nested object at a scalar path is ignored",
			p:    oidc,
			body: `{"sub":"s","name":{"first":"Jane","last":"Doe"},"email":"j@example.com","picture":{"url":"x"},"profile":["a"]}`,
			want: Account{Provider: "my-idp", ID: "s", Name: "j@example.com", Email: "j@example.com"},
		},
		{
			name: "boolean and number at scalar paths",
			p:    oidc,
			body: `{"sub":"s","name":false,"email":7}`,
			want: Account{Provider: "my-idp", ID: "s", Name: "false", Email: "7"},
		},
		{
			name: "unused paths are empty",
			p:    Provider{ID: "bare", Name: "Bare", Profile: ProfileSpec{ID: "id"}},
			body: `{"id":"1","name":"ignored"}`,
			want: Account{Provider: "bare", ID: "1", Name: "Bare 1"},
		},
		{
			name: "200 characters of id are fine",
			p:    oidc,
			body: `{"sub":"` + strings.Repeat("x", 200) + `","name":"N"}`,
			want: Account{Provider: "my-idp", ID: strings.Repeat("x", 200), Name: "N"},
		},

		{name: "missing id", p: gumroad, body: `{"success":true,"user":{"name":"Ada"}}`,
			wantErr: []string{"Gumroad", `no account id at "user.user_id"`, "profile.id"}},
		{name: "missing id in JSON:API", p: patreon, body: `{"errors":[{"status":"401"}]}`,
			wantErr: []string{"Patreon", `"data.id"`}},
		{name: "null id", p: oidc, body: `{"sub":null}`, wantErr: []string{`no account id at "sub"`}},
		{name: "empty id", p: oidc, body: `{"sub":""}`, wantErr: []string{`no account id at "sub"`}},
		{name: "blank id", p: oidc, body: `{"sub":"  "}`, wantErr: []string{`no account id at "sub"`}},
		{name: "object at id path", p: patreon, body: `{"data":{"id":{"value":"123"}}}`, wantErr: []string{`no account id at "data.id"`}},
		{name: "array at id path", p: oidc, body: `{"sub":["a"]}`, wantErr: []string{`no account id at "sub"`}},
		{name: "no id path configured", p: Provider{ID: "bare", Name: "Bare"}, body: `{"id":"1"}`, wantErr: []string{`no account id at ""`}},
		{name: "id with line break", p: oidc, body: `{"sub":"a\nb"}`, wantErr: []string{"not usable"}},
		{name: "id with carriage return", p: oidc, body: `{"sub":"a\rb"}`, wantErr: []string{"not usable"}},
		{name: "id over 200 characters", p: oidc, body: `{"sub":"` + strings.Repeat("x", 201) + `"}`, wantErr: []string{"not usable"}},
		{name: "not JSON", p: oidc, body: `<html><body>Sign in</body></html>`, wantErr: []string{"My IdP", "not JSON"}},
		{name: "truncated JSON", p: oidc, body: `{"sub":"s"`, wantErr: []string{"not JSON"}},
		{name: "empty body", p: oidc, body: ``, wantErr: []string{"not JSON"}},
		{name: "top-level array", p: oidc, body: `[{"sub":"s"}]`, wantErr: []string{`no account id at "sub"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := mapProfile(tt.p, []byte(tt.body))
			if tt.wantErr != nil {
				if err == nil {
					t.Fatalf("mapProfile() = %+v, want an error", got)
				}
				for _, s := range tt.wantErr {
					if !strings.Contains(err.Error(), s) {
						t.Errorf("error %q does not contain %q", err, s)
					}
				}
				if !reflect.DeepEqual(got, Account{}) {
					t.Errorf("an error came with account %+v", got)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.Provider != tt.want.Provider || got.ID != tt.want.ID || got.Name != tt.want.Name ||
				got.Email != tt.want.Email || got.AvatarURL != tt.want.AvatarURL || got.ProfileURL != tt.want.ProfileURL {
				t.Errorf("mapProfile() =\n %+v\nwant\n %+v", got, tt.want)
			}
		})
	}
}

// profileServer serves body with contentType and status at /me and sends
// every request's headers to the returned channel.
func profileServer(t *testing.T, status int, contentType, body string) (*httptest.Server, <-chan http.Header) {
	t.Helper()
	seen := make(chan http.Header, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case seen <- r.Header.Clone():
		default:
		}
		if r.URL.Path != "/me" || r.Method != http.MethodGet {
			http.NotFound(w, r)
			return
		}
		if contentType != "" {
			w.Header().Set("Content-Type", contentType)
		}
		w.WriteHeader(status)
		fmt.Fprint(w, body)
	}))
	t.Cleanup(srv.Close)
	return srv, seen
}

func TestFetchProfile(t *testing.T) {
	const token = "AT-SECRET-TOKEN-987"
	const userinfo = `{"sub":"248289761001","name":"Jane Doe","email":"janedoe@example.com"}`
	tests := []struct {
		name        string
		status      int
		contentType string
		body        string
		tokenType   string
		headers     map[string]string
		wantAuth    string
		wantID      string
		wantErr     []string
	}{
		{name: "bearer", status: 200, contentType: "application/json", body: userinfo, wantAuth: "Bearer " + token, wantID: "248289761001"},
		{name: "lower-case bearer is normalised", status: 200, contentType: "application/json; charset=utf-8", body: userinfo,
			tokenType: "bearer", wantAuth: "Bearer " + token, wantID: "248289761001"},
		{name: "other token type is kept", status: 200, contentType: "application/json", body: userinfo,
			tokenType: "DPoP", wantAuth: "DPoP " + token, wantID: "248289761001"},
		{name: "custom headers", status: 200, contentType: "application/json", body: userinfo,
			headers: map[string]string{"X-Api-Version": "2", "User-Agent": "Keyport-test"}, wantAuth: "Bearer " + token, wantID: "248289761001"},
		{name: "no content type but JSON", status: 200, body: userinfo, wantAuth: "Bearer " + token, wantID: "248289761001"},
		{name: "JSON with a 201", status: 201, contentType: "application/json", body: userinfo, wantAuth: "Bearer " + token, wantID: "248289761001"},
		{name: "unauthorized", status: 401, contentType: "application/json",
			body:    `{"error":"invalid_token","echo":"SECRET-BODY-123 ` + token + `"}`,
			wantErr: []string{"My IdP answered HTTP 401", "scopes"}},
		{name: "server error with HTML", status: 502, contentType: "text/html", body: `<html>SECRET-BODY-123</html>`,
			wantErr: []string{"HTTP 502"}},
		{name: "HTML answer", status: 200, contentType: "text/html; charset=utf-8",
			body: `<!doctype html><html><body>Sign in SECRET-BODY-123</body></html>`, wantErr: []string{"My IdP answered with something that is not JSON"}},
		{name: "JSON labelled as HTML", status: 200, contentType: "text/html", body: userinfo, wantErr: []string{"not JSON"}},
		{name: "garbage labelled as JSON", status: 200, contentType: "application/json", body: `SECRET-BODY-123`, wantErr: []string{"not JSON"}},
		{name: "missing id", status: 200, contentType: "application/json", body: `{"name":"Jane"}`, wantErr: []string{`no account id at "sub"`}},
		{name: "over the body limit", status: 200, contentType: "application/json",
			body: `{"sub":"s","pad":"` + strings.Repeat("a", maxProfileBytes) + `"}`, wantErr: []string{"larger than Keyport reads"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, seen := profileServer(t, tt.status, tt.contentType, tt.body)
			p := oidcProvider(srv.URL + "/me")
			p.Profile.Headers = tt.headers
			a, raw, err := fetchProfile(context.Background(), srv.Client(), p, "Authorization", authorization(tt.tokenType, token))
			h := <-seen
			if got := h.Get("Accept"); got != "application/json" {
				t.Errorf("Accept = %q", got)
			}
			if tt.wantErr != nil {
				if err == nil {
					t.Fatalf("fetchProfile() = %+v, want an error", a)
				}
				for _, s := range tt.wantErr {
					if !strings.Contains(err.Error(), s) {
						t.Errorf("error %q does not contain %q", err, s)
					}
				}
				for _, secret := range []string{token, "SECRET-BODY-123"} {
					if strings.Contains(err.Error(), secret) {
						t.Errorf("error %q carries %q", err, secret)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := h.Get("Authorization"); got != tt.wantAuth {
				t.Errorf("Authorization = %q, want %q", got, tt.wantAuth)
			}
			for k, v := range tt.headers {
				if got := h.Get(k); got != v {
					t.Errorf("header %s = %q, want %q", k, got, v)
				}
			}
			if a.ID != tt.wantID || a.Provider != "my-idp" {
				t.Errorf("account = %+v", a)
			}
			if string(raw) != tt.body {
				t.Errorf("raw profile = %q, want %q", raw, tt.body)
			}
		})
	}
}

func TestFetchProfileBodyLimitExact(t *testing.T) {
	// A document of exactly maxProfileBytes is read whole.
	prefix, suffix := `{"sub":"s","pad":"`, `"}`
	body := prefix + strings.Repeat("a", maxProfileBytes-len(prefix)-len(suffix)) + suffix
	srv, _ := profileServer(t, 200, "application/json", body)
	a, raw, err := fetchProfile(context.Background(), srv.Client(), oidcProvider(srv.URL+"/me"), "Authorization", authorization("", "t"))
	if err != nil || a.ID != "s" || len(raw) != maxProfileBytes {
		t.Errorf("fetchProfile() = %+v, %d bytes, %v", a, len(raw), err)
	}
}

func TestFetchProfileFailures(t *testing.T) {
	const token = "AT-SECRET-TOKEN-987"
	closed := httptest.NewServer(http.NotFoundHandler())
	closedURL := closed.URL
	closed.Close()

	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	live, _ := profileServer(t, 200, "application/json", `{"sub":"s"}`)

	tests := []struct {
		name string
		ctx  context.Context
		p    Provider
		want []string
	}{
		{"no profile URL", context.Background(), Provider{ID: "bare", Name: "Bare"}, []string{"provider bare has no profile request", "profile.url"}},
		{"bad profile URL", context.Background(), oidcProvider("http://[::1"), []string{"read profile"}},
		{"server gone", context.Background(), oidcProvider(closedURL + "/me?code=" + token), []string{"could not reach My IdP", "network"}},
		{"context cancelled", cancelled, oidcProvider(live.URL + "/me"), []string{"could not reach My IdP"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := fetchProfile(tt.ctx, http.DefaultClient, tt.p, "Authorization", authorization("Bearer", token))
			if err == nil {
				t.Fatal("no error")
			}
			for _, s := range tt.want {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q does not contain %q", err, s)
				}
			}
			if strings.Contains(err.Error(), token) {
				t.Errorf("error %q carries the token", err)
			}
		})
	}
}

func FuzzMapProfile(f *testing.F) {
	f.Add([]byte(`{"success":true,"user":{"user_id":"G1","name":"Ada","email":"a@example.test"}}`), "user.user_id", "user.name", "user.email")
	f.Add([]byte(`{"data":{"id":"123","attributes":{"full_name":"Ada","email":"a@example.test"}}}`), "data.id", "data.attributes.full_name", "data.attributes.email")
	f.Add([]byte(`{"sub":12345678901234567890,"name":{"a":1},"email":null}`), "sub", "name", "email")
	f.Add([]byte(`{"sub":"  "}`), "sub", "", "")
	f.Add([]byte(`{"a":[{"b":"x"},{"b":"y"}]}`), "a.#.b", "a.0.b", "@this")
	f.Add([]byte(`{"id":"a\nb"}`), "id", "", "")
	f.Add([]byte(`[1,2,3]`), "#", "0", "..0")
	f.Add([]byte(`{"a":"\u0000"}`), "a", "a|@reverse", "a.\\*")
	f.Add([]byte(`{"id":"1","n":"\u001b]0;x\u0007Ada\u202e","e":"a@b\u0085","av":"file:///etc/passwd"}`), "id", "n", "e")
	f.Add([]byte(`{"id":"1","n":"https://127.0.0.1:6379/x","e":"javascript:alert(1)"}`), "id", "n", "e")
	f.Fuzz(func(t *testing.T, body []byte, idPath, namePath, emailPath string) {
		p := Provider{ID: "fuzz", Name: "Fuzz", Profile: ProfileSpec{ID: idPath, Name: namePath, Email: emailPath, Avatar: namePath, Page: emailPath}}
		a, err := mapProfile(p, body)
		if err != nil {
			if !reflect.DeepEqual(a, Account{}) {
				t.Errorf("an error came with account %+v", a)
			}
			return
		}
		if a.ID == "" || a.Name == "" || a.Provider != "fuzz" {
			t.Errorf("account without id, name or provider: %+v", a)
		}
		if strings.ContainsAny(a.ID, "\r\n") || utf8.RuneCountInString(a.ID) > 200 || a.ID != strings.TrimSpace(a.ID) || !boundary.IsClean(a.ID, 0) {
			t.Errorf("unusable id %q", a.ID)
		}
		// Profile text reaches terminals and the window: it must be safe.
		for _, text := range []string{a.Name, a.Email} {
			if !boundary.IsClean(text, maxNameLen+1) {
				t.Errorf("unsafe text %q", text)
			}
		}
		// Links a remote provider names are https, never this computer.
		for _, link := range []string{a.AvatarURL, a.ProfileURL} {
			if link == "" {
				continue
			}
			if _, err := boundary.CheckURL(link, false); err != nil {
				t.Errorf("link %q kept: %v", link, err)
			}
		}
	})
}

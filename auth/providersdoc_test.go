package auth

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

var updateDoc = flag.Bool("update", false, "write docs/PROVIDERS.md from the catalogue (make providers-doc)")

// providersDocPath is docs/PROVIDERS.md, from the auth package's directory.
var providersDocPath = filepath.Join("..", "docs", "PROVIDERS.md")

// TestProvidersDoc checks that docs/PROVIDERS.md is what the built-in
// catalogue says; `make providers-doc` writes it anew.
func TestProvidersDoc(t *testing.T) {
	want := providersDoc(builtinCatalogue(t))
	if *updateDoc {
		if err := os.WriteFile(providersDocPath, want, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	got, err := os.ReadFile(providersDocPath)
	if err != nil || !bytes.Equal(got, want) {
		t.Fatalf("docs/PROVIDERS.md is not what the catalogue says (%v): run make providers-doc", err)
	}
}

// providersDoc renders the catalogue for people: each provider, how it
// connects, what to register and where, its params and quirks, its docs.
func providersDoc(ps []Provider) []byte {
	var b bytes.Buffer
	w := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	w("# Providers\n\n")
	w("Keyport's built-in catalogue (`assets/providers.json`), %d providers. This page is generated from it by\n", len(ps))
	w("`make providers-doc`; `make test` fails when it is out of date. Every fact comes from the provider's own\n")
	w("documentation, linked from each entry; an entry marked *unconfirmed* has a fact from elsewhere, and its\n")
	w("notes say which. Your own `providers.json` can add providers or change these (see the README).\n\n")
	w("| provider | ways in | redirect | docs |\n|---|---|---|---|\n")
	for _, p := range ps {
		w("| [%s](#%s) | %s | %s | [docs](%s) |\n", p.Name, p.ID, ways(p), redirectRule(p, true), p.Docs)
	}
	for _, p := range ps {
		w("\n## %s\n\n", p.Name)
		w("<a id=\"%s\"></a>id `%s` · %s", p.ID, p.ID, ways(p))
		if p.Unconfirmed {
			w(" · *unconfirmed*")
		}
		w("\n\n")
		if p.Notes != "" {
			w("%s\n\n", p.Notes)
		}
		if p.Mode == ModeOAuth2 {
			reg := "at the provider's developer pages"
			if p.RegisterURL != "" {
				reg = "at <" + p.RegisterURL + ">"
			}
			w("- **Register** an OAuth client %s%s; %s.\n", reg, secretNote(p), redirectRule(p, false))
			if p.Issuer != "" {
				w("- **OpenID Connect**: endpoints discovered from `%s`; ID tokens verified.\n", p.Issuer)
			} else {
				w("- **Endpoints**: authorize `%s`, token `%s`", p.AuthorizeURL, p.TokenURL)
				if p.RevocationURL != "" {
					w(", revocation `%s`", p.RevocationURL)
				}
				w(".\n")
			}
			if len(p.Scopes) > 0 {
				w("- **Scopes** requested: `%s`.\n", strings.Join(p.Scopes, p.Separator()))
			}
			if len(p.AuthorizeParams) > 0 {
				var kv []string
				for _, k := range sortedKeys(p.AuthorizeParams) {
					kv = append(kv, k+"="+p.AuthorizeParams[k])
				}
				w("- **Authorization request** also sends `%s`.\n", strings.Join(kv, "&"))
			}
			if !p.UsesPKCE() {
				w("- **PKCE**: not sent (the provider does not take it).\n")
			}
			if p.DeviceAuthURL != "" {
				w("- **Device sign-in** (a code to enter on any device): `%s`.\n", p.DeviceAuthURL)
			}
		}
		if p.APIKey != nil {
			how := "header `" + p.APIKey.Header + ": " + p.APIKey.Prefix + "…`"
			w("- **%s** instead of a sign-in: sent as %s", sentenceCase(p.APIKey.KeyLabel()), how)
			switch {
			case p.APIKey.Profile:
				w(", checked by reading the profile")
			case p.APIKey.CheckURL != "":
				w(", checked with `GET %s`", p.APIKey.CheckURL)
			}
			w(".")
			if p.APIKey.Help != "" {
				w(" %s", p.APIKey.Help)
			}
			w("\n")
		}
		for _, pr := range p.Params {
			def := ""
			if pr.Default != "" {
				def = " (default `" + pr.Default + "`)"
			}
			w("- **%s** asked at set-up%s: %s (`keyport setup %s --param %s=…`).\n", pr.Label, def, pr.Help, p.ID, pr.Name)
		}
		if p.Profile.URL != "" {
			w("- **Profile**: `GET %s`.\n", p.Profile.URL)
		}
		if p.APIBase != "" {
			w("- **API base**: `%s`.\n", p.APIBase)
		}
		w("- **Documentation**: <%s>\n", p.Docs)
	}
	return b.Bytes()
}

func ways(p Provider) string {
	var out []string
	if p.Mode == ModeOAuth2 {
		out = append(out, "browser sign-in")
	}
	if p.Mode == ModeOAuth2 && p.DeviceAuthURL != "" {
		out = append(out, "code on any device")
	}
	if p.SupportsAPIKey() {
		out = append(out, p.APIKey.KeyLabel())
	}
	return strings.Join(out, ", ")
}

func redirectRule(p Provider, short bool) string {
	switch {
	case p.Mode != ModeOAuth2:
		return "—"
	case p.NeedsFixedPort && short:
		return "fixed port"
	case short:
		return "any port"
	case p.NeedsFixedPort:
		return "the provider matches redirect URIs exactly, so register `http://127.0.0.1:PORT/callback/" + p.ID + "` with a port you choose and enter the same port in Keyport"
	}
	return "register the redirect URI `http://127.0.0.1/callback/" + p.ID + "`; Keyport picks a free port each time"
}

func secretNote(p Provider) string {
	if p.NeedsSecret {
		return " (it issues confidential clients: enter the client secret too; it goes to the keychain)"
	}
	return ""
}

func sentenceCase(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

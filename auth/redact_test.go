package auth

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"
)

// TestSecretsRedacted prints every value that holds a secret with every fmt
// verb and through both log/slog handlers, and checks that no secret shows.
func TestSecretsRedacted(t *testing.T) {
	const (
		access  = "AT-do-not-print-1"
		refresh = "RT-do-not-print-2"
		apiKey  = "KEY-do-not-print-3"
		client  = "CS-do-not-print-4"
	)
	secrets := []string{access, refresh, apiKey, client}
	sp := newStubProvider(t)
	e, _ := newTestEngine(t, sp.providersFile(""), nil)
	if err := e.SetClient(context.Background(), "test", ClientSettings{ClientID: "cid"}, client); err != nil {
		t.Fatal(err)
	}
	flow, err := e.Connect(context.Background(), "test")
	if err != nil {
		t.Fatal(err)
	}
	defer flow.Cancel()
	s := Secret{AccessToken: access, RefreshToken: refresh, APIKey: apiKey, TokenType: "Bearer"}
	e.refresher.keep("test/1", "grant", s)
	tokenErr := tokenError("Test", "refresh the token", &oauth2.RetrieveError{Body: []byte(`{"access_token":"` + access + `"}`), ErrorCode: "invalid_grant"}, true)
	var te *TokenError
	if !errors.As(tokenErr, &te) {
		t.Fatal("no TokenError")
	}
	values := map[string]any{"Secret": s, "*Secret": &s, "[]Secret": []Secret{s}, "struct holding a Secret": struct{ S Secret }{s},
		"*Flow": flow, "*Engine": e, "*TokenError": te}
	for name, v := range values {
		for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x"} {
			out := fmt.Sprintf(verb, v)
			for _, secret := range secrets {
				if strings.Contains(out, secret) {
					t.Errorf("%s with %s prints %s: %s", name, verb, secret, out)
				}
			}
			if name != "*TokenError" && !strings.Contains(out, "[redacted]") {
				t.Errorf("%s with %s: %q, want [redacted]", name, verb, out)
			}
		}
		for _, handler := range []func(*bytes.Buffer) slog.Handler{
			func(b *bytes.Buffer) slog.Handler { return slog.NewTextHandler(b, nil) },
			func(b *bytes.Buffer) slog.Handler { return slog.NewJSONHandler(b, nil) },
		} {
			var buf bytes.Buffer
			slog.New(handler(&buf)).Info("value", "v", v)
			for _, secret := range secrets {
				if strings.Contains(buf.String(), secret) {
					t.Errorf("%s through slog prints %s: %s", name, secret, buf.String())
				}
			}
		}
	}
}

// A keychain item written with EncodeSecret, as bench/seed writes one, is
// what the engine reads back: the redacting MarshalJSON of Secret must not
// be what lands in the keychain.
func TestEncodeSecretIsWhatTheEngineReads(t *testing.T) {
	e, _ := newTestEngine(t, newStubProvider(t).providersFile(""), nil)
	want := Secret{AccessToken: "AT-1", RefreshToken: "RT-2", TokenType: "Bearer", Expiry: time.Now().Add(time.Hour).Round(time.Second)}
	raw, err := EncodeSecret(want)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.keychain.Set(context.Background(), secretName("test/1"), raw); err != nil {
		t.Fatal(err)
	}
	got, err := e.loadSecret(context.Background(), "test/1")
	if err != nil {
		t.Fatal(err)
	}
	if got.AccessToken != want.AccessToken || got.RefreshToken != want.RefreshToken || !got.Expiry.Equal(want.Expiry) {
		t.Errorf("read back %q %q %v, want %q %q %v", got.AccessToken, got.RefreshToken, got.Expiry, want.AccessToken, want.RefreshToken, want.Expiry)
	}
}

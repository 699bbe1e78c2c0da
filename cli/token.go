package cli

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/keyport/keyport/auth"
)

// tokenJSON is what `keyport token --format json` prints. It is its own
// type because auth.Secret marshals as "[redacted]" on purpose: this is the
// one place a token is meant to go into JSON. Expiry fields are null for a
// token that does not expire and for an API key.
type tokenJSON struct {
	AccessToken string   `json:"access_token"`
	TokenType   string   `json:"token_type"`  // "Bearer", or "api_key" for a pasted key
	Expiry      *string  `json:"expiry"`      // RFC 3339
	ExpiryUnix  *int64   `json:"expiry_unix"` // seconds since 1970
	ExpiresIn   *int64   `json:"expires_in"`  // whole seconds left
	Scopes      []string `json:"scopes"`
	Account     string   `json:"account"` // PROVIDER/ID
	Provider    string   `json:"provider"`
}

// tokenFormats are the values of --format.
var tokenFormats = []string{"bare", "header", "json"}

func runToken(ctx context.Context, env Env, fs *flag.FlagSet, args []string) error {
	force := fs.Bool("refresh", false, "refresh the token first even if it is still valid")
	minValid := fs.Duration("min-valid", 0, "refresh first unless the token stays valid this long (10m, 1h), and fail if it cannot")
	format := fs.String("format", "bare", "bare (the token), header (the request header line with it) or json")
	pos, err := parse(fs, args, 1)
	if err != nil {
		return err
	}
	if !slices.Contains(tokenFormats, *format) {
		return usageError(fmt.Sprintf("--format %q is not one of bare, header, json", *format))
	}
	e, err := env.Engine(nil)
	if err != nil {
		return err
	}
	a, err := e.FindAccount(pos[0])
	if err != nil {
		return err
	}
	if *force {
		if err := e.Refresh(ctx, a.Key()); err != nil {
			return err
		}
	}
	s, err := e.TokenValidFor(ctx, a.Key(), *minValid)
	if err != nil {
		return err
	}
	switch *format {
	case "header":
		api, err := e.AccountAPI(a.Key())
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(env.Out, "%s: %s\n", api.Header, api.Value(s))
		return err
	case "json":
		enc := json.NewEncoder(env.Out)
		enc.SetIndent("", "  ")
		return enc.Encode(newTokenJSON(a, s, time.Now()))
	}
	_, err = fmt.Fprintln(env.Out, s.Value())
	return err
}

func newTokenJSON(a auth.Account, s auth.Secret, now time.Time) tokenJSON {
	out := tokenJSON{AccessToken: s.Value(), TokenType: "api_key", Scopes: a.Scopes, Account: a.Key(), Provider: a.Provider}
	if out.Scopes == nil {
		out.Scopes = []string{}
	}
	if s.APIKey != "" {
		return out
	}
	out.TokenType = s.TokenType
	if out.TokenType == "" || strings.EqualFold(out.TokenType, "bearer") {
		out.TokenType = "Bearer"
	}
	if !s.Expiry.IsZero() {
		rfc, unix, left := s.Expiry.UTC().Format(time.RFC3339), s.Expiry.Unix(), int64(s.Expiry.Sub(now)/time.Second)
		out.Expiry, out.ExpiryUnix, out.ExpiresIn = &rfc, &unix, &left
	}
	return out
}

// Package flowbase is the baseline of Keyport's sign-in figure: the least a
// Go program does to connect an account with golang.org/x/oauth2, in the
// manner of int128/oauth2cli. It listens on 127.0.0.1, and its callback
// checks state, exchanges the code with the PKCE verifier and GETs the
// profile once. No ID token check, no keychain, no files.
package flowbase

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"time"

	"golang.org/x/oauth2"
)

// Flow is one sign-in waiting for its callback.
type Flow struct {
	URL    string // the authorization URL to open
	srv    *http.Server
	result chan result
}

type result struct {
	profile map[string]any
	err     error
}

// Start listens on a free loopback port with redirect path path and returns
// the flow; profileURL is GET with the new access token.
func Start(ctx context.Context, cfg oauth2.Config, path, profileURL string) (*Flow, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	cfg.RedirectURL = "http://127.0.0.1:" + strconv.Itoa(ln.Addr().(*net.TCPAddr).Port) + path
	state, verifier := oauth2.GenerateVerifier(), oauth2.GenerateVerifier()
	f := &Flow{URL: cfg.AuthCodeURL(state, oauth2.S256ChallengeOption(verifier)), result: make(chan result, 1)}
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+path, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("state") != state {
			http.Error(w, "wrong state", http.StatusBadRequest)
			return
		}
		p, err := complete(ctx, cfg, r.URL.Query().Get("code"), verifier, profileURL)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
		} else {
			fmt.Fprintln(w, "Connected. You can close this tab.")
		}
		select {
		case f.result <- result{p, err}:
		default:
		}
	})
	f.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go f.srv.Serve(ln)
	return f, nil
}

func complete(ctx context.Context, cfg oauth2.Config, code, verifier, profileURL string) (map[string]any, error) {
	tok, err := cfg.Exchange(ctx, code, oauth2.VerifierOption(verifier))
	if err != nil {
		return nil, fmt.Errorf("exchange code: %w", err)
	}
	resp, err := cfg.Client(ctx, tok).Get(profileURL)
	if err != nil {
		return nil, fmt.Errorf("get profile: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, errors.New("get profile: " + resp.Status)
	}
	var p map[string]any
	return p, json.NewDecoder(resp.Body).Decode(&p)
}

// Wait blocks until the callback has been handled, shuts the server down
// and returns the profile.
func (f *Flow) Wait(ctx context.Context) (map[string]any, error) {
	defer f.srv.Close()
	select {
	case r := <-f.result:
		return r.profile, r.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

package auth

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"github.com/keyport/keyport/internal/jsonfile"
)

// clientsFile holds the person's client ids and redirect ports (not
// secrets: client secrets live in the keychain).
const clientsFile = "clients.json"

// ClientSettings is the person's OAuth client registration at one provider.
type ClientSettings struct {
	ClientID     string `json:"client_id,omitempty"`
	RedirectPort int    `json:"redirect_port,omitempty"` // 0: any port (or the catalogue's)
	HasSecret    bool   `json:"has_secret,omitempty"`    // a client secret is in the keychain
	// Params are the values of the provider's params (Provider.Params)
	// for the next sign-in; each account keeps those it was connected with.
	Params map[string]string `json:"params,omitempty"`
}

// maxClientsFile bounds clients.json.
const maxClientsFile = 1 << 20

// clientStore is the person's client registrations, clients.json, and this
// process's copy of them. Every change is a locked read-modify-write of the
// file, so a window and a terminal never undo each other's set-up, and
// reload re-reads the file when another process replaced it. Its methods
// are safe for concurrent use.
type clientStore struct {
	path string

	mu    sync.Mutex // guards m and stamp
	m     map[string]ClientSettings
	stamp jsonfile.Stamp // the file version m came from
}

func openClientStore(dir string) (*clientStore, error) {
	c := &clientStore{path: filepath.Join(dir, clientsFile), m: map[string]ClientSettings{}}
	return c, c.reload()
}

// reload reads the file again if another version of it replaced the one
// read last.
func (c *clientStore) reload() error {
	st := jsonfile.StampOf(c.path)
	c.mu.Lock()
	same := st.Same(c.stamp)
	c.mu.Unlock()
	if same {
		return nil
	}
	m := map[string]ClientSettings{}
	if _, err := jsonfile.Read(c.path, &m, maxClientsFile); err != nil {
		return fmt.Errorf("read client settings: %w", err)
	}
	c.mu.Lock()
	c.m, c.stamp = m, st
	c.mu.Unlock()
	return nil
}

func (c *clientStore) get(providerID string) (ClientSettings, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	s, ok := c.m[providerID]
	return s, ok
}

// set stores one provider's settings as a locked read-modify-write of the
// file; fn receives the settings the file holds now.
func (c *clientStore) set(ctx context.Context, providerID string, fn func(old ClientSettings) ClientSettings) error {
	var next map[string]ClientSettings
	err := jsonfile.Update(ctx, c.path, maxClientsFile, func(m *map[string]ClientSettings) error {
		if *m == nil {
			*m = map[string]ClientSettings{}
		}
		(*m)[providerID] = fn((*m)[providerID])
		next = maps.Clone(*m)
		return nil
	})
	if err != nil {
		return fmt.Errorf("save client settings: %w", err)
	}
	c.mu.Lock()
	c.m, c.stamp = next, jsonfile.StampOf(c.path)
	c.mu.Unlock()
	return nil
}

// Client returns the client settings of a provider: the person's own, else
// the client id and port the providers file gives.
func (e *Engine) Client(providerID string) ClientSettings {
	c, ok := e.clients.get(providerID)
	p, _ := e.Provider(providerID)
	if !ok || c.ClientID == "" {
		c.ClientID = p.ClientID
	}
	if c.RedirectPort == 0 {
		c.RedirectPort = p.RedirectPort
	}
	return c
}

// Configured reports whether the provider can be connected now: an OAuth
// provider needs a client id (and a fixed port where the provider matches
// redirect URIs exactly, and a secret where it issues confidential clients
// only); an API-key provider is ready; both need their params' values,
// where they have params without defaults.
func (e *Engine) Configured(providerID string) bool {
	p, ok := e.Provider(providerID)
	if !ok {
		return false
	}
	c := e.Client(providerID)
	if _, err := p.ParamValues(c.Params); err != nil {
		return false
	}
	if p.Mode == ModeAPIKey {
		return true
	}
	return c.ClientID != "" && (!p.NeedsFixedPort || c.RedirectPort != 0) && (!p.NeedsSecret || c.HasSecret)
}

// SetClient saves the person's client registration for a provider: the
// client id and port to clients.json, the secret (when not empty) to the
// keychain. An empty secret keeps the stored one. The file is changed as a
// locked read-modify-write, so settings another process saved meanwhile
// stay.
func (e *Engine) SetClient(ctx context.Context, providerID string, c ClientSettings, secret string) error {
	p, err := e.provider(providerID)
	if err != nil {
		return err
	}
	c.ClientID = strings.TrimSpace(c.ClientID)
	if c.ClientID == "" && p.Mode != ModeAPIKey {
		return errors.New("the client id is empty: copy it from the provider's developer page")
	}
	if len(c.Params) > 0 {
		for name := range c.Params {
			if !slices.ContainsFunc(p.Params, func(pr Param) bool { return pr.Name == name }) {
				return fmt.Errorf("%s has no param %q; its params are: %s", p.Name, name, paramNames(p))
			}
		}
		if _, err := p.ParamValues(c.Params); err != nil {
			return err
		}
	}
	if c.RedirectPort < 0 || c.RedirectPort > 65535 {
		return fmt.Errorf("redirect port %d is not a port number: use 1024-65535, or 0 for any", c.RedirectPort)
	}
	hasSecret := false
	if secret = strings.TrimSpace(secret); secret != "" {
		if err := e.keychain.Set(ctx, clientSecretName(providerID), []byte(secret)); err != nil {
			return fmt.Errorf("save the client secret in the keychain: %w", err)
		}
		hasSecret = true
	}
	return e.clients.set(ctx, providerID, func(old ClientSettings) ClientSettings {
		c.HasSecret = old.HasSecret || hasSecret
		return c
	})
}

// clientSecret reads a provider's client secret from the keychain; none is
// not an error (public clients have none).
func (e *Engine) clientSecret(ctx context.Context, providerID string) (string, error) {
	if !e.Client(providerID).HasSecret {
		return "", nil
	}
	b, err := e.keychain.Get(ctx, clientSecretName(providerID))
	if errors.Is(err, ErrSecretNotFound) {
		return "", fmt.Errorf("the client secret of %s is missing from the keychain: enter it again in Set up", providerID)
	}
	if err != nil {
		return "", fmt.Errorf("read the client secret of %s: %w", providerID, err)
	}
	return string(b), nil
}

// RedirectURI is the redirect URI to register at the provider: the loopback
// callback with the provider's path (RFC 8252 section 7.3). Without a fixed
// port it is shown without one; providers that follow RFC 8252 accept any
// port for loopback redirect URIs.
func (e *Engine) RedirectURI(providerID string) string {
	if port := e.Client(providerID).RedirectPort; port != 0 {
		return fmt.Sprintf("http://127.0.0.1:%d%s", port, callbackPath(providerID))
	}
	return "http://127.0.0.1" + callbackPath(providerID)
}

func callbackPath(providerID string) string { return "/callback/" + providerID }

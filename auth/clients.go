package auth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"strings"
)

// clientsFile holds the person's client ids and redirect ports (not
// secrets: client secrets live in the keychain).
const clientsFile = "clients.json"

// ClientSettings is the person's OAuth client registration at one provider.
type ClientSettings struct {
	ClientID     string `json:"client_id,omitempty"`
	RedirectPort int    `json:"redirect_port,omitempty"` // 0: any port (or the catalogue's)
	HasSecret    bool   `json:"has_secret,omitempty"`    // a client secret is in the keychain
}

func loadClients(dir string) (map[string]ClientSettings, error) {
	path := filepath.Join(dir, clientsFile)
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return map[string]ClientSettings{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read client settings: %w", err)
	}
	m := map[string]ClientSettings{}
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("read client settings %s: %w (fix or move the file aside)", path, err)
	}
	return m, nil
}

// Client returns the client settings of a provider: the person's own, else
// the client id and port the providers file gives.
func (e *Engine) Client(providerID string) ClientSettings {
	e.mu.Lock()
	c, ok := e.clients[providerID]
	e.mu.Unlock()
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
// redirect URIs exactly); an API-key provider is always ready.
func (e *Engine) Configured(providerID string) bool {
	p, ok := e.Provider(providerID)
	if !ok {
		return false
	}
	if p.Mode == ModeAPIKey {
		return true
	}
	c := e.Client(providerID)
	return c.ClientID != "" && (!p.NeedsFixedPort || c.RedirectPort != 0) && (!p.NeedsSecret || c.HasSecret)
}

// SetClient saves the person's client registration for a provider: the
// client id and port to clients.json, the secret (when not empty) to the
// keychain. An empty secret keeps the stored one; clear removes it.
func (e *Engine) SetClient(ctx context.Context, providerID string, c ClientSettings, secret string) error {
	if _, err := e.provider(providerID); err != nil {
		return err
	}
	c.ClientID = strings.TrimSpace(c.ClientID)
	if c.ClientID == "" {
		return errors.New("the client id is empty: copy it from the provider's developer page")
	}
	if c.RedirectPort < 0 || c.RedirectPort > 65535 {
		return fmt.Errorf("redirect port %d is not a port number: use 1024-65535, or 0 for any", c.RedirectPort)
	}
	old := e.Client(providerID)
	c.HasSecret = old.HasSecret
	if secret = strings.TrimSpace(secret); secret != "" {
		if err := e.keychain.Set(ctx, clientSecretName(providerID), []byte(secret)); err != nil {
			return fmt.Errorf("save the client secret in the keychain: %w", err)
		}
		c.HasSecret = true
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	next := maps.Clone(e.clients)
	next[providerID] = c
	data, err := json.MarshalIndent(next, "", "  ")
	if err != nil {
		return err
	}
	if err := writeFileAtomic(filepath.Join(e.dir, clientsFile), data); err != nil {
		return fmt.Errorf("save client settings: %w", err)
	}
	e.clients = next
	return nil
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

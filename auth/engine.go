package auth

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"time"

	"github.com/keyport/keyport/assets"
	"github.com/keyport/keyport/internal/boundary"
)

// Params builds an Engine. Zero values get the defaults named on each field.
type Params struct {
	// ConfigDir holds the account index, the user providers file, client
	// settings and lock files. Default: $KEYPORT_CONFIG_DIR, else
	// os.UserConfigDir()/keyport.
	ConfigDir string
	// Service is the keychain service name. Default: $KEYPORT_KEYRING_SERVICE,
	// else "keyport".
	Service string
	// Keychain stores secrets. Default: NewSystemKeychain(Service, 30 s).
	Keychain Keychain
	// HTTPClient talks to providers. Default: a client with a 30 s timeout.
	HTTPClient *http.Client
	// OpenURL opens the system browser. The window passes Fyne's
	// App.OpenURL; the command line $BROWSER or xdg-open. Nil: the flow only
	// offers the URL to copy. The engine calls it only with URLs that pass
	// boundary.GuardOpen (https, or http on this computer).
	OpenURL func(*url.URL) error
	// Clock is the time source. Default: SystemClock.
	Clock Clock
	// FlowTimeout bounds one sign-in. Default: 5 minutes.
	FlowTimeout time.Duration
	// Log receives what the engine does and what fails in the background
	// (refreshes above all); it never receives a secret. Default: none.
	Log *slog.Logger
}

// Engine connects accounts, stores their secrets and keeps them fresh. It is
// safe for concurrent use; one Engine serves a whole process, and several
// processes (the window, the command line) may share one config directory
// and keychain: every write of an account holds that account's
// cross-process lock.
//
// Its state has one owner per concern, each with its own lock: accounts
// (the index and this process's view of it), clients (the person's client
// settings), issuers (discovered metadata), signins (providers with a
// sign-in in progress) and refresher (the schedule, retries, unsaved
// secrets and the single flight of refreshes). The fields above them are
// set by New and never change.
type Engine struct {
	dir       string
	keychain  Keychain
	http      outbound
	openURL   func(*url.URL) error // behind boundary.GuardOpen
	clock     Clock
	timeout   time.Duration
	log       *slog.Logger
	providers []Provider
	profiles  profiles
	hub       hub

	accounts  *accountStore
	clients   *clientStore
	issuers   issuers
	signins   signins
	refresher *refresher
}

// New builds an Engine: it reads the provider catalogue (built-in and the
// user providers file), the client settings and the account index (moving
// an index of an older Keyport to per-account records first). It does not
// touch the keychain or the network.
func New(p Params) (*Engine, error) {
	if p.ConfigDir == "" {
		p.ConfigDir = os.Getenv("KEYPORT_CONFIG_DIR")
	}
	if p.ConfigDir == "" {
		base, err := os.UserConfigDir()
		if err != nil {
			return nil, fmt.Errorf("find config directory: %w (set KEYPORT_CONFIG_DIR)", err)
		}
		p.ConfigDir = filepath.Join(base, "keyport")
	}
	p.Service = cmp.Or(p.Service, os.Getenv("KEYPORT_KEYRING_SERVICE"), "keyport")
	if p.Keychain == nil {
		p.Keychain = NewSystemKeychain(p.Service, 30*time.Second)
	}
	if p.HTTPClient == nil {
		p.HTTPClient = &http.Client{Timeout: 30 * time.Second}
	}
	if p.Clock == nil {
		p.Clock = SystemClock{}
	}
	if p.Log == nil {
		p.Log = slog.New(slog.DiscardHandler)
	}
	if err := privateDir(p.ConfigDir); err != nil {
		return nil, err
	}
	providers, err := loadCatalogue(assets.Providers, filepath.Join(p.ConfigDir, userProvidersFile))
	if err != nil {
		return nil, err
	}
	e := &Engine{
		dir:       p.ConfigDir,
		keychain:  p.Keychain,
		http:      newOutbound(p.HTTPClient),
		openURL:   boundary.GuardOpen(p.OpenURL),
		clock:     p.Clock,
		timeout:   cmp.Or(p.FlowTimeout, 5*time.Minute),
		log:       p.Log,
		providers: providers,
		profiles:  profiles{dir: filepath.Join(p.ConfigDir, "profiles")},
		refresher: newRefresher(p.Clock),
	}
	if e.clients, err = openClientStore(p.ConfigDir); err != nil {
		return nil, err
	}
	if e.accounts, err = openAccountStore(p.ConfigDir, p.Clock.Now, e.changed); err != nil {
		return nil, err
	}
	return e, nil
}

// privateDir creates the config directory with mode 0700, and tightens it
// to 0700 when it exists with looser permissions: other local users must
// not read the account list or replace the providers file.
func privateDir(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("create config directory: %w", err)
	}
	fi, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("config directory: %w", err)
	}
	if !fi.IsDir() {
		return fmt.Errorf("config directory %s is not a directory", dir)
	}
	if fi.Mode().Perm()&0o077 != 0 && runtime.GOOS != "windows" {
		if err := os.Chmod(dir, 0o700); err != nil {
			return fmt.Errorf("config directory %s can be read by other users (mode %v) and could not be made private: %w; run chmod 700 on it", dir, fi.Mode().Perm(), err)
		}
	}
	return nil
}

// changed is called for every account record newer than what this process
// knew, written here or by another process: it publishes the change and
// reschedules the account.
func (e *Engine) changed(r record) {
	if !r.live() {
		e.refresher.sched.Remove(r.Key)
		e.hub.PublishRemoved(r.Key)
		return
	}
	e.schedule(*r.Account)
	e.hub.Publish(*r.Account)
}

// ConfigDir returns the directory holding the index and settings.
func (e *Engine) ConfigDir() string { return e.dir }

// Reload picks up what another Keyport process (the command line, another
// window) changed: connected, refreshed or removed accounts, and client
// settings. Changed accounts are published to subscribers and rescheduled.
// Reloads are serialised and never replace a newer state this process holds
// with an older file; one that finds nothing changed costs a few stat calls.
// It never touches the keychain.
func (e *Engine) Reload() error {
	return errors.Join(e.accounts.scan(), e.clients.reload())
}

// Providers returns the catalogue, sorted by name.
func (e *Engine) Providers() []Provider { return slices.Clone(e.providers) }

// Provider returns one catalogue entry by id.
func (e *Engine) Provider(id string) (Provider, bool) {
	i := slices.IndexFunc(e.providers, func(p Provider) bool { return p.ID == id })
	if i < 0 {
		return Provider{}, false
	}
	return e.providers[i], true
}

func (e *Engine) provider(id string) (Provider, error) {
	p, ok := e.Provider(id)
	if !ok {
		return Provider{}, fmt.Errorf("%w %q: known providers are listed by 'keyport providers'", ErrUnknownProvider, id)
	}
	return p, nil
}

// accountProvider returns the catalogue entry of an account with the
// account's param values (its shop, tenant or base URL) in its URLs.
func (e *Engine) accountProvider(a Account) (Provider, error) {
	p, err := e.provider(a.Provider)
	if err != nil {
		return Provider{}, err
	}
	values, err := p.ParamValues(a.Params)
	if err != nil {
		return Provider{}, fmt.Errorf("%s: %w; connect the account again", a.Key(), err)
	}
	return p.WithParams(values)
}

// setupProvider returns the catalogue entry with the param values of its
// client settings, for a new sign-in or key, and those values.
func (e *Engine) setupProvider(p Provider) (Provider, map[string]string, error) {
	values, err := p.ParamValues(e.Client(p.ID).Params)
	if err != nil {
		return Provider{}, nil, fmt.Errorf("%w: %w", ErrNotConfigured, err)
	}
	filled, err := p.WithParams(values)
	return filled, values, err
}

// Accounts returns every connected account from the index, sorted by
// provider and name. It never touches the keychain.
func (e *Engine) Accounts() []Account { return e.accounts.list() }

// Account returns one account by key ("provider/id").
func (e *Engine) Account(key string) (Account, bool) { return e.accounts.get(key) }

// FindAccount resolves what a person typed: a full key, a provider id with
// exactly one account, or an account's email or name.
func (e *Engine) FindAccount(query string) (Account, error) {
	if a, ok := e.Account(query); ok {
		return a, nil
	}
	// Not e.Accounts(), which copies and sorts every account: the proxy
	// resolves each request's account here.
	hits := e.accounts.matching(func(a *Account) bool {
		return a.Provider == query || a.Email == query || a.Name == query || a.ID == query
	})
	switch len(hits) {
	case 1:
		return hits[0], nil
	case 0:
		return Account{}, fmt.Errorf("%w %q: 'keyport accounts' lists the connected ones", ErrUnknownAccount, query)
	default:
		return Account{}, fmt.Errorf("%q matches %d accounts: name one by its key (PROVIDER/ID) from 'keyport accounts'", query, len(hits))
	}
}

// Profile returns the raw profile JSON kept when the account was connected.
func (e *Engine) Profile(key string) (json.RawMessage, error) {
	raw, err := e.profiles.read(key)
	if err != nil {
		return nil, fmt.Errorf("read profile of %s: %w", key, err)
	}
	return raw, nil
}

// Subscribe returns a subscription to account changes (status, refreshes,
// new and removed accounts). Close it when done.
func (e *Engine) Subscribe() *Subscription { return e.hub.Subscribe() }

// secretName is the keychain item of an account's tokens or API key.
func secretName(key string) string { return "account:" + key }

// clientSecretName is the keychain item of a provider's client secret.
func clientSecretName(providerID string) string { return "client:" + providerID }

func (e *Engine) loadSecret(ctx context.Context, key string) (Secret, error) {
	raw, err := e.keychain.Get(ctx, secretName(key))
	if err != nil {
		return Secret{}, fmt.Errorf("read the token of %s from the keychain: %w", key, err)
	}
	var s secretRecord
	if err := json.Unmarshal(raw, &s); err != nil {
		return Secret{}, fmt.Errorf("read the token of %s from the keychain: the item is damaged; connect the account again", key)
	}
	return Secret(s), nil
}

// EncodeSecret returns the bytes of s as the engine keeps them in an
// account's keychain item: for tools that prepare a keychain (bench/seed),
// since a Secret's own JSON is "[redacted]".
func EncodeSecret(s Secret) ([]byte, error) { return json.Marshal(secretRecord(s)) }

func (e *Engine) saveSecret(ctx context.Context, key string, s Secret) error {
	raw, err := EncodeSecret(s)
	if err != nil {
		return err
	}
	if err := e.keychain.Set(ctx, secretName(key), raw); err != nil {
		return fmt.Errorf("save the token of %s in the keychain: %w", key, err)
	}
	return nil
}

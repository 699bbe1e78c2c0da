package auth

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"slices"
	"sync"
	"time"

	"github.com/keyport/keyport/assets"
	"github.com/keyport/keyport/internal/boundary"
	"golang.org/x/sync/singleflight"
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
	// Logf receives diagnostics; it never receives secrets. Default: none.
	Logf func(format string, args ...any)
}

// Engine connects accounts, stores their secrets and keeps them fresh. It is
// safe for concurrent use; one Engine serves a whole process.
type Engine struct {
	dir      string
	keychain Keychain
	http     outbound
	openURL  func(*url.URL) error // behind boundary.GuardOpen
	clock    Clock
	timeout  time.Duration
	logf     func(string, ...any)

	index     *Index
	providers []Provider
	hub       hub
	sched     *scheduler

	mu         sync.Mutex
	accounts   map[string]Account // cache of the index
	loaded     fs.FileInfo        // the index file as Reload last read it
	flows      map[string]bool    // provider ids with a sign-in in progress
	discovered map[string]discovery
	clients    map[string]ClientSettings
	retries    map[string]int    // consecutive transient failures per account
	unsaved    map[string]Secret // refreshed secrets the keychain refused to store
	flight     singleflight.Group
}

// New builds an Engine: it reads the provider catalogue (built-in and the
// user providers file) and the account index. It does not touch the
// keychain or the network.
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
	if p.Logf == nil {
		p.Logf = func(string, ...any) {}
	}
	if err := privateDir(p.ConfigDir); err != nil {
		return nil, err
	}
	providers, err := loadCatalogue(assets.Providers, filepath.Join(p.ConfigDir, UserProvidersFile))
	if err != nil {
		return nil, err
	}
	e := &Engine{
		dir:        p.ConfigDir,
		keychain:   p.Keychain,
		http:       newOutbound(p.HTTPClient),
		openURL:    boundary.GuardOpen(p.OpenURL),
		clock:      p.Clock,
		timeout:    cmp.Or(p.FlowTimeout, 5*time.Minute),
		logf:       p.Logf,
		index:      OpenIndex(p.ConfigDir),
		providers:  providers,
		sched:      newScheduler(p.Clock),
		flows:      map[string]bool{},
		discovered: map[string]discovery{},
		retries:    map[string]int{},
		unsaved:    map[string]Secret{},
	}
	if e.clients, err = loadClients(e.dir); err != nil {
		return nil, err
	}
	if err := e.Reload(); err != nil {
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

// ConfigDir returns the directory holding the index and settings.
func (e *Engine) ConfigDir() string { return e.dir }

// Reload reads the account index again, since another Keyport process (the
// command line) may have connected, refreshed or removed accounts; it
// publishes what changed to subscribers and reschedules. It never touches
// the keychain. The window calls it when it comes to the foreground, so it
// returns at once when the index file is the one it read last (same file,
// size and modification time: every write replaces the file).
func (e *Engine) Reload() error {
	fi, statErr := os.Stat(e.index.path())
	e.mu.Lock()
	last := e.loaded
	e.mu.Unlock()
	if statErr == nil && last != nil && os.SameFile(fi, last) && fi.Size() == last.Size() && fi.ModTime().Equal(last.ModTime()) {
		return nil
	}
	list, err := e.index.Load()
	if err != nil {
		return err
	}
	if statErr != nil {
		fi = nil // no index yet, or unreadable: read it again next time
	}
	next := make(map[string]Account, len(list))
	for _, a := range list {
		next[a.Key()] = a
	}
	e.mu.Lock()
	prev := e.accounts
	e.accounts = next
	e.loaded = fi // stat'ed before reading: a write in between is read again next time
	e.mu.Unlock()
	for key, a := range next {
		if old, ok := prev[key]; !ok || !reflect.DeepEqual(old, a) {
			e.schedule(a)
			if prev != nil {
				e.hub.Publish(a)
			}
		}
	}
	for key := range prev {
		if _, ok := next[key]; !ok {
			e.sched.Remove(key)
			e.hub.PublishRemoved(key)
		}
	}
	return nil
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

// Accounts returns every connected account from the index, sorted by
// provider and name. It never touches the keychain.
func (e *Engine) Accounts() []Account {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := make([]Account, 0, len(e.accounts))
	for _, a := range e.accounts {
		out = append(out, a)
	}
	slices.SortFunc(out, CompareAccounts)
	return out
}

// CompareAccounts orders accounts as Keyport lists them: by provider, then
// name, then id.
func CompareAccounts(a, b Account) int {
	return cmp.Or(cmp.Compare(a.Provider, b.Provider), cmp.Compare(a.Name, b.Name), cmp.Compare(a.ID, b.ID))
}

// Account returns one account by key ("provider/id").
func (e *Engine) Account(key string) (Account, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	a, ok := e.accounts[key]
	return a, ok
}

// FindAccount resolves what a person typed: a full key, a provider id with
// exactly one account, or an account's email or name.
func (e *Engine) FindAccount(query string) (Account, error) {
	if a, ok := e.Account(query); ok {
		return a, nil
	}
	var hits []Account
	for _, a := range e.Accounts() {
		if a.Provider == query || a.Email == query || a.Name == query || a.ID == query {
			hits = append(hits, a)
		}
	}
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
	raw, err := e.index.Profile(key)
	if err != nil {
		return nil, fmt.Errorf("read profile of %s: %w", key, err)
	}
	return raw, nil
}

// Subscribe returns a subscription to account changes (status, refreshes,
// new and removed accounts). Close it when done.
func (e *Engine) Subscribe() *Subscription { return e.hub.Subscribe() }

// update applies fn to one account in the index (under the index's
// cross-process lock), refreshes the cache and publishes the result. fn
// returning false removes the account.
func (e *Engine) update(key string, fn func(a *Account) bool) (Account, error) {
	var result Account
	var keep bool
	_, err := e.index.Update(func(list []Account) ([]Account, error) {
		i := slices.IndexFunc(list, func(a Account) bool { return a.Key() == key })
		var a Account
		if i >= 0 {
			a = list[i]
		} else if provider, id, ok := SplitKey(key); ok {
			a = Account{Provider: provider, ID: id}
		}
		keep = fn(&a)
		result = a
		switch {
		case !keep && i >= 0:
			return slices.Delete(list, i, i+1), nil
		case !keep:
			return list, nil
		case i >= 0:
			list[i] = a
		default:
			list = append(list, a)
		}
		return list, nil
	})
	if err != nil {
		return Account{}, err
	}
	e.mu.Lock()
	if keep {
		e.accounts[key] = result
	} else {
		delete(e.accounts, key)
	}
	e.mu.Unlock()
	if keep {
		e.hub.Publish(result)
	} else {
		e.hub.PublishRemoved(key)
	}
	return result, nil
}

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

func (e *Engine) saveSecret(ctx context.Context, key string, s Secret) error {
	raw, err := json.Marshal(secretRecord(s))
	if err != nil {
		return err
	}
	if err := e.keychain.Set(ctx, secretName(key), raw); err != nil {
		return fmt.Errorf("save the token of %s in the keychain: %w", key, err)
	}
	return nil
}

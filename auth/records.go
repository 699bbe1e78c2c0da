package auth

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/keyport/keyport/internal/jsonfile"
)

// The account index is one small file per account,
// <config>/accounts/<file key>.json, written atomically under the account's
// cross-process lock. A refresh or a status change rewrites one record
// whatever the number of accounts, and the window and the command line
// never write back a copy of accounts they read earlier.
//
// Files rather than an embedded database: the window and the command line
// have the index open at once, which bbolt does not allow (it locks its
// file for one process), and SQLite would mean cgo or a large pure-Go port
// in a `keyport` that must start as fast as a keychain lookup. Files need
// nothing but the file system's atomic rename (docs/BENCHMARKS.md has what
// a write and a start cost).
const (
	recordsDir     = "accounts"
	recordVersion  = 2
	maxRecordBytes = 64 << 10
	// tombstoneTTL is how long the record of a disconnected account stays
	// (as a tombstone), so that a process that read the account before
	// cannot bring it back.
	tombstoneTTL = 30 * 24 * time.Hour
)

// seenFile is a record file as last read or written: whose it is and
// which version.
type seenFile struct {
	key   string
	stamp jsonfile.Stamp
}

// record is the file of one account.
type record struct {
	V int `json:"v"`
	// Rev orders the writes of one account across processes: every write
	// stores more than the record it replaces (and at least the wall clock
	// in nanoseconds, so a reconnect after a tombstone was swept still
	// comes after it). A process keeps the newest it has seen.
	Rev int64  `json:"rev"`
	Key string `json:"key"`
	// Grant names the sign-in whose tokens the keychain holds; a
	// reconnect makes a new one, so work begun for the old grant (an
	// unsaved refreshed token) is recognised as stale.
	Grant   string    `json:"grant,omitempty"`
	Removed time.Time `json:"removed,omitzero"` // set: disconnected (a tombstone)
	Account *Account  `json:"account,omitempty"`
}

func (r record) live() bool { return r.Account != nil && r.Removed.IsZero() }

// accountStore is the account index and this process's view of it.
// Writers hold the account's lock (lockAccount) and call read and write;
// scan picks up what other processes wrote. Its methods are safe for
// concurrent use.
type accountStore struct {
	dir      string           // <config>/accounts
	config   string           // <config>, for the locks
	onChange func(r record)   // called, outside any lock, for each newer record seen
	now      func() time.Time // the engine's clock, for timestamps
	reload   sync.Mutex       // serialises scan
	scanned  struct {         // guarded by reload
		dir   jsonfile.Stamp // the directory at the last full scan
		start time.Time      // when that scan began (wall clock)
	}

	mu      sync.Mutex                // guards entries, names and seen
	entries map[string]record         // key → the newest record seen, tombstones included
	names   map[string]string         // file name → key
	seen    map[string]jsonfile.Stamp // file name → the version read or written last
}

func openAccountStore(config string, now func() time.Time, onChange func(record)) (*accountStore, error) {
	s := &accountStore{dir: filepath.Join(config, recordsDir), config: config, onChange: onChange, now: now,
		entries: map[string]record{}, names: map[string]string{}, seen: map[string]jsonfile.Stamp{}}
	if err := os.MkdirAll(s.dir, 0o700); err != nil {
		return nil, fmt.Errorf("create account index: %w", err)
	}
	if err := s.migrate(); err != nil {
		return nil, err
	}
	if err := s.scan(); err != nil {
		return nil, err
	}
	return s, nil
}

func (s *accountStore) path(key string) (string, string, error) {
	name, err := fileKey(key)
	if err != nil {
		return "", "", err
	}
	return filepath.Join(s.dir, name+".json"), name + ".json", nil
}

// list returns the connected accounts, sorted by CompareAccounts.
func (s *accountStore) list() []Account {
	s.mu.Lock()
	out := make([]Account, 0, len(s.entries))
	for _, r := range s.entries {
		if r.live() {
			out = append(out, *r.Account)
		}
	}
	s.mu.Unlock()
	slices.SortFunc(out, CompareAccounts)
	return out
}

// matching returns the live accounts match accepts, in no order, copying
// only those.
func (s *accountStore) matching(match func(*Account) bool) []Account {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Account
	for _, r := range s.entries {
		if r.live() && match(r.Account) {
			out = append(out, *r.Account)
		}
	}
	return out
}

// get returns the account with key as last seen.
func (s *accountStore) get(key string) (Account, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.entries[key]
	if !ok || !r.live() {
		return Account{}, false
	}
	return *r.Account, true
}

// read returns the account's record as its file holds it now, or a zero
// record (Rev 0) when there is none. The caller holds the account's lock,
// so what it reads stays true until it writes.
func (s *accountStore) read(key string) (record, error) {
	path, _, err := s.path(key)
	if err != nil {
		return record{}, err
	}
	var r record
	found, err := jsonfile.Read(path, &r, maxRecordBytes)
	if err != nil {
		return record{}, fmt.Errorf("read the record of %s: %w", key, err)
	}
	if !found {
		return record{Key: key}, nil
	}
	if r.V != recordVersion || r.Key != key {
		return record{}, fmt.Errorf("the record of %s in %s is not Keyport's (version %d, key %q); move it aside", key, path, r.V, r.Key)
	}
	return r, nil
}

// write stores r as the account's new record, replacing prev (what read
// returned): its Rev is set above prev's. The caller holds the account's
// lock. The result is published like a change another process made.
func (s *accountStore) write(prev, r record) (record, error) {
	path, name, err := s.path(r.Key)
	if err != nil {
		return record{}, err
	}
	r.V = recordVersion
	r.Rev = max(prev.Rev+1, s.now().UnixNano())
	if r.Account != nil {
		a := *r.Account
		a.Scopes = slices.Clone(a.Scopes)
		r.Account = &a
	}
	if err := jsonfile.Write(path, r); err != nil {
		return record{}, fmt.Errorf("write the record of %s: %w", r.Key, err)
	}
	s.apply([]record{r}, map[string]seenFile{name: {r.Key, jsonfile.StampOf(path)}})
	return r, nil
}

// update reads the account's record, lets fn change it and writes it. fn
// returning an error writes nothing. The caller holds the account's lock.
func (s *accountStore) update(key string, fn func(r *record) error) (record, error) {
	prev, err := s.read(key)
	if err != nil {
		return record{}, err
	}
	next := prev
	if prev.Account != nil {
		a := *prev.Account
		next.Account = &a
	}
	if err := fn(&next); err != nil {
		return record{}, err
	}
	return s.write(prev, next)
}

// updateAccount changes a connected account's record with fn. An account
// that is no longer connected is an error wrapping ErrUnknownAccount.
func (s *accountStore) updateAccount(key string, fn func(a *Account)) (Account, error) {
	r, err := s.update(key, func(r *record) error {
		if !r.live() {
			return fmt.Errorf("%w %q: it was disconnected", ErrUnknownAccount, key)
		}
		fn(r.Account)
		return nil
	})
	if err != nil {
		return Account{}, err
	}
	return *r.Account, nil
}

// apply makes the records the newest seen where they are newer than what
// this process knows, and reports each such one to onChange.
func (s *accountStore) apply(records []record, files map[string]seenFile) {
	var changed []record
	s.mu.Lock()
	// At the first scan, maps made at their size rather than grown from
	// empty, entry by entry.
	if len(s.entries) == 0 {
		s.entries = make(map[string]record, len(records))
		changed = make([]record, 0, len(records))
	}
	if len(s.names) == 0 {
		s.names = make(map[string]string, len(files))
	}
	if len(s.seen) == 0 {
		s.seen = make(map[string]jsonfile.Stamp, len(files))
	}
	for _, r := range records {
		if old, ok := s.entries[r.Key]; ok && old.Rev >= r.Rev {
			continue
		}
		s.entries[r.Key] = r
		changed = append(changed, r)
	}
	for name, f := range files {
		s.seen[name] = f.stamp
		s.names[name] = f.key
	}
	s.mu.Unlock()
	for _, r := range changed {
		s.onChange(r)
	}
}

// scan reads the records that changed since the last scan (a new file
// version) and applies the newer ones: what other processes connected,
// refreshed and disconnected. It is serialised, never replaces a newer
// record this process holds with an older file, and returns at once when
// the directory has not changed since a scan that began more than a second
// after its last change (file times tick coarsely, so a change within that
// second could share the time of the one seen).
func (s *accountStore) scan() error {
	s.reload.Lock()
	defer s.reload.Unlock()
	start := time.Now()
	dir := jsonfile.StampOf(s.dir)
	if dir.Same(s.scanned.dir) && s.scanned.start.Sub(dir.ModTime()) > time.Second {
		return nil
	}
	entries, err := os.ReadDir(s.dir)
	if err != nil {
		return fmt.Errorf("read account index %s: %w", s.dir, err)
	}
	var names []string
	present := map[string]bool{}
	for _, de := range entries {
		name := de.Name()
		if strings.HasSuffix(name, ".json") && !strings.HasPrefix(name, ".") {
			names = append(names, name)
			present[name] = true
		}
	}
	fresh, files, errs := s.readChanged(names)
	// A record file that went away (a tombstone swept, or removed by
	// hand): its account is gone, unless this process wrote it again.
	s.mu.Lock()
	for name, key := range s.names {
		if present[name] {
			continue
		}
		delete(s.names, name)
		delete(s.seen, name)
		if r, ok := s.entries[key]; ok && r.live() {
			fresh = append(fresh, record{Key: key, Rev: r.Rev + 1, Removed: time.Now()})
		}
	}
	s.mu.Unlock()
	s.apply(fresh, files)
	s.scanned.dir, s.scanned.start = dir, start
	return errors.Join(errs...)
}

// scanWorkers bounds the goroutines that read record files at once: the
// reads are system calls, which run in parallel on several cores.
const scanWorkers = 4

// readChanged reads, in parallel, the record files among names whose
// version differs from the one seen last, and returns their records, their
// versions and what could not be read. Each reader takes a contiguous share
// of names and keeps its results until all are done: no hand-off per file,
// which would wake a goroutine on another thread for each.
func (s *accountStore) readChanged(names []string) ([]record, map[string]seenFile, []error) {
	type result struct {
		name  string
		rec   record
		stamp jsonfile.Stamp
		err   error
	}
	s.mu.Lock()
	first := len(s.seen) == 0 // the first scan reads every file
	prev := make([]jsonfile.Stamp, len(names))
	known := make([]bool, len(names))
	for i, name := range names {
		prev[i], known[i] = s.seen[name]
	}
	s.mu.Unlock()
	readers := min(scanWorkers, max(1, len(names)))
	out := make([][]result, readers)
	var wg sync.WaitGroup
	for w := range readers {
		wg.Go(func() {
			lo, hi := w*len(names)/readers, (w+1)*len(names)/readers
			var mine []result
			if first {
				mine = make([]result, 0, hi-lo)
			}
			for i := lo; i < hi; i++ {
				name := names[i]
				path := filepath.Join(s.dir, name)
				// A stat spares reading a record already seen; one never
				// seen (all of them at start-up) is read straight away.
				if known[i] && jsonfile.StampOf(path).Same(prev[i]) {
					continue
				}
				var r record
				st, found, err := jsonfile.ReadStamped(path, &r, maxRecordBytes)
				if !found && err == nil || known[i] && st.Same(prev[i]) {
					continue // gone since the directory was read, or unchanged after all
				}
				if _, want, _ := s.path(r.Key); err == nil && (r.V != recordVersion || want != name) {
					err = fmt.Errorf("account record %s is not Keyport's; move it aside", path)
				}
				mine = append(mine, result{name, r, st, err})
			}
			out[w] = mine
		})
	}
	wg.Wait()
	var fresh []record
	files := map[string]seenFile{}
	if first {
		fresh = make([]record, 0, len(names))
		files = make(map[string]seenFile, len(names))
	}
	var errs []error
	for _, mine := range out {
		for _, r := range mine {
			if r.err != nil {
				errs = append(errs, r.err)
				continue
			}
			fresh = append(fresh, r.rec)
			files[r.name] = seenFile{r.rec.Key, r.stamp}
		}
	}
	return fresh, files, errs
}

// sweep removes tombstones older than tombstoneTTL, each under its
// account's lock.
func (s *accountStore) sweep(ctx context.Context) {
	s.mu.Lock()
	var old []string
	for key, r := range s.entries {
		if !r.Removed.IsZero() && s.now().Sub(r.Removed) > tombstoneTTL {
			old = append(old, key)
		}
	}
	s.mu.Unlock()
	for _, key := range old {
		unlock, err := lockAccount(ctx, s.config, key)
		if err != nil {
			return
		}
		if r, err := s.read(key); err == nil && !r.Removed.IsZero() && s.now().Sub(r.Removed) > tombstoneTTL {
			if path, _, err := s.path(key); err == nil && os.Remove(path) == nil {
				s.mu.Lock()
				delete(s.entries, key)
				s.mu.Unlock()
			}
		}
		unlock()
	}
}

// legacyIndex is the account list of Keyport before per-account records.
const legacyIndex = "accounts.json"

// migrate moves the accounts of a version 1 accounts.json into records, once
// (under a lock, so two processes starting at once do not both do it), and
// removes the file. Accounts that already have a record keep it.
func (s *accountStore) migrate() error {
	path := filepath.Join(s.config, legacyIndex)
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	unlock, err := jsonfile.Lock(ctx, filepath.Join(s.config, "locks", "migrate.lock"))
	if err != nil {
		return fmt.Errorf("move the account index to records: %w", err)
	}
	defer unlock()
	var old struct {
		Version  int       `json:"version"`
		Accounts []Account `json:"accounts"`
	}
	found, err := jsonfile.Read(path, &old, 64<<20)
	if err != nil || !found {
		return err // another process moved it meanwhile when !found
	}
	if old.Version != 1 {
		return fmt.Errorf("account index %s has version %d, which this Keyport does not know; move it aside", path, old.Version)
	}
	for _, a := range old.Accounts {
		a := a
		if err := s.locked(ctx, a.Key(), func() error {
			prev, err := s.read(a.Key())
			if err != nil || prev.Rev != 0 {
				return err
			}
			_, err = s.write(prev, record{Key: a.Key(), Account: &a})
			return err
		}); err != nil {
			return fmt.Errorf("move account %s to its record: %w", a.Key(), err)
		}
	}
	if err := os.Remove(path); err != nil {
		return fmt.Errorf("remove the old account index: %w", err)
	}
	_ = os.Remove(filepath.Join(s.config, "accounts.lock"))
	return jsonfile.SyncDir(s.config)
}

// locked runs fn holding the account's lock.
func (s *accountStore) locked(ctx context.Context, key string, fn func() error) error {
	unlock, err := lockAccount(ctx, s.config, key)
	if err != nil {
		return err
	}
	defer unlock()
	return fn()
}

// CompareAccounts orders accounts as Keyport lists them: by provider, then
// name, then id.
func CompareAccounts(a, b Account) int {
	return cmp.Or(cmp.Compare(a.Provider, b.Provider), cmp.Compare(a.Name, b.Name), cmp.Compare(a.ID, b.ID))
}

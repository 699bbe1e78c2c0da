package auth

import (
	"crypto/sha256"
	"encoding/base32"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"

	"github.com/gofrs/flock"
)

const indexVersion = 1

// Index is the non-secret account list in <configDir>/accounts.json, shared
// by the window and the command line, plus each account's raw profile in
// <configDir>/profiles/.
//
// An Index is safe for concurrent use, and so are several Index values and
// processes on the same directory: Update holds a file lock, and every file
// is replaced atomically, so a reader sees the old or the new file, never a
// torn one.
type Index struct {
	dir string
}

// OpenIndex returns the index kept in dir. It touches no file: dir is created
// (mode 0700) by the first write.
func OpenIndex(dir string) *Index { return &Index{dir: dir} }

func (ix *Index) path() string { return filepath.Join(ix.dir, "accounts.json") }

// indexFile is the format of accounts.json.
type indexFile struct {
	Version  int       `json:"version"`
	Accounts []Account `json:"accounts"`
}

// Load returns the accounts in the index file, in file order. A missing file
// is an empty list. A corrupt file is an error naming the file and saying to
// move it aside; the file is never changed or discarded. Load takes no lock
// and does not block on writers.
func (ix *Index) Load() ([]Account, error) {
	data, err := os.ReadFile(ix.path())
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read account index: %w", err)
	}
	accounts, err := parseIndex(data)
	if err != nil {
		return nil, fmt.Errorf("account index %s is damaged: %w (move the file aside to start with an empty account list)", ix.path(), err)
	}
	return accounts, nil
}

func parseIndex(data []byte) ([]Account, error) {
	var f indexFile
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, err
	}
	if f.Version != indexVersion {
		return nil, fmt.Errorf("version %d, want %d", f.Version, indexVersion)
	}
	return f.Accounts, nil
}

// Update applies fn to the current accounts and writes back what it returns,
// all under a lock that other Index values and processes respect
// (<dir>/accounts.lock). It returns the accounts written. When fn returns an
// error, nothing is written and Update returns that error as is. fn may
// change the slice it is given.
//
// Update blocks while another Update of the same directory runs; fn should be
// quick and must not call Update itself.
func (ix *Index) Update(fn func([]Account) ([]Account, error)) ([]Account, error) {
	if err := os.MkdirAll(ix.dir, 0o700); err != nil {
		return nil, fmt.Errorf("create config directory: %w", err)
	}
	lock := flock.New(filepath.Join(ix.dir, "accounts.lock"))
	if err := lock.Lock(); err != nil {
		return nil, fmt.Errorf("lock account index: %w", err)
	}
	defer lock.Unlock()
	accounts, err := ix.Load()
	if err != nil {
		return nil, err
	}
	accounts, err = fn(accounts)
	if err != nil {
		return nil, err
	}
	data, err := json.Marshal(indexFile{Version: indexVersion, Accounts: accounts})
	if err != nil {
		return nil, fmt.Errorf("encode account index: %w", err)
	}
	if err := writeFileAtomic(ix.path(), data); err != nil {
		return nil, fmt.Errorf("write account index %s: %w", ix.path(), err)
	}
	return accounts, nil
}

func (ix *Index) profilePath(key string) (string, error) {
	name, err := fileKey(key)
	if err != nil {
		return "", err
	}
	return filepath.Join(ix.dir, "profiles", name+".json"), nil
}

// SaveProfile replaces the raw profile JSON (non-secret) of the account with
// the given key. raw must be valid JSON. The file is replaced atomically.
func (ix *Index) SaveProfile(key string, raw []byte) error {
	path, err := ix.profilePath(key)
	if err != nil {
		return fmt.Errorf("save profile: %w", err)
	}
	if !json.Valid(raw) {
		return fmt.Errorf("save profile of %s: not valid JSON", key)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("save profile of %s: %w", key, err)
	}
	if err := writeFileAtomic(path, raw); err != nil {
		return fmt.Errorf("save profile of %s to %s: %w", key, path, err)
	}
	return nil
}

// Profile returns the raw profile JSON saved for the account with the given
// key. When none was saved the error wraps fs.ErrNotExist.
func (ix *Index) Profile(key string) ([]byte, error) {
	path, err := ix.profilePath(key)
	if err != nil {
		return nil, fmt.Errorf("read profile: %w", err)
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read profile of %s: %w", key, err)
	}
	return raw, nil
}

// DeleteProfile removes the profile saved for the account with the given
// key. A missing profile is not an error.
func (ix *Index) DeleteProfile(key string) error {
	path, err := ix.profilePath(key)
	if err != nil {
		return fmt.Errorf("delete profile: %w", err)
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("delete profile of %s: %w", key, err)
	}
	return nil
}

// writeFileAtomic replaces path with data (mode 0600): it writes a temporary
// file in the same directory, syncs it, renames it over path and syncs the
// directory, so a crash leaves the old file or the new one.
func writeFileAtomic(path string, data []byte) (err error) {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*.tmp") // created with mode 0600
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if _, err := tmp.Write(data); err != nil {
		return err
	}
	if err := tmp.Sync(); err != nil {
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return err
	}
	return syncDir(dir)
}

// syncDir makes a rename in dir durable. Windows cannot sync a directory
// and needs not.
func syncDir(dir string) error {
	if runtime.GOOS == "windows" {
		return nil
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

var fileB32 = base32.NewEncoding("0123456789abcdefghijklmnopqrstuv").WithPadding(base32.NoPadding)

// fileKey turns an account key into a file name that is safe on every OS,
// including case-insensitive file systems: "<provider>_<base32 of the id>"
// when the provider id is plain ([a-z0-9-]), "_<base32 of the key>"
// otherwise, and "__<sha-256 of the key>" when that would be too long. Distinct
// keys get distinct names.
func fileKey(key string) (string, error) {
	if key == "" {
		return "", errors.New("empty account key")
	}
	name := "_" + fileB32.EncodeToString([]byte(key))
	if provider, id, ok := SplitKey(key); ok && isID(provider, 64) {
		name = provider + "_" + fileB32.EncodeToString([]byte(id))
	}
	if len(name) > 120 {
		sum := sha256.Sum256([]byte(key))
		name = "__" + hex.EncodeToString(sum[:])
	}
	return name, nil
}

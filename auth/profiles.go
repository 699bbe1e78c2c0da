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

	"github.com/keyport/keyport/internal/jsonfile"
)

// profiles keeps each account's raw profile JSON (no secrets) in
// <configDir>/profiles/<file key>.json, for the window's profile view. Files
// are replaced atomically; writers hold the account's lock.
type profiles struct {
	dir string
}

func (ix profiles) profilePath(key string) (string, error) {
	name, err := fileKey(key)
	if err != nil {
		return "", err
	}
	return filepath.Join(ix.dir, name+".json"), nil
}

// save replaces the raw profile JSON (non-secret) of the account with
// the given key. raw must be valid JSON. The file is replaced atomically.
func (ix profiles) save(key string, raw []byte) error {
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
	if err := jsonfile.WriteBytes(path, raw); err != nil {
		return fmt.Errorf("save profile of %s to %s: %w", key, path, err)
	}
	return nil
}

// read returns the raw profile JSON saved for the account with the given
// key. When none was saved the error wraps fs.ErrNotExist.
func (ix profiles) read(key string) ([]byte, error) {
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

// remove removes the profile saved for the account with the given
// key. A missing profile is not an error.
func (ix profiles) remove(key string) error {
	path, err := ix.profilePath(key)
	if err != nil {
		return fmt.Errorf("delete profile: %w", err)
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("delete profile of %s: %w", key, err)
	}
	return nil
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
	if provider, id, ok := splitKey(key); ok && isID(provider, 64) {
		name = provider + "_" + fileB32.EncodeToString([]byte(id))
	}
	if len(name) > 120 {
		sum := sha256.Sum256([]byte(key))
		name = "__" + hex.EncodeToString(sum[:])
	}
	return name, nil
}

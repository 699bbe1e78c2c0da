// Package jsonfile reads and writes the small JSON files that several
// Keyport processes (the window, the command line) share. Every write
// replaces its file atomically (a temporary file, fsync, rename, fsync of
// the directory), so a reader sees the old file or the new one, never a
// torn one, and a crash leaves one of the two. Update changes a file as a
// read-modify-write under an exclusive lock that other processes respect, so
// no update is lost; code that must hold a lock across more than the file
// (the engine's per-account lock) takes it with Lock and calls Write itself.
//
// Its functions are safe for concurrent use by goroutines and processes.
package jsonfile

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"time"

	"github.com/gofrs/flock"
)

// lockRetry is how often Lock tries again while another holder has the lock.
const lockRetry = 10 * time.Millisecond

// Lock takes the exclusive lock file at path (created with its directory,
// mode 0700, when missing), waiting until it is free or ctx is done, in
// which case the error wraps ctx.Err(). Two Lock calls exclude each other
// in one process as in two (flock locks belong to the open file). The
// caller must call unlock exactly once. Lock files are left in place:
// removing one would let two holders lock different files.
func Lock(ctx context.Context, path string) (unlock func(), err error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("lock %s: %w", filepath.Base(path), err)
	}
	fl := flock.New(path)
	if _, err := fl.TryLockContext(ctx, lockRetry); err != nil {
		return nil, fmt.Errorf("lock %s: %w", filepath.Base(path), err)
	}
	return func() { _ = fl.Unlock() }, nil
}

// Read decodes the JSON file at path into v. A missing file is not an
// error: found is false and v is unchanged. A file larger than max bytes or
// not valid JSON is an error naming the file; the file is left as it is.
func Read(path string, v any, max int64) (found bool, err error) {
	_, found, err = ReadStamped(path, v, max)
	return found, err
}

// ReadStamped is Read that also returns the Stamp of the version it read,
// taken from the open file, so the stamp is that of the bytes decoded even
// when the file is replaced meanwhile. It reads the file in one go at the
// size the open file has: a file is only ever replaced, never written in
// place, so no version grows while it is read. A missing file returns the
// zero Stamp and found false.
func ReadStamped(path string, v any, max int64) (st Stamp, found bool, err error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return Stamp{}, false, nil
	}
	if err != nil {
		return Stamp{}, false, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return Stamp{}, false, err
	}
	if fi.Size() > max {
		return Stamp{}, false, fmt.Errorf("%s is larger than %d bytes, more than such a file ever holds (move it aside)", path, max)
	}
	data := make([]byte, fi.Size())
	if _, err := io.ReadFull(f, data); err != nil {
		return Stamp{}, false, fmt.Errorf("read %s: %w", path, err)
	}
	if err := json.Unmarshal(data, v); err != nil {
		return Stamp{}, true, fmt.Errorf("%s is damaged: %w (fix it or move it aside)", path, err)
	}
	return Stamp{fi}, true, nil
}

// Write replaces the file at path with v encoded as JSON (mode 0600,
// directory created 0700 when missing).
func Write(path string, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode %s: %w", filepath.Base(path), err)
	}
	return WriteBytes(path, data)
}

// WriteBytes replaces the file at path with data (mode 0600): it writes a
// temporary file in the same directory, syncs it, renames it over path and
// syncs the directory.
func WriteBytes(path string, data []byte) (err error) {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
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
	return SyncDir(dir)
}

// SyncDir makes a rename or removal in dir durable. Windows cannot sync a
// directory and needs not.
func SyncDir(dir string) error {
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

// Update changes the JSON file at path as one read-modify-write: under the
// lock path+".lock" it reads the file into a fresh T (the zero value when
// the file is missing), calls fn, and writes the result back unless fn
// returns an error, which Update returns as is. fn must be quick and must
// not call Update on the same path.
func Update[T any](ctx context.Context, path string, max int64, fn func(*T) error) error {
	unlock, err := Lock(ctx, path+".lock")
	if err != nil {
		return err
	}
	defer unlock()
	var v T
	if _, err := Read(path, &v, max); err != nil {
		return err
	}
	if err := fn(&v); err != nil {
		return err
	}
	return Write(path, v)
}

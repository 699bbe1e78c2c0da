package auth

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/gofrs/flock"
)

// lockRetry is how often lockAccount tries again while another holder has
// the lock.
const lockRetry = 20 * time.Millisecond

// lockAccount takes the exclusive lock of one account, shared by every
// goroutine and process using dir: <dir>/locks/<file key>.lock. It blocks
// until the lock is free or ctx is done, in which case the error wraps
// ctx.Err(). The caller must call unlock exactly once. Lock files are left in
// place: removing them would let two holders lock different files.
func lockAccount(ctx context.Context, dir, key string) (unlock func(), err error) {
	name, err := fileKey(key)
	if err != nil {
		return nil, fmt.Errorf("lock account: %w", err)
	}
	locks := filepath.Join(dir, "locks")
	if err := os.MkdirAll(locks, 0o700); err != nil {
		return nil, fmt.Errorf("lock account %s: %w", key, err)
	}
	fl := flock.New(filepath.Join(locks, name+".lock"))
	if _, err := fl.TryLockContext(ctx, lockRetry); err != nil {
		return nil, fmt.Errorf("lock account %s: %w", key, err)
	}
	return func() { fl.Unlock() }, nil
}

package auth

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/keyport/keyport/internal/jsonfile"
)

// lockAccount takes the exclusive lock of one account, shared by every
// goroutine and process using dir: <dir>/locks/<file key>.lock. Every write
// of the account (its record, its keychain item, its profile) happens while
// it is held. It blocks until the lock is free or ctx is done, in which case
// the error wraps ctx.Err(). The caller must call unlock exactly once.
func lockAccount(ctx context.Context, dir, key string) (unlock func(), err error) {
	name, err := fileKey(key)
	if err != nil {
		return nil, fmt.Errorf("lock account: %w", err)
	}
	unlock, err = jsonfile.Lock(ctx, filepath.Join(dir, "locks", name+".lock"))
	if err != nil {
		return nil, fmt.Errorf("lock account %s: %w", key, err)
	}
	return unlock, nil
}

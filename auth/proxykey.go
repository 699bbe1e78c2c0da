package auth

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"

	"github.com/keyport/keyport/internal/jsonfile"
)

// proxyKeyItem is the keychain item of the local API proxy's key.
const proxyKeyItem = "proxy:key"

// ProxyKey returns the key that requests to the local API proxy over TCP
// must carry (internal/proxy), creating it on first use: "kp_" and 130
// random bits, kept in the keychain and nowhere else. Every process on the
// config directory and keychain (the window, `keyport proxy`) gets the same
// key; creating it holds a lock they share, so two first uses make one key.
// It blocks on the keychain and returns when ctx ends.
func (e *Engine) ProxyKey(ctx context.Context) (string, error) {
	if key, err := e.keychain.Get(ctx, proxyKeyItem); err == nil {
		return string(key), nil
	} else if !errors.Is(err, ErrSecretNotFound) {
		return "", fmt.Errorf("read the proxy key from the keychain: %w", err)
	}
	unlock, err := jsonfile.Lock(ctx, filepath.Join(e.dir, "locks", "proxy-key.lock"))
	if err != nil {
		return "", fmt.Errorf("create the proxy key: %w", err)
	}
	defer unlock()
	key, err := e.keychain.Get(ctx, proxyKeyItem) // another process may have made it meanwhile
	if err == nil {
		return string(key), nil
	}
	if !errors.Is(err, ErrSecretNotFound) {
		return "", fmt.Errorf("read the proxy key from the keychain: %w", err)
	}
	fresh := "kp_" + rand.Text()
	if err := e.keychain.Set(ctx, proxyKeyItem, []byte(fresh)); err != nil {
		return "", fmt.Errorf("save the proxy key in the keychain: %w", err)
	}
	return fresh, nil
}

// Logger returns the logger the engine was built with (Params.Log, or one
// that drops everything), for parts that log beside the engine, such as the
// local API proxy's line per request.
func (e *Engine) Logger() *slog.Logger { return e.log }

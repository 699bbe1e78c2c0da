package auth

import (
	"time"

	"github.com/keyport/keyport/internal/keychain"
)

// Keychain stores secrets by name for one app (internal/keychain).
// Implementations are safe for concurrent use; Get reports a missing item
// with an error wrapping ErrSecretNotFound.
type Keychain = keychain.Keychain

// NewSystemKeychain returns the OS keychain with items under the service
// name, each call bounded by timeout (30 s when <= 0): see
// internal/keychain.NewSystem.
func NewSystemKeychain(service string, timeout time.Duration) Keychain {
	return keychain.NewSystem(service, timeout)
}

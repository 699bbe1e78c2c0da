package auth

import (
	"errors"

	"github.com/keyport/keyport/internal/keychain"
)

// Sentinel errors that callers branch on. Functions wrap them with %w and keep
// the underlying cause in the chain, so errors.Is works on every returned
// error and the message still says what happened.
var (
	// ErrCancelled reports that a flow or request was cancelled through its
	// context (the person pressed Cancel, or the app is quitting).
	ErrCancelled = keychain.ErrCancelled
	// ErrTimeout reports that the person did not finish signing in within
	// the flow's time limit.
	ErrTimeout = errors.New("timed out")
	// ErrDenied reports that the person declined access at the provider
	// (error=access_denied, RFC 6749 section 4.1.2.1).
	ErrDenied = errors.New("access denied")
	// ErrFlowRunning reports that a Connect for the same provider is
	// already waiting; a second one is refused rather than raced.
	ErrFlowRunning = errors.New("a sign-in for this provider is already in progress")
	// ErrReconnectNeeded reports that the provider no longer accepts the
	// stored grant (invalid_grant, revoked) and the person must connect the
	// account again. Nothing is deleted.
	ErrReconnectNeeded = errors.New("reconnect needed")
	// ErrKeychainUnavailable reports that the OS keychain is missing,
	// locked, refused access or did not answer in time.
	ErrKeychainUnavailable = keychain.ErrUnavailable
	// ErrSecretNotFound reports that the keychain holds no item of that
	// name.
	ErrSecretNotFound = keychain.ErrNotFound
	// ErrNotConfigured reports that a provider has no client id yet (or no
	// API key), so the person must set it up first.
	ErrNotConfigured = errors.New("not set up")
	// ErrUnknownProvider and ErrUnknownAccount report a name that matches
	// nothing in the catalogue or the account index.
	ErrUnknownProvider = errors.New("unknown provider")
	ErrUnknownAccount  = errors.New("unknown account")
)

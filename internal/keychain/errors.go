package keychain

import (
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"syscall"

	"github.com/godbus/dbus/v5"
	"github.com/zalando/go-keyring"
)

// Errors that callers branch on; every error a Keychain returns wraps one
// of them or says what else went wrong.
var (
	// ErrUnavailable reports that the OS keychain is missing, locked,
	// refused access or did not answer in time.
	ErrUnavailable = errors.New("keychain unavailable")
	// ErrNotFound reports that the keychain holds no item of that name.
	ErrNotFound = errors.New("secret not found in keychain")
	// ErrCancelled reports that the caller's context was cancelled.
	ErrCancelled = errors.New("cancelled")
)

// D-Bus error names of the Secret Service specification and the bus.
const (
	dbusServiceUnknown = "org.freedesktop.DBus.Error.ServiceUnknown"
	dbusNameHasNoOwner = "org.freedesktop.DBus.Error.NameHasNoOwner"
	dbusSpawnFailed    = "org.freedesktop.DBus.Error.Spawn.ServiceNotFound"
	dbusAccessDenied   = "org.freedesktop.DBus.Error.AccessDenied"
	dbusAuthFailed     = "org.freedesktop.DBus.Error.AuthFailed"
	dbusNoReply        = "org.freedesktop.DBus.Error.NoReply"
	dbusTimeout        = "org.freedesktop.DBus.Error.Timeout"
	dbusTimedOut       = "org.freedesktop.DBus.Error.TimedOut"
	secretIsLocked     = "org.freedesktop.Secret.Error.IsLocked"
	secretNoSession    = "org.freedesktop.Secret.Error.NoSession"
	secretNoSuchObject = "org.freedesktop.Secret.Error.NoSuchObject"
)

// goKeyringUnlockFailed is how go-keyring says that an unlock prompt was
// dismissed (it has no error value or D-Bus name for it).
const goKeyringUnlockFailed = "failed to unlock correct collection"

// What the person can do, by cause.
const (
	startSecretService = "no Secret Service is running: start GNOME Keyring or KWallet (or unlock it) and try again"
	startSessionBus    = "no D-Bus session bus is running, so there is no Secret Service to keep secrets in: sign in to a desktop session, or start one with dbus-run-session, then start GNOME Keyring or KWallet, and try again"
	lockedKeyring      = "the keyring is locked or access was refused: " + unlockHint
	noAnswer           = "the Secret Service did not answer: " + unlockHint
)

// translate maps go-keyring's and the D-Bus library's errors to the
// package's sentinels, keeping the cause in the chain. D-Bus errors are
// told apart by their names, the bus's absence by the error the D-Bus
// library returns; no error message is matched but go-keyring's own unlock
// failure, which has nothing else. Their messages never contain secret
// values.
func translate(err error) error {
	if err == nil {
		return nil
	}
	switch {
	case errors.Is(err, keyring.ErrNotFound):
		return fmt.Errorf("%w: %w", ErrNotFound, err)
	case errors.Is(err, keyring.ErrSetDataTooBig):
		return fmt.Errorf("keychain item too large: %w", err)
	}
	if name, ok := dbusName(err); ok {
		switch name {
		case dbusServiceUnknown, dbusNameHasNoOwner, dbusSpawnFailed:
			return fmt.Errorf("%w: %s (%s)", ErrUnavailable, startSecretService, name)
		case secretIsLocked, dbusAccessDenied, dbusAuthFailed:
			return fmt.Errorf("%w: %s (%s)", ErrUnavailable, lockedKeyring, name)
		case dbusNoReply, dbusTimeout, dbusTimedOut:
			return fmt.Errorf("%w: %s (%s)", ErrUnavailable, noAnswer, name)
		case secretNoSuchObject:
			return fmt.Errorf("%w: %w", ErrNotFound, err)
		case secretNoSession:
			return fmt.Errorf("%w: the Secret Service lost Keyport's session; try again (%s)", ErrUnavailable, name)
		}
		return fmt.Errorf("%w: the Secret Service answered %s", ErrUnavailable, name)
	}
	var se syscall.Errno
	switch {
	case errors.Is(err, exec.ErrNotFound) || isExit(err):
		// No DBUS_SESSION_BUS_ADDRESS: the D-Bus library tried to start
		// a bus with dbus-launch, which is missing or has no display.
		return fmt.Errorf("%w: %s", ErrUnavailable, startSessionBus)
	case errors.As(err, &se) && (se == syscall.ENOENT || se == syscall.ECONNREFUSED):
		// DBUS_SESSION_BUS_ADDRESS names a socket nobody listens on.
		return fmt.Errorf("%w: %s", ErrUnavailable, startSessionBus)
	case strings.HasPrefix(err.Error(), goKeyringUnlockFailed):
		return fmt.Errorf("%w: %s", ErrUnavailable, lockedKeyring)
	}
	return fmt.Errorf("%w: %w", ErrUnavailable, err)
}

// dbusName returns the name of a D-Bus error in err's chain.
func dbusName(err error) (string, bool) {
	var v dbus.Error
	if errors.As(err, &v) {
		return v.Name, true
	}
	var p *dbus.Error
	if errors.As(err, &p) && p != nil {
		return p.Name, true
	}
	return "", false
}

func isExit(err error) bool {
	var ee *exec.ExitError
	return errors.As(err, &ee)
}

package auth

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/zalando/go-keyring"
)

// Keychain stores secrets by name for one app. Implementations are safe for
// concurrent use.
type Keychain interface {
	// Get returns the value stored under name, or an error wrapping
	// ErrSecretNotFound when there is none.
	Get(ctx context.Context, name string) ([]byte, error)
	// Set stores value under name, replacing any previous value.
	Set(ctx context.Context, name string, value []byte) error
	// Delete removes the value stored under name. An absent name is not an
	// error.
	Delete(ctx context.Context, name string) error
}

const (
	defaultKeychainTimeout = 30 * time.Second
	// chunkSize is the most base64 text one keychain item holds. go-keyring
	// refuses about 2560 bytes on Windows and 3000 on macOS (service, user
	// and secret together), so 1800 leaves room for long names.
	chunkSize = 1800
	// readTries bounds how often Get re-reads the head when a writer
	// replaced the value while it was reading the chunks; it waits 2, 4, ...
	// ms before each new try.
	readTries = 6
)

// backend is the part of go-keyring that the keychain uses; tests pass one
// that blocks or fails.
type backend interface {
	Get(service, user string) (string, error)
	Set(service, user, value string) error
	Delete(service, user string) error
}

// goKeyring is the OS keychain through go-keyring (Secret Service over D-Bus
// on Linux and the BSDs, Keychain on macOS, Credential Manager on Windows).
// Its calls are serialised process-wide: a locked keychain then shows one
// unlock prompt rather than one per account, and go-keyring's in-memory mock
// (keyring.MockInit), which has no lock of its own, is safe for tests that
// use the keychain from several goroutines.
type goKeyring struct{}

var keyringMu sync.Mutex

func (goKeyring) Get(service, user string) (string, error) {
	keyringMu.Lock()
	defer keyringMu.Unlock()
	return keyring.Get(service, user)
}

func (goKeyring) Set(service, user, value string) error {
	keyringMu.Lock()
	defer keyringMu.Unlock()
	return keyring.Set(service, user, value)
}

func (goKeyring) Delete(service, user string) error {
	keyringMu.Lock()
	defer keyringMu.Unlock()
	return keyring.Delete(service, user)
}

// NewSystemKeychain returns the OS keychain, with items stored under the
// given service name (the account key or other name is the item's user name).
//
// Every keychain call gives up after timeout (30 s when timeout <= 0) or
// when its context is done, because a locked keychain can block forever: the
// error then wraps ErrKeychainUnavailable (or ErrCancelled when the context
// was cancelled). Any failure of the keychain itself wraps
// ErrKeychainUnavailable too; nothing ever falls back to a plain file.
//
// A value is stored as a small head item under its name. Values too large for
// one keychain item (macOS and Windows limit them to a few KiB) are split
// into chunk items named name#<generation>#<i>, which the head names. Set
// writes the new chunks, then the head (the commit point), then deletes the
// previous generation's chunks, so a concurrent Get sees the old or the new
// value, never a mix. A crash or failure in the middle of Set leaves at most
// orphan chunks that no head names; they are never read. A Set that fails
// removes the chunks it wrote (see abandon), and chunks of the previous
// generation are removed by the next Set or Delete of that name; only a
// crash between a chunk write and the head write leaves chunks behind.
//
// The returned Keychain is safe for concurrent use. Writes through it are
// serialised; writers in other processes should hold the account's lock.
func NewSystemKeychain(service string, timeout time.Duration) Keychain {
	return newKeychain(service, timeout, goKeyring{})
}

func newKeychain(service string, timeout time.Duration, be backend) *systemKeychain {
	if timeout <= 0 {
		timeout = defaultKeychainTimeout
	}
	return &systemKeychain{service: service, timeout: timeout, be: be, chunk: chunkSize, wmu: make(chan struct{}, 1)}
}

type systemKeychain struct {
	service string
	timeout time.Duration
	be      backend
	chunk   int           // most base64 characters per item
	wmu     chan struct{} // serialises Set and Delete; a channel so waiting honours ctx
}

// head is the item stored under a value's name.
type head struct {
	V    int    `json:"v"`
	Data string `json:"data,omitempty"` // the whole value in base64, when small
	Gen  string `json:"gen,omitempty"`  // the chunks' generation, when large
	N    int    `json:"n,omitempty"`    // how many chunks
}

func chunkName(name, gen string, i int) string {
	return name + "#" + gen + "#" + strconv.Itoa(i)
}

// Get returns the value stored under name. It blocks for at most a few
// keychain calls, each limited by the timeout and ctx.
func (k *systemKeychain) Get(ctx context.Context, name string) ([]byte, error) {
	lost := "" // the generation whose chunk went missing on the last try
	for try := range readTries {
		if try > 0 {
			if err := sleepCtx(ctx, time.Millisecond<<try); err != nil {
				return nil, fmt.Errorf("read keychain item %q: %w", name, err)
			}
		}
		h, err := k.readHead(ctx, name)
		if err != nil {
			return nil, err
		}
		if h.Gen == "" {
			return decodeValue(name, h.Data)
		}
		if h.Gen == lost {
			return nil, fmt.Errorf("read keychain item %q: a part of the value is missing: %w", name, ErrSecretNotFound)
		}
		data, err := k.readChunks(ctx, name, h)
		if errors.Is(err, ErrSecretNotFound) {
			lost = h.Gen // a writer may have replaced the value meanwhile: read the new head
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("read keychain item %q: %w", name, err)
		}
		return decodeValue(name, data)
	}
	return nil, fmt.Errorf("read keychain item %q: the value kept changing while it was read; try again", name)
}

func (k *systemKeychain) readChunks(ctx context.Context, name string, h head) (string, error) {
	var b strings.Builder
	for i := range h.N {
		part, err := k.call(ctx, func() (string, error) { return k.be.Get(k.service, chunkName(name, h.Gen, i)) })
		if err != nil {
			return "", err
		}
		b.WriteString(part)
	}
	return b.String(), nil
}

// readHead returns the head stored under name.
func (k *systemKeychain) readHead(ctx context.Context, name string) (head, error) {
	raw, err := k.call(ctx, func() (string, error) { return k.be.Get(k.service, name) })
	if err != nil {
		return head{}, fmt.Errorf("read keychain item %q: %w", name, err)
	}
	var h head
	if err := json.Unmarshal([]byte(raw), &h); err != nil || h.V != 1 || h.N < 0 || (h.Gen == "") != (h.N == 0) {
		return head{}, fmt.Errorf("read keychain item %q: not in Keyport's format (version 1)", name)
	}
	return h, nil
}

func decodeValue(name, data string) ([]byte, error) {
	v, err := base64.StdEncoding.DecodeString(data)
	if err != nil {
		return nil, fmt.Errorf("read keychain item %q: value is not valid base64", name)
	}
	return v, nil
}

// Set stores value under name. It blocks while another Set or Delete through
// this Keychain runs, and for a few keychain calls, each limited by the
// timeout and ctx.
func (k *systemKeychain) Set(ctx context.Context, name string, value []byte) error {
	if err := k.lockWrite(ctx); err != nil {
		return fmt.Errorf("store keychain item %q: %w", name, err)
	}
	defer k.unlockWrite()
	old, err := k.readHead(ctx, name)
	if err != nil && !errors.Is(err, ErrSecretNotFound) {
		if errors.Is(err, ErrKeychainUnavailable) || errors.Is(err, ErrCancelled) {
			return err
		}
		old = head{} // an item not in our format is simply replaced
	}
	data := base64.StdEncoding.EncodeToString(value)
	h := head{V: 1, Data: data}
	if len(data) > k.chunk {
		h = head{V: 1, Gen: newGeneration(), N: (len(data) + k.chunk - 1) / k.chunk}
		for i := range h.N {
			part := data[i*k.chunk : min((i+1)*k.chunk, len(data))]
			if err := k.put(ctx, chunkName(name, h.Gen, i), part); err != nil {
				k.abandon(ctx, name, h, i+1, false)
				return fmt.Errorf("store keychain item %q: %w", name, err)
			}
		}
	}
	raw, _ := json.Marshal(h)
	if err := k.put(ctx, name, string(raw)); err != nil {
		k.abandon(ctx, name, h, h.N, true)
		return fmt.Errorf("store keychain item %q: %w", name, err)
	}
	if err := k.deleteChunks(ctx, name, old); err != nil {
		return fmt.Errorf("store keychain item %q: remove the previous value's parts: %w", name, err)
	}
	return nil
}

// Delete removes the head stored under name, then its chunks. It blocks like
// Set.
func (k *systemKeychain) Delete(ctx context.Context, name string) error {
	if err := k.lockWrite(ctx); err != nil {
		return fmt.Errorf("delete keychain item %q: %w", name, err)
	}
	defer k.unlockWrite()
	old, err := k.readHead(ctx, name)
	if errors.Is(err, ErrSecretNotFound) {
		return nil
	}
	if err != nil && (errors.Is(err, ErrKeychainUnavailable) || errors.Is(err, ErrCancelled)) {
		return err
	}
	if err := k.remove(ctx, name); err != nil {
		return fmt.Errorf("delete keychain item %q: %w", name, err)
	}
	if err := k.deleteChunks(ctx, name, old); err != nil {
		return fmt.Errorf("delete keychain item %q: %w", name, err)
	}
	return nil
}

// cleanupTimeout bounds abandon's keychain calls.
const cleanupTimeout = 5 * time.Second

// abandon removes the first n chunks of generation h.Gen after a Set that
// failed, so no fragment of a value that was never committed stays in the
// keychain. It runs on a fresh context of its own (the caller's may be what
// ended the Set). When the head write was tried, its failure may have been
// ours only (a timeout while the call went on), so the head is read first
// and the chunks stay if it names them (they are the stored value then) or
// if it cannot be read. A chunk whose write is still running is deleted
// after it, since the backend's calls are serialised (goKeyring's mutex).
// Errors are dropped: the Set has failed already and says so.
func (k *systemKeychain) abandon(ctx context.Context, name string, h head, n int, headTried bool) {
	if h.Gen == "" || n == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
	defer cancel()
	if headTried {
		cur, err := k.readHead(ctx, name)
		switch {
		case err == nil && cur.Gen == h.Gen:
			return
		case err != nil && (errors.Is(err, ErrKeychainUnavailable) || errors.Is(err, ErrCancelled)):
			return
		}
	}
	for i := range n {
		_ = k.remove(ctx, chunkName(name, h.Gen, i))
	}
}

func (k *systemKeychain) deleteChunks(ctx context.Context, name string, h head) error {
	for i := range h.N {
		if err := k.remove(ctx, chunkName(name, h.Gen, i)); err != nil {
			return err
		}
	}
	return nil
}

func (k *systemKeychain) put(ctx context.Context, user, value string) error {
	_, err := k.call(ctx, func() (string, error) { return "", k.be.Set(k.service, user, value) })
	return err
}

// remove deletes one item; an absent one is not an error.
func (k *systemKeychain) remove(ctx context.Context, user string) error {
	_, err := k.call(ctx, func() (string, error) { return "", k.be.Delete(k.service, user) })
	if errors.Is(err, ErrSecretNotFound) {
		return nil
	}
	return err
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctxError(ctx)
	}
}

func (k *systemKeychain) lockWrite(ctx context.Context) error {
	select {
	case k.wmu <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctxError(ctx)
	}
}

func (k *systemKeychain) unlockWrite() { <-k.wmu }

// call runs one keychain call in its own goroutine and waits for it, the
// timeout or ctx, whichever comes first. A call given up on finishes in the
// background and its result is dropped.
func (k *systemKeychain) call(ctx context.Context, fn func() (string, error)) (string, error) {
	if ctx.Err() != nil {
		return "", ctxError(ctx)
	}
	type result struct {
		s   string
		err error
	}
	done := make(chan result, 1)
	go func() {
		s, err := fn()
		done <- result{s, err}
	}()
	timer := time.NewTimer(k.timeout)
	defer timer.Stop()
	select {
	case r := <-done:
		return r.s, translateKeyringError(r.err)
	case <-timer.C:
		secs := strconv.FormatFloat(k.timeout.Seconds(), 'f', -1, 64)
		return "", fmt.Errorf("%w: the keychain did not answer within %s s: %s", ErrKeychainUnavailable, secs, unlockHint)
	case <-ctx.Done():
		return "", ctxError(ctx)
	}
}

const unlockHint = "unlock your keyring (GNOME Keyring / KWallet / macOS Keychain) and try again"

// ctxError reports why ctx ended: a deadline means the keychain did not
// answer in time, a cancellation is the caller's.
func ctxError(ctx context.Context) error {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return fmt.Errorf("%w: the keychain did not answer in time: %s: %w", ErrKeychainUnavailable, unlockHint, ctx.Err())
	}
	return fmt.Errorf("%w: %w", ErrCancelled, ctx.Err())
}

// translateKeyringError maps go-keyring's errors to the package's sentinels,
// keeping the cause in the chain. Its messages never contain secret values.
func translateKeyringError(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, keyring.ErrNotFound):
		return fmt.Errorf("%w: %w", ErrSecretNotFound, err)
	case errors.Is(err, keyring.ErrSetDataTooBig):
		return fmt.Errorf("keychain item too large: %w", err)
	}
	msg := strings.ToLower(err.Error())
	has := func(words ...string) bool {
		for _, w := range words {
			if strings.Contains(msg, w) {
				return true
			}
		}
		return false
	}
	switch {
	case has("not provided by any .service files", "serviceunknown", "namehasnoowner", "noserver",
		"couldn't determine address", "dbus_session_bus_address", "no such file", "connection refused", "dbus: "):
		return fmt.Errorf("%w: no Secret Service is running: start GNOME Keyring or KWallet (or unlock it) and try again: %w", ErrKeychainUnavailable, err)
	case has("unlock", "locked", "dismissed", "prompt", "denied", "not allowed"):
		return fmt.Errorf("%w: the keyring is locked or access was refused: %s: %w", ErrKeychainUnavailable, unlockHint, err)
	}
	return fmt.Errorf("%w: %w", ErrKeychainUnavailable, err)
}

func newGeneration() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24)
	return hex.EncodeToString(b)
}

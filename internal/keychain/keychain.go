// Package keychain stores Keyport's secrets in the OS keychain through
// github.com/zalando/go-keyring (Secret Service on Linux and the BSDs,
// Keychain on macOS, Credential Manager on Windows): values of any size,
// split into items the platforms accept, each call bounded in time, one
// goroutine talking to the keychain. It knows nothing of accounts or
// tokens.
package keychain

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
	// ErrNotFound when there is none.
	Get(ctx context.Context, name string) ([]byte, error)
	// Set stores value under name, replacing any previous value.
	Set(ctx context.Context, name string, value []byte) error
	// Delete removes the value stored under name. An absent name is not an
	// error.
	Delete(ctx context.Context, name string) error
}

const (
	defaultKeychainTimeout = 30 * time.Second
	// The largest keychain item the platforms take, service, user name and
	// value together: go-keyring refuses a Windows Credential Manager
	// secret over 2,560 bytes and documents about 3,000 for the macOS
	// Keychain. Secret Service has no such limit.
	windowsItemLimit = 2560
	macOSItemLimit   = 3000
	// nameRoom is what an item keeps below its limit for the service and
	// user names and for the head's JSON around inline data.
	nameRoom = 760
	// chunkSize is the most base64 text one keychain item holds: the
	// smallest limit less nameRoom, on every platform, so that names of
	// up to about 700 bytes fit (TestKeychainItemLimits).
	chunkSize = min(windowsItemLimit, macOSItemLimit) - nameRoom
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

// goKeyring is the OS keychain through go-keyring.
type goKeyring struct{}

func (goKeyring) Get(service, user string) (string, error) { return keyring.Get(service, user) }
func (goKeyring) Set(service, user, value string) error    { return keyring.Set(service, user, value) }
func (goKeyring) Delete(service, user string) error        { return keyring.Delete(service, user) }

// NewSystem returns the OS keychain, with items stored under the
// given service name (the account key or other name is the item's user name).
//
// One goroutine of the process makes every keychain call (see owner), one at
// a time: a locked keychain then shows one unlock prompt rather than one per
// account, and go-keyring's in-memory mock, which has no lock of its own, is
// safe for tests. A caller waits for its call at most timeout (30 s when
// timeout <= 0) or until its context is done, because a locked keychain can
// block forever: the error then wraps ErrUnavailable (or ErrCancelled when
// the context was cancelled). While a call has gone unanswered for longer
// than timeout, later calls fail at once with ErrUnavailable instead of each
// waiting out the timeout behind it, and a call whose caller gave up before
// its turn is never made. Any failure of the keychain itself wraps
// ErrUnavailable too, classified by its D-Bus error name (see translate);
// nothing ever falls back to a plain file.
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
func NewSystem(service string, timeout time.Duration) Keychain {
	return newKeychain(service, timeout, goKeyring{})
}

func newKeychain(service string, timeout time.Duration, be backend) *system {
	if timeout <= 0 {
		timeout = defaultKeychainTimeout
	}
	return &system{service: service, timeout: timeout, be: be, chunk: chunkSize, wmu: make(chan struct{}, 1), own: &theOwner}
}

type system struct {
	service string
	timeout time.Duration
	be      backend
	chunk   int           // most base64 characters per item
	wmu     chan struct{} // serialises Set and Delete; a channel so waiting honours ctx
	own     *owner        // makes the calls: theOwner
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
func (k *system) Get(ctx context.Context, name string) ([]byte, error) {
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
			return nil, fmt.Errorf("read keychain item %q: a part of the value is missing: %w", name, ErrNotFound)
		}
		data, err := k.readChunks(ctx, name, h)
		if errors.Is(err, ErrNotFound) {
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

func (k *system) readChunks(ctx context.Context, name string, h head) (string, error) {
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
func (k *system) readHead(ctx context.Context, name string) (head, error) {
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
func (k *system) Set(ctx context.Context, name string, value []byte) error {
	if err := k.lockWrite(ctx); err != nil {
		return fmt.Errorf("store keychain item %q: %w", name, err)
	}
	defer k.unlockWrite()
	old, err := k.readHead(ctx, name)
	if err != nil && !errors.Is(err, ErrNotFound) {
		if errors.Is(err, ErrUnavailable) || errors.Is(err, ErrCancelled) {
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
func (k *system) Delete(ctx context.Context, name string) error {
	if err := k.lockWrite(ctx); err != nil {
		return fmt.Errorf("delete keychain item %q: %w", name, err)
	}
	defer k.unlockWrite()
	old, err := k.readHead(ctx, name)
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	if err != nil && (errors.Is(err, ErrUnavailable) || errors.Is(err, ErrCancelled)) {
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
func (k *system) abandon(ctx context.Context, name string, h head, n int, headTried bool) {
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
		case err != nil && (errors.Is(err, ErrUnavailable) || errors.Is(err, ErrCancelled)):
			return
		}
	}
	for i := range n {
		_ = k.remove(ctx, chunkName(name, h.Gen, i))
	}
}

func (k *system) deleteChunks(ctx context.Context, name string, h head) error {
	for i := range h.N {
		if err := k.remove(ctx, chunkName(name, h.Gen, i)); err != nil {
			return err
		}
	}
	return nil
}

func (k *system) put(ctx context.Context, user, value string) error {
	_, err := k.call(ctx, func() (string, error) { return "", k.be.Set(k.service, user, value) })
	return err
}

// remove deletes one item; an absent one is not an error.
func (k *system) remove(ctx context.Context, user string) error {
	_, err := k.call(ctx, func() (string, error) { return "", k.be.Delete(k.service, user) })
	if errors.Is(err, ErrNotFound) {
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

func (k *system) lockWrite(ctx context.Context) error {
	select {
	case k.wmu <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctxError(ctx)
	}
}

func (k *system) unlockWrite() { <-k.wmu }

// call has the owner make one keychain call and waits for it, the timeout
// or ctx, whichever comes first. A call given up on is made anyway if it had
// started (its result is dropped), and skipped if it had not.
func (k *system) call(ctx context.Context, fn func() (string, error)) (string, error) {
	if ctx.Err() != nil {
		return "", ctxError(ctx)
	}
	if since := k.own.busyFor(); since > k.timeout {
		return "", fmt.Errorf("%w: the keychain has not answered an earlier request for %s s: %s", ErrUnavailable, seconds(since), unlockHint)
	}
	callCtx, cancel := context.WithTimeout(ctx, k.timeout)
	defer cancel()
	c := &request{ctx: callCtx, fn: fn, done: make(chan result, 1)}
	k.own.submit(c)
	select {
	case r := <-c.done:
		return r.s, translate(r.err)
	case <-callCtx.Done():
		if ctx.Err() != nil {
			return "", ctxError(ctx)
		}
		return "", fmt.Errorf("%w: the keychain did not answer within %s s: %s", ErrUnavailable, seconds(k.timeout), unlockHint)
	}
}

func seconds(d time.Duration) string {
	return strconv.FormatFloat(d.Round(10*time.Millisecond).Seconds(), 'f', -1, 64)
}

// owner is the one goroutine that talks to the keychain backend, started
// when a request comes and gone when none is left. It makes the requests
// in the order they came, one at a time, and skips those whose caller has
// given up. Its methods are safe for concurrent use.
type owner struct {
	mu      sync.Mutex
	queue   []*request
	running bool      // a goroutine is making the requests
	since   time.Time // when the request being made started; zero when idle
}

// theOwner makes the calls of every keychain of the process: go-keyring's
// D-Bus connection and its mock are process-wide.
var theOwner owner

type request struct {
	ctx  context.Context
	fn   func() (string, error)
	done chan result // capacity 1
}

type result struct {
	s   string
	err error
}

func (o *owner) submit(r *request) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.queue = append(o.queue, r)
	if !o.running {
		o.running = true
		go o.run()
	}
}

func (o *owner) run() {
	for {
		o.mu.Lock()
		if len(o.queue) == 0 {
			o.running = false
			o.mu.Unlock()
			return
		}
		r := o.queue[0]
		o.queue[0] = nil
		o.queue = o.queue[1:]
		if r.ctx.Err() != nil { // the caller gave up before its turn
			o.mu.Unlock()
			continue
		}
		o.since = time.Now()
		o.mu.Unlock()
		s, err := r.fn()
		o.mu.Lock()
		o.since = time.Time{}
		o.mu.Unlock()
		r.done <- result{s, err}
	}
}

// busyFor returns how long the request being made has taken so far, or 0.
func (o *owner) busyFor() time.Duration {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.since.IsZero() {
		return 0
	}
	return time.Since(o.since)
}

const unlockHint = "unlock your keyring (GNOME Keyring / KWallet / macOS Keychain) and try again"

// ctxError reports why ctx ended: a deadline means the keychain did not
// answer in time, a cancellation is the caller's.
func ctxError(ctx context.Context) error {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return fmt.Errorf("%w: the keychain did not answer in time: %s: %w", ErrUnavailable, unlockHint, ctx.Err())
	}
	return fmt.Errorf("%w: %w", ErrCancelled, ctx.Err())
}

func newGeneration() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24)
	return hex.EncodeToString(b)
}

package keychain

import (
	"bytes"
	"net"
	"os"
	"os/exec"
	"slices"
	"syscall"

	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/godbus/dbus/v5"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/zalando/go-keyring"
)

const testService = "keyport-test"

func randomBytes(t testing.TB, n int) []byte {
	t.Helper()
	b := make([]byte, n)
	rand.Read(b)
	return b
}

// testKeychain is newKeychain for a test: when the test ends, it waits
// until the process's keychain owner has made or skipped every call the
// test left (a hung or slow backend keeps it busy), so the next test starts
// with an idle owner. Cleanups run last-in first-out, so a backend the test
// releases in its own cleanup is released before this wait.
func testKeychain(t testing.TB, service string, timeout time.Duration, be backend) *system {
	t.Helper()
	t.Cleanup(func() {
		deadline := time.Now().Add(10 * time.Second)
		for {
			theOwner.mu.Lock()
			running := theOwner.running
			theOwner.mu.Unlock()
			if !running {
				return
			}
			if time.Now().After(deadline) {
				t.Error("the keychain owner is still busy 10 s after the test")
				return
			}
			time.Sleep(time.Millisecond)
		}
	})
	return newKeychain(service, timeout, be)
}

// mockKeychain returns a keychain on go-keyring's in-memory mock.
func mockKeychain(t testing.TB) *system {
	t.Helper()
	keyring.MockInit()
	return testKeychain(t, testService, time.Second, goKeyring{})
}

// storedHead reads the head item of name straight from the mock.
func storedHead(t *testing.T, name string) head {
	t.Helper()
	raw, err := keyring.Get(testService, name)
	if err != nil {
		t.Fatalf("head of %q: %v", name, err)
	}
	var h head
	if err := json.Unmarshal([]byte(raw), &h); err != nil {
		t.Fatalf("head of %q: %v", name, err)
	}
	return h
}

// assertNoChunks checks that no chunk of h's generation is left in the mock.
func assertNoChunks(t *testing.T, name string, h head) {
	t.Helper()
	for i := range h.N + 1 { // one past the end too
		if _, err := keyring.Get(testService, chunkName(name, h.Gen, i)); !errors.Is(err, keyring.ErrNotFound) {
			t.Errorf("chunk %d of generation %s: got err %v, want not found", i, h.Gen, err)
		}
	}
}

func TestKeychainRoundTrip(t *testing.T) {
	tests := []struct {
		name    string
		value   []byte
		chunked bool // false: the value sits in the head
	}{
		{"empty", []byte{}, false},
		{"small", []byte("gho_abc123"), false},
		{"binary", []byte{0, 0xff, '\n', '"', '#'}, false},
		{"largest inline", bytes.Repeat([]byte{'x'}, chunkSize/4*3), false},
		{"smallest chunked", bytes.Repeat([]byte{'x'}, chunkSize/4*3+1), true},
		{"16 KiB", randomBytes(t, 16<<10), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			kc := mockKeychain(t)
			ctx := t.Context()
			if err := kc.Set(ctx, "p/1", tt.value); err != nil {
				t.Fatal(err)
			}
			got, err := kc.Get(ctx, "p/1")
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, tt.value) {
				t.Fatalf("got %d bytes back, want the %d stored", len(got), len(tt.value))
			}
			want := 0
			if tt.chunked {
				want = (base64.StdEncoding.EncodedLen(len(tt.value)) + chunkSize - 1) / chunkSize
			}
			if h := storedHead(t, "p/1"); h.N != want {
				t.Errorf("stored in %d chunks, want %d", h.N, want)
			}
		})
	}
}

func TestKeychainGetMissing(t *testing.T) {
	kc := mockKeychain(t)
	if _, err := kc.Get(t.Context(), "p/none"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("got %v, want ErrNotFound", err)
	}
	if err := kc.Delete(t.Context(), "p/none"); err != nil {
		t.Fatalf("delete of an absent item: %v", err)
	}
}

func TestKeychainReplaceLeavesNoOrphans(t *testing.T) {
	small, large := []byte("small"), randomBytes(t, 16<<10)
	tests := []struct {
		name       string
		first      []byte
		then       []byte // nil: Delete
		wantChunks bool
	}{
		{"large then small", large, small, false},
		{"small then large", small, large, true},
		{"large then large", large, randomBytes(t, 9000), true},
		{"large then delete", large, nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			kc := mockKeychain(t)
			ctx := t.Context()
			if err := kc.Set(ctx, "p/1", tt.first); err != nil {
				t.Fatal(err)
			}
			old := storedHead(t, "p/1")
			if tt.then == nil {
				if err := kc.Delete(ctx, "p/1"); err != nil {
					t.Fatal(err)
				}
				if _, err := keyring.Get(testService, "p/1"); !errors.Is(err, keyring.ErrNotFound) {
					t.Errorf("head after Delete: %v, want not found", err)
				}
			} else {
				if err := kc.Set(ctx, "p/1", tt.then); err != nil {
					t.Fatal(err)
				}
				if got, err := kc.Get(ctx, "p/1"); err != nil || !bytes.Equal(got, tt.then) {
					t.Fatalf("Get after replace: %d bytes, %v", len(got), err)
				}
				if h := storedHead(t, "p/1"); (h.N > 0) != tt.wantChunks {
					t.Errorf("new head %+v, want chunked %v", h, tt.wantChunks)
				}
			}
			assertNoChunks(t, "p/1", old)
		})
	}
}

// failingHead fails every write of the head item, like a crash at the commit
// point.
type failingHead struct{ goKeyring }

func (f failingHead) Set(service, user, value string) error {
	if !strings.Contains(user, "#") {
		return errors.New("boom")
	}
	return f.goKeyring.Set(service, user, value)
}

func TestKeychainFailedSetKeepsOldValue(t *testing.T) {
	kc := mockKeychain(t)
	ctx := t.Context()
	old := randomBytes(t, 5000)
	if err := kc.Set(ctx, "p/1", old); err != nil {
		t.Fatal(err)
	}
	kc.be = failingHead{}
	if err := kc.Set(ctx, "p/1", randomBytes(t, 7000)); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("Set with a failing head write: %v, want ErrUnavailable", err)
	}
	got, err := kc.Get(ctx, "p/1")
	if err != nil || !bytes.Equal(got, old) {
		t.Fatalf("Get after a failed Set: %d bytes, %v; want the old value", len(got), err)
	}
}

// failNth passes keychain calls to a backend but fails the nth chunk write
// (counting from 1), or every head write with n 0, and records the chunk
// names it wrote.
type failNth struct {
	backend
	n       int
	mu      sync.Mutex
	seen    int
	written []string
}

func (f *failNth) Set(service, user, value string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !strings.Contains(user, "#") {
		if f.n == 0 {
			return errors.New("boom")
		}
		return f.backend.Set(service, user, value)
	}
	if f.seen++; f.seen == f.n {
		return errors.New("boom")
	}
	f.written = append(f.written, user)
	return f.backend.Set(service, user, value)
}

// TestKeychainFailedSetRemovesItsChunks checks that a chunked write that
// fails, at a chunk or at the head, removes the chunks it had written and
// leaves the old value readable.
func TestKeychainFailedSetRemovesItsChunks(t *testing.T) {
	for _, n := range []int{1, 3, 0} {
		t.Run(fmt.Sprintf("failing write %d", n), func(t *testing.T) {
			kc := mockKeychain(t)
			ctx := t.Context()
			old := []byte("the old token")
			if err := kc.Set(ctx, "p/1", old); err != nil {
				t.Fatal(err)
			}
			fail := &failNth{backend: goKeyring{}, n: n}
			kc.be = fail
			if err := kc.Set(ctx, "p/1", randomBytes(t, 9000)); err == nil {
				t.Fatal("Set did not fail")
			}
			if n != 1 && len(fail.written) == 0 {
				t.Fatal("no chunk was written before the failure")
			}
			for _, name := range fail.written {
				if _, err := keyring.Get(testService, name); !errors.Is(err, keyring.ErrNotFound) {
					t.Errorf("chunk %s left behind: %v", name, err)
				}
			}
			if got, err := kc.Get(ctx, "p/1"); err != nil || !bytes.Equal(got, old) {
				t.Errorf("Get after the failed Set: %q, %v; want the old value", got, err)
			}
		})
	}
}

// lateHead is a backend whose head writes give up the caller's timeout but
// land later, while holding the backend's lock as go-keyring's mutex does.
type lateHead struct {
	goKeyring
	mu sync.Mutex
}

func (l *lateHead) Get(service, user string) (string, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.goKeyring.Get(service, user)
}

func (l *lateHead) Set(service, user, value string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !strings.Contains(user, "#") {
		time.Sleep(300 * time.Millisecond)
	}
	return l.goKeyring.Set(service, user, value)
}

// TestKeychainLateHeadKeepsItsChunks checks the other side: when the head
// write timed out for the caller but the keychain carried it out, the
// chunks it names are the stored value and are kept.
func TestKeychainLateHeadKeepsItsChunks(t *testing.T) {
	keyring.MockInit()
	kc := testKeychain(t, testService, 50*time.Millisecond, &lateHead{})
	value := randomBytes(t, 9000)
	if err := kc.Set(t.Context(), "p/1", value); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("Set: %v, want a timeout", err)
	}
	kc.timeout = 5 * time.Second
	if got, err := kc.Get(t.Context(), "p/1"); err != nil || !bytes.Equal(got, value) {
		t.Errorf("Get after the late head: %d bytes, %v; want the value", len(got), err)
	}
}

func TestKeychainForeignItem(t *testing.T) {
	kc := mockKeychain(t)
	ctx := t.Context()
	keyring.Set(testService, "p/1", "plain-token-value")
	_, err := kc.Get(ctx, "p/1")
	if err == nil || strings.Contains(err.Error(), "plain-token-value") {
		t.Fatalf("Get of a foreign item: %v; want an error without its value", err)
	}
	if err := kc.Set(ctx, "p/1", []byte("new")); err != nil {
		t.Fatalf("Set over a foreign item: %v", err)
	}
	if got, err := kc.Get(ctx, "p/1"); err != nil || string(got) != "new" {
		t.Fatalf("Get: %q, %v", got, err)
	}
}

func TestKeychainMissingChunk(t *testing.T) {
	kc := mockKeychain(t)
	ctx := t.Context()
	if err := kc.Set(ctx, "p/1", randomBytes(t, 5000)); err != nil {
		t.Fatal(err)
	}
	h := storedHead(t, "p/1")
	keyring.Delete(testService, chunkName("p/1", h.Gen, 1))
	if _, err := kc.Get(ctx, "p/1"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Get with a chunk gone: %v, want ErrNotFound", err)
	}
}

// countingBackend counts reads of chunks that were gone.
type countingBackend struct {
	goKeyring
	misses atomic.Int64
}

func (c *countingBackend) Get(service, user string) (string, error) {
	v, err := c.goKeyring.Get(service, user)
	if err != nil && strings.Contains(user, "#") {
		c.misses.Add(1)
	}
	return v, err
}

func TestKeychainConcurrentReadersSeeOneValue(t *testing.T) {
	keyring.MockInit()
	be := &countingBackend{}
	kc := testKeychain(t, testService, 5*time.Second, be)
	ctx := t.Context()
	a, b := randomBytes(t, 16<<10), randomBytes(t, 16<<10)
	if err := kc.Set(ctx, "p/1", a); err != nil {
		t.Fatal(err)
	}
	const writes = 50
	var writers, readers sync.WaitGroup
	done := make(chan struct{})
	for w := range 2 {
		writers.Go(func() {
			for i := range writes {
				v := a
				if (i+w)%2 == 1 {
					v = b
				}
				if err := kc.Set(ctx, "p/1", v); err != nil {
					t.Error(err)
					return
				}
				time.Sleep(time.Millisecond) // a storm with no pause at all could starve a reader, which then says so
			}
		})
	}
	var reads atomic.Int64
	for range 3 {
		readers.Go(func() {
			for {
				select {
				case <-done:
					return
				default:
				}
				got, err := kc.Get(ctx, "p/1")
				if err != nil {
					t.Error(err)
					return
				}
				if !bytes.Equal(got, a) && !bytes.Equal(got, b) {
					t.Error("a reader saw a value that was never written")
					return
				}
				reads.Add(1)
			}
		})
	}
	writers.Wait()
	close(done)
	readers.Wait()
	t.Logf("%d reads during %d writes; %d chunk reads found a replaced generation", reads.Load(), 2*writes, be.misses.Load())
}

func TestKeychainErrorTranslation(t *testing.T) {
	dialErr := &net.OpError{Op: "dial", Net: "unix", Err: &os.SyscallError{Syscall: "connect", Err: syscall.ENOENT}}
	tests := []struct {
		name     string
		cause    error
		sentinel error  // nil: Delete succeeds
		words    string // in the message
	}{
		{"not found", keyring.ErrNotFound, ErrNotFound, ""},
		{"no secret service", dbus.Error{Name: "org.freedesktop.DBus.Error.ServiceUnknown", Body: []any{"The name org.freedesktop.secrets was not provided by any .service files"}},
			ErrUnavailable, "no Secret Service is running: start GNOME Keyring or KWallet"},
		{"no owner", &dbus.Error{Name: "org.freedesktop.DBus.Error.NameHasNoOwner"}, ErrUnavailable, "no Secret Service is running"},
		{"no session bus, no dbus-launch", &exec.Error{Name: "dbus-launch", Err: exec.ErrNotFound}, ErrUnavailable, "no D-Bus session bus is running"},
		{"dead bus socket", dialErr, ErrUnavailable, "start one with dbus-run-session"},
		{"locked", dbus.Error{Name: "org.freedesktop.Secret.Error.IsLocked"}, ErrUnavailable, "unlock your keyring"},
		{"access denied", dbus.Error{Name: "org.freedesktop.DBus.Error.AccessDenied"}, ErrUnavailable, "access was refused"},
		{"unlock dismissed", errors.New("failed to unlock correct collection '/org/freedesktop/secrets/aliases/default'"), ErrUnavailable, "unlock your keyring"},
		{"no reply", dbus.Error{Name: "org.freedesktop.DBus.Error.NoReply"}, ErrUnavailable, "did not answer"},
		{"other D-Bus error", dbus.Error{Name: "org.example.Weird"}, ErrUnavailable, "answered org.example.Weird"},
		{"other", errors.New("exit status 45"), ErrUnavailable, "exit status 45"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			keyring.MockInitWithError(tt.cause)
			kc := testKeychain(t, testService, time.Second, goKeyring{})
			ctx := t.Context()
			_, getErr := kc.Get(ctx, "p/1")
			setErr := kc.Set(ctx, "p/1", []byte("s3cr3t-value"))
			delErr := kc.Delete(ctx, "p/1")
			for op, err := range map[string]error{"Get": getErr, "Set": setErr, "Delete": delErr} {
				want := tt.sentinel
				if op == "Delete" && want == ErrNotFound {
					want = nil // absent is not an error
				}
				if op == "Set" && want == ErrNotFound {
					continue // the mock refuses every write with not found
				}
				if want == nil {
					if err != nil {
						t.Errorf("%s: %v, want nil", op, err)
					}
					continue
				}
				if !errors.Is(err, want) {
					t.Errorf("%s: %v, want %v", op, err, want)
				}
				if !strings.Contains(err.Error(), tt.words) || strings.Contains(err.Error(), "s3cr3t") {
					t.Errorf("%s: message %q, want it to say %q and not the secret", op, err, tt.words)
				}
			}
		})
	}
}

// blockingBackend never answers until the test ends, like a keychain waiting
// on an unlock prompt nobody sees.
type blockingBackend struct{ release chan struct{} }

func (b blockingBackend) Get(string, string) (string, error) { <-b.release; return "", nil }
func (b blockingBackend) Set(string, string, string) error   { <-b.release; return nil }
func (b blockingBackend) Delete(string, string) error        { <-b.release; return nil }

func TestKeychainTimeout(t *testing.T) {
	tests := []struct {
		name     string
		timeout  time.Duration
		ctx      func(t *testing.T) context.Context
		sentinel error
		cause    error
		words    string
	}{
		// The first call waits out the timeout; while it hangs, the next
		// ones fail at once saying why.
		{"call timeout", 50 * time.Millisecond, func(t *testing.T) context.Context { return t.Context() },
			ErrUnavailable, nil, "0.05 s: unlock your keyring (GNOME Keyring / KWallet / macOS Keychain) and try again|has not answered an earlier request for"},
		{"context deadline", time.Minute, func(t *testing.T) context.Context {
			ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
			t.Cleanup(cancel)
			return ctx
		}, ErrUnavailable, context.DeadlineExceeded, "did not answer in time: unlock your keyring"},
		{"context cancelled", time.Minute, func(t *testing.T) context.Context {
			ctx, cancel := context.WithCancel(t.Context())
			time.AfterFunc(50*time.Millisecond, cancel)
			return ctx
		}, ErrCancelled, context.Canceled, "cancelled"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			be := blockingBackend{make(chan struct{})}
			kc := testKeychain(t, testService, tt.timeout, be)
			t.Cleanup(func() { close(be.release) }) // before testKeychain's wait
			ops := map[string]func(context.Context) error{
				"Get":    func(ctx context.Context) error { _, err := kc.Get(ctx, "p/1"); return err },
				"Set":    func(ctx context.Context) error { return kc.Set(ctx, "p/1", []byte("v")) },
				"Delete": func(ctx context.Context) error { return kc.Delete(ctx, "p/1") },
			}
			for op, run := range ops {
				start := time.Now()
				err := run(tt.ctx(t))
				if d := time.Since(start); d > 2*time.Second {
					t.Errorf("%s took %v", op, d)
				}
				if !errors.Is(err, tt.sentinel) || (tt.cause != nil && !errors.Is(err, tt.cause)) {
					t.Errorf("%s: %v, want %v", op, err, tt.sentinel)
				} else if !containsAny(err.Error(), strings.Split(tt.words, "|")) {
					t.Errorf("%s: message %q, want it to say %q", op, err, tt.words)
				}
			}
		})
	}
}

func containsAny(s string, words []string) bool {
	return slices.ContainsFunc(words, func(w string) bool { return strings.Contains(s, w) })
}

// TestKeychainHungCallFailsFast checks that while one call hangs past the
// timeout, the next fail at once instead of each waiting out the timeout,
// that a call whose caller gave up is never made, and that the keychain
// works again once the hung call returns.
func TestKeychainHungCallFailsFast(t *testing.T) {
	keyring.MockInit()
	release := make(chan struct{})
	var made atomic.Int32
	be := &hangOnce{release: release, made: &made}
	kc := testKeychain(t, testService, 50*time.Millisecond, be)
	if _, err := kc.Get(t.Context(), "p/1"); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("hung Get: %v", err)
	}
	time.Sleep(60 * time.Millisecond) // past the timeout: the keychain is stuck
	start := time.Now()
	err := kc.Set(t.Context(), "p/1", []byte("v"))
	if !errors.Is(err, ErrUnavailable) || !strings.Contains(err.Error(), "has not answered an earlier request") || time.Since(start) > 20*time.Millisecond {
		t.Errorf("Set while stuck: %v after %v", err, time.Since(start))
	}
	close(release)
	kc.timeout = 5 * time.Second
	if err := kc.Set(t.Context(), "p/1", []byte("v")); err != nil {
		t.Fatalf("Set after the hung call returned: %v", err)
	}
	if got, err := kc.Get(t.Context(), "p/1"); err != nil || string(got) != "v" {
		t.Errorf("Get: %q %v", got, err)
	}
	if n := made.Load(); n != 1 {
		t.Errorf("the hung call was made %d times", n)
	}
}

// hangOnce hangs its first Get until release is closed, then passes calls
// to go-keyring's mock.
type hangOnce struct {
	goKeyring
	release chan struct{}
	made    *atomic.Int32
}

func (h *hangOnce) Get(service, user string) (string, error) {
	if h.made.Add(1) == 1 {
		<-h.release
		return "", keyring.ErrNotFound
	}
	h.made.Add(-1)
	return h.goKeyring.Get(service, user)
}

func TestKeychainDefaultTimeout(t *testing.T) {
	if kc := newKeychain(testService, 0, goKeyring{}); kc.timeout != 30*time.Second {
		t.Fatalf("default timeout %v, want 30s", kc.timeout)
	}
}

// A writer waiting behind a stuck one gives up with its context.
func TestKeychainWriterWaitHonoursContext(t *testing.T) {
	be := blockingBackend{make(chan struct{})}
	kc := testKeychain(t, testService, time.Minute, be)
	t.Cleanup(func() { close(be.release) })        // before testKeychain's wait
	go kc.Set(t.Context(), "p/1", []byte("first")) // holds the write lock until the test ends
	time.Sleep(20 * time.Millisecond)
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	if err := kc.Set(ctx, "p/1", []byte("second")); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("second Set: %v, want ErrUnavailable", err)
	}
}

func FuzzKeychainRoundTrip(f *testing.F) {
	f.Add([]byte(""), 7)
	f.Add([]byte("gho_abc"), 4)
	f.Add(bytes.Repeat([]byte{0xff}, 300), 100)
	f.Fuzz(func(t *testing.T, value []byte, chunk int) {
		kc := mockKeychain(t)
		kc.chunk = 64 + int(uint(chunk)%1000) // small chunks exercise the chunked path
		ctx := t.Context()
		if err := kc.Set(ctx, "p/1", bytes.Repeat([]byte("old"), 500)); err != nil {
			t.Fatal(err)
		}
		old := storedHead(t, "p/1")
		if err := kc.Set(ctx, "p/1", value); err != nil {
			t.Fatal(err)
		}
		got, err := kc.Get(ctx, "p/1")
		if err != nil || !bytes.Equal(got, value) {
			t.Fatalf("got %d bytes, %v; want the %d stored", len(got), err, len(value))
		}
		assertNoChunks(t, "p/1", old)
	})
}

// limitBackend refuses, as go-keyring does, any item whose service, user
// name and value together exceed limit, and records the largest it stored.
type limitBackend struct {
	goKeyring
	limit int

	mu      sync.Mutex // guards largest and items
	largest int
	items   int
}

func (l *limitBackend) Set(service, user, value string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := len(service) + len(user) + len(value)
	if n > l.limit {
		return keyring.ErrSetDataTooBig
	}
	l.largest, l.items = max(l.largest, n), l.items+1
	return l.goKeyring.Set(service, user, value)
}

// TestKeychainItemLimits stores values of every shape (inline at the
// largest, the smallest chunked, many chunks) under long names with the
// chunk size each platform's item limit gives, and checks that every item
// written stays within that limit and the value reads back.
func TestKeychainItemLimits(t *testing.T) {
	// The longest names Keyport writes in practice: a long service name
	// ($KEYPORT_KEYRING_SERVICE) and an account key with a long provider id
	// and an account id of 200 ASCII characters (auth's maxIDLen).
	service := "keyport-" + strings.Repeat("s", 56)
	user := "account:" + strings.Repeat("p", 64) + "/" + strings.Repeat("i", 200)
	platforms := []struct {
		name  string
		limit int
	}{
		{"Windows Credential Manager", windowsItemLimit},
		{"macOS Keychain", macOSItemLimit},
	}
	for _, p := range platforms {
		chunk := p.limit - nameRoom
		values := map[string]int{
			"largest inline":   chunk / 4 * 3,
			"smallest chunked": chunk/4*3 + 1,
			"64 KiB":           64 << 10, // dozens of chunks: two-digit indices in the names
		}
		for what, size := range values {
			t.Run(p.name+"/"+what, func(t *testing.T) {
				keyring.MockInit()
				be := &limitBackend{limit: p.limit}
				kc := testKeychain(t, service, time.Second, be)
				kc.chunk = chunk
				value := randomBytes(t, size)
				if err := kc.Set(t.Context(), user, value); err != nil {
					t.Fatalf("Set of %d bytes with a %d-byte limit: %v", size, p.limit, err)
				}
				got, err := kc.Get(t.Context(), user)
				if err != nil || !bytes.Equal(got, value) {
					t.Fatalf("Get: %d bytes, %v; want the %d stored", len(got), err, size)
				}
				if be.largest > p.limit || be.items == 0 {
					t.Fatalf("%d items written, the largest %d bytes; limit %d", be.items, be.largest, p.limit)
				}
				t.Logf("%d items, the largest %d of %d bytes", be.items, be.largest, p.limit)
			})
		}
	}
	if chunkSize > min(windowsItemLimit, macOSItemLimit)-nameRoom {
		t.Errorf("chunkSize %d leaves less than nameRoom below the smallest item limit", chunkSize)
	}
}

// The limits bite: a name longer than nameRoom allows makes Set fail with
// an error saying the item is too large, rather than writing it.
func TestKeychainItemLimitRefused(t *testing.T) {
	keyring.MockInit()
	be := &limitBackend{limit: windowsItemLimit}
	kc := testKeychain(t, testService, time.Second, be)
	user := "account:" + strings.Repeat("x", nameRoom)
	err := kc.Set(t.Context(), user, randomBytes(t, chunkSize/4*3))
	if err == nil || !strings.Contains(err.Error(), "too large") {
		t.Fatalf("Set over the limit: %v, want an error saying the item is too large", err)
	}
}

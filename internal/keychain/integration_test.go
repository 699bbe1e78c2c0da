//go:build linux

package keychain

// These tests run the keychain against a real Secret Service
// (gnome-keyring). They are skipped unless KEYPORT_INTEGRATION=1; then a
// missing session bus or secret-tool is a failure. To run them on a machine
// with no desktop session:
//
//	dbus-run-session -- bash -c 'export HOME=$(mktemp -d); unset DISPLAY;
//	  gnome-keyring-daemon --foreground --replace --unlock --components=secrets < <(printf %s pw) &
//	  for i in $(seq 50); do dbus-send --session --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus \
//	    org.freedesktop.DBus.NameHasOwner string:org.freedesktop.secrets | grep -q true && break; sleep 0.1; done;
//	  KEYPORT_INTEGRATION=1 go test -race -run Integration ./auth/; kill $!'
//
// --unlock with a password on standard input makes gnome-keyring create the
// "login" collection and make it the default, which go-keyring writes to.

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const childKeychainEnv = "KEYPORT_TEST_KEYCHAIN_CHILD"

func requireIntegration(t *testing.T) {
	t.Helper()
	if os.Getenv("KEYPORT_INTEGRATION") != "1" {
		t.Skip("set KEYPORT_INTEGRATION=1 to run against the real Secret Service")
	}
	if os.Getenv("DBUS_SESSION_BUS_ADDRESS") == "" {
		t.Fatal("KEYPORT_INTEGRATION=1 but DBUS_SESSION_BUS_ADDRESS is not set: run inside a D-Bus session with gnome-keyring running (see the top of this file)")
	}
	for _, tool := range []string{"secret-tool", "dbus-daemon", "dbus-send", "gnome-keyring-daemon"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s not found: apt-get install libsecret-tools dbus gnome-keyring", tool)
		}
	}
}

func isChild() bool { return os.Getenv(childKeychainEnv) == "1" }

// runChild runs the calling test again in a new process of this test
// binary, with env added. The child is needed because keyring.MockInit, which
// other tests call, replaces go-keyring's real provider for the rest of the
// process, and because godbus keeps one session bus connection per process.
func runChild(t *testing.T, env ...string) {
	t.Helper()
	cmd := exec.CommandContext(t.Context(), os.Args[0], "-test.run=^"+t.Name()+"$", "-test.v", "-test.count=1")
	cmd.Env = append(append(os.Environ(), childKeychainEnv+"=1"), env...)
	out, err := cmd.CombinedOutput()
	if err != nil || !bytes.Contains(out, []byte("--- PASS: "+t.Name())) {
		t.Fatalf("child process: %v\n%s", err, out)
	}
	t.Logf("child process:\n%s", out)
}

func uniqueService(t *testing.T) string {
	b := make([]byte, 6)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	svc := "keyport-test-" + hex.EncodeToString(b)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		exec.CommandContext(ctx, "secret-tool", "clear", "service", svc).Run()
	})
	return svc
}

// itemCount counts the Secret Service items of svc. secret-tool prints the
// secrets too, so its output is never logged.
func itemCount(t *testing.T, svc string) int {
	t.Helper()
	out, err := exec.CommandContext(t.Context(), "secret-tool", "search", "--all", "service", svc).Output()
	if err != nil {
		t.Fatalf("secret-tool search: %v", err)
	}
	n := 0
	for line := range strings.Lines(string(out)) {
		if strings.HasPrefix(line, "[/") {
			n++
		}
	}
	return n
}

func TestKeychainIntegration(t *testing.T) {
	requireIntegration(t)
	if !isChild() {
		runChild(t)
		return
	}
	ctx := t.Context()
	svc := uniqueService(t)
	kc := NewSystem(svc, 10*time.Second)
	value := randomBytes(t, 16<<10)
	if err := kc.Set(ctx, "patreon/42", value); err != nil {
		t.Fatal(err)
	}
	got, err := kc.Get(ctx, "patreon/42")
	if err != nil || !bytes.Equal(got, value) {
		t.Fatalf("Get: %d bytes, %v; want the 16 KiB stored", len(got), err)
	}

	// go-keyring stores items with the attributes service and username.
	out, err := exec.CommandContext(ctx, "secret-tool", "lookup", "service", svc, "username", "patreon/42").Output()
	if err != nil {
		t.Fatalf("secret-tool lookup of the head: %v", err)
	}
	var h head
	if err := json.Unmarshal(out, &h); err != nil || h.V != 1 || h.Gen == "" {
		t.Fatalf("the head item is %q, want {\"v\":1,\"gen\":...,\"n\":...}", out)
	}
	wantChunks := (base64.StdEncoding.EncodedLen(len(value)) + chunkSize - 1) / chunkSize
	if h.N != wantChunks {
		t.Errorf("head names %d chunks, want %d", h.N, wantChunks)
	}
	if n := itemCount(t, svc); n != wantChunks+1 {
		t.Errorf("%d items in the keyring, want %d chunks and the head", n, wantChunks)
	}

	if err := kc.Set(ctx, "patreon/42", []byte("small")); err != nil {
		t.Fatal(err)
	}
	if n := itemCount(t, svc); n != 1 {
		t.Errorf("after replacing with a small value: %d items, want 1", n)
	}
	if got, err := kc.Get(ctx, "patreon/42"); err != nil || string(got) != "small" {
		t.Fatalf("Get: %q, %v", got, err)
	}

	if err := kc.Set(ctx, "patreon/42", value); err != nil {
		t.Fatal(err)
	}
	if err := kc.Delete(ctx, "patreon/42"); err != nil {
		t.Fatal(err)
	}
	if n := itemCount(t, svc); n != 0 {
		t.Errorf("after Delete: %d items, want 0", n)
	}
	if _, err := kc.Get(ctx, "patreon/42"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Get after Delete: %v, want ErrNotFound", err)
	}
}

// TestKeychainIntegrationFailedSetLeavesNothing makes the third chunk write
// of a large value fail in gnome-keyring: the chunks already written are
// removed, and the item holds the old value.
func TestKeychainIntegrationFailedSetLeavesNothing(t *testing.T) {
	requireIntegration(t)
	if !isChild() {
		runChild(t)
		return
	}
	ctx := t.Context()
	svc := uniqueService(t)
	kc := testKeychain(t, svc, 10*time.Second, goKeyring{})
	if err := kc.Set(ctx, "patreon/42", []byte("old token")); err != nil {
		t.Fatal(err)
	}
	fail := &failNth{backend: goKeyring{}, n: 3}
	kc.be = fail
	if err := kc.Set(ctx, "patreon/42", randomBytes(t, 16<<10)); err == nil {
		t.Fatal("Set did not fail")
	}
	if len(fail.written) != 2 {
		t.Fatalf("%d chunks written before the failure, want 2", len(fail.written))
	}
	if n := itemCount(t, svc); n != 1 {
		t.Errorf("%d items in the keyring after the failed Set, want 1 (the old value)", n)
	}
	kc.be = goKeyring{}
	if got, err := kc.Get(ctx, "patreon/42"); err != nil || string(got) != "old token" {
		t.Errorf("Get: %q, %v; want the old value", got, err)
	}
}

// TestKeychainIntegrationNoBus points the keychain at a bus socket that does
// not exist, as when no desktop session runs.
func TestKeychainIntegrationNoBus(t *testing.T) {
	requireIntegration(t)
	if !isChild() {
		runChild(t, "DBUS_SESSION_BUS_ADDRESS=unix:path="+filepath.Join(t.TempDir(), "no-bus"))
		return
	}
	assertUnavailable(t, "no D-Bus session bus is running, so there is no Secret Service to keep secrets in: sign in to a desktop session, or start one with dbus-run-session, then start GNOME Keyring or KWallet")
}

// TestKeychainIntegrationNoBusAddress runs with no session bus address at
// all and no dbus-launch to start one (a bare SSH login): the message says
// what to start, not that dbus-launch is missing.
func TestKeychainIntegrationNoBusAddress(t *testing.T) {
	if !isChild() {
		requireIntegration(t) // the child has no bus and no tools on purpose
		runChild(t, "DBUS_SESSION_BUS_ADDRESS=", "XDG_RUNTIME_DIR="+t.TempDir(), "PATH="+t.TempDir())
		return
	}
	os.Unsetenv("DBUS_SESSION_BUS_ADDRESS")
	assertUnavailable(t, "no D-Bus session bus is running")
	if _, err := NewSystem("keyport-test", time.Second).Get(t.Context(), "p/1"); strings.Contains(err.Error(), "dbus-launch") {
		t.Errorf("the message names dbus-launch: %v", err)
	}
}

// TestKeychainIntegrationNoSecretService uses a bus on which nothing provides
// org.freedesktop.secrets, as when no keyring daemon is installed.
func TestKeychainIntegrationNoSecretService(t *testing.T) {
	requireIntegration(t)
	if !isChild() {
		runChild(t, "DBUS_SESSION_BUS_ADDRESS="+startBus(t))
		return
	}
	assertUnavailable(t, "no Secret Service is running: start GNOME Keyring or KWallet")
}

// TestKeychainIntegrationLocked locks the collection of a private
// gnome-keyring; with no prompter to unlock it, every call must fail as
// unavailable rather than hang.
func TestKeychainIntegrationLocked(t *testing.T) {
	requireIntegration(t)
	if !isChild() {
		runChild(t, "DBUS_SESSION_BUS_ADDRESS="+startKeyring(t, startBus(t)))
		return
	}
	kc := NewSystem(uniqueService(t), 5*time.Second)
	if err := kc.Set(t.Context(), "p/1", []byte("v")); err != nil {
		t.Fatalf("Set before locking: %v", err)
	}
	lock := exec.CommandContext(t.Context(), "dbus-send", "--session", "--print-reply", "--dest=org.freedesktop.secrets",
		"/org/freedesktop/secrets", "org.freedesktop.Secret.Service.Lock", "array:objpath:/org/freedesktop/secrets/collection/login")
	if out, err := lock.CombinedOutput(); err != nil {
		t.Fatalf("lock the collection: %v\n%s", err, out)
	}
	assertUnavailable(t, "unlock your keyring")
}

func assertUnavailable(t *testing.T, words string) {
	t.Helper()
	kc := NewSystem("keyport-test", 5*time.Second)
	start := time.Now()
	_, err := kc.Get(t.Context(), "p/1")
	if !errors.Is(err, ErrUnavailable) || !strings.Contains(err.Error(), words) {
		t.Fatalf("Get: %v; want ErrUnavailable saying %q", err, words)
	}
	if d := time.Since(start); d > 6*time.Second {
		t.Errorf("Get took %v", d)
	}
	t.Logf("Get says: %v", err)
}

// startBus starts a private D-Bus session bus that activates no services and
// returns its address. It is stopped when the test ends.
func startBus(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	config := filepath.Join(dir, "bus.conf")
	os.WriteFile(config, []byte(`<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:path=`+filepath.Join(dir, "bus")+`</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
`), 0o600)
	cmd := exec.Command("dbus-daemon", "--config-file="+config, "--nofork", "--print-address=1")
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatalf("start dbus-daemon: %v", err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	addr, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		t.Fatalf("dbus-daemon printed no address: %v", err)
	}
	return strings.TrimSpace(addr)
}

// startKeyring starts gnome-keyring-daemon with a new, unlocked login
// collection on the bus at addr and returns addr once the daemon answers.
func startKeyring(t *testing.T, addr string) string {
	t.Helper()
	home := t.TempDir()
	env := append(os.Environ(), "DBUS_SESSION_BUS_ADDRESS="+addr, "HOME="+home, "XDG_RUNTIME_DIR="+home,
		"XDG_DATA_HOME="+filepath.Join(home, "data"), "DISPLAY=", "WAYLAND_DISPLAY=")
	cmd := exec.Command("gnome-keyring-daemon", "--foreground", "--unlock", "--components=secrets")
	cmd.Env, cmd.Stdin = env, strings.NewReader("test-password")
	if err := cmd.Start(); err != nil {
		t.Fatalf("start gnome-keyring-daemon: %v", err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	for ctx.Err() == nil {
		ask := exec.CommandContext(ctx, "dbus-send", "--session", "--print-reply", "--dest=org.freedesktop.DBus",
			"/org/freedesktop/DBus", "org.freedesktop.DBus.NameHasOwner", "string:org.freedesktop.secrets")
		ask.Env = env
		if out, _ := ask.Output(); bytes.Contains(out, []byte("true")) {
			return addr
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatal("gnome-keyring-daemon did not come up on the private bus")
	return ""
}

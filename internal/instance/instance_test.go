package instance

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gofrs/flock"
)

// TestMain doubles as the second process of the tests: with
// INSTANCE_HELPER set it claims the name INSTANCE_DIR/w and reports.
//
//	start: exit 0 when another holder answered (ErrRunning), 3 when this
//	       process became the holder, 1 on any other error
//	hold:  hold the name, print "held", then "shown" per request, forever
func TestMain(m *testing.M) {
	switch os.Getenv("INSTANCE_HELPER") {
	case "":
		os.Exit(m.Run())
	case "start":
		_, err := Claim(os.Getenv("INSTANCE_DIR"), "w")
		switch {
		case errors.Is(err, ErrRunning):
			os.Exit(0)
		case err == nil:
			os.Exit(3)
		}
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	case "hold":
		in, err := Claim(os.Getenv("INSTANCE_DIR"), "w")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		var mu sync.Mutex
		in.OnShow(func() { mu.Lock(); fmt.Println("shown"); mu.Unlock() })
		fmt.Println("held")
		select {}
	}
}

// helper starts this test binary as a second process in mode.
func helper(t *testing.T, dir, mode string) *exec.Cmd {
	t.Helper()
	c := exec.Command(os.Args[0], "-test.run=^$")
	c.Env = append(os.Environ(), "INSTANCE_HELPER="+mode, "INSTANCE_DIR="+dir)
	c.Stderr = os.Stderr
	return c
}

// claim claims w in dir and closes it when the test ends.
func claim(t *testing.T, dir string) *Instance {
	t.Helper()
	in, err := Claim(dir, "w")
	if err != nil {
		t.Fatalf("first Claim: %v", err)
	}
	t.Cleanup(func() { in.Close() })
	return in
}

// shows counts show requests and signals each on a channel.
type shows struct {
	n  atomic.Int32
	ch chan struct{}
}

func newShows() *shows { return &shows{ch: make(chan struct{}, 100)} }

func (s *shows) show() { s.n.Add(1); s.ch <- struct{}{} }

func (s *shows) wait(t *testing.T) {
	t.Helper()
	select {
	case <-s.ch:
	case <-time.After(10 * time.Second): // a guard against a hang, not a speed check
		t.Fatal("the holder was not asked to come forward")
	}
}

// A second process started while the first holds the name asks it to
// come forward and exits 0; the first shows itself.
func TestSecondStartExitsZero(t *testing.T) {
	dir := t.TempDir()
	s := newShows()
	claim(t, dir).OnShow(s.show)
	c := helper(t, dir, "start")
	if err := c.Run(); err != nil {
		t.Fatalf("second process: %v (exit 3: it became a second holder)", err)
	}
	s.wait(t)
	if n := s.n.Load(); n != 1 {
		t.Errorf("shown %d times, want 1", n)
	}
}

// A request that comes before OnShow is kept, and OnShow runs it once.
func TestRequestBeforeOnShow(t *testing.T) {
	dir := t.TempDir()
	in := claim(t, dir)
	if _, err := Claim(dir, "w"); !errors.Is(err, ErrRunning) {
		t.Fatalf("second Claim: %v, want ErrRunning", err)
	}
	var n int
	in.OnShow(func() { n++ })
	if n != 1 {
		t.Errorf("OnShow ran the early request %d times, want 1", n)
	}
}

// Of many processes (here goroutines, each with its own lock file handle)
// starting at once, exactly one holds the name; every other one was
// answered.
func TestOneOfManyStartsWins(t *testing.T) {
	dir := t.TempDir()
	const n = 8
	var wg sync.WaitGroup
	var held, running atomic.Int32
	var mu sync.Mutex
	var holders []*Instance
	for range n {
		wg.Go(func() {
			in, err := Claim(dir, "w")
			switch {
			case err == nil:
				held.Add(1)
				in.OnShow(func() {})
				mu.Lock()
				holders = append(holders, in)
				mu.Unlock()
			case errors.Is(err, ErrRunning):
				running.Add(1)
			default:
				t.Error(err)
			}
		})
	}
	wg.Wait()
	for _, in := range holders {
		in.Close()
	}
	if held.Load() != 1 || running.Load() != n-1 {
		t.Fatalf("%d holders and %d answered of %d starts, want 1 and %d", held.Load(), running.Load(), n, n-1)
	}
}

// A holder killed with SIGKILL leaves its socket behind; the next start
// finds nobody answering there, takes the name and answers in its turn.
func TestCrashedHolderIsReplaced(t *testing.T) {
	dir := t.TempDir()
	hold := helper(t, dir, "hold")
	out, err := hold.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := hold.Start(); err != nil {
		t.Fatal(err)
	}
	lines := bufio.NewScanner(out)
	if !lines.Scan() || lines.Text() != "held" {
		hold.Process.Kill()
		t.Fatalf("the holder process said %q, want held", lines.Text())
	}
	if _, err := Claim(dir, "w"); !errors.Is(err, ErrRunning) {
		t.Errorf("Claim while the other process holds the name: %v, want ErrRunning", err)
	}
	if !lines.Scan() || lines.Text() != "shown" {
		t.Errorf("the holder process said %q after the request, want shown", lines.Text())
	}
	hold.Process.Kill()
	hold.Wait()
	go io.Copy(io.Discard, out)
	if _, err := os.Stat(filepath.Join(dir, "w.sock")); err != nil {
		t.Fatalf("the killed holder left no socket, so this test checks nothing: %v", err)
	}

	s := newShows()
	claim(t, dir).OnShow(s.show)
	if err := helper(t, dir, "start").Run(); err != nil {
		t.Fatalf("a start after the new holder: %v, want exit 0", err)
	}
	s.wait(t)
}

// A socket nobody listens on, with the lock free (a crash), is replaced.
func TestStaleSocketIsReplaced(t *testing.T) {
	dir := t.TempDir()
	sock := filepath.Join(dir, "w.sock")
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: sock, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	ln.SetUnlinkOnClose(false)
	ln.Close()
	if _, err := net.Dial("unix", sock); err == nil {
		t.Fatal("the stale socket answers: the test checks nothing")
	}
	s := newShows()
	claim(t, dir).OnShow(s.show)
	if _, err := Claim(dir, "w"); !errors.Is(err, ErrRunning) {
		t.Fatalf("Claim after replacing the stale socket: %v, want ErrRunning", err)
	}
	s.wait(t)
}

// A holder that keeps the lock but never answers (hung) is reported, not
// raced: no second holder, an error that says what to do.
func TestHolderThatDoesNotAnswer(t *testing.T) {
	defer func(d time.Duration) { answerWait = d }(answerWait)
	answerWait = 300 * time.Millisecond
	for _, listening := range []bool{false, true} {
		t.Run(fmt.Sprintf("listening %v", listening), func(t *testing.T) {
			dir := t.TempDir()
			lock := flock.New(filepath.Join(dir, "w.lock"))
			if ok, err := lock.TryLock(); !ok || err != nil {
				t.Fatalf("lock: %v %v", ok, err)
			}
			defer lock.Unlock()
			if listening { // accepts, reads, never answers
				ln, err := net.Listen("unix", filepath.Join(dir, "w.sock"))
				if err != nil {
					t.Fatal(err)
				}
				defer ln.Close()
				go func() {
					for {
						c, err := ln.Accept()
						if err != nil {
							return
						}
						defer c.Close()
					}
				}()
			}
			in, err := Claim(dir, "w")
			if err == nil {
				in.Close()
				t.Fatal("Claim took the name from a holder that still holds the lock")
			}
			if errors.Is(err, ErrRunning) || !errors.Is(err, ErrNoAnswer) || !strings.Contains(err.Error(), "quit it") {
				t.Fatalf("Claim: %v, want an error saying the holder does not answer and what to do", err)
			}
		})
	}
}

// Close removes the socket and frees the name for the next start.
func TestCloseReleases(t *testing.T) {
	dir := t.TempDir()
	in, err := Claim(dir, "w")
	if err != nil {
		t.Fatal(err)
	}
	if err := in.Close(); err != nil {
		t.Fatal(err)
	}
	if err := in.Close(); err != nil { // the window closes early, then on return
		t.Errorf("a second Close: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "w.sock")); !os.IsNotExist(err) {
		t.Errorf("socket after Close: %v, want none", err)
	}
	claim(t, dir)
}

// The folder is the user's alone: created 0700, a looser one tightened, a
// symlink refused; the socket is 0600.
func TestDirIsPrivate(t *testing.T) {
	runtime := t.TempDir()
	t.Setenv("XDG_RUNTIME_DIR", runtime)
	if err := os.Mkdir(filepath.Join(runtime, "keyport"), 0o755); err != nil {
		t.Fatal(err)
	}
	dir, err := Dir()
	if err != nil {
		t.Fatal(err)
	}
	if dir != filepath.Join(runtime, "keyport") {
		t.Errorf("Dir = %s, want it under XDG_RUNTIME_DIR", dir)
	}
	if fi, _ := os.Stat(dir); fi.Mode().Perm() != 0o700 {
		t.Errorf("folder mode %v, want 0700", fi.Mode().Perm())
	}
	claim(t, dir)
	if fi, err := os.Stat(filepath.Join(dir, "w.sock")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("socket: %v, mode %v; want 0600", err, fi.Mode().Perm())
	}

	elsewhere := t.TempDir()
	t.Setenv("XDG_RUNTIME_DIR", elsewhere)
	if err := os.Symlink(t.TempDir(), filepath.Join(elsewhere, "keyport")); err != nil {
		t.Fatal(err)
	}
	if _, err := Dir(); err == nil || !strings.Contains(err.Error(), "not a folder of your own") {
		t.Errorf("Dir through a symlink: %v, want it refused", err)
	}

	t.Setenv("XDG_RUNTIME_DIR", "")
	t.Setenv("XDG_CACHE_HOME", filepath.Join(t.TempDir(), "cache"))
	if dir, err := Dir(); err != nil || dir != filepath.Join(os.Getenv("XDG_CACHE_HOME"), "keyport") {
		t.Errorf("Dir without XDG_RUNTIME_DIR = %s, %v; want the user cache folder", dir, err)
	}
}

func TestName(t *testing.T) {
	if got := Name("window", "", ""); got != "window" {
		t.Errorf("default configuration: %q, want window", got)
	}
	a, b := Name("window", "/home/ann/.config/demo", ""), Name("window", "/home/ann/.config/demo", "keyport-demo")
	if a == b || a == "window" || !strings.HasPrefix(a, "window-") {
		t.Errorf("two configurations named %q and %q", a, b)
	}
	if again := Name("window", "/home/ann/.config/demo", ""); again != a {
		t.Errorf("one configuration, two names: %q and %q", a, again)
	}
	if Name("window", "a", "b") == Name("window", "ab", "") {
		t.Error("the parts run together")
	}
}

// A path too long for a Unix socket is refused with what to do.
func TestSocketPathTooLong(t *testing.T) {
	dir := filepath.Join(t.TempDir(), strings.Repeat("d", maxSocketPath))
	if _, err := Claim(dir, "w"); err == nil || !strings.Contains(err.Error(), "XDG_RUNTIME_DIR") {
		t.Errorf("Claim with a long path: %v", err)
	}
}

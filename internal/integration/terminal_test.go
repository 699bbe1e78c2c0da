//go:build linux

package integration

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net/url"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/creack/pty"
	"golang.org/x/sys/unix"

	"github.com/keyport/keyport/internal/authserver"
)

// terminal runs `keyport args...` on a pseudo-terminal, as in a person's
// shell, and collects everything the terminal shows.
type terminal struct {
	t       *testing.T
	tty     *os.File // the terminal's master side: what the person types and sees
	done    chan error
	drained chan struct{} // closed when everything the command wrote has been read

	mu  sync.Mutex
	out bytes.Buffer
}

func (v *env) terminal(ctx context.Context, args ...string) *terminal {
	v.t.Helper()
	c := v.cmd(ctx, args...)
	tty, err := pty.Start(c)
	if err != nil {
		v.t.Fatal(err)
	}
	term := &terminal{t: v.t, tty: tty, done: make(chan error, 1), drained: make(chan struct{})}
	go func() {
		defer close(term.drained) // the read fails (EIO) once the command's side is closed and read out
		r := bufio.NewReader(tty)
		buf := make([]byte, 4096)
		for {
			n, err := r.Read(buf)
			term.mu.Lock()
			term.out.Write(buf[:n])
			term.mu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	go func() { term.done <- c.Wait() }()
	v.t.Cleanup(func() { tty.Close() })
	return term
}

// shown returns what the terminal has shown so far.
func (term *terminal) shown() string {
	term.mu.Lock()
	defer term.mu.Unlock()
	return term.out.String()
}

// waitFor waits until the terminal shows a match of re and returns it.
func (term *terminal) waitFor(re *regexp.Regexp) []string {
	term.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if m := re.FindStringSubmatch(term.shown()); m != nil {
			return m
		}
		time.Sleep(20 * time.Millisecond)
	}
	term.t.Fatalf("the terminal never showed %s; it shows:\n%s", re, term.shown())
	return nil
}

// typeLine types text and Enter.
func (term *terminal) typeLine(text string) {
	term.t.Helper()
	if _, err := io.WriteString(term.tty, text+"\r"); err != nil {
		term.t.Fatal(err)
	}
}

// wait waits for the command to end, and for what it wrote last to be
// read, and returns its error.
func (term *terminal) wait() error {
	term.t.Helper()
	timeout := time.After(30 * time.Second)
	var err error
	select {
	case err = <-term.done:
	case <-timeout:
		term.t.Fatal("the command did not end")
	}
	select {
	case <-term.drained:
	case <-timeout:
		term.t.Fatal("the command's output was not read to its end")
	}
	return err
}

// echoes reports whether the terminal echoes what is typed (the ECHO flag).
func (term *terminal) echoes() bool {
	term.t.Helper()
	st, err := unix.IoctlGetTermios(int(term.tty.Fd()), unix.TCGETS)
	if err != nil {
		term.t.Fatal(err)
	}
	return st.Lflag&unix.ECHO != 0
}

// A redirect URL pasted into `keyport connect` on a terminal holds the
// sign-in code: the terminal must not show it, and must echo again after.
func TestTerminalPasteIsNotEchoed(t *testing.T) {
	v := newEnv(t, authserver.Options{})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	term := v.terminal(ctx, "connect", "local")
	authURL := term.waitFor(regexp.MustCompile(`(http://127\.0\.0\.1:\d+/auth\?\S+)`))[1]
	term.waitFor(regexp.MustCompile(`it is not shown`))
	back, err := v.srv.SignIn(ctx, authURL, "demo", "demo", true)
	if err != nil {
		t.Fatal(err)
	}
	code := back.Query().Get("code")
	term.typeLine(back.String())
	if err := term.wait(); err != nil {
		t.Fatalf("keyport connect: %v\n%s", err, term.shown())
	}
	shown := term.shown()
	if !strings.Contains(shown, "Connected Local demo account Dana Demo") {
		t.Errorf("no success line:\n%s", shown)
	}
	if code == "" || strings.Contains(shown, code) || strings.Contains(shown, url.QueryEscape(code)) {
		t.Errorf("the terminal showed the sign-in code:\n%s", shown)
	}
	if !term.echoes() {
		t.Error("the terminal does not echo any more")
	}
}

// An API key typed into `keyport connect --api-key-stdin` is not shown.
func TestTerminalAPIKeyIsNotEchoed(t *testing.T) {
	v := newEnv(t, authserver.Options{})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	term := v.terminal(ctx, "connect", "outgrow")
	term.waitFor(regexp.MustCompile(`not shown as you type`))
	const key = "og-secret-key-0123456789"
	term.typeLine(key)
	if err := term.wait(); err != nil {
		t.Fatalf("keyport connect: %v\n%s", err, term.shown())
	}
	if shown := term.shown(); strings.Contains(shown, key) || !strings.Contains(shown, "Connected Outgrow API key") {
		t.Errorf("the terminal shows:\n%s", shown)
	}
	if !term.echoes() {
		t.Error("the terminal does not echo any more")
	}
}

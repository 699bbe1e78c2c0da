//go:build unix

package cli

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/keyport/keyport/auth"
)

// The tokens reach the command's environment, its arguments stay as given
// and hold none, and a variable of the same name from keyport's own
// environment is replaced, not doubled.
func TestExecEnvironment(t *testing.T) {
	dir := connected(t)
	t.Setenv(tokenVar, "stale")
	t.Setenv("DEMO", "stale")
	show := `printf '%s|%s|%s|' "$KEYPORT_TOKEN" "$DEMO" "$KEY"; printf '%s,' "$0" "$@"; echo; env | grep -c '^KEYPORT_TOKEN='; env | grep -c '^DEMO='`
	tests := []struct {
		flags []string
		want  string
	}{
		{[]string{"-a", "demo"}, "at-cli|stale||sh,one,two words,\n1\n1\n"},
		{[]string{"-a", "demo/7=DEMO", "-a", "keyed=KEY"}, "stale|at-cli|key-123|sh,one,two words,\n1\n1\n"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.flags, " "), func(t *testing.T) {
			args := append(append([]string{"exec"}, tt.flags...), "--", "sh", "-c", show, "sh", "one", "two words")
			code, out, stderr := run(t, dir, "", args...)
			if code != 0 || out != tt.want {
				t.Errorf("exit %d, stdout %q, stderr %q; want %q", code, out, stderr, tt.want)
			}
		})
	}
}

func TestExecExitStatus(t *testing.T) {
	dir := connected(t)
	tests := []struct {
		script string
		code   int
	}{
		{"exit 0", 0},
		{"exit 7", 7},
		{"kill -KILL $$", 128 + int(syscall.SIGKILL)},
		{"kill -TERM $$", 128 + int(syscall.SIGTERM)},
	}
	for _, tt := range tests {
		t.Run(tt.script, func(t *testing.T) {
			if code, _, stderr := run(t, dir, "", "exec", "-a", "demo", "--", "sh", "-c", tt.script); code != tt.code || stderr != "" {
				t.Errorf("exit %d, stderr %q; want %d and nothing on stderr", code, stderr, tt.code)
			}
		})
	}
	code, _, stderr := run(t, dir, "", "exec", "-a", "demo", "--", "keyport-no-such-command")
	if code != 127 || !strings.Contains(stderr, "start keyport-no-such-command: exec: \"keyport-no-such-command\": executable file not found") {
		t.Errorf("a missing command: exit %d, stderr %q; want 127 and why", code, stderr)
	}
}

// exec refuses, before the command starts, what it cannot give: a token
// valid for --min-valid, an account that is not there, a flag that makes
// no sense.
func TestExecRefuses(t *testing.T) {
	dir := connected(t)
	tests := []struct {
		flags []string
		code  int
		why   string
	}{
		{[]string{"-a", "demo", "--min-valid", "2h"}, 1, "keyport exec: touch did not start: the token cannot be made valid for that long: Demo issues tokens valid for 59m5"},
		{[]string{"-a", "nobody"}, 1, `keyport exec: touch did not start: unknown account "nobody"`},
		{[]string{"-a", "demo=D", "-a", "keyed=K", "--min-valid", "2h"}, 1, "did not start: the token cannot be made valid"},
		{nil, 2, "name an account with -a ACCOUNT (its token goes to KEYPORT_TOKEN)"},
		{[]string{"-a", "demo", "-a", "keyed"}, 2, "with more than one account, name each one's variable"},
		{[]string{"-a", "demo=A", "-a", "keyed=A"}, 2, "A is named by two -a flags"},
		{[]string{"-a", "demo=1X"}, 2, `"1X" after = is not an environment variable name`},
		{[]string{"-a", "=X"}, 2, "no account before ="},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.flags, " "), func(t *testing.T) {
			marker := filepath.Join(t.TempDir(), "started")
			args := append(append([]string{"exec"}, tt.flags...), "--", "touch", marker)
			code, out, stderr := run(t, dir, "", args...)
			if code != tt.code || out != "" || !strings.Contains(stderr, tt.why) {
				t.Errorf("exit %d, stdout %q, stderr %q; want %d and %q", code, out, stderr, tt.code, tt.why)
			}
			if _, err := os.Stat(marker); err == nil {
				t.Error("the command ran")
			}
		})
	}
	if code, _, stderr := run(t, dir, "", "exec", "-a", "demo"); code != 2 || !strings.Contains(stderr, "name the command to run after --") {
		t.Errorf("no command: exit %d, %q", code, stderr)
	}
}

// A signal sent to keyport reaches the command, and keyport exits with
// the command's status: the one the command chose when it handles the
// signal, 128 plus the signal when the signal killed it.
func TestExecForwardsSignals(t *testing.T) {
	dir := connected(t)
	tests := []struct {
		sig    syscall.Signal
		script string
		code   int
		out    string
	}{
		{syscall.SIGTERM, `trap 'echo got TERM; exit 3' TERM`, 3, "ready\ngot TERM\n"},
		{syscall.SIGHUP, `trap 'echo got HUP; exit 4' HUP`, 4, "ready\ngot HUP\n"},
		{syscall.SIGUSR1, `trap 'echo got USR1; exit 5' USR1`, 5, "ready\ngot USR1\n"},
		{syscall.SIGTERM, ``, 128 + int(syscall.SIGTERM), "ready\n"},
	}
	for _, tt := range tests {
		t.Run(tt.sig.String()+" "+tt.script, func(t *testing.T) {
			out := &syncBuffer{}
			var errOut bytes.Buffer
			env := Env{In: strings.NewReader(""), Out: out, Err: &errOut, Engine: func(log *slog.Logger) (*auth.Engine, error) {
				return auth.New(auth.Params{ConfigDir: dir, Keychain: auth.NewSystemKeychain("keyport-cli-test", 5*time.Second), Log: log})
			}}
			// The shell waits in the background so that it runs its trap
			// at once, not after a foreground sleep.
			script := tt.script + "\necho ready\nwhile :; do sleep 0.05 & wait $!; done"
			done := make(chan int, 1)
			go func() {
				done <- Run(context.Background(), env, []string{"exec", "-a", "demo", "--", "sh", "-c", script})
			}()
			for deadline := time.Now().Add(10 * time.Second); !strings.Contains(out.String(), "ready"); time.Sleep(5 * time.Millisecond) {
				if time.Now().After(deadline) {
					t.Fatalf("the command never started: %q %q", out.String(), errOut.String())
				}
			}
			// This test process is keyport here: the signal goes to it.
			if err := syscall.Kill(os.Getpid(), tt.sig); err != nil {
				t.Fatal(err)
			}
			select {
			case code := <-done:
				if code != tt.code || out.String() != tt.out {
					t.Errorf("exit %d, stdout %q, stderr %q; want %d and %q", code, out.String(), errOut.String(), tt.code, tt.out)
				}
			case <-time.After(20 * time.Second):
				t.Fatal("the command did not end after the signal")
			}
		})
	}
}

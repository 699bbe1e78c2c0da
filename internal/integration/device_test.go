package integration

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/keyport/keyport/auth"
	"github.com/keyport/keyport/internal/authserver"
)

// startDevice starts a sign-in with a code on the installation.
func (v *env) startDevice(e *auth.Engine) *auth.DeviceFlow {
	v.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	v.t.Cleanup(cancel)
	if ok, err := e.SupportsDevice(ctx, "local"); err != nil || !ok {
		v.t.Fatalf("the server's metadata offers no device grant: %v", err)
	}
	f, err := e.ConnectDevice(ctx, "local")
	if err != nil {
		v.t.Fatal(err)
	}
	if f.UserCode() == "" || !strings.HasPrefix(f.VerificationURI(), v.srv.Issuer) || !strings.Contains(f.VerificationURIComplete(), "user_code=") {
		v.t.Fatalf("code %q, pages %q and %q", f.UserCode(), f.VerificationURI(), f.VerificationURIComplete())
	}
	return f
}

// A sign-in with a code: the person enters it on the verification page
// (here the test, on the plain page with the code typed in) and allows;
// Keyport polls, checks the ID token and stores the account like a
// browser sign-in.
func TestDeviceSignIn(t *testing.T) {
	v := newEnv(t, authserver.Options{DeviceInterval: time.Second})
	e := v.engine()
	f := v.startDevice(e)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := v.srv.SignInDevice(ctx, f.VerificationURI(), f.UserCode(), "alice", "alice", true); err != nil {
		t.Fatal(err)
	}
	a, err := f.Wait()
	if err != nil {
		t.Fatal(err)
	}
	if a.Name != "Alice Example" || a.Email != "alice@example.test" || !a.HasRefresh {
		t.Errorf("account = %+v", a)
	}
	s, err := v.engine().Token(ctx, a.Key())
	if err != nil {
		t.Fatal(err)
	}
	if code := userinfo(t, v.srv, s.AccessToken); code != 200 {
		t.Errorf("userinfo with the device sign-in's token: HTTP %d", code)
	}
}

// The person declines on the code's confirmation page: "you declined".
func TestDeviceDenied(t *testing.T) {
	v := newEnv(t, authserver.Options{DeviceInterval: time.Second})
	e := v.engine()
	f := v.startDevice(e)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := v.srv.SignInDevice(ctx, f.VerificationURIComplete(), "", "demo", "demo", false); err != nil {
		t.Fatal(err)
	}
	if _, err := f.Wait(); !errors.Is(err, auth.ErrDenied) || !strings.Contains(err.Error(), "you declined access on Local demo") {
		t.Fatalf("err = %v", err)
	}
	if len(e.Accounts()) != 0 || v.items() != 0 {
		t.Error("a declined sign-in left something behind")
	}
}

// Nobody enters the code: the flow ends when the code expires, saying so.
func TestDeviceExpired(t *testing.T) {
	v := newEnv(t, authserver.Options{DeviceInterval: time.Second, DeviceTTL: 3 * time.Second})
	f := v.startDevice(v.engine())
	_, err := f.Wait()
	if !errors.Is(err, auth.ErrTimeout) || !strings.Contains(err.Error(), "the code expired after 3 seconds; press Connect to get a new one") {
		t.Fatalf("err = %v", err)
	}
}

// The server answers the first poll with slow_down: Keyport waits 5 s more
// between polls from then on (RFC 8628 section 3.5), and still connects.
func TestDeviceSlowDown(t *testing.T) {
	v := newEnv(t, authserver.Options{DeviceInterval: time.Second, DeviceSlowDown: 1})
	f := v.startDevice(v.engine())
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	first := v.waitPolls(ctx, 1) // the first poll, answered slow_down
	if err := v.srv.SignInDevice(ctx, f.VerificationURIComplete(), "", "demo", "demo", true); err != nil {
		t.Fatal(err)
	}
	if _, err := f.Wait(); err != nil {
		t.Fatal(err)
	}
	since := time.Since(first)
	st, err := v.srv.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// Polls: the slowed one, then one every 6 s until the one that gets
	// the token. A client ignoring slow_down polls every second.
	if most := 2 + int(since/(6*time.Second)); st.SlowDowns != 1 || st.Grants != 1 || st.DevicePolls < 2 || st.DevicePolls > most {
		t.Errorf("in %v the server saw %d polls, sent %d slow_down and %d times tokens, want 2 to %d, 1 and 1", since, st.DevicePolls, st.SlowDowns, st.Grants, most)
	}
	t.Logf("connected %v after the first poll; %+v", since, st)
}

// waitPolls waits until the server has seen n device polls and returns
// when it saw them, at most 20 s.
func (v *env) waitPolls(ctx context.Context, n int) time.Time {
	v.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		st, err := v.srv.Stats(ctx)
		if err != nil {
			v.t.Fatal(err)
		}
		if st.DevicePolls >= n {
			return time.Now()
		}
		if time.Now().After(deadline) {
			v.t.Fatalf("the server saw %d device polls in 20 s, want %d", st.DevicePolls, n)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Cancel while polling ends the flow at once with ErrCancelled and leaves
// no goroutine behind.
func TestDeviceCancel(t *testing.T) {
	v := newEnv(t, authserver.Options{DeviceInterval: time.Second})
	e := v.engine()
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent(),
		// The engine's HTTP client keeps connections to the server open for
		// the next request; they are the transport's, not the flow's. An
		// idle one's read loop waits in the poller (its top function), so
		// they are matched anywhere in the stack; they go when the server
		// closes them, which on a busy machine can be after goleak stops
		// looking.
		goleak.IgnoreAnyFunction("net/http.(*persistConn).readLoop"),
		goleak.IgnoreAnyFunction("net/http.(*persistConn).writeLoop"))
	f := v.startDevice(e)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	v.waitPolls(ctx, 1) // polling
	f.Cancel()
	if _, err := f.Wait(); !errors.Is(err, auth.ErrCancelled) {
		t.Fatalf("err = %v", err)
	}
	again, err := e.ConnectDevice(context.Background(), "local")
	if err != nil {
		t.Fatalf("a new sign-in after the cancelled one: %v", err)
	}
	again.Cancel()
	again.Wait()
}

// deviceLines reads `keyport connect --device`'s standard error up to the
// line that says it waits, and returns its indented lines (the page, the
// code, the page with the code filled in) and all it read. rest reads
// the remainder of stderr to its end (the command's exit): call it before
// c.Wait, which closes the pipe.
func deviceLines(t *testing.T, c *exec.Cmd) (indented []string, head string, rest func() string) {
	t.Helper()
	stderr, err := c.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(stderr)
	var b strings.Builder
	for sc.Scan() {
		line := sc.Text()
		b.WriteString(line + "\n")
		if strings.HasPrefix(line, "  ") {
			indented = append(indented, strings.TrimSpace(line))
		}
		if strings.Contains(line, "Waiting…") {
			break
		}
	}
	return indented, b.String(), func() string {
		var tail strings.Builder
		for sc.Scan() { // the scanner may hold more than it returned
			tail.WriteString(sc.Text() + "\n")
		}
		return tail.String()
	}
}

// `keyport connect --device` prints the page, the code and the page with
// the code filled in; the person enters the code and Keyport connects.
func TestCLIDevice(t *testing.T) {
	v := newEnv(t, authserver.Options{DeviceInterval: time.Second})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c := v.cmd(ctx, "connect", "local", "--device")
	var out bytes.Buffer
	c.Stdout = &out
	lines, head, rest := deviceLines(t, c)
	if len(lines) != 3 || !strings.HasPrefix(lines[0], v.srv.Issuer) || lines[2] != lines[0]+"?user_code="+lines[1] ||
		!strings.Contains(head, "The code works for 10 min.") {
		t.Fatalf("keyport connect --device printed:\n%s", head)
	}
	if err := v.srv.SignInDevice(ctx, lines[0], lines[1], "alice", "alice", true); err != nil {
		t.Fatal(err)
	}
	tail := rest()
	if err := c.Wait(); err != nil {
		t.Fatalf("keyport connect --device: %v: %s", err, tail)
	}
	if !regexp.MustCompile(`^Connected Local demo account Alice Example <alice@example\.test> \(local/\S+\)\n$`).MatchString(out.String()) {
		t.Errorf("stdout = %q", out.String())
	}
}

// With no display and no $BROWSER (an SSH session), plain `keyport
// connect` signs in with a code by itself and says so; Ctrl-C ends it.
func TestCLIDeviceWithoutBrowser(t *testing.T) {
	v := newEnv(t, authserver.Options{DeviceInterval: time.Second})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c := v.cmd(ctx, "connect", "local")
	c.Env = append(c.Env, "BROWSER=")
	lines, head, rest := deviceLines(t, c)
	if !strings.Contains(head, "No display and no $BROWSER here: signing in to Local demo with a code instead") || len(lines) != 3 {
		t.Fatalf("keyport connect without a browser printed:\n%s", head)
	}
	c.Process.Signal(os.Interrupt)
	tail := rest()
	err := c.Wait()
	if code := c.ProcessState.ExitCode(); code != 1 || !strings.Contains(tail, "cancelled") {
		t.Errorf("after Ctrl-C: exit %d (%v), stderr %q", code, err, tail)
	}
}

// An expired code says so, and how to get a new one.
func TestCLIDeviceExpired(t *testing.T) {
	v := newEnv(t, authserver.Options{DeviceInterval: time.Second, DeviceTTL: 3 * time.Second})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c := v.cmd(ctx, "connect", "local", "--device")
	_, _, rest := deviceLines(t, c)
	tail := rest()
	c.Wait()
	if want := "the code expired after 3 s: run 'keyport connect local --device' for a new one"; c.ProcessState.ExitCode() != 1 || !strings.Contains(tail, want) {
		t.Errorf("exit %d, stderr %q; want %q", c.ProcessState.ExitCode(), tail, want)
	}
}

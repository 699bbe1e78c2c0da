package integration

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"
)

// TestOneWindow starts the real keyport-window twice under an Xvfb of its
// own: the first in the tray (--hidden), then a second start, which exits
// 0 and brings the first one's window forward, so one window shows, the
// first process's. `keyport` with no command does the same. After the
// first is killed (SIGKILL: its socket stays behind), the next start takes
// over and shows its own window.
func TestOneWindow(t *testing.T) {
	if keyportBin == "" {
		t.Skip("KEYPORT_INTEGRATION=1 builds the programs this test runs")
	}
	for _, tool := range []string{"Xvfb", "xdotool"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s is missing (scripts/deps.sh test installs it)", tool)
		}
	}
	if os.Getenv("DBUS_SESSION_BUS_ADDRESS") == "" {
		t.Fatal("no session bus (the tray needs one): run under scripts/with-keyring.sh")
	}
	bin := t.TempDir()
	window := filepath.Join(bin, "keyport-window")
	build := exec.Command("go", "build", "-tags", "migrated_fynedo", "-o", window, "github.com/keyport/keyport/cmd/keyport-window")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build keyport-window: %v\n%s", err, out)
	}
	keyport := filepath.Join(bin, "keyport")
	if data, err := os.ReadFile(keyportBin); err != nil || os.WriteFile(keyport, data, 0o755) != nil {
		t.Fatalf("copy keyport beside the window: %v", err)
	}

	x := &xserver{t: t, display: startXvfb(t)}
	runtimeDir := t.TempDir()
	env := append(os.Environ(), "DISPLAY="+x.display, "WAYLAND_DISPLAY=", "XDG_RUNTIME_DIR="+runtimeDir,
		"KEYPORT_CONFIG_DIR="+t.TempDir(), "KEYPORT_KEYRING_SERVICE=keyport-it-"+rand.Text()[:8],
		"KEYPORT_LOG_DIR="+t.TempDir(), "XDG_CONFIG_HOME="+t.TempDir())
	start := func(name string, args ...string) *exec.Cmd {
		c := exec.Command(name, args...)
		c.Env = env
		c.Stdout, c.Stderr = os.Stderr, os.Stderr
		if err := c.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			if c.ProcessState == nil {
				c.Process.Signal(syscall.SIGTERM)
				done := make(chan struct{})
				go func() { c.Wait(); close(done) }()
				select {
				case <-done:
				case <-time.After(10 * time.Second):
					c.Process.Kill()
					<-done
				}
			}
		})
		return c
	}
	// run starts a second Keyport and returns its exit status; a start
	// that became a second window would not exit, and fails here.
	run := func(name string, args ...string) error {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		c := exec.CommandContext(ctx, name, args...)
		c.Env = env
		var stderr bytes.Buffer
		c.Stderr = &stderr
		err := c.Run()
		if ctx.Err() != nil {
			return fmt.Errorf("still running after 30 s: a second window started (%s)", stderr.String())
		}
		if err == nil && !strings.Contains(stderr.String(), "already running") {
			return fmt.Errorf("exited 0 without saying why: %q", stderr.String())
		}
		return err
	}

	first := start(window, "--hidden")
	waitForTray(t, first.Process.Pid)
	// The tray is installed after the window would have been shown: give
	// a wrongly shown window time to be mapped, then look.
	time.Sleep(2 * time.Second)
	if ws := x.windows(); len(ws) != 0 {
		t.Fatalf("keyport-window --hidden shows %d windows, want none", len(ws))
	}

	if err := run(window); err != nil {
		t.Fatalf("second keyport-window: %v, want exit 0", err)
	}
	x.waitForOne(first.Process.Pid, "after the second start")
	if err := run(keyport); err != nil {
		t.Fatalf("keyport with no command while the window runs: %v, want exit 0", err)
	}
	x.waitForOne(first.Process.Pid, "after keyport")

	first.Process.Kill()
	first.Wait()
	socks, _ := filepath.Glob(filepath.Join(runtimeDir, "keyport", "window-*.sock"))
	if len(socks) != 1 {
		t.Fatalf("after SIGKILL the socket folder holds %v, want the stale socket", socks)
	}
	next := start(window)
	x.waitForOne(next.Process.Pid, "after the first was killed")
	if err := run(window); err != nil {
		t.Fatalf("a start after the stale socket was replaced: %v, want exit 0", err)
	}
}

// startXvfb starts an X server on a free display (-displayfd) and returns
// the display, stopping the server when the test ends.
func startXvfb(t *testing.T) string {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	c := exec.Command("Xvfb", "-displayfd", "3", "-screen", "0", "1280x800x24", "-nolisten", "tcp")
	c.ExtraFiles = []*os.File{w}
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	w.Close()
	t.Cleanup(func() { c.Process.Signal(syscall.SIGTERM); c.Wait() })
	line, err := bufio.NewReader(r).ReadString('\n')
	n, cerr := strconv.Atoi(strings.TrimSpace(line))
	if err != nil || cerr != nil {
		t.Fatalf("Xvfb reported no display: %q, %v", line, err)
	}
	return ":" + strconv.Itoa(n)
}

// waitForTray waits until process pid has put its tray icon on the
// session bus (a StatusNotifierItem name), which ui does once it has
// shown the window or decided not to.
func waitForTray(t *testing.T, pid int) {
	t.Helper()
	conn, err := dbus.ConnectSessionBus()
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	prefix := fmt.Sprintf("org.kde.StatusNotifierItem-%d-", pid)
	deadline := time.Now().Add(30 * time.Second)
	for {
		var names []string
		if err := conn.BusObject().Call("org.freedesktop.DBus.ListNames", 0).Store(&names); err != nil {
			t.Fatal(err)
		}
		for _, n := range names {
			if strings.HasPrefix(n, prefix) {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("keyport-window (pid %d) put no tray icon on the session bus within 30 s", pid)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// xserver asks an X server about Keyport's windows.
type xserver struct {
	t       *testing.T
	display string
}

// windows returns the process ids of the visible windows named Keyport.
func (x *xserver) windows() []int {
	x.t.Helper()
	c := exec.Command("xdotool", "search", "--onlyvisible", "--name", "^Keyport$")
	c.Env = append(os.Environ(), "DISPLAY="+x.display)
	out, err := c.Output()
	var ee *exec.ExitError
	if errors.As(err, &ee) && ee.ExitCode() == 1 { // none found
		return nil
	}
	if err != nil {
		x.t.Fatalf("xdotool search: %v", err)
	}
	var pids []int
	for _, id := range strings.Fields(string(out)) {
		c := exec.Command("xdotool", "getwindowpid", id)
		c.Env = append(os.Environ(), "DISPLAY="+x.display)
		p, err := c.Output()
		pid, cerr := strconv.Atoi(strings.TrimSpace(string(p)))
		if err != nil || cerr != nil {
			x.t.Fatalf("xdotool getwindowpid %s: %v %q", id, err, p)
		}
		pids = append(pids, pid)
	}
	return pids
}

// waitForOne waits until exactly one Keyport window shows, pid's.
func (x *xserver) waitForOne(pid int, when string) {
	x.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		ws := x.windows()
		if len(ws) == 1 && ws[0] == pid {
			return
		}
		if time.Now().After(deadline) {
			x.t.Fatalf("%s: visible Keyport windows of processes %v, want one, of %d", when, ws, pid)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

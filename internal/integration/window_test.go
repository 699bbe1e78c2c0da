package integration

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// install copies the keyport binary into a new directory, with a stand-in
// keyport-window beside it when window is true. The stand-in writes its
// process id and argument count to the file it returns.
func install(t *testing.T, window bool) (dir, report string) {
	t.Helper()
	if keyportBin == "" {
		t.Skip("KEYPORT_INTEGRATION=1 builds the keyport binary these tests run")
	}
	dir = t.TempDir()
	data, err := os.ReadFile(keyportBin)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "keyport"), data, 0o755); err != nil {
		t.Fatal(err)
	}
	report = filepath.Join(t.TempDir(), "window.txt")
	if window {
		script := "#!/bin/sh\necho \"$$ $#\" >" + report + "\n"
		if err := os.WriteFile(filepath.Join(dir, "keyport-window"), []byte(script), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return dir, report
}

// start runs bin with no command on a display, keyport-window not on PATH.
func start(t *testing.T, bin string, env ...string) (pid int, stderr string, err error) {
	t.Helper()
	c := exec.Command(bin)
	c.Env = append(os.Environ(), append([]string{"DISPLAY=:99", "PATH=/usr/bin:/bin"}, env...)...)
	var buf bytes.Buffer
	c.Stderr = &buf
	err = c.Start()
	if err == nil {
		pid = c.Process.Pid
		err = c.Wait()
	}
	return pid, buf.String(), err
}

// `keyport` with no command becomes the window program installed beside
// it: the same process (a launcher holding the PID holds the window), no
// arguments, also when keyport is reached through a symlink elsewhere (as
// from /usr/local/bin).
func TestKeyportOpensWindowProgram(t *testing.T) {
	dir, report := install(t, true)
	link := filepath.Join(t.TempDir(), "keyport")
	if err := os.Symlink(filepath.Join(dir, "keyport"), link); err != nil {
		t.Fatal(err)
	}
	for _, bin := range []string{filepath.Join(dir, "keyport"), link} {
		os.Remove(report)
		pid, stderr, err := start(t, bin)
		if err != nil {
			t.Fatalf("%s: %v: %s", bin, err, stderr)
		}
		got, err := os.ReadFile(report)
		if err != nil {
			t.Fatalf("%s: the window program did not run: %v", bin, err)
		}
		if want := strconv.Itoa(pid) + " 0\n"; string(got) != want {
			t.Errorf("%s: the window program reported %q, want %q (the same process, no arguments)", bin, got, want)
		}
	}
}

// Without the window program, or without a display, keyport says what is
// wrong and what to do, and exits 1.
func TestKeyportNoWindow(t *testing.T) {
	dir, _ := install(t, false)
	_, stderr, err := start(t, filepath.Join(dir, "keyport"))
	if code := exitCode(err); code != 1 {
		t.Errorf("without keyport-window: exit %d, want 1", code)
	}
	for _, want := range []string{"the window program is not installed: no " + filepath.Join(dir, "keyport-window") + " beside this program, and no keyport-window on PATH", "terminal commands work without the window"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("without keyport-window: stderr %q does not say %q", stderr, want)
		}
	}

	dir, report := install(t, true)
	_, stderr, err = start(t, filepath.Join(dir, "keyport"), "DISPLAY=", "WAYLAND_DISPLAY=")
	if code := exitCode(err); code != 1 {
		t.Errorf("without a display: exit %d, want 1", code)
	}
	if !strings.Contains(stderr, "no display to open the window on") || !strings.Contains(stderr, "keyport help") {
		t.Errorf("without a display: stderr %q", stderr)
	}
	if _, err := os.Stat(report); err == nil {
		t.Error("without a display the window program ran anyway")
	}
}

func exitCode(err error) int {
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode()
	}
	if err != nil {
		return -1
	}
	return 0
}

package cli

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
)

// WindowProgram is the name of Keyport's window program, which `keyport`
// with no command starts and which is installed beside it.
const WindowProgram = "keyport-window"

// OpenWindow replaces this process with the window program (Unix) or
// starts it (elsewhere), so the desktop sees one Keyport. It returns an
// exit code only when no window can open: no display, or the window
// program is missing; the message says why and what to do.
func OpenWindow(stderr io.Writer) int {
	if !hasDisplay() {
		fmt.Fprintln(stderr, "keyport: no display to open the window on (DISPLAY and WAYLAND_DISPLAY are unset).\n"+
			"Use the terminal commands instead, e.g. 'keyport connect PROVIDER', 'keyport accounts', 'keyport token ACCOUNT'; 'keyport help' lists them.")
		return 1
	}
	path, err := findWindow()
	if err != nil {
		fmt.Fprintf(stderr, "keyport: %v.\nReinstall Keyport (or run 'make build' in its source); the terminal commands work without the window ('keyport help').\n", err)
		return 1
	}
	if err := execWindow(path); err != nil {
		fmt.Fprintf(stderr, "keyport: start the window program %s: %v\n", path, err)
		return 1
	}
	return 0
}

// findWindow looks for the window program beside this executable first,
// so a build tree or an unpacked package opens its own window, then on
// PATH.
func findWindow() (string, error) {
	name := WindowProgram
	if runtime.GOOS == "windows" {
		name += ".exe"
	}
	var beside string
	if self, err := os.Executable(); err == nil {
		if self, err = filepath.EvalSymlinks(self); err == nil {
			beside = filepath.Join(filepath.Dir(self), name)
			if fi, err := os.Stat(beside); err == nil && !fi.IsDir() {
				return beside, nil
			}
		}
	}
	path, err := exec.LookPath(WindowProgram)
	if err == nil {
		return path, nil
	}
	if beside == "" {
		return "", fmt.Errorf("the window program is not installed: no %s on PATH", WindowProgram)
	}
	if errors.Is(err, exec.ErrNotFound) {
		return "", fmt.Errorf("the window program is not installed: no %s beside this program, and no %s on PATH", beside, WindowProgram)
	}
	return "", fmt.Errorf("the window program is not installed: no %s beside this program, and looking for %s on PATH failed: %w", beside, WindowProgram, err)
}

// hasDisplay reports whether a window can open. Only X11 and Wayland
// desktops can lack one; macOS and Windows always have one.
func hasDisplay() bool {
	if runtime.GOOS == "darwin" || runtime.GOOS == "windows" {
		return true
	}
	return os.Getenv("DISPLAY") != "" || os.Getenv("WAYLAND_DISPLAY") != ""
}

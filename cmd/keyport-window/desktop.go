package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/keyport/keyport/internal/autostart"
	"github.com/keyport/keyport/internal/instance"
	"github.com/keyport/keyport/ui"
)

// hiddenFlag starts the window in the tray, as the login entry does.
const hiddenFlag = "--hidden"

// parseArgs reads the command line: nothing, or --hidden.
func parseArgs(args []string) (hidden, ok bool) {
	switch {
	case len(args) == 0:
		return false, true
	case len(args) == 1 && args[0] == hiddenFlag:
		return true, true
	}
	return false, false
}

// claim makes this process the one window of its configuration (the
// config directory and keychain service the environment names, so a demo
// or a test runs beside the person's own Keyport). It returns nil and
// done when another window answered and came forward, and exits when
// that window hangs; when no socket can be made it warns and returns nil,
// and this window runs on its own.
func claim(stderr io.Writer) (in *instance.Instance, done bool) {
	config := os.Getenv("KEYPORT_CONFIG_DIR")
	if config != "" {
		if abs, err := filepath.Abs(config); err == nil {
			config = abs
		}
	}
	dir, err := instance.Dir()
	if err == nil {
		in, err = instance.Claim(dir, instance.Name("window", config, os.Getenv("KEYPORT_KEYRING_SERVICE")))
	}
	switch {
	case err == nil:
		return in, false
	case errors.Is(err, instance.ErrRunning):
		fmt.Fprintln(stderr, "keyport-window: Keyport is already running; its window was brought forward.")
		return nil, true
	case errors.Is(err, instance.ErrNoAnswer):
		fmt.Fprintf(stderr, "keyport-window: %v\n", err)
		os.Exit(1)
	}
	fmt.Fprintf(stderr, "keyport-window: %v; starting without the check for a running Keyport\n", err)
	return nil, false
}

// loginEntry is the start-at-login entry of this program, or nil when its
// path is unknown.
func loginEntry() autostart.Manager {
	self, err := os.Executable()
	if err == nil {
		self, err = filepath.EvalSymlinks(self)
	}
	if err != nil {
		return nil
	}
	m, err := autostart.New(autostart.Entry{ID: ui.AppID, Name: "Keyport", Exec: self, Args: []string{hiddenFlag},
		Comment: "Keeps the tokens of your connected accounts fresh"})
	if err != nil {
		return nil
	}
	return m
}

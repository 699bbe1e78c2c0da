// Package autostart starts a program when the person logs in: an XDG
// autostart entry on Linux and the BSDs, a LaunchAgent on macOS, a value
// under the per-user Run key on Windows. What each platform gets written is
// a pure function of the Entry (desktopEntry, launchAgent, runCommand), so
// every platform's output is tested on any of them. It imports no Fyne.
package autostart

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"unicode"
)

// Entry is what starts at login.
type Entry struct {
	// ID names the entry: the desktop file (ID.desktop), the LaunchAgent's
	// label and file, the Run key's value. A reverse-DNS id such as
	// "io.keyport.app".
	ID string
	// Name is what the desktop's session settings show, e.g. "Keyport".
	Name string
	// Comment is a sentence about what the program does at login.
	Comment string
	// Exec is the program's absolute path.
	Exec string
	// Args follow the program, e.g. "--hidden".
	Args []string
}

// Manager turns starting at login on and off for the current user. The
// entry on disk (or in the registry) is the only record: nothing else
// remembers whether it is on. Methods are safe for concurrent use as far as
// the file system or registry is; each call is one short write or read.
type Manager interface {
	// Enabled reports whether the entry is installed.
	Enabled() (bool, error)
	// SetEnabled installs the entry (replacing any older one, e.g. one
	// naming a program that has moved) or removes it. Removing an absent
	// entry is not an error.
	SetEnabled(on bool) error
}

// New returns the Manager of this platform for e.
func New(e Entry) (Manager, error) {
	if err := e.check(); err != nil {
		return nil, err
	}
	return newPlatform(e)
}

// check refuses an entry that no platform could write faithfully.
func (e Entry) check() error {
	if e.ID == "" || strings.ContainsAny(e.ID, `/\ `) {
		return fmt.Errorf("autostart: the id %q is not a plain name", e.ID)
	}
	if !filepath.IsAbs(e.Exec) {
		return fmt.Errorf("autostart: the program %q is not an absolute path", e.Exec)
	}
	for _, s := range append([]string{e.Name, e.Comment, e.Exec}, e.Args...) {
		if strings.ContainsFunc(s, unicode.IsControl) {
			return errors.New("autostart: the entry holds a control character or line break")
		}
	}
	return nil
}

// fileManager installs one file: the XDG entry and the LaunchAgent.
type fileManager struct {
	path    string
	content []byte
}

func (m fileManager) Enabled() (bool, error) {
	_, err := os.Lstat(m.path)
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, os.ErrNotExist):
		return false, nil
	}
	return false, fmt.Errorf("look for the login entry %s: %w", m.path, err)
}

func (m fileManager) SetEnabled(on bool) error {
	if !on {
		if err := os.Remove(m.path); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("remove the login entry %s: %w", m.path, err)
		}
		return nil
	}
	dir := filepath.Dir(m.path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("create %s for the login entry: %w", dir, err)
	}
	// Written beside and renamed over, so a login never reads half a file.
	tmp, err := os.CreateTemp(dir, ".keyport-autostart-*")
	if err != nil {
		return fmt.Errorf("write the login entry in %s: %w", dir, err)
	}
	defer os.Remove(tmp.Name())
	_, err = tmp.Write(m.content)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp.Name(), 0o644)
	}
	if err == nil {
		err = os.Rename(tmp.Name(), m.path)
	}
	if err != nil {
		return fmt.Errorf("write the login entry %s: %w", m.path, err)
	}
	return nil
}

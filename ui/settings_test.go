package ui

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"fyne.io/fyne/v2/test"

	"github.com/keyport/keyport/internal/autostart"
)

// The start-at-login check is off by default, and checking it writes the
// real login entry (here the XDG one, in a temporary XDG_CONFIG_HOME) that
// starts the window hidden; unchecking removes it. A new settings screen
// reads the entry back.
func TestSettingsStartAtLogin(t *testing.T) {
	config := t.TempDir()
	t.Setenv("XDG_CONFIG_HOME", config)
	m, err := autostart.New(autostart.Entry{ID: AppID, Name: "Keyport", Exec: "/opt/keyport/keyport-window", Args: []string{"--hidden"}})
	if err != nil {
		t.Fatal(err)
	}
	h := newHarnessWith(t, t.TempDir(), Options{Autostart: m})
	entry := filepath.Join(config, "autostart", AppID+".desktop")

	s := newSettings(h.ui)
	if s.login.Checked || s.login.Disabled() {
		t.Fatalf("start at login: checked %v, disabled %v; want off and offered", s.login.Checked, s.login.Disabled())
	}
	test.Tap(s.login)
	data, err := os.ReadFile(entry)
	if err != nil {
		t.Fatalf("checking the box wrote no entry: %v", err)
	}
	if !strings.Contains(string(data), "Exec=/opt/keyport/keyport-window --hidden\n") {
		t.Errorf("the entry does not start the window hidden:\n%s", data)
	}
	if !newSettings(h.ui).login.Checked {
		t.Error("a new settings screen shows the entry as off")
	}
	test.Tap(s.login)
	if _, err := os.Stat(entry); !os.IsNotExist(err) {
		t.Errorf("unchecking left the entry: %v", err)
	}
}

// failingAutostart cannot write its entry.
type failingAutostart struct{}

func (failingAutostart) Enabled() (bool, error) { return false, nil }
func (failingAutostart) SetEnabled(bool) error {
	return errors.New("write the login entry /x/autostart/io.keyport.app.desktop: permission denied")
}

// A login entry that cannot be written leaves the check as the system has
// it and says why.
func TestSettingsStartAtLoginFails(t *testing.T) {
	h := newHarnessWith(t, t.TempDir(), Options{Autostart: failingAutostart{}})
	s := newSettings(h.ui)
	test.Tap(s.login)
	if s.login.Checked {
		t.Error("the check stayed on though the entry was not written")
	}
	if !s.problem.Visible() || !strings.Contains(s.problem.Text, "permission denied") {
		t.Errorf("problem shown %v: %q", s.problem.Visible(), s.problem.Text)
	}
}

// Without a manager the setting is shown but cannot be changed.
func TestSettingsStartAtLoginUnavailable(t *testing.T) {
	h := newHarness(t, t.TempDir())
	if s := newSettings(h.ui); !s.login.Disabled() {
		t.Error("start at login is offered without a way to do it")
	}
}

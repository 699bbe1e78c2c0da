package autostart

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// The real thing on Linux: checking the box writes an entry where the
// desktop looks for it, desktop-file-validate accepts it, and unchecking
// removes it.
func TestXDGEntryForReal(t *testing.T) {
	validate, err := exec.LookPath("desktop-file-validate")
	if err != nil {
		if os.Getenv("KEYPORT_INTEGRATION") == "1" {
			t.Fatal("desktop-file-validate is missing: run scripts/deps.sh test")
		}
		t.Skip("desktop-file-validate is missing (scripts/deps.sh test installs it)")
	}
	config := t.TempDir()
	t.Setenv("XDG_CONFIG_HOME", config)
	e := plain
	e.Exec = `/home/ann/My Apps/$keyport\100%/keyport-window` // every level of quoting at once
	m, err := xdgManager(e)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(config, "autostart", "io.keyport.app.desktop")
	assertEnabled(t, m, false)
	if err := m.SetEnabled(true); err != nil {
		t.Fatal(err)
	}
	assertEnabled(t, m, true)
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("no entry at %s: %v", path, err)
	}
	if string(got) != string(desktopEntry(e)) {
		t.Errorf("the entry on disk is not desktopEntry's:\n%s", got)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o644 {
		t.Errorf("entry mode %v, want 0644", fi.Mode().Perm())
	}
	if out, err := exec.Command(validate, path).CombinedOutput(); err != nil || len(out) > 0 {
		t.Errorf("desktop-file-validate %s: %v\n%s\n%s", path, err, out, got)
	}
	if err := m.SetEnabled(true); err != nil { // again: replaced, not doubled
		t.Fatal(err)
	}
	if ents, _ := os.ReadDir(filepath.Dir(path)); len(ents) != 1 {
		t.Errorf("the autostart folder holds %d files after two writes, want 1", len(ents))
	}
	if err := m.SetEnabled(false); err != nil {
		t.Fatal(err)
	}
	assertEnabled(t, m, false)
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("the entry is still there after turning it off: %v", err)
	}
	if err := m.SetEnabled(false); err != nil {
		t.Errorf("turning off an absent entry: %v", err)
	}
}

// Without XDG_CONFIG_HOME the entry goes to ~/.config/autostart.
func TestXDGDefaultFolder(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("XDG_CONFIG_HOME", "")
	m, err := xdgManager(plain)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.SetEnabled(true); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(home, ".config", "autostart", "io.keyport.app.desktop")); err != nil {
		t.Errorf("no entry in ~/.config/autostart: %v", err)
	}
}

func assertEnabled(t *testing.T, m Manager, want bool) {
	t.Helper()
	got, err := m.Enabled()
	if err != nil || got != want {
		t.Fatalf("Enabled = %v, %v; want %v", got, err, want)
	}
}

//go:build !windows && !darwin

package autostart

import (
	"path/filepath"
	"testing"
)

// On Linux and the BSDs New is the XDG entry.
func TestNewIsXDG(t *testing.T) {
	config := t.TempDir()
	t.Setenv("XDG_CONFIG_HOME", config)
	m, err := New(plain)
	if err != nil {
		t.Fatal(err)
	}
	if f, ok := m.(fileManager); !ok || f.path != filepath.Join(config, "autostart", "io.keyport.app.desktop") {
		t.Errorf("New = %#v, want the XDG entry", m)
	}
}

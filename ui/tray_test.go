package ui

import (
	"fmt"
	"slices"
	"testing"

	"fyne.io/fyne/v2"

	"github.com/keyport/keyport/auth"
)

// labels lists a menu's item labels ("---" for separators).
func labels(m *fyne.Menu) []string {
	var out []string
	for _, it := range m.Items {
		if it.IsSeparator {
			out = append(out, "---")
			continue
		}
		out = append(out, it.Label)
	}
	return out
}

// TestTrayMenu checks the pure tray menu builder.
func TestTrayMenu(t *testing.T) {
	var copied []string
	var shown, quit int
	actions := trayActions{
		providerName: func(id string) string { return map[string]string{"patreon": "Patreon", "outgrow": "Outgrow"}[id] },
		copyToken:    func(key string) { copied = append(copied, key) },
		show:         func() { shown++ },
		quit:         func() { quit++ },
	}
	t.Run("no accounts", func(t *testing.T) {
		m := trayMenu(nil, actions)
		if got, want := labels(m), []string{"Show Keyport", "Quit"}; !slices.Equal(got, want) {
			t.Errorf("labels = %q, want %q", got, want)
		}
		if !m.Items[1].IsQuit {
			t.Error("Quit is not marked IsQuit: Fyne would add a second one")
		}
	})
	t.Run("accounts", func(t *testing.T) {
		accounts := []auth.Account{
			{Provider: "patreon", ID: "1", Name: "Dana Demo"},
			{Provider: "outgrow", ID: "key-1", Name: "Outgrow API key", APIKey: true},
		}
		m := trayMenu(accounts, actions)
		want := []string{"Dana Demo — Patreon", "Outgrow API key — Outgrow", "---", "Show Keyport", "Quit"}
		if got := labels(m); !slices.Equal(got, want) {
			t.Fatalf("labels = %q, want %q", got, want)
		}
		sub := m.Items[0].ChildMenu.Items[0]
		if sub.Label != "Copy access token" {
			t.Errorf("submenu %q", sub.Label)
		}
		sub.Action()
		m.Items[1].ChildMenu.Items[0].Action()
		if m.Items[1].ChildMenu.Items[0].Label != "Copy API key" || !slices.Equal(copied, []string{"patreon/1", "outgrow/key-1"}) {
			t.Errorf("copied %q", copied)
		}
		m.Items[3].Action()
		m.Items[4].Action()
		if shown != 1 || quit != 1 {
			t.Errorf("show %d, quit %d", shown, quit)
		}
	})
	t.Run("many accounts", func(t *testing.T) {
		var accounts []auth.Account
		for i := range 40 {
			accounts = append(accounts, auth.Account{Provider: "patreon", ID: fmt.Sprint(i), Name: fmt.Sprint("A", i)})
		}
		got := labels(trayMenu(accounts, actions))
		if len(got) != trayAccountLimit+4 || got[trayAccountLimit] != "25 more in the window…" {
			t.Errorf("labels = %q", got)
		}
	})
}

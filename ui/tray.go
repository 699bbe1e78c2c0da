package ui

import (
	"fmt"
	"os"
	"runtime"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"

	"github.com/keyport/keyport/auth"
)

// trayAccountLimit caps how many accounts the tray menu lists; the window
// lists them all.
const trayAccountLimit = 15

// trayActions are what the tray menu's items do.
type trayActions struct {
	providerName func(id string) string // display name of a provider id
	copyToken    func(key string)       // copy an account's access token or API key
	show         func()                 // show the window
	quit         func()                 // stop everything
}

// trayMenu builds the system tray menu: one submenu per connected account
// (up to trayAccountLimit) with "Copy access token", then "Show Keyport"
// and "Quit". It is a pure function of its arguments.
func trayMenu(accounts []auth.Account, actions trayActions) *fyne.Menu {
	var items []*fyne.MenuItem
	for i, a := range accounts {
		if i == trayAccountLimit {
			more := fyne.NewMenuItem(fmt.Sprintf("%d more in the window…", len(accounts)-i), actions.show)
			items = append(items, more)
			break
		}
		key, what := a.Key(), "Copy access token"
		if a.APIKey {
			what = "Copy API key"
		}
		item := fyne.NewMenuItem(accountTitle(a)+" — "+actions.providerName(a.Provider), nil)
		item.ChildMenu = fyne.NewMenu("", fyne.NewMenuItem(what, func() { actions.copyToken(key) }))
		items = append(items, item)
	}
	if len(items) > 0 {
		items = append(items, fyne.NewMenuItemSeparator())
	}
	quit := fyne.NewMenuItem("Quit", actions.quit)
	quit.IsQuit = true
	items = append(items, fyne.NewMenuItem("Show Keyport", actions.show), quit)
	return fyne.NewMenu("Keyport", items...)
}

// accountTitle is the name an account goes by: its display name, else its
// email, else its id.
func accountTitle(a auth.Account) string {
	switch {
	case a.Name != "":
		return a.Name
	case a.Email != "":
		return a.Email
	}
	return a.ID
}

// tray keeps the system tray menu in step with the account list.
type tray struct {
	desk    desktop.App
	actions trayActions
	last    string // the labels of the menu last set, to skip no-op updates
}

// trayAvailable guesses whether a can show a tray icon: it must be a
// desktop.App (the test app and mobile are not), and on Linux and the BSDs
// the tray is a D-Bus service (StatusNotifierItem), so without a session
// bus there is none and a hidden window could not be brought back.
func trayAvailable(a fyne.App) bool {
	if _, ok := a.(desktop.App); !ok {
		return false
	}
	switch runtime.GOOS {
	case "linux", "freebsd", "openbsd", "netbsd":
		return os.Getenv("DBUS_SESSION_BUS_ADDRESS") != ""
	}
	return true
}

// newTray installs the tray icon of a, or returns nil when a has no tray.
func newTray(a fyne.App, w fyne.Window, actions trayActions) *tray {
	desk, ok := a.(desktop.App)
	if !ok || !trayAvailable(a) {
		return nil
	}
	desk.SetSystemTrayIcon(appIcon)
	desk.SetSystemTrayWindow(w)
	return &tray{desk: desk, actions: actions}
}

// onAccounts rebuilds the menu when the accounts it lists have changed.
func (t *tray) onAccounts(accounts []auth.Account) {
	if t == nil {
		return
	}
	m := trayMenu(accounts, t.actions)
	sig := fmt.Sprint(len(accounts))
	for _, it := range m.Items {
		sig += "\x00" + it.Label
	}
	if sig == t.last {
		return
	}
	t.last = sig
	t.desk.SetSystemTrayMenu(m)
}

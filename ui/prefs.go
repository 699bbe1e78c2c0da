package ui

import (
	"time"

	"fyne.io/fyne/v2"
)

// Preference keys. Only these names are used with fyne.Preferences; secrets
// never go there (it is a plain file).
const (
	keyClipboardClear = "clipboard.clear_seconds"
	keyKeepInTray     = "tray.keep_running"
	keyProxyOn        = "proxy.enabled"
)

// defaultClipboardClear is how long a copied secret stays on the clipboard
// unless the person chose otherwise.
const defaultClipboardClear = 30 * time.Second

// clipboardChoices are the delays the settings screen offers.
var clipboardChoices = []time.Duration{10 * time.Second, 30 * time.Second, time.Minute, 2 * time.Minute, 5 * time.Minute}

// settings is the typed view of the app's preferences: named keys with
// defaults, so no call site spells a key. It is used on the UI goroutine.
type settings struct {
	p fyne.Preferences
	// trayDefault is the default of KeepInTray: on when the app can show a
	// system tray icon.
	trayDefault bool
}

// ClipboardClear returns how long a copied secret stays on the clipboard.
func (s settings) ClipboardClear() time.Duration {
	secs := s.p.IntWithFallback(keyClipboardClear, int(defaultClipboardClear/time.Second))
	if secs <= 0 {
		return defaultClipboardClear
	}
	return time.Duration(secs) * time.Second
}

// SetClipboardClear stores the clipboard clear delay, in whole seconds.
func (s settings) SetClipboardClear(d time.Duration) {
	s.p.SetInt(keyClipboardClear, int(d/time.Second))
}

// KeepInTray reports whether closing the window hides it and keeps the
// refresher running in the system tray.
func (s settings) KeepInTray() bool {
	return s.trayDefault && s.p.BoolWithFallback(keyKeepInTray, true)
}

// SetKeepInTray stores whether closing the window keeps Keyport running.
func (s settings) SetKeepInTray(on bool) { s.p.SetBool(keyKeepInTray, on) }

// ProxyOn reports whether the window runs the local API proxy; off unless
// the person switched it on.
func (s settings) ProxyOn() bool { return s.p.BoolWithFallback(keyProxyOn, false) }

// SetProxyOn stores whether the window runs the local API proxy.
func (s settings) SetProxyOn(on bool) { s.p.SetBool(keyProxyOn, on) }

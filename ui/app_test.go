package ui

import (
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"
)

// TestCloseWithoutTray checks that closing the window quits when there is
// no tray (the test app has none): work is cancelled and a copied secret
// leaves the clipboard.
func TestCloseWithoutTray(t *testing.T) {
	h := newHarness(t, t.TempDir())
	if h.ui.prefs.KeepInTray() {
		t.Fatal("KeepInTray is on without a tray")
	}
	a := h.connectAPIKey("ok-key-0123456789")
	h.ui.copyToken(a.Key())
	h.waitFor("the copy", func() bool { return h.app.Clipboard().Content() == "ok-key-0123456789" })
	h.ui.onClose()
	if h.ui.ctx.Err() == nil || h.app.Clipboard().Content() != "" {
		t.Errorf("after closing: context %v, clipboard %q", h.ui.ctx.Err(), h.app.Clipboard().Content())
	}
}

// TestSettings checks the typed preferences and the settings screen.
func TestSettings(t *testing.T) {
	h := newHarness(t, t.TempDir())
	s := settings{p: h.app.Preferences(), trayDefault: true}
	if s.ClipboardClear() != 30*time.Second || !s.KeepInTray() {
		t.Errorf("defaults: %v, %v", s.ClipboardClear(), s.KeepInTray())
	}
	s.SetKeepInTray(false)
	if s.KeepInTray() {
		t.Error("KeepInTray did not persist")
	}
	scr := newSettings(h.ui)
	if scr.delay.Selected != "30 s" || !scr.tray.Disabled() {
		t.Errorf("screen shows %q, tray check enabled %v", scr.delay.Selected, !scr.tray.Disabled())
	}
	scr.delay.SetSelected("2 min")
	if got := h.ui.prefs.ClipboardClear(); got != 2*time.Minute {
		t.Errorf("delay after choosing 2 min = %v", got)
	}
}

// TestShowStartError checks the start-up error window.
func TestShowStartError(t *testing.T) {
	a := test.NewTempApp(t)
	ShowStartError(a, errors.New("read providers file: line 3 is broken"))
	var found bool
	for _, w := range a.Driver().AllWindows() {
		if w.Title() == "Keyport could not start" {
			t.Cleanup(w.Close)
			for _, o := range test.LaidOutObjects(w.Content()) {
				if l, ok := o.(*widget.Label); ok && l.Text == "Read providers file: line 3 is broken." && l.Selectable {
					found = true
				}
			}
		}
	}
	if !found {
		t.Error("no window shows the error as selectable text")
	}
}

// TestForegroundReloadsCoalesce checks that a burst of focus events makes
// at most one Reload beside the one running, not one each.
func TestForegroundReloadsCoalesce(t *testing.T) {
	h := newHarness(t, t.TempDir())
	release := make(chan struct{})
	var calls atomic.Int32
	h.ui.reload = func() error {
		if calls.Add(1) == 1 {
			<-release
		}
		return nil
	}
	h.ui.onForeground()
	deadline := time.Now().Add(10 * time.Second)
	for calls.Load() == 0 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	for range 50 {
		h.ui.onForeground()
	}
	close(release)
	for calls.Load() < 2 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	time.Sleep(50 * time.Millisecond)
	if n := calls.Load(); n != 2 {
		t.Errorf("%d Reloads for 51 focus events during one, want 2", n)
	}
}

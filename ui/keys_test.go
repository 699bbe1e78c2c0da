package ui

import (
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"
)

// key sends a key as the driver does: to the focused widget, else to the
// window's handler.
func key(w fyne.Window, name fyne.KeyName) {
	ev := &fyne.KeyEvent{Name: name}
	if f := w.Canvas().Focused(); f != nil {
		f.TypedKey(ev)
		return
	}
	if h := w.Canvas().OnTypedKey(); h != nil {
		h(ev)
	}
}

// dialogShown reports whether a dialog is on w.
func dialogShown(w fyne.Window) bool { return w.Canvas().Overlays().Top() != nil }

// Escape closes the set-up form, from the window or from inside a field
// it is typing in, and the window's own key handler comes back.
func TestEscapeClosesForm(t *testing.T) {
	for _, focused := range []bool{false, true} {
		h := newHarness(t, t.TempDir())
		var before []fyne.KeyName
		h.ui.win.Canvas().SetOnTypedKey(func(k *fyne.KeyEvent) { before = append(before, k.Name) })
		p, _ := h.engine.Provider("patreon")
		f := newSetup(h.ui, p)
		f.dialog.Show()
		if focused {
			h.ui.win.Canvas().Focus(f.clientID)
			test.Type(f.clientID, "half-typed")
		}
		key(h.ui.win, fyne.KeyEscape)
		if dialogShown(h.ui.win) {
			t.Fatalf("focused %v: Escape left the form open", focused)
		}
		if c := h.engine.Client("patreon"); c.ClientID != "" {
			t.Errorf("focused %v: Escape saved %+v", focused, c)
		}
		h.ui.win.Canvas().Unfocus()
		key(h.ui.win, fyne.KeyF2)
		if len(before) != 1 || before[0] != fyne.KeyF2 {
			t.Errorf("focused %v: after the form closed the window's handler got %v, want [F2]", focused, before)
		}
	}
}

// Enter in a field submits the form: the API key is checked, stored and
// the form closes.
func TestEnterSubmitsForm(t *testing.T) {
	h := newHarness(t, t.TempDir())
	p, _ := h.engine.Provider("outgrow")
	f := newAPIKeyForm(h.ui, p)
	f.dialog.Show()
	h.ui.win.Canvas().Focus(f.key)
	test.Type(f.key, "ok-key-0123456789")
	key(h.ui.win, fyne.KeyReturn)
	if !f.connect.Disabled() {
		t.Fatal("Enter did not submit the form")
	}
	h.waitFor("the account", func() bool { return h.row("Outgrow API key") != nil })
	if dialogShown(h.ui.win) {
		t.Error("the form is still open after Enter connected the account")
	}
}

// Enter presses a form's button only while it is enabled: not again while
// the form's work is under way.
func TestPressSkipsDisabled(t *testing.T) {
	n := 0
	b := widget.NewButton("Save", func() { n++ })
	b.Disable()
	press(b)()
	if n != 0 {
		t.Fatal("Enter pressed a disabled button")
	}
	b.Enable()
	press(b)()
	if n != 1 {
		t.Fatalf("Enter pressed an enabled button %d times, want 1", n)
	}
}

// In a confirmation Enter confirms and Escape cancels.
func TestConfirmationKeys(t *testing.T) {
	h := newHarness(t, t.TempDir())
	a, v := h.openAPIKeyAccount()

	test.Tap(v.disconnect)
	key(v.win, fyne.KeyEscape)
	h.pump()
	if dialogShown(v.win) {
		t.Fatal("Escape left the confirmation open")
	}
	if _, ok := h.engine.Account(a.Key()); !ok {
		t.Fatal("Escape disconnected the account")
	}
	test.Tap(v.disconnect)
	key(v.win, fyne.KeyReturn)
	h.waitFor("the account to go", func() bool { return h.row("Outgrow API key") == nil })
}

// Settings has nothing to submit: Enter and Escape both close it.
func TestSettingsKeys(t *testing.T) {
	for _, k := range []fyne.KeyName{fyne.KeyEscape, fyne.KeyReturn} {
		h := newHarness(t, t.TempDir())
		newSettings(h.ui).dialog.Show()
		key(h.ui.win, k)
		if dialogShown(h.ui.win) {
			t.Errorf("%s left the settings open", k)
		}
	}
}

package ui

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"
)

// factValue returns the value of a label pair in an account view.
func factValue(v *accountView, name string) string {
	objs := v.facts.Objects
	for i := 0; i+1 < len(objs); i += 2 {
		if objs[i].(*widget.Label).Text == name {
			return objs[i+1].(*widget.Label).Text
		}
	}
	return ""
}

// TestCopyClearsClipboard checks the clipboard life of a copied secret:
// copied with a notification, cleared when the timer fires, left alone
// when the person copied something else meanwhile, cleared on quit.
func TestCopyClearsClipboard(t *testing.T) {
	h := newHarness(t, t.TempDir())
	a := h.connectAPIKey("ok-key-0123456789")
	clip := h.app.Clipboard()

	test.AssertNotificationSent(t, fyne.NewNotification("API key copied", "Copied — clears in 30 s"), func() {
		h.ui.copyToken(a.Key())
		h.waitFor("the key on the clipboard", func() bool { return clip.Content() == "ok-key-0123456789" })
	})
	first := h.lastTimer()
	if first.d != 30*time.Second {
		t.Errorf("clear delay %v, want the default 30 s", first.d)
	}
	first.f()
	h.waitFor("the clipboard to clear", func() bool { return clip.Content() == "" })

	h.ui.copyToken(a.Key())
	h.waitFor("the second copy", func() bool { return clip.Content() == "ok-key-0123456789" && h.lastTimer() != first })
	clip.SetContent("something the person copied")
	h.lastTimer().f()
	h.pump()
	if got := clip.Content(); got != "something the person copied" {
		t.Errorf("the timer replaced the person's clipboard: %q", got)
	}

	h.ui.prefs.SetClipboardClear(10 * time.Second)
	h.ui.copyToken(a.Key())
	h.waitFor("the third copy", func() bool { return clip.Content() == "ok-key-0123456789" })
	if d := h.lastTimer().d; d != 10*time.Second {
		t.Errorf("clear delay %v after changing the setting, want 10 s", d)
	}
	h.ui.stop() // quitting before the timer fires clears it too
	if got := clip.Content(); got != "" {
		t.Errorf("clipboard after quit = %q, want empty", got)
	}
}

// TestAccountViewReveal checks that tokens stay hidden until Reveal, which
// reads the keychain, and that Hide masks them with auth.Mask.
func TestAccountViewReveal(t *testing.T) {
	h := newHarness(t, t.TempDir())
	a := h.connectAPIKey("ok-key-0123456789")
	h.waitFor("the account", func() bool { return h.row("Outgrow API key") != nil })
	h.ui.openAccount(a.Key())
	v := h.ui.views[a.Key()]
	if v.access.Text != hiddenToken {
		t.Fatalf("token shown before Reveal: %q", v.access.Text)
	}
	test.Tap(v.reveal)
	h.waitFor("the revealed key", func() bool { return v.access.Text == "ok-key-0123456789" })
	test.Tap(v.reveal)
	if v.access.Text != "ok-k••••••••••••" {
		t.Errorf("masked key %q", v.access.Text)
	}
}

// TestDisconnectAsksFirst checks that Disconnect confirms: cancelling keeps
// the account, confirming removes it.
func TestDisconnectAsksFirst(t *testing.T) {
	h := newHarness(t, t.TempDir())
	a := h.connectAPIKey("ok-key-0123456789")
	h.waitFor("the account", func() bool { return h.row("Outgrow API key") != nil })
	h.ui.openAccount(a.Key())
	v := h.ui.views[a.Key()]

	test.Tap(v.disconnect)
	if v.confirm == nil || v.win.Canvas().Overlays().Top() == nil {
		t.Fatal("Disconnect did not ask first")
	}
	v.confirm.Dismiss()
	h.pump()
	if _, ok := h.engine.Account(a.Key()); !ok || h.row("Outgrow API key") == nil {
		t.Fatal("cancelling the confirmation removed the account")
	}

	test.Tap(v.disconnect)
	v.confirm.Confirm()
	h.waitFor("the account to go", func() bool { return h.row("Outgrow API key") == nil })
	if _, ok := h.engine.Account(a.Key()); ok {
		t.Error("the engine still has the account")
	}
	if !strings.HasPrefix(h.ui.info.Text, "Disconnected Outgrow API key") {
		t.Errorf("message %q", h.ui.info.Text)
	}
}

// TestFlatten checks the profile fields drawn as label pairs.
func TestFlatten(t *testing.T) {
	doc := map[string]any{"data": map[string]any{"id": "7", "attributes": map[string]any{"email": "a@b", "vip": true}},
		"emails": []any{"x@y"}, "nothing": nil}
	want := [][2]string{{"data.attributes.email", "a@b"}, {"data.attributes.vip", "true"}, {"data.id", "7"},
		{"emails[0]", "x@y"}, {"nothing", "null"}}
	if got := flatten(doc); !reflect.DeepEqual(got, want) {
		t.Errorf("flatten = %v, want %v", got, want)
	}
}

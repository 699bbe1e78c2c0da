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
// reads the keychain; that a revealed token is masked again after the
// clipboard's delay, and by Hide, with auth.Mask; and that the token is
// never selectable text (copying goes through Copy's clearing clipboard).
func TestAccountViewReveal(t *testing.T) {
	h := newHarness(t, t.TempDir())
	_, v := h.openAPIKeyAccount()
	if v.access.label.Text != hiddenToken {
		t.Fatalf("token shown before Reveal: %q", v.access.label.Text)
	}
	test.Tap(v.access.reveal)
	h.waitFor("the revealed key", func() bool { return v.access.label.Text == "ok-key-0123456789" })
	if v.access.label.Selectable {
		t.Error("the revealed token is selectable")
	}
	timer := h.lastTimer()
	if timer.d != 30*time.Second {
		t.Errorf("re-mask after %v, want the clipboard delay 30 s", timer.d)
	}
	timer.f()
	h.pump()
	if v.access.label.Text != "ok-k••••••••••••" || v.access.reveal.Text != "Reveal" {
		t.Errorf("after the delay: %q, button %q", v.access.label.Text, v.access.reveal.Text)
	}

	test.Tap(v.access.reveal)
	h.waitFor("the revealed key again", func() bool { return v.access.label.Text == "ok-key-0123456789" })
	timer = h.lastTimer()
	test.Tap(v.access.reveal) // Hide
	if v.access.label.Text != "ok-k••••••••••••" || !timer.stopped.Load() {
		t.Errorf("after Hide: %q, timer stopped %v", v.access.label.Text, timer.stopped.Load())
	}
}

// TestRevealRefreshTokenAsksFirst checks that revealing a refresh token
// asks the same confirmation as copying it, and that it is masked again
// after the clipboard's delay.
func TestRevealRefreshTokenAsksFirst(t *testing.T) {
	h, srv := newLocalHarness(t)
	test.Tap(h.providerRow("local").primary)
	h.waitFor("the flow to start", func() bool { return h.providerRow("local").flow != nil })
	signIn(t, srv, h.providerRow("local").flow.URL(), true)
	h.waitFor("Dana Demo in the list", func() bool { return h.row("Dana Demo") != nil })
	a := h.ui.accounts.accounts[0]
	h.ui.openAccount(a.Key())
	v := h.ui.views[a.Key()]
	calls := h.keys.calls.Load()

	test.Tap(v.refresh.reveal)
	if v.confirm == nil || v.win.Canvas().Overlays().Top() == nil || !strings.Contains(v.refreshWarning(), "new access tokens") {
		t.Fatal("Reveal of the refresh token did not ask first")
	}
	v.confirm.Dismiss()
	h.pump()
	if v.refresh.label.Text != hiddenToken || h.keys.calls.Load() != calls {
		t.Fatalf("cancelled: the label shows %q, %d keychain calls", v.refresh.label.Text, h.keys.calls.Load()-calls)
	}

	test.Tap(v.refresh.reveal)
	v.confirm.Confirm()
	h.waitFor("the revealed refresh token", func() bool { return v.refresh.label.Text != hiddenToken && v.refresh.shown })
	if strings.Contains(v.refresh.label.Text, "•") || v.refresh.label.Selectable {
		t.Errorf("revealed refresh token %q, selectable %v", v.refresh.label.Text, v.refresh.label.Selectable)
	}
	if v.access.label.Text != hiddenToken {
		t.Errorf("revealing the refresh token showed the access token: %q", v.access.label.Text)
	}
	h.lastTimer().f()
	h.pump()
	if !strings.Contains(v.refresh.label.Text, "•") || v.refresh.reveal.Text != "Reveal…" {
		t.Errorf("after the delay: %q, button %q", v.refresh.label.Text, v.refresh.reveal.Text)
	}
}

// TestDisconnectAsksFirst checks that Disconnect confirms: cancelling keeps
// the account, confirming removes it.
func TestDisconnectAsksFirst(t *testing.T) {
	h := newHarness(t, t.TempDir())
	a, v := h.openAPIKeyAccount()

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

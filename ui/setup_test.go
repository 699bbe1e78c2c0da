package ui

import (
	"context"
	"testing"

	"fyne.io/fyne/v2/test"
)

// TestSetUp fills the OAuth client form of Patreon, which needs a fixed
// port and a client secret: the redirect URI follows the port, a bad port
// is refused, and saving turns the row's Set up into Connect with the
// secret in the keychain, not in the preferences.
func TestSetUp(t *testing.T) {
	h := newHarness(t, t.TempDir())
	if got := h.providerRow("patreon").primary.Text; got != "Set up" {
		t.Fatalf("Patreon row offers %q, want Set up", got)
	}
	p, _ := h.engine.Provider("patreon")
	f := newSetup(h.ui, p)
	f.dialog.Show()
	if f.uri.Text != "http://127.0.0.1/callback/patreon" {
		t.Errorf("redirect URI without a port = %q", f.uri.Text)
	}
	test.Type(f.clientID, "my-client")
	test.Type(f.secret, "s3cret")
	f.port.SetText("80x")
	test.Tap(f.save)
	if !f.problem.Visible() {
		t.Error("a bad port was accepted")
	}
	f.port.SetText("53682")
	if f.uri.Text != "http://127.0.0.1:53682/callback/patreon" {
		t.Errorf("redirect URI = %q, want the port in it", f.uri.Text)
	}
	test.Tap(f.save)
	h.waitFor("the row to offer Connect", func() bool { return h.providerRow("patreon").primary.Text == "Connect" })
	if c := h.engine.Client("patreon"); c.ClientID != "my-client" || c.RedirectPort != 53682 || !c.HasSecret {
		t.Errorf("client settings %+v", c)
	}
	if got, err := h.keys.Get(context.Background(), "client:patreon"); err != nil || string(got) != "s3cret" {
		t.Errorf("keychain client secret = %q, %v", got, err)
	}
	if h.app.Preferences().String("client:patreon") != "" {
		t.Error("the secret went to the preferences")
	}
}

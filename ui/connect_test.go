package ui

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"

	"github.com/keyport/keyport/auth"
	"github.com/keyport/keyport/internal/authserver"
)

// newLocalHarness starts the local authorization server and a window whose
// catalogue has it as provider "local" ("Local demo").
func newLocalHarness(t *testing.T) (*harness, *authserver.Server) {
	t.Helper()
	return newLocalHarnessWith(t, authserver.Options{})
}

// newLocalHarnessWith is newLocalHarness with the server's options, and a
// second provider "plain" on the same server, named by its endpoints
// without the device grant's.
func newLocalHarnessWith(t *testing.T, o authserver.Options) (*harness, *authserver.Server) {
	t.Helper()
	o.RedirectPaths = []string{"/callback/local", "/callback/plain"}
	srv := authserver.Start(t, o)
	dir := t.TempDir()
	writeJSON(t, dir, "providers.json", map[string]any{"providers": []map[string]any{
		{"id": "local", "name": "Local demo", "issuer": srv.Issuer, "client_id": srv.ClientID},
		{"id": "plain", "name": "Plain", "client_id": srv.ClientID, "authorize_url": srv.Metadata.AuthorizationEndpoint,
			"token_url": srv.Metadata.TokenEndpoint, "scopes": []string{"openid"}},
	}})
	return newHarness(t, dir), srv
}

// signIn plays the browser: signs in as demo, allows or denies, and
// follows the redirect to the app's loopback server.
func signIn(t *testing.T, srv *authserver.Server, authorizeURL string, allow bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	redirect, err := srv.SignIn(ctx, authorizeURL, "demo", "demo", allow)
	if err != nil {
		t.Fatalf("SignIn: %v", err)
	}
	resp, err := http.Get(redirect.String())
	if err != nil {
		t.Fatalf("GET redirect: %v", err)
	}
	resp.Body.Close()
}

// TestConnect drives the Connect button against a real authorization
// server: waiting state, Cancel, a successful sign-in and a denied one.
func TestConnect(t *testing.T) {
	h, srv := newLocalHarness(t)
	row := func() *providerRow { return h.providerRow("local") }
	if row().primary.Text != "Connect" {
		t.Fatalf("the Local demo row should offer Connect")
	}

	// Waiting state, then Cancel.
	test.Tap(row().primary)
	if !row().waitBox.Visible() || row().waiting.Text != "Waiting for you in the browser…" || !row().primary.Disabled() {
		t.Fatal("Connect should show the waiting state with Cancel and Copy link")
	}
	h.waitFor("the flow to start", func() bool { return row().flow != nil && !row().copyLink.Disabled() })
	test.Tap(row().copyLink)
	if got := h.app.Clipboard().Content(); got != row().flow.URL() || !strings.HasPrefix(got, srv.Issuer) {
		t.Errorf("Copy link put %q on the clipboard, want the flow URL", got)
	}
	test.Tap(row().cancel)
	h.waitFor("the row to return after Cancel", func() bool { return row().stop == nil && row().primary.Text == "Connect" })
	if n := len(h.ui.accounts.accounts); n != 0 || h.ui.infoBar.Visible() {
		t.Errorf("after Cancel: %d accounts, message %q; want none", n, h.ui.info.Text)
	}

	// A successful sign-in adds Dana Demo with a live status.
	test.Tap(row().primary)
	h.waitFor("the flow to start", func() bool { return row().flow != nil })
	signIn(t, srv, row().flow.URL(), true)
	h.waitFor("Dana Demo in the list", func() bool {
		r := h.row("Dana Demo")
		return r != nil && strings.HasPrefix(r.status.Text, "valid · expires in ")
	})
	// The list learns of the account from the engine's subscription, which
	// can come before the row's own goroutine has the flow's outcome: wait
	// for that outcome, not for the list.
	h.waitFor("the row to leave the waiting state", func() bool { return row().stop == nil })
	if !strings.Contains(h.ui.info.Text, "Connected Dana Demo") {
		t.Errorf("after connecting: message %q", h.ui.info.Text)
	}
	if r := h.row("Dana Demo"); !strings.Contains(r.detail.Text, "demo@example.test") || !strings.Contains(r.detail.Text, "Local demo") {
		t.Errorf("row detail %q, want the email and the provider", r.detail.Text)
	}

	// A denied sign-in says so and changes nothing.
	test.Tap(row().primary)
	h.waitFor("the flow to start", func() bool { return row().flow != nil })
	signIn(t, srv, row().flow.URL(), false)
	h.waitFor("the denial message", func() bool { return row().stop == nil && h.ui.infoBar.Visible() })
	if !strings.Contains(h.ui.info.Text, "declined access on Local demo") || !startsUpper(h.ui.info.Text) {
		t.Errorf("message %q, want the engine's denial, capitalised", h.ui.info.Text)
	}
	if n := len(h.ui.accounts.accounts); n != 1 {
		t.Errorf("%d accounts after a denial, want 1", n)
	}
}

// startsUpper reports whether s starts with a capital letter.
func startsUpper(s string) bool { return s != "" && strings.ToUpper(s[:1]) == s[:1] }

// connectDirect connects demo through the engine, without the window.
func connectDirect(t *testing.T, h *harness, srv *authserver.Server) auth.Account {
	t.Helper()
	f, err := h.engine.Connect(context.Background(), "local")
	if err != nil {
		t.Fatalf("Connect: %v", err)
	}
	signIn(t, srv, f.URL(), true)
	a, err := f.Wait()
	if err != nil {
		t.Fatalf("Wait: %v", err)
	}
	return a
}

// TestStatusFollowsEngine checks that the list and the account view follow
// what the engine publishes: a new account, a refresh, a revoked grant
// (reconnect needed, with one notification) and a removal.
func TestStatusFollowsEngine(t *testing.T) {
	h, srv := newLocalHarness(t)
	a := connectDirect(t, h, srv)
	h.waitFor("the account to appear", func() bool { return h.row("Dana Demo") != nil })
	if h.ui.accounts.empty.Visible() {
		t.Error("the empty state is still shown")
	}

	h.ui.openAccount(a.Key())
	v := h.ui.views[a.Key()]
	if got := factValue(v, "Last refresh"); got != "never" {
		t.Errorf("Last refresh before refreshing = %q", got)
	}
	if err := h.engine.Refresh(context.Background(), a.Key()); err != nil {
		t.Fatalf("Refresh: %v", err)
	}
	h.waitFor("the view to show the refresh", func() bool { return strings.HasSuffix(factValue(v, "Last refresh"), "ago)") })

	// Revoke the grant at the server; the next refresh needs a reconnect.
	s, err := h.engine.Token(context.Background(), a.Key())
	if err != nil {
		t.Fatal(err)
	}
	revoke(t, srv, s.RefreshToken)
	want := fyne.NewNotification("Reconnect Dana Demo",
		"Local demo no longer accepts Keyport's access to Dana Demo. Open Keyport and press Reconnect.")
	test.AssertNotificationSent(t, want, func() {
		_ = h.engine.Refresh(context.Background(), a.Key())
		h.waitFor("reconnect needed", func() bool {
			r := h.row("Dana Demo")
			return r != nil && r.status.Text == "reconnect needed"
		})
	})

	if err := h.engine.Disconnect(context.Background(), a.Key()); err != nil {
		t.Logf("Disconnect: %v", err) // revoking an already revoked grant may fail; the account goes anyway
	}
	h.waitFor("the account to go", func() bool { return h.row("Dana Demo") == nil && h.ui.accounts.empty.Visible() })
	if h.ui.views[a.Key()] != nil {
		t.Error("the view of a removed account is still open")
	}
}

// revoke revokes a token at the server (RFC 7009) as the public client.
func revoke(t *testing.T, srv *authserver.Server, token string) {
	t.Helper()
	resp, err := http.PostForm(srv.Metadata.RevocationEndpoint, url.Values{"token": {token}, "client_id": {srv.ClientID}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("revoke: HTTP %d", resp.StatusCode)
	}
}

// "Use a code instead": the browser sign-in gives way to one with a code
// (RFC 8628), shown large with Copy, Open the page and the time left; the
// person enters it on the server's page and the account connects. A
// provider without the grant does not offer it, and Cancel ends a sign-in
// with a code like any other.
func TestConnectWithCode(t *testing.T) {
	h, srv := newLocalHarnessWith(t, authserver.Options{DeviceInterval: time.Second})
	row := func() *providerRow { return h.providerRow("local") }

	test.Tap(h.providerRow("plain").primary)
	h.waitFor("plain's flow to start", func() bool { return h.providerRow("plain").flow != nil })
	if h.providerRow("plain").useCode.Visible() {
		t.Error("a provider without a device authorization endpoint offers a code")
	}
	test.Tap(h.providerRow("plain").cancel)
	h.waitFor("plain's row to return", func() bool { return h.providerRow("plain").stop == nil })

	test.Tap(row().primary)
	h.waitFor("the button for a code", func() bool { return row().flow != nil && row().useCode.Visible() && !row().useCode.Disabled() })
	test.Tap(row().useCode)
	if !strings.HasPrefix(row().waiting.Text, "Asking Local demo for a code") || row().copyLink.Disabled() == false {
		t.Errorf("while asking for a code: %q, Copy link enabled %v", row().waiting.Text, !row().copyLink.Disabled())
	}
	h.waitFor("the code", func() bool { return row().device != nil })
	d := row().device
	if !row().codeBox.Visible() || row().waitBox.Visible() || row().code.Text != d.UserCode() || d.UserCode() == "" ||
		row().codePage.Text != d.VerificationURI() || row().code.TextSize <= 2*theme.TextSize() {
		t.Fatalf("the code's row: page %q, code %q (size %v), want %q", row().codePage.Text, row().code.Text, row().code.TextSize, d.UserCode())
	}
	if row().timeLeft.Text != "Expires in 10 min" {
		t.Errorf("time left %q", row().timeLeft.Text)
	}
	h.ui.now = func() time.Time { return d.Expiry().Add(-40 * time.Second) }
	h.lastTimer().f()
	h.waitFor("the time left to tick", func() bool { return row().timeLeft.Text == "Expires in 40 s" })
	test.Tap(row().copyCode)
	if got := h.app.Clipboard().Content(); got != d.UserCode() {
		t.Errorf("Copy put %q on the clipboard, want the code", got)
	}
	var pages []string
	h.ui.open = func(u *url.URL) error { pages = append(pages, u.String()); return nil }
	test.Tap(row().openPage)
	if len(pages) != 1 || pages[0] != d.VerificationURIComplete() {
		t.Errorf("Open the page opened %q, want %q", pages, d.VerificationURIComplete())
	}

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := srv.SignInDevice(ctx, d.VerificationURI(), h.app.Clipboard().Content(), "demo", "demo", true); err != nil {
		t.Fatal(err)
	}
	h.waitFor("the row to leave the code", func() bool { return row().stop == nil && !row().codeBox.Visible() })
	if len(h.ui.accounts.accounts) != 1 || !strings.Contains(h.ui.info.Text, "Connected Dana Demo on Local demo") {
		t.Fatalf("after the sign-in with a code: %d accounts, message %q", len(h.ui.accounts.accounts), h.ui.info.Text)
	}

	// Cancel while the code is shown: nothing changes, nothing is said
	// (Connect took away the last sign-in's message).
	test.Tap(row().primary)
	h.waitFor("the button for a code", func() bool { return row().flow != nil && !row().useCode.Disabled() })
	test.Tap(row().useCode)
	h.waitFor("the code", func() bool { return row().device != nil })
	test.Tap(row().cancelCode)
	h.waitFor("the row to return after Cancel", func() bool { return row().stop == nil && row().primary.Text == "Connect" && !row().codeBox.Visible() })
	if len(h.ui.accounts.accounts) != 1 || h.ui.infoBar.Visible() {
		t.Errorf("after Cancel: %d accounts, message %q", len(h.ui.accounts.accounts), h.ui.info.Text)
	}
}

// The redirect URL dialog answers the keyboard like the other forms:
// Escape closes it and leaves the sign-in waiting, Enter in the field
// completes the sign-in with the pasted address.
func TestPasteRedirectKeys(t *testing.T) {
	h, srv := newLocalHarness(t)
	row := func() *providerRow { return h.providerRow("local") }
	test.Tap(row().primary)
	h.waitFor("the flow to start", func() bool { return row().flow != nil && !row().paste.Disabled() })
	test.Tap(row().paste)
	if !dialogShown(h.ui.win) {
		t.Fatal("Paste redirect URL… opened no dialog")
	}
	key(h.ui.win, fyne.KeyEscape)
	if dialogShown(h.ui.win) || row().stop == nil {
		t.Fatalf("after Escape: dialog shown %v, still waiting %v", dialogShown(h.ui.win), row().stop != nil)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	back, err := srv.SignIn(ctx, row().flow.URL(), "demo", "demo", true)
	if err != nil {
		t.Fatal(err)
	}
	test.Tap(row().paste)
	entry, ok := h.ui.win.Canvas().Focused().(*formEntry)
	if !ok {
		entry = findFormEntry(h.ui.win.Canvas().Overlays().Top())
		h.ui.win.Canvas().Focus(entry)
	}
	test.Type(entry, back.String())
	key(h.ui.win, fyne.KeyReturn)
	h.waitFor("the pasted sign-in to connect", func() bool { return row().stop == nil && len(h.ui.accounts.accounts) == 1 })
	if dialogShown(h.ui.win) {
		t.Error("the dialog stayed open after Enter")
	}
}

// findFormEntry returns the first formEntry in o's tree.
func findFormEntry(o fyne.CanvasObject) *formEntry {
	for _, c := range test.LaidOutObjects(o) {
		if e, ok := c.(*formEntry); ok {
			return e
		}
	}
	return nil
}

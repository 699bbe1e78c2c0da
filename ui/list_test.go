package ui

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/keyport/keyport/auth"
)

// TestThousandAccounts seeds the index with 1,000 accounts: the window
// lists them all without touching the keychain, and scrolling renders the
// rows further down.
func TestThousandAccounts(t *testing.T) {
	dir := t.TempDir()
	now := time.Now()
	var accounts []auth.Account
	for i := range 1000 {
		accounts = append(accounts, auth.Account{Provider: "gumroad", ID: fmt.Sprintf("%04d", i),
			Name: fmt.Sprintf("Account %04d", i), Email: fmt.Sprintf("a%d@example.test", i),
			AvatarURL: "http://127.0.0.1:9/none.png", TokenType: "Bearer", Expiry: now.Add(time.Duration(i) * time.Hour),
			Obtained: now, HasRefresh: true, Connected: now, Status: auth.StatusValid})
	}
	writeJSON(t, dir, "accounts.json", map[string]any{"version": 1, "accounts": accounts})
	h := newHarness(t, dir)
	if n := h.keys.calls.Load(); n != 0 {
		t.Errorf("opening the window made %d keychain calls, want 0", n)
	}
	list := h.ui.accounts.list
	if n := list.Length(); n != 1000 {
		t.Fatalf("list length %d, want 1000", n)
	}
	if h.ui.accounts.heading.Text != "Connected accounts (1000)" || h.ui.accounts.empty.Visible() {
		t.Errorf("heading %q, empty state shown %v", h.ui.accounts.heading.Text, h.ui.accounts.empty.Visible())
	}
	if h.row("Account 0000") == nil {
		t.Fatal("the first row is not shown")
	}
	shown := len(h.rows())
	if shown == 0 || shown > 60 {
		t.Errorf("%d rows rendered: the list should only draw the visible ones", shown)
	}
	list.ScrollToBottom()
	r := h.row("Account 0999")
	if r == nil || h.row("Account 0000") != nil {
		t.Fatal("after scrolling to the bottom the last row is not shown, or the first still is")
	}
	if !strings.HasPrefix(r.status.Text, "valid · expires in ") || r.detail.Text != "a999@example.test · Gumroad" {
		t.Errorf("last row: %q / %q", r.detail.Text, r.status.Text)
	}
	list.ScrollTo(500)
	if h.row("Account 0500") == nil {
		t.Error("ScrollTo(500) does not show row 500")
	}
	list.Select(999) // tapping a row opens its view, from the index only
	if v := h.ui.views["gumroad/0999"]; v == nil || factValue(v, "Email") != "a999@example.test" {
		t.Error("selecting a row did not open its account view")
	}
	if n := h.keys.calls.Load(); n != 0 {
		t.Errorf("scrolling made %d keychain calls, want 0", n)
	}
}

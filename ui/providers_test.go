package ui

import (
	"testing"

	"fyne.io/fyne/v2/test"
)

func shownIDs(s *providersScreen) []string {
	var ids []string
	for _, p := range s.shown {
		ids = append(ids, p.ID)
	}
	return ids
}

// TestProviderSearch checks the provider list: typing filters it, and
// providers with accounts come first, then those set up, then the rest.
func TestProviderSearch(t *testing.T) {
	h := newHarness(t, t.TempDir())
	s := h.ui.providers
	all := len(h.engine.Providers())
	if len(s.shown) != all {
		t.Fatalf("%d providers shown of %d", len(s.shown), all)
	}
	test.Type(s.search, "patr")
	if ids := shownIDs(s); len(ids) != 1 || ids[0] != "patreon" {
		t.Errorf("searching \"patr\" shows %v", ids)
	}
	s.search.SetText("GUMROAD")
	if ids := shownIDs(s); len(ids) != 1 || ids[0] != "gumroad" {
		t.Errorf("searching \"GUMROAD\" shows %v", ids)
	}
	s.search.SetText("no such provider")
	if len(s.shown) != 0 {
		t.Errorf("a search for nothing shows %v", shownIDs(s))
	}
	s.search.SetText("")
	first := s.shown[0].ID
	h.connectAPIKey("ok-key-0123456789") // Outgrow
	h.waitFor("Outgrow first", func() bool { return len(s.shown) > 0 && s.shown[0].ID == "outgrow" })
	if first == "outgrow" {
		t.Log("Outgrow sorted first before it had an account too")
	}
}

// TestGumroadOffersBoth checks a provider that takes a browser sign-in and
// a pasted token shows both on its row.
func TestGumroadOffersBoth(t *testing.T) {
	h := newHarness(t, t.TempDir())
	r := h.providerRow("gumroad")
	if r.primary.Text != "Set up" || !r.second.Visible() || r.second.Text != "Paste token" {
		t.Errorf("Gumroad's row: %q and %q (shown %v)", r.primary.Text, r.second.Text, r.second.Visible())
	}
	test.Tap(r.second)
	if top := h.ui.win.Canvas().Overlays().Top(); top == nil {
		t.Error("Paste token opened no form")
	}
}

// TestProviderListVirtualised checks that only the rows on screen are
// built, however long the catalogue.
func TestProviderListVirtualised(t *testing.T) {
	h := newHarness(t, t.TempDir())
	s := h.ui.providers
	objs := test.LaidOutObjects(s.list)
	rows := 0
	for _, o := range objs {
		if _, ok := o.(*providerRow); ok {
			rows++
		}
	}
	if rows == 0 || (len(s.shown) > 20 && rows >= len(s.shown)) {
		t.Errorf("%d rows built for %d providers", rows, len(s.shown))
	}
}

// TestProviderRowHeights checks an idle row is as tall as its one line and
// a waiting row grows to show the waiting state.
func TestProviderRowHeights(t *testing.T) {
	h := newHarness(t, t.TempDir())
	s := h.ui.providers
	idle := newProviderRow(s)
	if got, want := s.rowHeight, idle.idleBox.MinSize().Height; got > want+20 {
		t.Errorf("an idle row is %v tall, its line %v", got, want)
	}
	if w, wc := s.waitHeight(false), s.waitHeight(true); w <= s.rowHeight || wc <= w {
		t.Errorf("a waiting row is %v tall, with the button for a code %v, an idle one %v", w, wc, s.rowHeight)
	}
	if c := s.codeHeight(); c <= s.waitHeight(false) {
		t.Errorf("a row showing a code is %v tall, an idle one %v", c, s.rowHeight)
	}
}

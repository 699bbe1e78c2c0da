package ui

import (
	"context"
	"errors"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/widget"

	"github.com/keyport/keyport/auth"
)

// actions returns a provider's primary action and the other ways to
// connect it, which go in the row's "more" menu.
func (s *providersScreen) actions(p auth.Provider) (string, func(), []*fyne.MenuItem) {
	id := p.ID
	connect := func() { s.onConnect(id) }
	setUp := func() { s.onSetUp(id) }
	pasteKey := func() { s.onPasteKey(id) }
	unconfirmed := ""
	if p.Unconfirmed {
		unconfirmed = " (unconfirmed)"
	}
	if p.Mode == auth.ModeAPIKey {
		var others []*fyne.MenuItem
		if p.SupportsOAuth() {
			if s.deps.engine.Client(id).ClientID != "" {
				others = append(others, fyne.NewMenuItem("Connect in the browser"+unconfirmed, connect))
			}
			others = append(others, fyne.NewMenuItem("Set up browser sign-in"+unconfirmed+"…", setUp))
		}
		return "Paste key", pasteKey, others
	}
	var others []*fyne.MenuItem
	label, action := "Set up", setUp
	if s.deps.engine.Configured(id) {
		label, action = "Connect", connect
		others = append(others, fyne.NewMenuItem("Change set-up…", setUp))
	}
	if p.SupportsAPIKey() {
		others = append(others, fyne.NewMenuItem("Paste an API key instead…", pasteKey))
	}
	return label, action, others
}

// subtitle says in a few words how a provider connects.
func (s *providersScreen) subtitle(p auth.Provider) string {
	switch {
	case p.Mode == auth.ModeAPIKey:
		return "API key"
	case !s.deps.engine.Configured(p.ID):
		return "Needs your OAuth client"
	case p.Unconfirmed:
		return "Browser sign-in (unconfirmed)"
	}
	return "Browser sign-in"
}

// refresh redraws a provider's row after its set-up changed.
func (s *providersScreen) refresh(id string) {
	if r := s.rows[id]; r != nil && r.stop == nil {
		r.idle()
	}
}

// onConnect starts signing in to a provider: the row shows the waiting
// state while a goroutine runs Connect and waits for the flow; the outcome
// is reported on the UI goroutine.
func (s *providersScreen) onConnect(id string) {
	r := s.rows[id]
	if r == nil || r.stop != nil {
		return // unknown, or already waiting: the button is not shown then
	}
	s.deps.win.Show()
	ctx, cancel := context.WithCancel(s.deps.ctx)
	r.wait(cancel)
	go func() {
		defer cancel()
		f, err := s.deps.engine.Connect(ctx, id)
		var acct auth.Account
		if err == nil {
			s.deps.do(func() { r.started(f) })
			acct, err = f.Wait()
		}
		s.deps.do(func() {
			r.idle()
			s.onConnected(r.p, acct, err)
		})
	}()
}

// onConnected reports a sign-in's outcome; a cancelled one needs no words.
func (s *providersScreen) onConnected(p auth.Provider, acct auth.Account, err error) {
	switch {
	case errors.Is(err, auth.ErrCancelled):
		s.deps.say("", widget.MediumImportance)
	case err != nil:
		s.deps.say(errorText(err), widget.DangerImportance)
	default:
		s.deps.accountChanged(acct)
		s.deps.say("Connected "+accountTitle(acct)+" on "+p.Name+".", widget.SuccessImportance)
	}
}

// onSetUp opens the OAuth client form of a provider.
func (s *providersScreen) onSetUp(id string) {
	if p, ok := s.deps.engine.Provider(id); ok {
		newSetup(s.deps, p).dialog.Show()
	}
}

// onPasteKey opens the API key form of a provider.
func (s *providersScreen) onPasteKey(id string) {
	if p, ok := s.deps.engine.Provider(id); ok {
		newAPIKeyForm(s.deps, p).dialog.Show()
	}
}

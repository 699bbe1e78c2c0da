package ui

import (
	"context"
	"errors"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/widget"

	"github.com/keyport/keyport/auth"
)

// actions returns a provider's primary action, a second one shown beside
// it (Paste token, where the provider takes both a sign-in and a pasted
// token), and the other ways to connect it, which go in the row's "more"
// menu.
func (s *providersScreen) actions(p auth.Provider) (string, func(), *fyne.MenuItem, []*fyne.MenuItem) {
	id := p.ID
	connect := func() { s.onConnect(id) }
	setUp := func() { s.onSetUp(id) }
	pasteKey := func() { s.onPasteKey(id) }
	unconfirmed := ""
	if p.Unconfirmed {
		unconfirmed = " (unconfirmed)"
	}
	paste := "Paste " + shortLabel(p)
	if p.Mode == auth.ModeAPIKey {
		var others []*fyne.MenuItem
		if len(p.Params) > 0 {
			others = append(others, fyne.NewMenuItem("Change set-up…", setUp))
		}
		if p.SupportsOAuth() {
			if s.deps.engine.Client(id).ClientID != "" {
				others = append(others, fyne.NewMenuItem("Connect in the browser"+unconfirmed, connect))
			}
			others = append(others, fyne.NewMenuItem("Set up browser sign-in"+unconfirmed+"…", setUp))
		}
		if !s.deps.engine.Configured(id) {
			return "Set up", setUp, nil, others
		}
		return paste, pasteKey, nil, others
	}
	var others []*fyne.MenuItem
	label, action := "Set up", setUp
	if s.deps.engine.Configured(id) {
		label, action = "Connect", connect
		others = append(others, fyne.NewMenuItem("Change set-up…", setUp))
	}
	var second *fyne.MenuItem
	if p.SupportsAPIKey() {
		second = fyne.NewMenuItem(paste, pasteKey)
	}
	return label, action, second, others
}

// shortLabel is what the row's paste button names: "key" for API keys,
// "token" for the rest.
func shortLabel(p auth.Provider) string {
	if p.APIKey != nil && p.APIKey.Label != "" && p.APIKey.Label != "API key" {
		return "token"
	}
	return "key"
}

// subtitle says in a few words how a provider connects.
func (s *providersScreen) subtitle(p auth.Provider) string {
	switch {
	case p.Mode == auth.ModeAPIKey:
		return sentence(p.APIKey.KeyLabel())
	case !s.deps.engine.Configured(p.ID) && p.SupportsAPIKey():
		return "Needs your OAuth client, or paste a " + p.APIKey.KeyLabel()
	case !s.deps.engine.Configured(p.ID):
		return "Needs your OAuth client"
	case p.Unconfirmed:
		return "Browser sign-in (unconfirmed)"
	}
	return "Browser sign-in"
}

// onConnect starts signing in to a provider: the row shows the waiting
// state while a goroutine runs Connect and waits for the flow; the outcome
// is reported on the UI goroutine.
func (s *providersScreen) onConnect(id string) {
	p, ok := s.deps.engine.Provider(id)
	if !ok || s.signins[id] != nil {
		return // unknown, or already waiting: the button is disabled then
	}
	s.deps.win.Show()
	s.deps.say("", widget.MediumImportance) // an earlier sign-in's outcome is old news
	ctx, cancel := context.WithCancel(s.deps.ctx)
	si := &signin{stop: cancel}
	s.signins[id] = si
	s.heights[id] = s.waitHeight(false)
	s.relayout()
	go func() {
		defer cancel()
		acct, err := s.signIn(ctx, si, id)
		s.deps.do(func() {
			delete(s.signins, id)
			delete(s.heights, id)
			s.onConnected(p, acct, err)
			s.reorder()
		})
	}()
}

// signIn runs a sign-in in the browser and, when the person asks for a
// code instead (si.toCode), one with a code. It runs on its own goroutine
// and returns the outcome; ctx ends it all.
func (s *providersScreen) signIn(ctx context.Context, si *signin, id string) (auth.Account, error) {
	browser, endBrowser := context.WithCancel(ctx)
	defer endBrowser()
	f, err := s.deps.engine.Connect(browser, id)
	if err != nil {
		return auth.Account{}, err
	}
	canCode, _ := s.deps.engine.SupportsDevice(browser, id) // the provider is resolved by now: no request
	toCode := make(chan struct{})
	s.deps.do(func() {
		if s.signins[id] != si {
			return
		}
		si.flow, si.canCode = f, canCode
		if canCode {
			si.toCode = func() { close(toCode); endBrowser() }
			s.heights[id] = s.waitHeight(true)
		}
		s.relayout()
	})
	acct, err := f.Wait()
	select {
	case <-toCode:
	default:
		return acct, err
	}
	if err == nil || ctx.Err() != nil {
		return acct, err // signed in in the browser meanwhile, or cancelled
	}
	d, err := s.deps.engine.ConnectDevice(ctx, id)
	if err != nil {
		return auth.Account{}, err
	}
	defer d.Cancel()
	s.deps.do(func() {
		si.asking, si.device = false, d
		s.heights[id] = s.codeHeight()
		s.relayout()
		s.tickCode(id, si)
	})
	return d.Wait()
}

// tickCode keeps the time left on a code's row current, once a second
// while the sign-in with a code runs.
func (s *providersScreen) tickCode(id string, si *signin) {
	s.deps.after(time.Second, func() {
		s.deps.do(func() {
			if s.signins[id] != si {
				return // ended
			}
			if r := s.row(id); r != nil {
				r.showTimeLeft()
			}
			s.tickCode(id, si)
		})
	})
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

// onSetUp opens the set-up form of a provider.
func (s *providersScreen) onSetUp(id string) {
	if p, ok := s.deps.engine.Provider(id); ok {
		newSetup(s.deps, p).dialog.Show()
	}
}

// onPasteKey opens the API key (or token) form of a provider.
func (s *providersScreen) onPasteKey(id string) {
	if p, ok := s.deps.engine.Provider(id); ok {
		newAPIKeyForm(s.deps, p).dialog.Show()
	}
}

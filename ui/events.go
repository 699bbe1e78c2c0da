package ui

import (
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/widget"

	"github.com/keyport/keyport/auth"
)

// listen is the one goroutine that follows the engine: each time the
// subscription signals, it takes the changed accounts and applies them on
// the UI goroutine. It ends when the app stops.
func (u *App) listen() {
	defer u.sub.Close()
	for {
		select {
		case <-u.ctx.Done():
			return
		case _, ok := <-u.sub.C():
			if !ok {
				return
			}
			changed := u.sub.Drain()
			if len(changed) > 0 {
				u.do(func() { u.apply(changed) })
			}
		}
	}
}

// accountChanged applies one account the UI learnt of itself (a finished
// sign-in); the subscription brings the same change again, harmlessly.
func (u *App) accountChanged(a auth.Account) { u.apply([]auth.Account{a}) }

// apply updates the list, the tray and the open account views. An account
// with Status "" was removed. An account that has just come to need
// reconnecting raises a desktop notification, once per transition.
func (u *App) apply(changed []auth.Account) {
	for _, a := range changed {
		old, had := u.accounts.upsert(a)
		if a.Status == auth.StatusReconnect && had && old.Status != auth.StatusReconnect {
			u.app.SendNotification(fyne.NewNotification("Reconnect "+accountTitle(a),
				u.providerName(a.Provider)+" no longer accepts Keyport's access to "+accountTitle(a)+". Open Keyport and press Reconnect."))
		}
		if v := u.views[a.Key()]; v != nil {
			v.update(a)
		}
	}
	u.accounts.sort()
	u.accounts.changed()
	u.providers.reorder() // providers with accounts come first
	u.tray.onAccounts(u.accounts.accounts)
}

// copyToken copies an account's access token (or API key), fresh from the
// engine, which reads the keychain and refreshes it when needed.
func (u *App) copyToken(key string) {
	go func() {
		s, err := u.engine.Token(u.ctx, key)
		u.do(func() {
			if err != nil {
				u.say(errorText(err), widget.DangerImportance)
				return
			}
			what := "Access token copied"
			if s.APIKey != "" {
				what = "API key copied"
			}
			u.clip.Copy(s.Value(), what)
		})
	}()
}

// runTicker re-renders relative times ("expires in 27 d", "retrying in
// 40 s"): every second while a visible row shows seconds, else every
// minute. It is the only timer of the lists; nothing polls the engine.
func (u *App) runTicker() {
	t := time.NewTimer(time.Minute)
	defer t.Stop()
	for {
		select {
		case <-u.ctx.Done():
			return
		case <-u.wake:
		case <-t.C:
			u.do(u.tick)
		}
		d := time.Minute
		if u.seconds.Load() {
			d = time.Second
		}
		t.Reset(d)
	}
}

// tick redraws what shows relative times, on the UI goroutine.
func (u *App) tick() {
	u.seconds.Store(u.accounts.tick())
	for _, v := range u.views {
		v.refreshView()
	}
}

// wakeTicker switches the ticker to seconds when a row starts showing them.
func (u *App) wakeTicker() {
	if !u.seconds.Swap(true) {
		select {
		case u.wake <- struct{}{}:
		default:
		}
	}
}

// openAccount shows the view of an account, reusing its window when open.
func (u *App) openAccount(key string) {
	if v := u.views[key]; v != nil {
		v.win.Show()
		v.win.RequestFocus()
		return
	}
	a, ok := u.engine.Account(key)
	if !ok {
		return
	}
	v := newAccountView(u, a)
	u.views[key] = v
	v.win.Show()
}

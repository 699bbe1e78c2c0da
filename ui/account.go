package ui

import (
	"errors"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/keyport/keyport/auth"
)

// accountView is the window of one account: every profile field, the
// token's facts, the masked tokens and the actions on them. Its methods
// run on the UI goroutine.
type accountView struct {
	deps   *App
	acct   auth.Account
	win    fyne.Window
	avatar *canvasImage
	title  *widget.Label
	facts  *fyne.Container // label pairs, redrawn as the account changes
	msg    *widget.Label

	access  *tokenField // the access token or API key
	refresh *tokenField // the refresh token; revealing it asks first

	refreshNow, reconnect, disconnect *widget.Button
	confirm                           *dialog.ConfirmDialog // the last confirmation asked
}

// newAccountView builds the window of a.
func newAccountView(deps *App, a auth.Account) *accountView {
	v := &accountView{deps: deps, acct: a, win: deps.app.NewWindow(accountTitle(a) + " — Keyport"),
		avatar: newCanvasImage(64), title: heading(""), facts: container.New(layout.NewFormLayout()),
		msg: widget.NewLabel("")}
	v.msg.Wrapping = fyne.TextWrapWord
	v.msg.Hide()
	v.access = newTokenField(false, v.onRevealAccess)
	v.refresh = newTokenField(true, v.onRevealRefresh)
	copyAccess := widget.NewButtonWithIcon("Copy", theme.ContentCopyIcon(), func() { v.deps.copyToken(v.acct.Key()) })
	copyRefresh := widget.NewButtonWithIcon("Copy…", theme.ContentCopyIcon(), v.onCopyRefresh)
	v.refreshNow = widget.NewButtonWithIcon("Refresh now", theme.ViewRefreshIcon(), v.onRefresh)
	v.reconnect = widget.NewButtonWithIcon("Reconnect", theme.LoginIcon(), v.onReconnect)
	v.disconnect = widget.NewButtonWithIcon("Disconnect…", theme.DeleteIcon(), v.onDisconnect)
	v.disconnect.Importance = widget.DangerImportance

	accessName := "Access token"
	if a.APIKey {
		accessName = "API key"
	}
	tokens := container.New(layout.NewFormLayout(),
		boldLabel(accessName), container.NewBorder(nil, nil, nil, container.NewHBox(v.access.reveal, copyAccess), v.access.label))
	if a.HasRefresh {
		tokens.Add(boldLabel("Refresh token"))
		tokens.Add(container.NewBorder(nil, nil, nil, container.NewHBox(v.refresh.reveal, copyRefresh), v.refresh.label))
	}
	actions := container.NewHBox(layout.NewSpacer(), v.disconnect)
	if !a.APIKey {
		actions.Objects = append([]fyne.CanvasObject{v.refreshNow, v.reconnect}, actions.Objects...)
	}
	header := container.NewBorder(nil, nil, v.avatar.img, nil, container.NewVBox(layout.NewSpacer(), v.title, layout.NewSpacer()))
	body := container.NewVBox(header, v.msg, v.facts, widget.NewSeparator(), tokens, widget.NewSeparator())
	body.Add(v.profile())
	v.win.SetContent(container.NewBorder(nil, container.NewPadded(actions), nil, nil, container.NewVScroll(container.NewPadded(body))))
	v.win.Resize(fyne.NewSize(620, 640))
	v.win.SetOnClosed(func() {
		v.access.cancel()
		v.refresh.cancel()
		delete(deps.views, a.Key())
	})
	v.refreshView()
	return v
}

// update shows a newer version of the account; a removed one closes.
func (v *accountView) update(a auth.Account) {
	if a.Status == "" {
		v.win.Close()
		return
	}
	if !a.Obtained.Equal(v.acct.Obtained) { // a new token: the one shown is stale
		v.access.forget()
		v.refresh.forget()
	}
	v.acct = a
	v.refreshView()
}

// refreshView redraws everything that derives from the account,
// relative times included (the ticker calls it).
func (v *accountView) refreshView() {
	p, _ := v.deps.engine.Provider(v.acct.Provider)
	v.title.SetText(accountTitle(v.acct) + " · " + p.Name)
	v.avatar.set(v.deps.avatars.Get(v.acct.AvatarURL, v.deps.icons.provider(p)))
	v.facts.Objects = nil
	for _, f := range accountFacts(v.acct, p.Name, v.deps.now()) {
		v.facts.Add(boldLabel(f[0]))
		v.facts.Add(valueLabel(f[1]))
	}
	v.facts.Refresh()
	v.refreshNow.Disable()
	if v.acct.HasRefresh && v.acct.Status != auth.StatusRefreshing && v.acct.Status != auth.StatusReconnect {
		v.refreshNow.Enable()
	}
	v.reconnect.Importance = widget.MediumImportance
	if v.acct.Status == auth.StatusReconnect {
		v.reconnect.Importance = widget.HighImportance
	}
	v.reconnect.Refresh()
}

// say shows a message in the view; "" hides it.
func (v *accountView) say(text string, importance widget.Importance) {
	v.msg.Importance = importance
	v.msg.SetText(text)
	v.msg.Show()
	if text == "" {
		v.msg.Hide()
	}
}

// withSecret reads the account's secret from the keychain (through
// Engine.Token, which refreshes it when due) and runs fn with it on the UI
// goroutine.
func (v *accountView) withSecret(fn func(auth.Secret)) {
	key := v.acct.Key()
	go func() {
		s, err := v.deps.engine.Token(v.deps.ctx, key)
		v.deps.do(func() {
			if err != nil {
				v.say(errorText(err), widget.DangerImportance)
				return
			}
			fn(s)
		})
	}()
}

// hideAfter schedules a revealed token's masking after the clipboard's
// clear delay: a token on screen is as exposed as one on the clipboard.
func (v *accountView) hideAfter(hide func()) func() {
	return v.deps.after(v.deps.prefs.ClipboardClear(), func() { v.deps.do(hide) })
}

// onRevealAccess shows the access token (or API key) in full.
func (v *accountView) onRevealAccess() {
	v.withSecret(func(s auth.Secret) { v.access.show(s.Value(), v.hideAfter) })
}

// onRevealRefresh shows the refresh token in full after the person
// confirms, as Copy… does.
func (v *accountView) onRevealRefresh() {
	v.ask("Show the refresh token?", v.refreshWarning(), "Show", widget.HighImportance, func() {
		v.withSecret(func(s auth.Secret) { v.refresh.show(s.RefreshToken, v.hideAfter) })
	})
}

// onCopyRefresh copies the refresh token after the person confirms.
func (v *accountView) onCopyRefresh() {
	v.ask("Copy the refresh token?", v.refreshWarning(), "Copy", widget.HighImportance, func() {
		v.withSecret(func(s auth.Secret) { v.deps.clip.Copy(s.RefreshToken, "Refresh token copied") })
	})
}

// refreshWarning is what the person reads before a refresh token is shown
// or copied.
func (v *accountView) refreshWarning() string {
	return "Whoever holds the refresh token can get new access tokens for " + accountTitle(v.acct) +
		" until it is revoked. Show or paste it only where you trust it."
}

// onRefresh refreshes the access token now; the status follows from the
// engine's subscription.
func (v *accountView) onRefresh() {
	key := v.acct.Key()
	v.refreshNow.Disable()
	go func() {
		err := v.deps.engine.Refresh(v.deps.ctx, key)
		v.deps.do(func() {
			v.refreshView()
			if err != nil {
				v.say(errorText(err), widget.DangerImportance)
				return
			}
			v.say("Refreshed.", widget.SuccessImportance)
		})
	}()
}

// onReconnect signs in to the account's provider again.
func (v *accountView) onReconnect() { v.deps.providers.onConnect(v.acct.Provider) }

// onDisconnect removes the account after the person confirms. A failed
// revocation is a warning: the account is gone either way.
func (v *accountView) onDisconnect() {
	a := v.acct
	p := v.deps.providerName(a.Provider)
	v.ask("Disconnect "+accountTitle(a)+"?", "Keyport will ask "+p+" to revoke its access where "+p+
		" supports that, delete the tokens from the keychain and forget the account.", "Disconnect", widget.DangerImportance, func() {
		v.disconnect.Disable()
		go func() {
			err := v.deps.engine.Disconnect(v.deps.ctx, a.Key())
			v.deps.do(func() { v.disconnected(a, err) })
		}()
	})
}

// disconnected reports the outcome of Disconnect.
func (v *accountView) disconnected(a auth.Account, err error) {
	var revoke *auth.RevokeError
	switch {
	case err == nil:
		v.deps.say("Disconnected "+accountTitle(a)+".", widget.SuccessImportance)
	case errors.As(err, &revoke):
		v.deps.say(errorText(err)+".", widget.WarningImportance)
	default:
		v.disconnect.Enable()
		v.say(errorText(err), widget.DangerImportance)
		return
	}
	v.deps.apply([]auth.Account{{Provider: a.Provider, ID: a.ID}}) // Status "": removed
}

// ask shows a confirmation in the view; yes runs if the person agrees.
func (v *accountView) ask(title, message, confirm string, importance widget.Importance, yes func()) {
	v.confirm = dialog.NewConfirm(title, message, func(ok bool) {
		if ok {
			yes()
		}
	}, v.win)
	v.confirm.SetConfirmText(confirm)
	v.confirm.SetDismissText("Cancel")
	v.confirm.SetConfirmImportance(importance)
	dialogKeys(v.win, v.confirm, v.confirm.Confirm)
	v.confirm.Show()
}

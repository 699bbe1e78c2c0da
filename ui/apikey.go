package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"

	"github.com/keyport/keyport/auth"
)

// apiKeyForm is the "Paste key" form of an API-key provider. Its methods
// run on the UI goroutine.
type apiKeyForm struct {
	deps    *App
	p       auth.Provider
	key     *formEntry
	problem *widget.Label
	connect *widget.Button
	dialog  *dialog.CustomDialog
}

// newAPIKeyForm builds the form.
func newAPIKeyForm(deps *App, p auth.Provider) *apiKeyForm {
	f := &apiKeyForm{deps: deps, p: p, key: newFormEntry(true)}
	label := p.APIKey.KeyLabel()
	f.key.SetPlaceHolder(sentence(label))
	content := container.NewVBox()
	if p.APIKey != nil && p.APIKey.Help != "" {
		help := widget.NewLabel(p.APIKey.Help)
		help.Wrapping = fyne.TextWrapWord
		content.Add(help)
	}
	if reg := deps.registerURL(p); reg != "" {
		if l := deps.link("Open "+hostOf(reg), reg); l != nil {
			content.Add(l)
		}
	}
	note := widget.NewLabel("Keyport keeps the " + label + " in the system keychain.")
	note.Importance = widget.LowImportance
	f.problem = widget.NewLabel("")
	f.problem.Importance = widget.DangerImportance
	f.problem.Wrapping = fyne.TextWrapWord
	f.problem.Hide()
	content.Add(f.key)
	content.Add(note)
	content.Add(f.problem)

	f.connect = widget.NewButton("Connect", f.onConnect)
	f.connect.Importance = widget.HighImportance
	f.dialog = dialog.NewCustomWithoutButtons("Paste your "+p.Name+" "+label, content, deps.win)
	f.dialog.SetButtons([]fyne.CanvasObject{widget.NewButton("Cancel", f.dialog.Hide), f.connect})
	f.dialog.Resize(fyne.NewSize(520, 0))
	dialogKeys(deps.win, f.dialog, press(f.connect), f.key)
	return f
}

// onConnect checks and stores the key in a goroutine (the check asks the
// provider, the keychain may block) and closes the form when that worked.
func (f *apiKeyForm) onConnect() {
	key := f.key.Text
	f.connect.Disable()
	go func() {
		acct, err := f.deps.engine.ConnectAPIKey(f.deps.ctx, f.p.ID, key)
		f.deps.do(func() {
			f.connect.Enable()
			if err != nil {
				f.problem.SetText(errorText(err))
				f.problem.Show()
				return
			}
			f.dialog.Hide()
			f.deps.accountChanged(acct)
			f.deps.say("Connected "+accountTitle(acct)+".", widget.SuccessImportance)
		})
	}()
}

package ui

import (
	"context"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/keyport/keyport/auth"
)

// providersScreen lists the catalogue: one row per provider with the
// action that fits its state (Connect, Set up, Paste key) and, while a
// sign-in runs, the waiting state. Its methods run on the UI goroutine.
type providersScreen struct {
	deps    *App
	rows    map[string]*providerRow
	content fyne.CanvasObject
}

// newProviders builds a row per catalogue entry.
func newProviders(deps *App) *providersScreen {
	s := &providersScreen{deps: deps, rows: map[string]*providerRow{}}
	box := container.NewVBox()
	for _, p := range deps.engine.Providers() {
		row := &providerRow{s: s, p: p, box: container.NewStack(), icon: newCanvasImage(32)}
		row.icon.set(deps.icons.provider(p))
		row.idle()
		s.rows[p.ID] = row
		box.Add(row.box)
		box.Add(widget.NewSeparator())
	}
	s.content = container.NewBorder(heading("Providers"), nil, nil, nil, container.NewVScroll(box))
	return s
}

// providerRow is one provider's line.
type providerRow struct {
	s    *providersScreen
	p    auth.Provider
	box  *fyne.Container // holds the idle or the waiting layout
	icon *canvasImage

	primary *widget.Button // Connect, Set up or Paste key
	more    *widget.Button // the other ways, when there are any

	waiting  *widget.Label  // "Waiting for you in the browser…"
	cancel   *widget.Button // ends the sign-in
	copyLink *widget.Button // copies flow.URL()
	paste    *widget.Button // completes the flow from a pasted redirect URL
	flow     *auth.Flow     // set once Connect has returned
	stop     context.CancelFunc
}

// idle shows the row's normal state, reflecting whether it is set up.
func (r *providerRow) idle() {
	r.flow, r.stop = nil, nil
	label, action, others := r.s.actions(r.p)
	r.primary = widget.NewButton(label, action)
	r.primary.Importance = widget.HighImportance
	right := container.NewHBox(r.primary)
	r.more = nil
	if len(others) > 0 {
		r.more = widget.NewButtonWithIcon("", theme.MoreVerticalIcon(), nil)
		r.more.OnTapped = func() {
			c := fyne.CurrentApp().Driver().CanvasForObject(r.more)
			widget.ShowPopUpMenuAtRelativePosition(fyne.NewMenu("", others...), c, fyne.NewPos(0, r.more.Size().Height), r.more)
		}
		right.Add(r.more)
	}
	name := newFitLabel(r.p.Name)
	name.TextStyle.Bold = true
	sub := newFitLabel(r.s.subtitle(r.p))
	sub.Importance = widget.LowImportance
	r.show(container.NewBorder(nil, nil, container.NewCenter(r.icon.img), container.NewCenter(right),
		container.New(tightVBox{}, name, sub)))
}

// wait shows the waiting state of a sign-in that stop cancels.
func (r *providerRow) wait(stop context.CancelFunc) {
	r.stop = stop
	r.waiting = widget.NewLabel("Waiting for you in the browser…")
	r.waiting.Wrapping = fyne.TextWrapWord
	r.cancel = widget.NewButton("Cancel", stop)
	r.copyLink = widget.NewButtonWithIcon("Copy link", theme.ContentCopyIcon(), r.onCopyLink)
	r.paste = widget.NewButtonWithIcon("Paste redirect URL…", theme.ContentPasteIcon(), r.onPaste)
	r.copyLink.Disable()
	r.paste.Disable()
	name := widget.NewLabel(r.p.Name)
	name.TextStyle.Bold = true
	top := container.NewBorder(nil, nil, container.NewCenter(r.icon.img), container.NewCenter(r.cancel), name)
	r.show(container.NewVBox(top, r.waiting, container.NewHBox(r.copyLink, r.paste)))
}

// started records the running flow and enables its actions.
func (r *providerRow) started(f *auth.Flow) {
	r.flow = f
	r.copyLink.Enable()
	r.paste.Enable()
	if err := f.BrowserError(); err != nil {
		r.waiting.SetText(errorText(err) + ".")
	}
}

// show swaps the row's content.
func (r *providerRow) show(o fyne.CanvasObject) {
	r.box.Objects = []fyne.CanvasObject{o}
	r.box.Refresh()
}

// onCopyLink puts the sign-in link on the clipboard (it holds no secret).
func (r *providerRow) onCopyLink() {
	if r.flow != nil {
		r.s.deps.app.Clipboard().SetContent(r.flow.URL())
		r.s.deps.say("Sign-in link copied: open it in a browser.", widget.MediumImportance)
	}
}

// onPaste asks for the redirect URL the browser ended on and completes
// the flow with it.
func (r *providerRow) onPaste() {
	f := r.flow
	if f == nil {
		return
	}
	entry := widget.NewEntry()
	entry.SetPlaceHolder(f.RedirectURI() + "?code=…")
	item := widget.NewFormItem("Redirect URL", entry)
	item.HintText = "When the browser cannot reach Keyport (another machine, SSH), copy the address it ended on."
	items := []*widget.FormItem{item}
	d := dialog.NewForm("Paste the redirect URL", "Complete", "Cancel", items, func(ok bool) {
		if !ok {
			return
		}
		go func() {
			if err := f.Paste(entry.Text); err != nil {
				select {
				case <-f.Done(): // the flow ended: its outcome is reported by onConnect
				default:
					r.s.deps.do(func() { r.s.deps.say(errorText(err), widget.DangerImportance) })
				}
			}
		}()
	}, r.s.deps.win)
	d.Resize(fyne.NewSize(560, 0))
	d.Show()
}

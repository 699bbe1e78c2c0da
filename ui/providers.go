package ui

import (
	"cmp"
	"context"
	"slices"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/keyport/keyport/auth"
	"github.com/keyport/keyport/internal/boundary"
	"github.com/keyport/keyport/internal/human"
)

// providersScreen lists the catalogue: a search field that filters as one
// types, and a virtualised list with providers that have accounts first,
// then those set up, then the rest, each group by name. A row shows the
// action that fits the provider (Connect, Set up, Paste token) or, while a
// sign-in runs, the waiting state. Its methods run on the UI goroutine.
type providersScreen struct {
	deps      *App
	search    *widget.Entry
	list      *widget.List
	shown     []auth.Provider         // what the list shows, filtered and ordered
	signins   map[string]*signin      // providers with a sign-in in progress
	bound     map[string]*providerRow // provider id → the row drawing it now
	heights   map[string]float32      // provider id → its row height, when not the default
	rowHeight float32                 // the default row height
	content   fyne.CanvasObject
}

// signin is one sign-in in progress from the window: in the browser, and
// then with a code when the person asks for one. Its fields are the UI
// goroutine's.
type signin struct {
	flow    *auth.Flow         // the browser sign-in, once Connect has returned
	canCode bool               // the provider offers sign-in with a code
	toCode  func()             // ends the browser sign-in for one with a code; nil once asked
	asking  bool               // asking the provider for a code
	device  *auth.DeviceFlow   // the sign-in with a code, once the provider gave one
	stop    context.CancelFunc // ends it all
}

// newProviders builds the search field and the list.
func newProviders(deps *App) *providersScreen {
	s := &providersScreen{deps: deps, signins: map[string]*signin{}, bound: map[string]*providerRow{}, heights: map[string]float32{}}
	s.search = widget.NewEntry()
	s.search.SetPlaceHolder("Search providers")
	s.search.OnChanged = func(string) { s.reorder() }
	s.list = widget.NewList(func() int { return len(s.shown) },
		func() fyne.CanvasObject { return newProviderRow(s) },
		func(id widget.ListItemID, o fyne.CanvasObject) {
			if id < len(s.shown) {
				o.(*providerRow).bind(s.shown[id])
			}
		})
	s.reorder()
	s.content = container.NewBorder(container.NewVBox(heading("Providers"), s.search), nil, nil, nil, s.list)
	return s
}

// reorder filters the catalogue by the search text and orders it:
// providers with accounts, then set up, then the rest.
func (s *providersScreen) reorder() {
	query := strings.ToLower(strings.TrimSpace(s.search.Text))
	connected := map[string]bool{}
	for _, a := range s.deps.accounts.accounts {
		connected[a.Provider] = true
	}
	rank := func(p auth.Provider) int {
		switch {
		case connected[p.ID]:
			return 0
		case p.Mode == auth.ModeOAuth2 && s.deps.engine.Configured(p.ID):
			return 1
		}
		return 2
	}
	s.shown = s.shown[:0]
	for _, p := range s.deps.engine.Providers() {
		if query == "" || strings.Contains(strings.ToLower(p.Name), query) || strings.Contains(p.ID, query) {
			s.shown = append(s.shown, p)
		}
	}
	slices.SortStableFunc(s.shown, func(a, b auth.Provider) int { return cmp.Compare(rank(a), rank(b)) })
	s.relayout()
}

// relayout gives waiting rows their height and redraws the list.
func (s *providersScreen) relayout() {
	if s.list == nil {
		return
	}
	if s.rowHeight == 0 {
		s.rowHeight = newProviderRow(s).MinSize().Height
	}
	for i, p := range s.shown {
		s.list.SetItemHeight(i, cmp.Or(s.heights[p.ID], s.rowHeight))
	}
	s.list.Refresh()
}

// refresh redraws a provider's row after its set-up or its sign-in
// changed, and reorders (a provider just set up moves up).
func (s *providersScreen) refresh(string) { s.reorder() }

// waitHeight is the height of a row in the waiting state, with the
// button for a code or without.
func (s *providersScreen) waitHeight(withCode bool) float32 {
	r := newProviderRow(s)
	r.waitBox.Show()
	if !withCode {
		r.useCode.Hide()
	}
	return r.MinSize().Height
}

// codeHeight is the height of a row that shows a sign-in code. Each of
// its lines is one line high whatever it says (the page truncates), so a
// row with stand-in text measures it.
func (s *providersScreen) codeHeight() float32 {
	r := newProviderRow(s)
	r.codePage.SetText("https://example.com/device")
	r.code.Text = "WDJB-MJHT"
	r.timeLeft.SetText("Expires in 15 min")
	r.codeBox.Show()
	return r.MinSize().Height
}

// row returns the row drawing the provider now, or nil when it is not on
// screen.
func (s *providersScreen) row(id string) *providerRow {
	if r := s.bound[id]; r != nil && r.p.ID == id {
		return r
	}
	return nil
}

// providerRow is one line of the list, bound to a provider by bind; the
// list reuses rows as it scrolls.
type providerRow struct {
	widget.BaseWidget
	s *providersScreen
	p auth.Provider

	icon    *canvasImage
	name    *fitLabel
	sub     *fitLabel
	primary *widget.Button // Connect, Set up or Paste key
	second  *widget.Button // Paste token, beside Connect where the provider takes both
	more    *widget.Button // the other ways, when there are any
	idleBox *fyne.Container

	waiting  *widget.Label  // "Waiting for you in the browser…"
	cancel   *widget.Button // ends the sign-in
	copyLink *widget.Button // copies flow.URL()
	paste    *widget.Button // completes the flow from a pasted redirect URL
	useCode  *widget.Button // "Use a code instead", where the provider offers it
	waitBox  *fyne.Container

	// A sign-in with a code (codeBox): where to enter it, the code in
	// large type, Copy, Open the page, the time left, Cancel.
	codePage   *widget.Label // the verification page
	code       *canvas.Text
	copyCode   *widget.Button
	openPage   *widget.Button
	timeLeft   *widget.Label
	cancelCode *widget.Button
	codeBox    *fyne.Container

	flow   *auth.Flow         // the bound provider's browser flow, once Connect returned
	device *auth.DeviceFlow   // the bound provider's flow with a code
	stop   context.CancelFunc // ends the bound provider's sign-in; nil when idle
	others []*fyne.MenuItem
}

func newProviderRow(s *providersScreen) *providerRow {
	r := &providerRow{s: s, icon: newCanvasImage(32), name: newFitLabel(""), sub: newFitLabel(""),
		primary: widget.NewButton("", nil), second: widget.NewButton("", nil),
		waiting: widget.NewLabel("Waiting for you in the browser…")}
	r.name.TextStyle.Bold = true
	r.sub.Importance = widget.LowImportance
	r.primary.Importance = widget.HighImportance
	r.more = widget.NewButtonWithIcon("", theme.MoreVerticalIcon(), func() {
		c := fyne.CurrentApp().Driver().CanvasForObject(r.more)
		widget.ShowPopUpMenuAtRelativePosition(fyne.NewMenu("", r.others...), c, fyne.NewPos(0, r.more.Size().Height), r.more)
	})
	r.waiting.Wrapping = fyne.TextWrapWord
	stop := func() {
		if r.stop != nil {
			r.stop()
		}
	}
	r.cancel = widget.NewButton("Cancel", stop)
	r.copyLink = widget.NewButtonWithIcon("Copy link", theme.ContentCopyIcon(), r.onCopyLink)
	r.paste = widget.NewButtonWithIcon("Paste redirect URL…", theme.ContentPasteIcon(), r.onPaste)
	r.useCode = widget.NewButtonWithIcon("Use a code instead", theme.ComputerIcon(), r.onUseCode)
	r.idleBox = container.NewBorder(nil, nil, container.NewCenter(r.icon.img),
		container.NewCenter(container.NewHBox(r.second, r.primary, r.more)), container.New(tightVBox{}, r.name, r.sub))
	r.waitBox = container.NewVBox(container.NewBorder(nil, nil, nil, container.NewCenter(r.cancel), r.waiting),
		container.NewHBox(r.copyLink, r.paste), container.NewHBox(r.useCode))
	r.waitBox.Hide() // shown while the bound provider's sign-in runs

	intro := widget.NewLabel("Enter this code on any device at")
	intro.Truncation = fyne.TextTruncateEllipsis
	r.codePage = widget.NewLabel("")
	r.codePage.Truncation = fyne.TextTruncateEllipsis
	r.codePage.TextStyle.Bold = true
	r.code = canvas.NewText("", theme.Color(theme.ColorNameForeground))
	r.code.TextStyle = fyne.TextStyle{Monospace: true}
	r.code.TextSize = 2.5 * theme.TextSize()
	r.copyCode = widget.NewButtonWithIcon("Copy", theme.ContentCopyIcon(), r.onCopyCode)
	r.openPage = widget.NewButtonWithIcon("Open the page", theme.ComputerIcon(), r.onOpenPage)
	r.timeLeft = widget.NewLabel("")
	r.timeLeft.Importance = widget.LowImportance
	r.cancelCode = widget.NewButton("Cancel", stop)
	r.codeBox = container.NewVBox(container.NewBorder(nil, nil, nil, container.NewCenter(r.cancelCode), intro), r.codePage,
		container.NewBorder(nil, nil, nil, container.NewCenter(r.timeLeft), container.NewPadded(r.code)),
		container.NewHBox(r.copyCode, r.openPage))
	r.codeBox.Hide() // shown while the bound provider's sign-in with a code runs
	r.ExtendBaseWidget(r)
	return r
}

// CreateRenderer lays the row out: the idle line, or below it the waiting
// state of a sign-in.
func (r *providerRow) CreateRenderer() fyne.WidgetRenderer {
	return widget.NewSimpleRenderer(container.NewVBox(r.idleBox, r.waitBox, r.codeBox))
}

// bind draws provider p: its icon, name, how it connects, its actions, and
// the waiting state when a sign-in runs.
func (r *providerRow) bind(p auth.Provider) {
	if old := r.s.bound[r.p.ID]; old == r {
		delete(r.s.bound, r.p.ID)
	}
	r.p = p
	r.s.bound[p.ID] = r
	r.icon.set(r.s.deps.icons.provider(p))
	r.name.SetText(p.Name)
	r.sub.SetText(r.s.subtitle(p))
	label, action, second, others := r.s.actions(p)
	r.primary.SetText(label)
	r.primary.OnTapped = action
	r.second.Hide()
	if second != nil {
		r.second.SetText(second.Label)
		r.second.OnTapped = second.Action
		r.second.Show()
	}
	r.others = others
	r.more.Hide()
	if len(others) > 0 {
		r.more.Show()
	}
	si := r.s.signins[p.ID]
	if si == nil {
		r.flow, r.device, r.stop = nil, nil, nil
		r.primary.Enable()
		r.waitBox.Hide()
		r.codeBox.Hide()
		return
	}
	r.flow, r.device, r.stop = si.flow, si.device, si.stop
	r.primary.Disable()
	if si.device != nil {
		r.waitBox.Hide()
		r.codeBox.Show()
		r.codePage.SetText(si.device.VerificationURI())
		r.code.Text = si.device.UserCode()
		r.code.Color = theme.Color(theme.ColorNameForeground)
		r.code.Refresh()
		r.showTimeLeft()
		return
	}
	r.codeBox.Hide()
	r.waitBox.Show()
	r.waiting.SetText("Waiting for you in the browser…")
	r.copyLink.Disable()
	r.paste.Disable()
	r.useCode.Disable()
	r.useCode.Hide()
	switch {
	case si.asking:
		r.waiting.SetText("Asking " + p.Name + " for a code…")
		r.useCode.Show()
	case si.flow != nil:
		r.copyLink.Enable()
		r.paste.Enable()
		if si.canCode {
			r.useCode.Show()
			r.useCode.Enable()
		}
		if err := si.flow.BrowserError(); err != nil {
			r.waiting.SetText(errorText(err) + ".")
		}
	}
}

// showTimeLeft says how long the code shown still works.
func (r *providerRow) showTimeLeft() {
	if r.device == nil {
		return
	}
	left := r.device.Expiry().Sub(r.s.deps.now())
	r.timeLeft.SetText("Expires in " + human.Duration(left))
}

// onUseCode ends the browser sign-in and starts one with a code, for
// when the browser cannot reach Keyport or the person signs in elsewhere.
func (r *providerRow) onUseCode() {
	si := r.s.signins[r.p.ID]
	if si == nil || si.toCode == nil {
		return
	}
	si.toCode()
	si.toCode, si.asking, si.flow = nil, true, nil
	r.s.list.Refresh()
}

// onCopyCode puts the code on the clipboard: it is no secret on its own
// (it works only with the device code, which Keyport keeps).
func (r *providerRow) onCopyCode() {
	if r.device != nil {
		r.s.deps.app.Clipboard().SetContent(r.device.UserCode())
		r.s.deps.say("Code copied: enter it on "+r.device.Provider()+"'s page.", widget.MediumImportance)
	}
}

// onOpenPage opens the verification page in the browser: the one with the
// code filled in when the provider offers it.
func (r *providerRow) onOpenPage() {
	if r.device == nil {
		return
	}
	target, err := boundary.CheckLink(cmp.Or(r.device.VerificationURIComplete(), r.device.VerificationURI()))
	if err == nil {
		err = r.s.deps.open(target)
	}
	if err != nil {
		r.s.deps.say(errorText(err), widget.DangerImportance)
	}
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
	entry := newFormEntry(false)
	entry.SetPlaceHolder(f.RedirectURI() + "?code=…")
	item := widget.NewFormItem("Redirect URL", entry)
	item.HintText = "When the browser cannot reach Keyport (another machine, SSH), copy the address it ended on."
	d := dialog.NewForm("Paste the redirect URL", "Complete", "Cancel", []*widget.FormItem{item}, func(ok bool) {
		if !ok {
			return
		}
		pasted := entry.Text // read here: the goroutine must not touch the widget
		go func() {
			if err := f.Paste(pasted); err != nil {
				select {
				case <-f.Done(): // the flow ended: its outcome is reported by onConnect
				default:
					r.s.deps.do(func() { r.s.deps.say(errorText(err), widget.DangerImportance) })
				}
			}
		}()
	}, r.s.deps.win)
	d.Resize(fyne.NewSize(560, 0))
	dialogKeys(r.s.deps.win, d, d.Submit, entry)
	d.Show()
}

package ui

import (
	"cmp"
	"context"
	"slices"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/keyport/keyport/auth"
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

// signin is one sign-in in progress from the window.
type signin struct {
	flow *auth.Flow         // nil until Connect has returned
	stop context.CancelFunc // ends it
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

// waitHeight is the height of a row in the waiting state.
func (s *providersScreen) waitHeight() float32 {
	r := newProviderRow(s)
	r.waitBox.Show()
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
	waitBox  *fyne.Container
	flow     *auth.Flow         // the bound provider's flow, once Connect returned
	stop     context.CancelFunc // ends the bound provider's sign-in; nil when idle
	others   []*fyne.MenuItem
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
	r.cancel = widget.NewButton("Cancel", func() {
		if r.stop != nil {
			r.stop()
		}
	})
	r.copyLink = widget.NewButtonWithIcon("Copy link", theme.ContentCopyIcon(), r.onCopyLink)
	r.paste = widget.NewButtonWithIcon("Paste redirect URL…", theme.ContentPasteIcon(), r.onPaste)
	r.idleBox = container.NewBorder(nil, nil, container.NewCenter(r.icon.img),
		container.NewCenter(container.NewHBox(r.second, r.primary, r.more)), container.New(tightVBox{}, r.name, r.sub))
	r.waitBox = container.NewVBox(container.NewBorder(nil, nil, nil, container.NewCenter(r.cancel), r.waiting),
		container.NewHBox(r.copyLink, r.paste))
	r.waitBox.Hide() // shown while the bound provider's sign-in runs
	r.ExtendBaseWidget(r)
	return r
}

// CreateRenderer lays the row out: the idle line, or below it the waiting
// state of a sign-in.
func (r *providerRow) CreateRenderer() fyne.WidgetRenderer {
	return widget.NewSimpleRenderer(container.NewVBox(r.idleBox, r.waitBox))
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
		r.flow, r.stop = nil, nil
		r.primary.Enable()
		r.waitBox.Hide()
		return
	}
	r.flow, r.stop = si.flow, si.stop
	r.primary.Disable()
	r.waitBox.Show()
	r.waiting.SetText("Waiting for you in the browser…")
	r.copyLink.Disable()
	r.paste.Disable()
	if si.flow != nil {
		r.copyLink.Enable()
		r.paste.Enable()
		if err := si.flow.BrowserError(); err != nil {
			r.waiting.SetText(errorText(err) + ".")
		}
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
	entry := widget.NewEntry()
	entry.SetPlaceHolder(f.RedirectURI() + "?code=…")
	item := widget.NewFormItem("Redirect URL", entry)
	item.HintText = "When the browser cannot reach Keyport (another machine, SSH), copy the address it ended on."
	d := dialog.NewForm("Paste the redirect URL", "Complete", "Cancel", []*widget.FormItem{item}, func(ok bool) {
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

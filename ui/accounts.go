package ui

import (
	"maps"
	"regexp"
	"slices"
	"strconv"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/widget"

	"github.com/keyport/keyport/auth"
	"github.com/keyport/keyport/internal/human"
)

// showsSeconds matches a status that counts seconds ("retrying in 40 s").
var showsSeconds = regexp.MustCompile(`\b\d+ s\b`)

// accountsScreen is the list of connected accounts: a virtualised
// widget.List over a sorted slice, updated from the engine's
// subscription. Its methods run on the UI goroutine.
type accountsScreen struct {
	deps     *App
	list     *widget.List
	empty    *widget.Label
	heading  *widget.Label
	content  fyne.CanvasObject
	accounts []auth.Account       // sorted like auth.Engine.Accounts
	rows     map[*accountRow]bool // rows drawn since the last tick → they show seconds
}

// newAccounts builds the list from the accounts the index holds.
func newAccounts(deps *App, initial []auth.Account) *accountsScreen {
	s := &accountsScreen{deps: deps, accounts: initial, rows: map[*accountRow]bool{}}
	s.sort()
	s.list = widget.NewList(func() int { return len(s.accounts) },
		func() fyne.CanvasObject { return newAccountRow() }, s.updateItem)
	s.list.OnSelected = s.onSelected
	s.empty = widget.NewLabel("No accounts yet — press Connect next to a provider")
	s.empty.Alignment = fyne.TextAlignCenter
	s.empty.Wrapping = fyne.TextWrapWord
	s.heading = heading("")
	s.content = container.NewBorder(s.heading, nil, nil, nil, container.NewStack(s.list, container.NewVBox(layout.NewSpacer(), s.empty, layout.NewSpacer())))
	s.changed()
	return s
}

// updateItem draws one visible row.
func (s *accountsScreen) updateItem(id widget.ListItemID, o fyne.CanvasObject) {
	if id >= len(s.accounts) {
		return
	}
	a := s.accounts[id]
	row := o.(*accountRow)
	p, _ := s.deps.engine.Provider(a.Provider)
	status := human.Describe(a, s.deps.now())
	row.show(a, p.Name, status, s.deps.avatars.Get(a.AvatarURL, s.deps.icons.provider(p)))
	left, ok := lifetimeLeft(a, s.deps.now())
	row.lifetime.set(left, ok, row.status.Importance)
	seconds := showsSeconds.MatchString(status)
	s.rows[row] = seconds
	if seconds {
		s.deps.wakeTicker()
	}
}

// onSelected opens the account view of the tapped row.
func (s *accountsScreen) onSelected(id widget.ListItemID) {
	s.list.Unselect(id)
	if id < len(s.accounts) {
		s.deps.openAccount(s.accounts[id].Key())
	}
}

// find returns the index of the account with key, or -1.
func (s *accountsScreen) find(key string) int {
	return slices.IndexFunc(s.accounts, func(a auth.Account) bool { return a.Key() == key })
}

// upsert adds or replaces an account; a Status of "" removes it. It
// returns the previous version, if any. The caller sorts once after a
// batch of upserts.
func (s *accountsScreen) upsert(a auth.Account) (old auth.Account, had bool) {
	i := s.find(a.Key())
	if had = i >= 0; had {
		old = s.accounts[i]
		s.accounts = slices.Delete(s.accounts, i, i+1)
	}
	if a.Status != "" {
		s.accounts = append(s.accounts, a)
	}
	return old, had
}

// sort orders the accounts as the engine lists them.
func (s *accountsScreen) sort() {
	slices.SortFunc(s.accounts, auth.CompareAccounts)
}

// changed redraws the list, its heading and the empty state.
func (s *accountsScreen) changed() {
	if n := len(s.accounts); n > 0 {
		s.heading.SetText("Connected accounts (" + strconv.Itoa(n) + ")")
		s.empty.Hide()
	} else {
		s.heading.SetText("Connected accounts")
		s.empty.Show()
	}
	s.tick()
}

// tick re-renders the visible rows so relative times stay true, and
// reports whether any of them shows seconds.
func (s *accountsScreen) tick() bool {
	clear(s.rows)
	s.list.Refresh()
	return slices.Contains(slices.Collect(maps.Values(s.rows)), true)
}

// accountRow is one line of the list: avatar, name, email and provider,
// status, and the bar of the token's lifetime left.
type accountRow struct {
	widget.BaseWidget
	avatar   *canvasImage
	name     *fitLabel
	detail   *fitLabel
	status   *fitLabel
	lifetime *lifetimeBar
}

// newAccountRow builds an empty row for the list to fill.
func newAccountRow() *accountRow {
	r := &accountRow{avatar: newCanvasImage(40), name: newFitLabel(""), detail: newFitLabel(""), status: newFitLabel(""),
		lifetime: newLifetimeBar()}
	r.name.TextStyle.Bold = true
	r.ExtendBaseWidget(r)
	return r
}

// CreateRenderer lays the row out.
func (r *accountRow) CreateRenderer() fyne.WidgetRenderer {
	lines := container.NewBorder(nil, r.lifetime, nil, nil, container.New(tightVBox{}, r.name, r.detail, r.status))
	return widget.NewSimpleRenderer(container.NewBorder(nil, nil, container.NewCenter(r.avatar.img), nil, lines))
}

// show fills the row.
func (r *accountRow) show(a auth.Account, provider, status string, avatar fyne.Resource) {
	r.avatar.set(avatar)
	r.name.SetText(accountTitle(a))
	detail := provider
	if a.Email != "" && a.Email != a.Name {
		detail = a.Email + " · " + provider
	}
	r.detail.SetText(detail)
	r.status.Importance = statusImportance(a.Status)
	r.status.SetText(status)
}

// statusImportance colours a status: problems stand out.
func statusImportance(s auth.Status) widget.Importance {
	switch s {
	case auth.StatusReconnect, auth.StatusError, auth.StatusExpired:
		return widget.DangerImportance
	case auth.StatusRetrying, auth.StatusRefreshing:
		return widget.WarningImportance
	}
	return widget.MediumImportance
}

package ui

import (
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/keyport/keyport/auth"
)

// lifetimeBarHeight is the bar's thickness.
const lifetimeBarHeight = 3

// lifetimeLeft returns the share of the access token's lifetime still to
// run at now, from 1 (just issued) to 0 (expired), and false for a secret
// that does not expire (API keys, tokens without an expiry) or whose
// issue time is unknown.
func lifetimeLeft(a auth.Account, now time.Time) (float64, bool) {
	if a.APIKey || !a.Expires() || a.Obtained.IsZero() || !a.Expiry.After(a.Obtained) {
		return 0, false
	}
	left := float64(a.Expiry.Sub(now)) / float64(a.Expiry.Sub(a.Obtained))
	return min(max(left, 0), 1), true
}

// lifetimeBar is a thin bar under an account's status: the share of its
// token's lifetime left, coloured like the status. It keeps its height
// when empty, so the list's rows stay one size.
type lifetimeBar struct {
	widget.BaseWidget
	left  float64 // 0..1
	shown bool
	color fyne.ThemeColorName
}

func newLifetimeBar() *lifetimeBar {
	b := &lifetimeBar{}
	b.ExtendBaseWidget(b)
	return b
}

// set shows left (see lifetimeLeft) in the colour of importance, or
// nothing when shown is false.
func (b *lifetimeBar) set(left float64, shown bool, importance widget.Importance) {
	c := theme.ColorNamePrimary
	switch importance {
	case widget.DangerImportance:
		c = theme.ColorNameError
	case widget.WarningImportance:
		c = theme.ColorNameWarning
	}
	if left == b.left && shown == b.shown && c == b.color {
		return
	}
	b.left, b.shown, b.color = left, shown, c
	b.Refresh()
}

// CreateRenderer draws a track and the filled share over it.
func (b *lifetimeBar) CreateRenderer() fyne.WidgetRenderer {
	r := &lifetimeRenderer{bar: b, track: canvas.NewRectangle(nil), fill: canvas.NewRectangle(nil)}
	r.Refresh()
	return r
}

type lifetimeRenderer struct {
	bar         *lifetimeBar
	track, fill *canvas.Rectangle
}

func (r *lifetimeRenderer) Layout(size fyne.Size) {
	pad := r.bar.Theme().Size(theme.SizeNameInnerPadding) // in line with the labels' text
	w := max(size.Width-2*pad, 0)
	r.track.Move(fyne.NewPos(pad, 0))
	r.track.Resize(fyne.NewSize(w, lifetimeBarHeight))
	r.fill.Move(fyne.NewPos(pad, 0))
	r.fill.Resize(fyne.NewSize(w*float32(r.bar.left), lifetimeBarHeight))
}

func (r *lifetimeRenderer) MinSize() fyne.Size { return fyne.NewSize(0, lifetimeBarHeight) }

func (r *lifetimeRenderer) Refresh() {
	th, v := r.bar.Theme(), fyne.CurrentApp().Settings().ThemeVariant()
	r.track.FillColor = th.Color(theme.ColorNameInputBorder, v)
	r.fill.FillColor = th.Color(r.bar.color, v)
	r.track.Hidden, r.fill.Hidden = !r.bar.shown, !r.bar.shown
	r.Layout(r.bar.Size())
	r.track.Refresh()
	r.fill.Refresh()
}

func (r *lifetimeRenderer) Objects() []fyne.CanvasObject { return []fyne.CanvasObject{r.track, r.fill} }
func (r *lifetimeRenderer) Destroy()                     {}

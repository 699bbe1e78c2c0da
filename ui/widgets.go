package ui

import (
	"image"
	"unicode"
	"unicode/utf8"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// heading is a bold section title.
func heading(text string) *widget.Label {
	l := widget.NewLabel(text)
	l.TextStyle.Bold = true
	return l
}

// fitLabel is a one-line label that ends in an ellipsis when its text is
// too wide. Fyne shapes an ellipsis label's text afresh at every layout,
// while a clipping label measures it through Fyne's cache, many times
// faster (BenchmarkAccountRow, docs/BENCHMARKS.md); the first way was most
// of what 1,000 accounts added to start-up. So the label clips, which
// shows all of a text that fits, and takes the ellipsis only for a text
// that does not.
type fitLabel struct {
	widget.Label
}

func newFitLabel(text string) *fitLabel {
	l := &fitLabel{}
	l.Text = text
	l.Truncation = fyne.TextTruncateClip
	l.ExtendBaseWidget(l)
	return l
}

// SetText shows text.
func (l *fitLabel) SetText(text string) {
	l.Text = text
	l.fit(l.Size().Width)
	l.Refresh()
}

// Resize lays the label out at size, choosing its truncation first.
func (l *fitLabel) Resize(size fyne.Size) {
	if l.fit(size.Width) {
		l.Refresh()
	}
	l.Label.Resize(size)
}

// fit chooses the truncation for width and reports whether it changed.
func (l *fitLabel) fit(width float32) bool {
	t := fyne.TextTruncateClip
	th := l.Theme()
	text := th.Size(theme.SizeNameText)
	if width > 0 && fyne.MeasureText(l.Text, text, l.TextStyle).Width > width-2*th.Size(theme.SizeNameInnerPadding) {
		t = fyne.TextTruncateEllipsis
	}
	changed := t != l.Truncation
	l.Truncation = t
	return changed
}

// canvasImage is a square picture of a fixed size that swaps its resource
// only when it changes (decoding is not free).
type canvasImage struct {
	img *canvas.Image
	res fyne.Resource
}

// newCanvasImage returns an empty square picture of side size.
func newCanvasImage(size float32) *canvasImage {
	img := canvas.NewImageFromResource(nil)
	img.FillMode = canvas.ImageFillContain
	img.SetMinSize(fyne.NewSquareSize(size))
	return &canvasImage{img: img}
}

// set shows res.
func (c *canvasImage) set(res fyne.Resource) {
	if res == c.res {
		return
	}
	c.res = res
	if img, ok := pictures.Load(res); ok {
		c.img.Resource, c.img.Image = nil, img.(image.Image)
	} else {
		c.img.Resource, c.img.Image = res, nil
	}
	c.img.Refresh()
}

// tightVBox stacks objects like a VBox but lets consecutive labels overlap
// their inner padding, so multi-line rows stay compact.
type tightVBox struct{}

// overlap is how much consecutive objects share.
const overlap = 12

// Layout places the objects top to bottom.
func (tightVBox) Layout(objects []fyne.CanvasObject, size fyne.Size) {
	y := float32(0)
	for _, o := range objects {
		h := o.MinSize().Height
		o.Move(fyne.NewPos(0, y))
		o.Resize(fyne.NewSize(size.Width, h))
		y += h - overlap
	}
}

// MinSize is the stacked height less the overlaps, and the widest width.
func (tightVBox) MinSize(objects []fyne.CanvasObject) fyne.Size {
	var s fyne.Size
	for i, o := range objects {
		m := o.MinSize()
		s.Width = max(s.Width, m.Width)
		s.Height += m.Height
		if i > 0 {
			s.Height -= overlap
		}
	}
	return s
}

// sentence capitalises a message for a person to read.
func sentence(s string) string {
	if s == "" {
		return s
	}
	r, n := utf8.DecodeRuneInString(s)
	return string(unicode.ToUpper(r)) + s[n:]
}

// errorText words an error for the window: the engine's message with a
// capital first letter.
func errorText(err error) string { return sentence(err.Error()) }

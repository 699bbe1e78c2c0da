package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/keyport/keyport/internal/human"
)

// hiddenToken stands for a token that has not been read from the keychain.
const hiddenToken = "••••••••••••••••"

// tokenField is one token of an account view: a label that shows it masked
// and a Reveal button. The label is never selectable, so the only way to
// copy a token is Copy, through the clipboard that clears itself; a revealed
// token is masked again after the same delay. Its methods run on the UI
// goroutine.
type tokenField struct {
	label  *widget.Label
	reveal *widget.Button
	name   string // "Reveal" or "Reveal…" (asks first)
	value  string // the token, once read from the keychain; "" before
	shown  bool
	stop   func() // cancels the pending re-mask
}

// newTokenField builds a masked field; onReveal runs when Reveal is tapped
// while the token is hidden. confirm says the reveal asks first (its label
// ends in "…").
func newTokenField(confirm bool, onReveal func()) *tokenField {
	f := &tokenField{label: widget.NewLabel(hiddenToken), name: "Reveal"}
	if confirm {
		f.name = "Reveal…"
	}
	f.label.TextStyle.Monospace = true
	f.label.Truncation = fyne.TextTruncateEllipsis
	f.reveal = widget.NewButtonWithIcon(f.name, theme.VisibilityIcon(), func() {
		if f.shown {
			f.hide()
			return
		}
		onReveal()
	})
	return f
}

// show reveals value until hideAfter's timer masks it again.
func (f *tokenField) show(value string, hideAfter func(func()) func()) {
	f.cancel()
	f.value, f.shown = value, true
	f.label.SetText(value)
	f.reveal.SetText("Hide")
	f.stop = hideAfter(f.hide)
}

// hide masks the token: its first characters once read (human.Mask), else
// the placeholder.
func (f *tokenField) hide() {
	f.cancel()
	f.shown = false
	f.reveal.SetText(f.name)
	if f.value == "" {
		f.label.SetText(hiddenToken)
		return
	}
	f.label.SetText(human.Mask(f.value))
}

// forget drops the token read (a newer one replaced it) and masks.
func (f *tokenField) forget() {
	f.value = ""
	f.hide()
}

func (f *tokenField) cancel() {
	if f.stop != nil {
		f.stop()
		f.stop = nil
	}
}

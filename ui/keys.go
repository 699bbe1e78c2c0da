package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"
)

// dialogKeys makes d answer the keyboard while it is shown over win:
// Escape dismisses it and Enter (or Return) runs submit, nil meaning
// dismiss, both from the window and from inside the given entries. It is
// the one place dialogs get their keys; call it where d is built, right
// before d is shown. The window's own key handler comes back when d closes.
func dialogKeys(win fyne.Window, d dialog.Dialog, submit func(), entries ...*formEntry) {
	if submit == nil {
		submit = d.Hide
	}
	c := win.Canvas()
	prev := c.OnTypedKey()
	c.SetOnTypedKey(func(k *fyne.KeyEvent) {
		switch k.Name {
		case fyne.KeyEscape:
			d.Hide()
		case fyne.KeyReturn, fyne.KeyEnter:
			submit()
		default:
			if prev != nil {
				prev(k)
			}
		}
	})
	d.SetOnClosed(func() { c.SetOnTypedKey(prev) })
	for _, e := range entries {
		e.onEscape = d.Hide
		e.OnSubmitted = func(string) { submit() }
	}
}

// press returns what tapping b does, unless b is disabled then (a form
// whose work is under way): the action of Enter in a form.
func press(b *widget.Button) func() {
	return func() {
		if !b.Disabled() && b.OnTapped != nil {
			b.OnTapped()
		}
	}
}

// formEntry is a one-line entry of a dialog's form. A focused entry takes
// every key, so Escape, which a plain Entry ignores, is passed to the
// dialog here (dialogKeys sets onEscape); Enter is the entry's
// OnSubmitted.
type formEntry struct {
	widget.Entry
	onEscape func()
}

// newFormEntry returns an empty entry; password hides what is typed, with
// Fyne's button to show it.
func newFormEntry(password bool) *formEntry {
	e := &formEntry{}
	e.Password = password
	if password {
		e.Wrapping = fyne.TextWrap(fyne.TextTruncateClip)
	}
	e.ExtendBaseWidget(e)
	return e
}

// TypedKey passes Escape to the dialog and every other key to the entry.
func (e *formEntry) TypedKey(k *fyne.KeyEvent) {
	if k.Name == fyne.KeyEscape && e.onEscape != nil {
		e.onEscape()
		return
	}
	e.Entry.TypedKey(k)
}

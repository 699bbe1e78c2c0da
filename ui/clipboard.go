package ui

import (
	"time"

	"fyne.io/fyne/v2"

	"github.com/keyport/keyport/internal/human"
)

// secretClip puts secrets on the clipboard and takes them off again after a
// delay, but only if the clipboard still holds that secret: whatever the
// person copied since is left alone. Its methods run on the UI goroutine.
type secretClip struct {
	app   fyne.App
	after func(time.Duration, func()) func() // schedules the clearing (Options.AfterFunc)
	do    func(func())                       // runs a function on the UI goroutine
	delay func() time.Duration               // the current clear delay setting

	secret string // the secret last copied, "" once cleared
	stop   func() // cancels the pending clear
}

// Copy puts secret on the clipboard, tells the person with a notification
// titled by what ("Access token copied") and schedules the clearing.
func (c *secretClip) Copy(secret, what string) {
	if c.stop != nil {
		c.stop()
	}
	d := c.delay()
	c.app.Clipboard().SetContent(secret)
	c.secret = secret
	c.stop = c.after(d, func() { c.do(c.Clear) })
	c.app.SendNotification(fyne.NewNotification(what, copiedMessage(d)))
}

// copiedMessage is the text that says a secret was copied and when it goes.
func copiedMessage(d time.Duration) string {
	return "Copied — clears in " + human.Duration(d)
}

// Clear removes the copied secret from the clipboard if it is still there.
// It is also called when Keyport quits before the delay is up: on X11 the
// clipboard content is owned by the app and vanishes when it exits anyway
// (fyne-io/fyne#5835), but other systems keep it, so clearing explicitly is
// the safe choice everywhere.
func (c *secretClip) Clear() {
	if c.stop != nil {
		c.stop()
		c.stop = nil
	}
	if c.secret == "" {
		return
	}
	if cb := c.app.Clipboard(); cb.Content() == c.secret {
		cb.SetContent("")
	}
	c.secret = ""
}

package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// ShowStartError shows why Keyport could not start (the error text,
// selectable so it can be copied into a report) with a Quit button, and
// runs the app until the window is closed. It blocks like ShowAndRun.
func ShowStartError(a fyne.App, err error) {
	a.SetIcon(appIcon)
	w := a.NewWindow("Keyport could not start")
	msg := widget.NewLabel(errorText(err) + ".")
	msg.Wrapping = fyne.TextWrapWord
	msg.Selectable = true
	title := heading("Keyport could not start")
	icon := widget.NewIcon(theme.ErrorIcon())
	quit := widget.NewButton("Quit", a.Quit)
	quit.Importance = widget.HighImportance
	w.SetContent(container.NewPadded(container.NewBorder(
		container.NewBorder(nil, nil, icon, nil, title), container.NewHBox(layout.NewSpacer(), quit), nil, nil,
		container.NewVScroll(msg))))
	w.Resize(fyne.NewSize(560, 260))
	w.SetMaster()
	w.ShowAndRun()
}

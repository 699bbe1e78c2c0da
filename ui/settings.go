package ui

import (
	"slices"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"

	"github.com/keyport/keyport/internal/human"
)

// settingsScreen edits the preferences: the clipboard clear delay and
// whether closing the window keeps Keyport running in the tray. Changes
// apply at once. Its methods run on the UI goroutine.
type settingsScreen struct {
	deps   *App
	delay  *widget.Select
	tray   *widget.Check
	dialog *dialog.CustomDialog
}

// newSettings builds the screen from the current preferences.
func newSettings(deps *App) *settingsScreen {
	s := &settingsScreen{deps: deps}
	var names []string
	for _, d := range clipboardChoices {
		names = append(names, human.Duration(d))
	}
	s.delay = widget.NewSelect(names, s.onDelay)
	current := deps.prefs.ClipboardClear()
	if i := slices.Index(clipboardChoices, current); i >= 0 {
		s.delay.SetSelectedIndex(i)
	} else {
		s.delay.PlaceHolder = human.Duration(current)
	}
	s.tray = widget.NewCheck("Keep running in the tray when the window is closed", deps.prefs.SetKeepInTray)
	s.tray.SetChecked(deps.prefs.KeepInTray())
	note := widget.NewLabel("Keeps tokens fresh in the background.")
	if !deps.prefs.trayDefault {
		s.tray.Disable()
		note.SetText("This desktop has no system tray: closing the window quits Keyport.")
	}
	note.Importance = widget.LowImportance
	note.Wrapping = fyne.TextWrapWord
	form := widget.NewForm(
		widget.NewFormItem("Clear copied secrets after", s.delay),
		widget.NewFormItem("", container.NewVBox(s.tray, note)),
	)
	s.dialog = dialog.NewCustom("Settings", "Close", form, deps.win)
	s.dialog.Resize(fyne.NewSize(520, 0))
	dialogKeys(deps.win, s.dialog, nil)
	return s
}

// onDelay stores the chosen clipboard clear delay.
func (s *settingsScreen) onDelay(string) {
	if i := s.delay.SelectedIndex(); i >= 0 {
		s.deps.prefs.SetClipboardClear(clipboardChoices[i])
	}
}

package ui

import (
	"slices"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"

	"github.com/keyport/keyport/internal/human"
)

// settingsScreen edits the preferences: the clipboard clear delay,
// whether closing the window keeps Keyport running in the tray, whether it
// starts at login, and the local API proxy. Changes apply at once. Its
// methods run on the UI goroutine.
type settingsScreen struct {
	deps    *App
	delay   *widget.Select
	tray    *widget.Check
	login   *widget.Check
	problem *widget.Label
	proxy   *proxySettings
	dialog  *dialog.CustomDialog
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
	var proxyBox fyne.CanvasObject
	s.proxy, proxyBox = newProxySettings(deps.proxy)
	form := widget.NewForm(
		widget.NewFormItem("Clear copied secrets after", s.delay),
		widget.NewFormItem("", container.NewVBox(s.tray, note)),
		widget.NewFormItem("", s.newLogin()),
		widget.NewFormItem("", proxyBox),
	)
	s.dialog = dialog.NewCustom("Settings", "Close", form, deps.win)
	s.dialog.Resize(fyne.NewSize(520, 0))
	dialogKeys(deps.win, s.dialog, nil)
	return s
}

// newLogin builds the start-at-login check from the entry the system
// has: the entry is the setting, nothing else records it.
func (s *settingsScreen) newLogin() fyne.CanvasObject {
	s.login = widget.NewCheck("Start Keyport when I log in", nil)
	s.problem = widget.NewLabel("")
	s.problem.Importance = widget.DangerImportance
	s.problem.Wrapping = fyne.TextWrapWord
	s.problem.Hide()
	note := widget.NewLabel("It starts in the tray and keeps tokens fresh from the start of your session.")
	note.Importance = widget.LowImportance
	note.Wrapping = fyne.TextWrapWord
	if s.deps.autostart == nil {
		s.login.Disable()
		note.SetText("Starting at login is not available in this build.")
		return container.NewVBox(s.login, note)
	}
	on, err := s.deps.autostart.Enabled()
	if err != nil {
		s.fail(err)
	}
	s.login.SetChecked(on)
	s.login.OnChanged = s.onLogin
	return container.NewVBox(s.login, note, s.problem)
}

// onLogin installs or removes the login entry; when that fails the check
// goes back to what the system has.
func (s *settingsScreen) onLogin(on bool) {
	if err := s.deps.autostart.SetEnabled(on); err != nil {
		s.fail(err)
		s.login.OnChanged = nil
		s.login.SetChecked(!on)
		s.login.OnChanged = s.onLogin
		return
	}
	s.problem.Hide()
}

// fail shows what went wrong with the login entry.
func (s *settingsScreen) fail(err error) {
	s.problem.SetText(errorText(err) + ".")
	s.problem.Show()
}

// onDelay stores the chosen clipboard clear delay.
func (s *settingsScreen) onDelay(string) {
	if i := s.delay.SelectedIndex(); i >= 0 {
		s.deps.prefs.SetClipboardClear(clipboardChoices[i])
	}
}

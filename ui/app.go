// Package ui is Keyport's window: the providers to connect, the connected
// accounts with their live token status, the account view, settings and
// the system tray. It drives an *auth.Engine and holds no secret longer
// than the clipboard does.
package ui

import (
	"context"
	"net/http"
	"net/url"
	"sync/atomic"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/keyport/keyport/auth"
	"github.com/keyport/keyport/internal/autostart"
	"github.com/keyport/keyport/internal/boundary"
	"github.com/keyport/keyport/internal/proxy"
)

// AppID is Keyport's application id, as in FyneApp.toml; it names the
// preferences file and the desktop entry.
const AppID = "io.keyport.app"

// Options adjusts the window. The zero value is ready to use.
type Options struct {
	// AfterFunc runs f after d and returns a function that cancels it; it
	// schedules the clearing of copied secrets. Default: time.AfterFunc.
	AfterFunc func(d time.Duration, f func()) (stop func())
	// HTTPClient loads account pictures; only its redirects within one
	// site are followed. Default: a client with a 20 s timeout.
	HTTPClient *http.Client
	// Now is the clock of the relative times shown. Default: time.Now.
	Now func() time.Time
	// Autostart turns starting at login on and off (Settings); nil: the
	// setting is not offered.
	Autostart autostart.Manager
	// Hidden starts Keyport in the system tray without showing the window
	// (as at login), where there is a tray; without one the window shows.
	Hidden bool

	// do runs f on the UI goroutine without waiting; fyne.Do unless a test
	// pumps the work itself.
	do func(f func())
	// proxy is where the local API proxy listens; nil: proxy.DefaultAddr
	// and proxy.DefaultSocket (tests choose free ones).
	proxy *proxy.Config
}

// App is Keyport's main window and everything it drives: tray, account
// views, notifications. Build it with New.
type App struct {
	app    fyne.App
	engine *auth.Engine
	win    fyne.Window
	ctx    context.Context // cancelled on quit: ends flows, downloads and goroutines
	cancel context.CancelFunc
	do     func(func())
	now    func() time.Time
	after  func(time.Duration, func()) func() // Options.AfterFunc
	open   func(*url.URL) error               // the browser, behind boundary.GuardOpen

	prefs     settings
	autostart autostart.Manager // Options.Autostart
	hidden    bool              // Options.Hidden
	clip      *secretClip
	icons     iconCache
	avatars   *avatars
	providers *providersScreen
	accounts  *accountsScreen
	views     map[string]*accountView // open account views by key
	tray      *tray
	proxy     *proxyControl
	info      *widget.Label
	infoBar   *fyne.Container

	sub     *auth.Subscription
	reloads chan struct{} // capacity 1: a focus asks for one Reload
	reload  func() error  // the engine's Reload (a test counts calls)
	wake    chan struct{} // makes the ticker re-read its interval
	seconds atomic.Bool   // a visible row shows seconds: tick every second
}

// LoadFontsWhile runs load on another goroutine while it loads the fonts
// the window's text needs, and returns when both are done. The fonts (the
// theme's faces parsed, the system's scanned for other scripts) would
// otherwise load when ui.New measures its first text; load is for work that
// can overlap them, such as reading the account index.
func LoadFontsWhile(load func()) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		load()
	}()
	for _, style := range []fyne.TextStyle{{}, {Bold: true}} {
		fyne.MeasureText("Keyport", theme.TextSize(), style)
	}
	<-done
}

// New builds the main window for e. It lists accounts from the engine's
// index only (the keychain is not touched until a secret is copied or
// revealed) and starts following the engine's changes. The engine's
// refresher (Engine.Run) is the caller's to start.
func New(a fyne.App, e *auth.Engine, o Options) *App {
	if o.AfterFunc == nil {
		o.AfterFunc = func(d time.Duration, f func()) func() { t := time.AfterFunc(d, f); return func() { t.Stop() } }
	}
	if o.HTTPClient == nil {
		o.HTTPClient = &http.Client{Timeout: 20 * time.Second}
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.do == nil {
		o.do = fyne.Do
	}
	ctx, cancel := context.WithCancel(context.Background())
	u := &App{app: a, engine: e, ctx: ctx, cancel: cancel, do: o.do, now: o.Now, after: o.AfterFunc, open: boundary.GuardOpen(a.OpenURL),
		prefs: settings{p: a.Preferences(), trayDefault: trayAvailable(a)}, icons: iconCache{},
		views: map[string]*accountView{}, wake: make(chan struct{}, 1), reloads: make(chan struct{}, 1), reload: e.Reload,
		autostart: o.Autostart, hidden: o.Hidden}
	a.SetIcon(appIcon)
	a.Settings().SetTheme(newTheme())
	u.win = a.NewWindow("Keyport")
	u.clip = &secretClip{app: a, after: o.AfterFunc, do: u.do, delay: u.prefs.ClipboardClear}
	u.avatars = newAvatars(ctx, boundary.Client(o.HTTPClient, boundary.SameOrigin), u.do, func(string) { u.tick() })
	u.sub = e.Subscribe() // before listing, so no change is missed
	u.accounts = newAccounts(u, e.Accounts())
	u.providers = newProviders(u) // orders by the accounts listed
	u.proxy = newProxyControl(u, o.proxy)

	u.info = widget.NewLabel("")
	u.info.Wrapping = fyne.TextWrapWord
	dismiss := widget.NewButtonWithIcon("", theme.CancelIcon(), func() { u.say("", widget.MediumImportance) })
	dismiss.Importance = widget.LowImportance
	u.infoBar = container.NewBorder(nil, nil, nil, dismiss, u.info)
	u.infoBar.Hide()
	settingsButton := widget.NewButtonWithIcon("Settings", theme.SettingsIcon(), func() { newSettings(u).dialog.Show() })
	split := container.NewHSplit(container.NewPadded(u.providers.content), container.NewPadded(u.accounts.content))
	split.Offset = 0.4
	logo := newCanvasImage(24)
	logo.set(appIcon)
	header := container.NewBorder(nil, nil, container.NewHBox(logo.img, heading("Keyport")), container.NewHBox(u.proxy.status, settingsButton))
	u.win.SetContent(container.NewBorder(header, u.infoBar, nil, nil, split))
	u.win.Resize(fyne.NewSize(1040, 680))
	u.win.SetCloseIntercept(u.onClose)
	a.Lifecycle().SetOnStopped(u.cancel) // the driver is gone by then: no clipboard
	a.Lifecycle().SetOnEnteredForeground(u.onForeground)
	go u.reloader()
	go u.listen()
	go u.runTicker()
	return u
}

// onForeground asks for a Reload, to pick up what the command line changed
// while the window was in the background (the changes arrive through the
// subscription). Focus events coalesce: while a Reload runs, any number of
// them make one more.
func (u *App) onForeground() {
	select {
	case u.reloads <- struct{}{}:
	default:
	}
}

// reloader runs the Reloads onForeground asks for, one at a time, until the
// app stops.
func (u *App) reloader() {
	for {
		select {
		case <-u.ctx.Done():
			return
		case <-u.reloads:
			if err := u.reload(); err != nil {
				u.do(func() { u.say(errorText(err), widget.DangerImportance) })
			}
		}
	}
}

// ShowAndRun shows the window (unless Options.Hidden and there is a tray)
// and runs the app until it quits.
func (u *App) ShowAndRun() {
	if !u.hidden || !trayAvailable(u.app) {
		u.win.Show()
	}
	u.startTray()
	u.app.Run()
}

// startTray installs the tray icon and menu. ShowAndRun calls it once the
// window is on screen, before the app runs (Fyne starts a tray only then):
// the tray costs Fyne a second, hidden GL window and a D-Bus registration,
// time that would otherwise come before the window (docs/BENCHMARKS.md).
func (u *App) startTray() {
	u.tray = newTray(u.app, u.win, trayActions{providerName: u.providerName, copyToken: u.copyToken, show: u.show, quit: u.quit})
	u.tray.onAccounts(u.accounts.accounts)
	u.win.SetCloseIntercept(u.onClose) // the tray set its own (hide)
}

// Window returns the main window.
func (u *App) Window() fyne.Window { return u.win }

// say shows a short non-modal message below the lists (so they do not
// move when it comes and goes); "" hides it.
func (u *App) say(text string, importance widget.Importance) {
	u.info.Importance = importance
	u.info.SetText(text)
	if text == "" {
		u.infoBar.Hide()
	} else {
		u.infoBar.Show()
	}
}

// link is a hyperlink to a provider's page (register, documentation) that
// opens through the one browser guard, or nil when raw is not a web link.
func (u *App) link(text, raw string) *widget.Hyperlink {
	target, err := boundary.CheckLink(raw)
	if err != nil {
		return nil
	}
	l := widget.NewHyperlink(text, target)
	l.OnTapped = func() {
		if err := u.open(target); err != nil {
			u.say(errorText(err), widget.DangerImportance)
		}
	}
	return l
}

// registerURL is the provider's register page with its params filled from
// the set-up (a self-hosted server's own page), or "" when a param has no
// value yet.
func (u *App) registerURL(p auth.Provider) string {
	values, err := p.ParamValues(u.engine.Client(p.ID).Params)
	if err != nil {
		return ""
	}
	filled, err := p.WithParams(values)
	if err != nil {
		return ""
	}
	return filled.RegisterURL
}

// hostOf is the host of a link, for its label.
func hostOf(raw string) string {
	if u, err := url.Parse(raw); err == nil {
		return u.Host
	}
	return raw
}

// providerName returns a provider's display name, or its id if unknown.
func (u *App) providerName(id string) string {
	if p, ok := u.engine.Provider(id); ok {
		return p.Name
	}
	return id
}

// Show brings the main window forward, as a second start of Keyport asks.
// It is for goroutines other than the UI's; it returns at once.
func (u *App) Show() { u.do(u.show) }

// show brings the main window back, from the tray or an account view.
func (u *App) show() {
	u.win.Show()
	u.win.RequestFocus()
}

// onClose hides the window when Keyport keeps running in the tray, else
// quits.
func (u *App) onClose() {
	if u.prefs.KeepInTray() {
		u.win.Hide()
		return
	}
	u.quit()
}

// Quit clears a copied secret from the clipboard, stops Keyport's work and
// quits the app. It is for goroutines other than the UI's, such as a
// signal handler; it returns at once.
func (u *App) Quit() { u.do(u.quit) }

// quit stops everything: sign-ins, downloads, the clipboard timer (the
// secret is cleared now, while the driver still runs), then the app.
func (u *App) quit() {
	u.stop()
	u.app.Quit()
}

// stop cancels Keyport's work and clears a copied secret; it is safe to
// call more than once.
func (u *App) stop() {
	u.cancel()
	u.clip.Clear()
}

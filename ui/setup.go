package ui

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/keyport/keyport/auth"
)

// setupForm is the OAuth client form of one provider: client id, client
// secret (kept in the keychain), redirect port and the redirect URI to
// register. Its methods run on the UI goroutine.
type setupForm struct {
	deps     *App
	p        auth.Provider
	params   map[string]*formEntry // the provider's params by name
	clientID *formEntry
	secret   *formEntry
	port     *formEntry
	uri      *widget.Label
	problem  *widget.Label
	save     *widget.Button
	dialog   *dialog.CustomDialog
}

// newSetup builds the form, filled with the provider's current settings.
func newSetup(deps *App, p auth.Provider) *setupForm {
	c := deps.engine.Client(p.ID)
	f := &setupForm{deps: deps, p: p, clientID: newFormEntry(false), secret: newFormEntry(true), port: newFormEntry(false)}
	f.clientID.SetText(c.ClientID)
	switch {
	case c.HasSecret:
		f.secret.SetPlaceHolder("Saved in the keychain; leave empty to keep it")
	case p.NeedsSecret:
		f.secret.SetPlaceHolder("Required by " + p.Name)
	default:
		f.secret.SetPlaceHolder("Optional: public clients have none")
	}
	if c.RedirectPort != 0 {
		f.port.SetText(strconv.Itoa(c.RedirectPort))
	}
	f.port.SetPlaceHolder("Any free port")
	if p.NeedsFixedPort {
		f.port.SetPlaceHolder("Required: a free port, e.g. 53682")
	}
	f.port.Validator = func(s string) error { _, err := parsePort(s); return err }
	f.uri = widget.NewLabel("")
	f.uri.Selectable = true
	f.uri.Wrapping = fyne.TextWrapBreak
	f.port.OnChanged = func(string) { f.uri.SetText(f.redirectURI()) }
	f.uri.SetText(f.redirectURI())
	copyURI := widget.NewButtonWithIcon("", theme.ContentCopyIcon(), func() {
		deps.app.Clipboard().SetContent(f.uri.Text)
	})
	f.problem = widget.NewLabel("")
	f.problem.Importance = widget.DangerImportance
	f.problem.Wrapping = fyne.TextWrapWord
	f.problem.Hide()

	form := widget.NewForm()
	f.params = map[string]*formEntry{}
	entries := []*formEntry{}
	for _, pr := range p.Params {
		e := newFormEntry(false)
		entries = append(entries, e)
		e.SetText(c.Params[pr.Name])
		e.SetPlaceHolder(pr.Default)
		item := widget.NewFormItem(pr.Label, e)
		item.HintText = pr.Help
		form.AppendItem(item)
		f.params[pr.Name] = e
	}
	oauth := p.Mode == auth.ModeOAuth2 || p.SupportsOAuth()
	if oauth {
		form.Append("Client ID", f.clientID)
		form.Append("Client secret", f.secret)
		form.Append("Redirect port", f.port)
		form.Append("Redirect URI", container.NewBorder(nil, nil, nil, copyURI, f.uri))
	}
	intro := widget.NewLabel("Register an OAuth client at " + p.Name + " with the redirect URI below, then enter what it gives you.")
	if !oauth {
		intro.SetText("Tell Keyport where your " + p.Name + " account is.")
	}
	intro.Wrapping = fyne.TextWrapWord
	content := container.NewVBox(intro)
	if reg := deps.registerURL(p); reg != "" {
		if l := deps.link("Register a client at "+hostOf(reg), reg); l != nil {
			content.Add(l)
		}
	}
	if p.Notes != "" {
		notes := widget.NewLabel(p.Notes)
		notes.Wrapping = fyne.TextWrapWord
		content.Add(notes)
	}
	content.Add(form)
	content.Add(f.problem)

	f.save = widget.NewButton("Save", f.onSave)
	f.save.Importance = widget.HighImportance
	f.dialog = dialog.NewCustomWithoutButtons("Set up "+p.Name, content, deps.win)
	f.dialog.SetButtons([]fyne.CanvasObject{widget.NewButton("Cancel", f.dialog.Hide), f.save})
	f.dialog.Resize(fyne.NewSize(600, 0))
	if oauth {
		entries = append(entries, f.clientID, f.secret, f.port)
	}
	dialogKeys(deps.win, f.dialog, press(f.save), entries...)
	return f
}

// redirectURI is the URI to register for the port typed so far: the
// engine's redirect URI with that port.
func (f *setupForm) redirectURI() string {
	u, err := url.Parse(f.deps.engine.RedirectURI(f.p.ID))
	if err != nil {
		return f.deps.engine.RedirectURI(f.p.ID)
	}
	if port, err := parsePort(f.port.Text); err == nil && port != 0 {
		u.Host = net.JoinHostPort(u.Hostname(), strconv.Itoa(port))
	} else {
		u.Host = u.Hostname()
	}
	return u.String()
}

// parsePort reads a port number; empty is 0 (any port).
func parsePort(s string) (int, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > 65535 {
		return 0, errPort
	}
	return n, nil
}

// errPort says what a port number is.
var errPort = errors.New("enter a port number from 1024 to 65535, or leave it empty")

// onSave stores the settings (the secret goes to the keychain, which may
// block, so it runs in a goroutine) and closes the form when that worked.
func (f *setupForm) onSave() {
	port, err := parsePort(f.port.Text)
	if err == nil && f.p.NeedsFixedPort && port == 0 {
		err = fmt.Errorf("%s matches redirect URIs exactly: enter the port you registered", f.p.Name)
	}
	if err != nil {
		f.fail(err)
		return
	}
	c := auth.ClientSettings{ClientID: f.clientID.Text, RedirectPort: port}
	if len(f.params) > 0 {
		c.Params = map[string]string{}
		for name, e := range f.params {
			if v := strings.TrimSpace(e.Text); v != "" {
				c.Params[name] = v
			}
		}
	}
	secret := f.secret.Text
	f.save.Disable()
	go func() {
		err := f.deps.engine.SetClient(f.deps.ctx, f.p.ID, c, secret)
		f.deps.do(func() {
			f.save.Enable()
			if err != nil {
				f.fail(err)
				return
			}
			f.dialog.Hide()
			f.deps.providers.refresh(f.p.ID)
			f.deps.say(f.p.Name+" is set up: press Connect.", widget.SuccessImportance)
		})
	}()
}

// fail shows what is wrong and keeps the form open.
func (f *setupForm) fail(err error) {
	f.problem.SetText(errorText(err) + ".")
	f.problem.Show()
}

package ui

import (
	"context"
	"sync"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"github.com/keyport/keyport/internal/proxy"
)

// proxyStartTimeout bounds reading the proxy key from the keychain (a
// locked keychain asks to be unlocked).
const proxyStartTimeout = time.Minute

// proxyControl runs the local API proxy (internal/proxy) while the setting
// is on, from the window's start when it was left on, and shows where it
// listens in the window's header. Its methods run on the UI goroutine; the
// proxy starts and stops on others.
type proxyControl struct {
	deps   *App
	config proxy.Config  // where it listens
	status *widget.Label // the header's "API proxy …", hidden while stopped
	gen    int           // counts starts and stops, so a start that ends late is undone
	err    error         // why the last start failed
	onShow func()        // refreshes an open settings screen

	mu  sync.Mutex // guards srv, which the quit goroutine shuts down
	srv *proxy.Server
}

func newProxyControl(deps *App, config *proxy.Config) *proxyControl {
	c := &proxyControl{deps: deps, config: proxy.Config{Listen: proxy.DefaultAddr, Socket: proxy.DefaultSocket()}, status: widget.NewLabel("")}
	if config != nil {
		c.config = *config
	}
	c.status.Importance = widget.LowImportance
	c.status.Hide()
	go func() {
		<-deps.ctx.Done() // quitting: stop listening, remove the socket
		c.shutdown(c.take())
	}()
	if deps.prefs.ProxyOn() {
		c.start()
	}
	return c
}

// set switches the proxy on or off and remembers the choice.
func (c *proxyControl) set(on bool) {
	c.deps.prefs.SetProxyOn(on)
	if on {
		c.start()
	} else {
		c.stop()
	}
}

func (c *proxyControl) start() {
	c.gen++
	gen, cfg, e := c.gen, c.config, c.deps.engine
	c.err = nil
	go func() {
		ctx, cancel := context.WithTimeout(c.deps.ctx, proxyStartTimeout)
		defer cancel()
		var srv *proxy.Server
		key, err := e.ProxyKey(ctx)
		if err == nil {
			srv, err = proxy.New(e, key, e.Logger(), nil).Start(cfg)
		}
		c.deps.do(func() {
			if gen != c.gen || c.deps.ctx.Err() != nil { // switched off, or quitting, meanwhile
				go c.shutdown(srv)
				return
			}
			c.mu.Lock()
			c.srv = srv
			c.mu.Unlock()
			c.err = err
			c.show()
		})
	}()
	c.show()
}

func (c *proxyControl) stop() {
	c.gen++
	c.err = nil
	go c.shutdown(c.take())
	c.show()
}

// take returns the running server, which the caller stops, and forgets it.
func (c *proxyControl) take() *proxy.Server {
	c.mu.Lock()
	defer c.mu.Unlock()
	srv := c.srv
	c.srv = nil
	return srv
}

// running returns the running server, or nil.
func (c *proxyControl) running() *proxy.Server {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.srv
}

func (c *proxyControl) shutdown(srv *proxy.Server) {
	if srv == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_ = srv.Shutdown(ctx)
}

// where says where the running proxy listens.
func where(srv *proxy.Server) string {
	switch {
	case srv.URL() != "" && srv.Socket() != "":
		return srv.URL() + " and unix:" + srv.Socket()
	case srv.URL() != "":
		return srv.URL()
	}
	return "unix:" + srv.Socket()
}

// show updates the header and an open settings screen.
func (c *proxyControl) show() {
	if srv := c.running(); srv != nil {
		c.status.SetText("API proxy on " + srv.Addr())
		if srv.Addr() == "" {
			c.status.SetText("API proxy on unix:" + srv.Socket())
		}
		c.status.Show()
	} else {
		c.status.Hide()
	}
	if c.onShow != nil {
		c.onShow()
	}
}

// proxySettings is the proxy's part of the settings screen.
type proxySettings struct {
	c      *proxyControl
	check  *widget.Check
	detail *widget.Label
	copy   *widget.Button
}

// newProxySettings builds the switch, what it says, and Copy key.
func newProxySettings(c *proxyControl) (*proxySettings, fyne.CanvasObject) {
	s := &proxySettings{c: c, detail: widget.NewLabel("")}
	s.check = widget.NewCheck("Local API proxy for scripts, curl and Postman", nil)
	s.check.SetChecked(c.deps.prefs.ProxyOn())
	s.check.OnChanged = c.set
	s.detail.Wrapping = fyne.TextWrapWord
	s.copy = widget.NewButton("Copy proxy key", s.onCopyKey)
	c.onShow = s.refresh
	s.refresh()
	return s, container.NewVBox(s.check, s.detail, container.NewHBox(s.copy))
}

// refresh says what the proxy is doing.
func (s *proxySettings) refresh() {
	c := s.c
	s.detail.Importance = widget.LowImportance
	s.copy.Hide()
	switch srv := c.running(); {
	case srv != nil:
		s.detail.SetText("Running at " + where(srv) + ". Request /ACCOUNT/path; over TCP send the key as " + proxy.KeyHeader + ".")
		if srv.URL() != "" {
			s.copy.Show()
		}
	case c.err != nil:
		s.detail.Importance = widget.DangerImportance
		s.detail.SetText("The proxy did not start: " + errorText(c.err))
	case c.deps.prefs.ProxyOn():
		s.detail.SetText("Starting…")
	default:
		s.detail.SetText("Off. When on, a request to /ACCOUNT/path goes to the account's API with its token, for programs on this computer only.")
	}
}

// onCopyKey copies the proxy key, which clears itself like any secret.
func (s *proxySettings) onCopyKey() {
	u := s.c.deps
	go func() {
		key, err := u.engine.ProxyKey(u.ctx)
		u.do(func() {
			if err != nil {
				u.say(errorText(err), widget.DangerImportance)
				return
			}
			u.clip.Copy(key, "Proxy key copied")
		})
	}()
}

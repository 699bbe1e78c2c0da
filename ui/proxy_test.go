package ui

import (
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"
	"github.com/zalando/go-keyring"

	"github.com/keyport/keyport/auth"
	"github.com/keyport/keyport/internal/proxy"
)

// newProxyHarness is newHarness with the proxy on free addresses, and its
// setting on or off before the window is built.
func newProxyHarness(t *testing.T, on bool) (*harness, proxy.Config) {
	t.Helper()
	keyring.MockInit()
	h := &harness{t: t, app: test.NewTempApp(t),
		keys: &countingKeychain{Keychain: auth.NewSystemKeychain("keyport-test", time.Second)}}
	h.app.Preferences().SetBool(keyProxyOn, on)
	e, err := auth.New(auth.Params{ConfigDir: t.TempDir(), Keychain: h.keys, OpenURL: h.openURL})
	if err != nil {
		t.Fatal(err)
	}
	h.engine = e
	cfg := proxy.Config{Listen: "127.0.0.1:0", Socket: filepath.Join(t.TempDir(), "proxy.sock")}
	h.ui = New(h.app, e, Options{AfterFunc: h.afterFunc, do: h.enqueue, proxy: &cfg})
	t.Cleanup(func() {
		h.ui.stop()
		h.pump()
		h.waitFor("the proxy to stop", func() bool { _, err := os.Lstat(cfg.Socket); return os.IsNotExist(err) })
	})
	return h, cfg
}

// askProxy sends a request without the key to the running proxy and
// returns the status: 407 means it is the proxy answering.
func askProxy(t *testing.T, base string) int {
	t.Helper()
	resp, err := http.Get(base + "/anyone/x")
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// Off by default: nothing listens, the header shows nothing, and the
// keychain is not asked for the key.
func TestProxyOffByDefault(t *testing.T) {
	h, cfg := newProxyHarness(t, false)
	h.pump()
	if h.ui.prefs.ProxyOn() || h.ui.proxy.status.Visible() || h.ui.proxy.running() != nil {
		t.Fatal("the proxy is on by default")
	}
	if _, err := os.Lstat(cfg.Socket); !os.IsNotExist(err) {
		t.Errorf("a socket exists: %v", err)
	}
	scr := newSettings(h.ui)
	if scr.proxy.check.Checked || !strings.HasPrefix(scr.proxy.detail.Text, "Off.") || scr.proxy.copy.Visible() {
		t.Errorf("settings show %v %q", scr.proxy.check.Checked, scr.proxy.detail.Text)
	}
	if n := h.keys.calls.Load(); n != 0 {
		t.Errorf("%d keychain calls with the proxy off", n)
	}
}

// Switching it on in Settings starts it, the header shows its address, the
// setting is kept, Copy key copies the key; switching it off stops it.
func TestProxySwitch(t *testing.T) {
	h, cfg := newProxyHarness(t, false)
	scr := newSettings(h.ui)
	test.Tap(scr.proxy.check)
	h.waitFor("the proxy to start", func() bool { return h.ui.proxy.running() != nil })
	srv := h.ui.proxy.running()
	if !h.ui.prefs.ProxyOn() {
		t.Error("the setting was not kept")
	}
	if got := h.ui.proxy.status.Text; !h.ui.proxy.status.Visible() || got != "API proxy on "+srv.Addr() {
		t.Errorf("header shows %q (visible %v)", got, h.ui.proxy.status.Visible())
	}
	if got := scr.proxy.detail.Text; !strings.Contains(got, "Running at "+srv.URL()+" and unix:"+cfg.Socket) || !scr.proxy.copy.Visible() {
		t.Errorf("settings show %q", got)
	}
	if code := askProxy(t, srv.URL()); code != http.StatusProxyAuthRequired {
		t.Errorf("a request without the key: %d, want 407 from the proxy", code)
	}
	test.Tap(scr.proxy.copy)
	key, _ := h.engine.ProxyKey(context.Background())
	h.waitFor("the key on the clipboard", func() bool { return h.app.Clipboard().Content() == key })

	test.Tap(scr.proxy.check)
	h.pump()
	if h.ui.prefs.ProxyOn() || h.ui.proxy.status.Visible() || !strings.HasPrefix(scr.proxy.detail.Text, "Off.") {
		t.Errorf("after switching off: setting %v, header visible %v, settings %q", h.ui.prefs.ProxyOn(), h.ui.proxy.status.Visible(), scr.proxy.detail.Text)
	}
	h.waitFor("the socket to go", func() bool { _, err := os.Lstat(cfg.Socket); return os.IsNotExist(err) })
	if c, err := net.Dial("tcp", srv.Addr()); err == nil {
		c.Close()
		t.Error("the TCP port still answers after switching off")
	}
}

// Left on, the proxy starts with the window.
func TestProxyStartsWithWindow(t *testing.T) {
	h, _ := newProxyHarness(t, true)
	h.waitFor("the proxy to start", func() bool { return h.ui.proxy.running() != nil })
	if code := askProxy(t, h.ui.proxy.running().URL()); code != http.StatusProxyAuthRequired {
		t.Errorf("a request without the key: %d, want 407", code)
	}
	if !h.ui.proxy.status.Visible() {
		t.Error("the header does not show the proxy")
	}
}

// A proxy that cannot start says why in Settings, and the header stays
// empty.
func TestProxyStartFails(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	h, _ := newProxyHarness(t, false)
	h.ui.proxy.config.Listen = busy.Addr().String()
	scr := newSettings(h.ui)
	test.Tap(scr.proxy.check)
	h.waitFor("the failure", func() bool { return h.ui.proxy.err != nil })
	if got := scr.proxy.detail.Text; !strings.Contains(got, "The proxy did not start: Listen on "+busy.Addr().String()) || h.ui.proxy.status.Visible() {
		t.Errorf("settings show %q, header visible %v", got, h.ui.proxy.status.Visible())
	}
}

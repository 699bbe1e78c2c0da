// Package integration tests Keyport against real parts: the oidc-provider
// authorization server (internal/authserver) and the Secret Service of the
// session bus (gnome-keyring under scripts/with-keyring.sh). It lives apart
// from package auth because go-keyring's MockInit, used by the unit tests,
// replaces the keychain process-wide.
package integration

import (
	"context"
	"crypto/rand"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/keyport/keyport/auth"
	"github.com/keyport/keyport/internal/authserver"
)

// env is one Keyport installation: a config directory with a user
// providers file naming the server by issuer, and a keychain service of its
// own in the real Secret Service.
type env struct {
	t       *testing.T
	srv     *authserver.Server
	dir     string
	service string
}

func newEnv(t *testing.T, opts authserver.Options) *env {
	t.Helper()
	if os.Getenv("KEYPORT_INTEGRATION") != "1" {
		t.Skip("integration test: run 'make test' (it starts a Secret Service and the authorization server)")
	}
	if os.Getenv("DBUS_SESSION_BUS_ADDRESS") == "" {
		t.Fatal("no session bus: run under scripts/with-keyring.sh")
	}
	if len(opts.RedirectPaths) == 0 {
		opts.RedirectPaths = []string{"/callback/local"}
	}
	srv := authserver.Start(t, opts)
	v := &env{t: t, srv: srv, dir: t.TempDir(), service: "keyport-it-" + rand.Text()[:8]}
	file := fmt.Sprintf(`{"providers":[{"id":"local","name":"Local demo","issuer":%q,"client_id":%q}]}`, srv.Issuer, srv.ClientID)
	if err := os.WriteFile(filepath.Join(v.dir, "providers.json"), []byte(file), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(v.wipeKeychain)
	return v
}

// engine opens the installation as a new process would.
func (v *env) engine() *auth.Engine {
	v.t.Helper()
	e, err := auth.New(auth.Params{ConfigDir: v.dir, Service: v.service})
	if err != nil {
		v.t.Fatal(err)
	}
	return e
}

// connect signs in as login through the real consent page and returns the
// account.
func (v *env) connect(e *auth.Engine, login string) auth.Account {
	v.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	flow, err := e.Connect(ctx, "local")
	if err != nil {
		v.t.Fatal(err)
	}
	back, err := v.srv.SignIn(ctx, flow.URL(), login, login, true)
	if err != nil {
		v.t.Fatalf("sign in: %v", err)
	}
	if err := flow.Paste(back.String()); err != nil {
		v.t.Fatalf("complete the flow: %v", err)
	}
	a, err := flow.Wait()
	if err != nil {
		v.t.Fatal(err)
	}
	return a
}

// items counts the Secret Service items of this installation.
func (v *env) items() int {
	out, _ := exec.Command("secret-tool", "search", "--all", "service", v.service).CombinedOutput()
	n := 0
	for _, line := range strings.Split(string(out), "\n") {
		if strings.HasPrefix(line, "[/") { // one "[/org/freedesktop/secrets/...]" header per item
			n++
		}
	}
	return n
}

func (v *env) wipeKeychain() {
	exec.Command("secret-tool", "clear", "service", v.service).Run()
}

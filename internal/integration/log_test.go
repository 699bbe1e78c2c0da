package integration

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/keyport/keyport/auth"
	"github.com/keyport/keyport/internal/authserver"
)

// lockedBuffer is a log destination shared by the engine's goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestLogHoldsNoSecret runs a whole account life with the engine logging
// at its most talkative, against the real server and keychain: connect,
// refreshes, a refresh the server refuses, disconnect. The log says what
// happened and holds none of the codes and tokens the server issued.
func TestLogHoldsNoSecret(t *testing.T) {
	v := newEnv(t, authserver.Options{})
	var logged lockedBuffer
	e, err := auth.New(auth.Params{ConfigDir: v.dir, Service: v.service,
		Log: slog.New(slog.NewJSONHandler(&logged, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	var secrets []string
	flow, err := e.Connect(ctx, "local")
	if err != nil {
		t.Fatal(err)
	}
	back, err := v.srv.SignIn(ctx, flow.URL(), "demo", "demo", true)
	if err != nil {
		t.Fatal(err)
	}
	secrets = append(secrets, back.Query().Get("code"))
	if err := flow.Paste(back.String()); err != nil {
		t.Fatal(err)
	}
	a, err := flow.Wait()
	if err != nil {
		t.Fatal(err)
	}
	keep := func() auth.Secret {
		s, err := e.Token(ctx, a.Key())
		if err != nil {
			t.Fatal(err)
		}
		secrets = append(secrets, s.AccessToken, s.RefreshToken)
		return s
	}
	keep()
	for range 2 {
		if err := e.Refresh(ctx, a.Key()); err != nil {
			t.Fatal(err)
		}
		keep()
	}
	s := keep()
	// The server forgets the grant: the next refresh fails and says so.
	resp, err := http.PostForm(v.srv.Metadata.RevocationEndpoint, url.Values{"token": {s.RefreshToken}, "client_id": {v.srv.ClientID}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if err := e.Refresh(ctx, a.Key()); err == nil {
		t.Fatal("a refresh with a revoked grant worked")
	}
	if err := e.Disconnect(ctx, a.Key()); err != nil {
		t.Logf("disconnect: %v", err)
	}

	log := logged.String()
	for _, want := range []string{`"msg":"connected"`, `"msg":"refreshed"`, `"msg":"refresh failed"`, `"msg":"disconnected"`, a.Key()} {
		if !strings.Contains(log, want) {
			t.Errorf("the log does not say %s:\n%s", want, log)
		}
	}
	for _, secret := range secrets {
		if secret == "" {
			t.Fatal("a secret was empty: the test lost track of one")
		}
		if strings.Contains(log, secret) {
			t.Errorf("the log holds a secret the server issued (%d characters)", len(secret))
		}
	}
	t.Logf("%d secrets checked against %d bytes of log", len(secrets), len(log))
}

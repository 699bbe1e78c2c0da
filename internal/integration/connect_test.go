package integration

import (
	"context"
	"errors"
	"net/http"
	"testing"

	"github.com/keyport/keyport/auth"
	"github.com/keyport/keyport/internal/authserver"
	"golang.org/x/oauth2"
)

func TestConnectRestartRefreshDisconnect(t *testing.T) {
	v := newEnv(t, authserver.Options{})
	ctx := context.Background()
	a := v.connect(v.engine(), "demo")
	if a.Name != "Dana Demo" || a.Email != "demo@example.test" || !a.HasRefresh || !a.Expires() {
		t.Fatalf("account = %+v", a)
	}
	if v.items() == 0 {
		t.Fatal("no item in the Secret Service after connect")
	}

	// A new process finds the account and its token.
	e := v.engine()
	s, err := e.Token(ctx, a.Key())
	if err != nil {
		t.Fatal(err)
	}
	if code := userinfo(t, v.srv, s.AccessToken); code != http.StatusOK {
		t.Fatalf("userinfo with the stored token: HTTP %d", code)
	}

	// Refresh rotates the refresh token; the old one is dead.
	if err := e.Refresh(ctx, a.Key()); err != nil {
		t.Fatal(err)
	}
	s2, err := e.Token(ctx, a.Key())
	if err != nil {
		t.Fatal(err)
	}
	if s2.RefreshToken == s.RefreshToken || s2.AccessToken == s.AccessToken {
		t.Fatal("refresh did not rotate the tokens")
	}
	cfg := oauth2.Config{ClientID: v.srv.ClientID, Endpoint: v.srv.Endpoint()}
	cfg.Endpoint.AuthStyle = oauth2.AuthStyleInParams
	_, err = cfg.TokenSource(ctx, &oauth2.Token{RefreshToken: s.RefreshToken}).Token()
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) || re.ErrorCode != "invalid_grant" {
		t.Fatalf("old refresh token after rotation: %v, want invalid_grant", err)
	}

	// Disconnect revokes at the server and empties the keychain.
	if err := e.Disconnect(ctx, a.Key()); err != nil {
		t.Fatal(err)
	}
	for _, tok := range []string{s2.RefreshToken, s2.AccessToken} {
		if active, err := v.srv.Introspect(ctx, tok); err != nil || active {
			t.Errorf("token still active after disconnect (%v)", err)
		}
	}
	if n := v.items(); n != 0 {
		t.Errorf("%d keychain items left after disconnect", n)
	}
	if len(v.engine().Accounts()) != 0 {
		t.Error("account still in the index after disconnect")
	}
}

func TestConnectDenied(t *testing.T) {
	v := newEnv(t, authserver.Options{})
	e := v.engine()
	ctx := context.Background()
	flow, err := e.Connect(ctx, "local")
	if err != nil {
		t.Fatal(err)
	}
	back, err := v.srv.SignIn(ctx, flow.URL(), "demo", "demo", false)
	if err != nil {
		t.Fatal(err)
	}
	flow.Paste(back.String())
	if _, err := flow.Wait(); !errors.Is(err, auth.ErrDenied) || err.Error() != "access denied: you declined access on Local demo" {
		t.Fatalf("err = %v", err)
	}
	if len(e.Accounts()) != 0 || v.items() != 0 {
		t.Error("a denied sign-in left an account behind")
	}
}

func userinfo(t *testing.T, srv *authserver.Server, token string) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, srv.Metadata.UserinfoEndpoint, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

package auth

import (
	"context"
	"errors"
	"regexp"
	"testing"
	"time"

	"github.com/keyport/keyport/internal/schedule/schedtest"
)

func TestTokenValidFor(t *testing.T) {
	ctx := context.Background()
	sp := newStubProvider(t)
	sp.expiresIn = 600 // 10 min tokens
	e, _ := newTestEngine(t, sp.providersFile(""), nil)
	a := connectStub(t, e, sp)

	// Enough left: the stored token, no refresh.
	s, err := e.TokenValidFor(ctx, a.Key(), 5*time.Minute)
	if err != nil || s.AccessToken != "at-0" || sp.refreshes != 0 {
		t.Fatalf("5 min of a 10 min token: %q, %v, %d refreshes; want at-0 without a refresh", s.AccessToken, err, sp.refreshes)
	}
	// More than any token of the provider lives: one refresh, then the reason.
	_, err = e.TokenValidFor(ctx, a.Key(), 15*time.Minute)
	if !errors.Is(err, ErrShortLived) || !regexp.MustCompile(`^the token cannot be made valid for that long: Test issues tokens valid for 9m5\ds, less than the 15m asked for; ask for at most that$`).MatchString(err.Error()) {
		t.Fatalf("15 min of a provider's 10 min tokens: %v", err)
	}
	if sp.refreshes != 1 {
		t.Errorf("%d refreshes, want 1", sp.refreshes)
	}
	// Longer tokens now: refreshed first although the old one is not due.
	sp.expiresIn = 3600
	s, err = e.TokenValidFor(ctx, a.Key(), 15*time.Minute)
	if err != nil || s.AccessToken != "at-2" || time.Until(s.Expiry) < 59*time.Minute {
		t.Fatalf("15 min of a 1 h token: %q until %v, %v; want the refreshed at-2", s.AccessToken, s.Expiry, err)
	}
	if got, _ := e.Account(a.Key()); got.Status != StatusValid {
		t.Errorf("status %q after refreshing for --min-valid, want valid", got.Status)
	}
}

func TestTokenValidForWithoutRefreshToken(t *testing.T) {
	sp := newStubProvider(t)
	sp.expiresIn, sp.refresh = 600, ""
	e, _ := newTestEngine(t, sp.providersFile(""), nil)
	a := connectStub(t, e, sp)
	_, err := e.TokenValidFor(context.Background(), a.Key(), time.Hour)
	if !errors.Is(err, ErrShortLived) || !regexp.MustCompile(`the token of test/42 expires in 9m5\ds, before the 1h asked for, and it cannot be renewed .*connect the account again`).MatchString(err.Error()) {
		t.Fatalf("err = %v", err)
	}
	if sp.refreshes != 0 {
		t.Errorf("%d refresh requests without a refresh token", sp.refreshes)
	}
	if got, _ := e.Account(a.Key()); got.Status != StatusValid {
		t.Errorf("asking for too long changed the account's status to %q", got.Status)
	}
	if s, err := e.TokenValidFor(context.Background(), a.Key(), time.Minute); err != nil || s.AccessToken != "at-0" {
		t.Errorf("1 min of it: %q, %v", s.AccessToken, err)
	}
}

func TestTokenValidForAPIKey(t *testing.T) {
	e, _ := newTestEngine(t, `{"providers":[{"id":"k","name":"K","mode":"api_key","api_key":{"header":"X-Key"}}]}`, nil)
	a := Account{Provider: "k", ID: "1", APIKey: true, Connected: time.Now(), Status: StatusValid}
	if err := e.Import(context.Background(), a, Secret{APIKey: "key-1"}); err != nil {
		t.Fatal(err)
	}
	if s, err := e.TokenValidFor(context.Background(), a.Key(), 1000*time.Hour); err != nil || s.Value() != "key-1" {
		t.Errorf("an API key for 1000 h: %v", err)
	}
	if e.Due(a.Key(), Secret{APIKey: "key-1"}) {
		t.Error("an API key is due")
	}
}

func TestDue(t *testing.T) {
	sp := newStubProvider(t)
	clock := schedtest.NewClock(time.Now())
	e, _ := newTestEngine(t, sp.providersFile(""), func(p *Params) { p.Clock = clock })
	a := connectStub(t, e, sp)
	s, err := e.Token(context.Background(), a.Key())
	if err != nil {
		t.Fatal(err)
	}
	if e.Due(a.Key(), s) {
		t.Error("a new 1 h token is due")
	}
	clock.Advance(53 * time.Minute)
	if e.Due(a.Key(), s) {
		t.Error("a 1 h token is due 7 min before it expires")
	}
	clock.Advance(2 * time.Minute)
	if !e.Due(a.Key(), s) {
		t.Error("a 1 h token is not due 5 min before it expires")
	}
	if !e.Due("test/nobody", s) {
		t.Error("a token of an unknown account is not due")
	}
}

func TestSpan(t *testing.T) {
	for d, want := range map[time.Duration]string{
		0: "0s", -time.Second: "0s", 1500 * time.Millisecond: "1s", 20 * time.Second: "20s",
		10 * time.Minute: "10m", 9*time.Minute + 30*time.Second: "9m30s", time.Hour: "1h", 90 * time.Minute: "1h30m",
	} {
		if got := span(d); got != want {
			t.Errorf("span(%v) = %q, want %q", d, got, want)
		}
	}
}

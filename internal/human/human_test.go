package human

import (
	"testing"
	"time"

	"github.com/keyport/keyport/auth"
)

func TestDescribe(t *testing.T) {
	now := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		a    auth.Account
		want string
	}{
		{"refreshing", auth.Account{Status: auth.StatusRefreshing, Expiry: now.Add(time.Hour)}, "refreshing…"},
		{"reconnect", auth.Account{Status: auth.StatusReconnect, Reason: "invalid_grant"}, "reconnect needed"},
		{"retrying", auth.Account{Status: auth.StatusRetrying, RetryAt: now.Add(40 * time.Second), Reason: "could not reach Patreon"},
			"retrying in 40 s (could not reach Patreon)"},
		{"retrying in minutes", auth.Account{Status: auth.StatusRetrying, RetryAt: now.Add(12 * time.Minute), Reason: "HTTP 502"},
			"retrying in 12 min (HTTP 502)"},
		{"retry time passed", auth.Account{Status: auth.StatusRetrying, RetryAt: now.Add(-time.Minute), Reason: "x"}, "retrying now (x)"},
		{"error with retry", auth.Account{Status: auth.StatusError, RetryAt: now.Add(90 * time.Second), Reason: "keychain locked"}, "error, retrying in 2 min: keychain locked"},
		{"error", auth.Account{Status: auth.StatusError, Reason: "the keychain is locked"}, "error: the keychain is locked"},
		{"error wins over API key", auth.Account{Status: auth.StatusError, Reason: "r", APIKey: true}, "error: r"},
		{"API key", auth.Account{Status: auth.StatusValid, APIKey: true}, "API key"},
		{"API key with an expiry", auth.Account{Status: auth.StatusValid, APIKey: true, Expiry: now.Add(-time.Hour)}, "API key"},
		{"does not expire", auth.Account{Status: auth.StatusValid}, "valid · does not expire"},
		{"does not expire with refresh token", auth.Account{Status: auth.StatusValid, HasRefresh: true}, "valid · does not expire"},
		{"expires in days", auth.Account{Status: auth.StatusValid, Expiry: now.Add(27 * 24 * time.Hour)}, "valid · expires in 27 d"},
		{"expires in hours", auth.Account{Status: auth.StatusValid, Expiry: now.Add(5 * time.Hour), HasRefresh: true}, "valid · expires in 5 h"},
		{"expires in minutes", auth.Account{Status: auth.StatusValid, Expiry: now.Add(12 * time.Minute)}, "valid · expires in 12 min"},
		{"expires in seconds", auth.Account{Status: auth.StatusValid, Expiry: now.Add(40 * time.Second)}, "valid · expires in 40 s"},
		{"expires in under a second", auth.Account{Status: auth.StatusValid, Expiry: now.Add(time.Millisecond)}, "valid · expires in 0 s"},
		{"expired without refresh token", auth.Account{Status: auth.StatusValid, Expiry: now.Add(-time.Hour)}, "expired · reconnect to renew"},
		{"expired with refresh token", auth.Account{Status: auth.StatusValid, Expiry: now.Add(-time.Hour), HasRefresh: true}, "expired · refresh due"},
		{"expires exactly now", auth.Account{Status: auth.StatusValid, Expiry: now}, "expired · reconnect to renew"},
		{"expires exactly now with refresh token", auth.Account{Status: auth.StatusValid, Expiry: now, HasRefresh: true}, "expired · refresh due"},
		{"status expired", auth.Account{Status: auth.StatusExpired, Expiry: now.Add(-time.Minute)}, "expired · reconnect to renew"},
		{"empty status", auth.Account{Expiry: now.Add(2 * time.Hour)}, "valid · expires in 2 h"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Describe(tt.a, now); got != tt.want {
				t.Errorf("Describe() = %q, want %q", got, tt.want)
			}
		})
	}
}

// TestDescribeAsTimePasses recomputes one account's text at later times.
func TestDescribeAsTimePasses(t *testing.T) {
	start := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	a := auth.Account{Status: auth.StatusValid, Expiry: start.Add(3 * time.Hour), HasRefresh: true}
	tests := []struct {
		after time.Duration
		want  string
	}{
		{0, "valid · expires in 3 h"},
		{2 * time.Hour, "valid · expires in 1 h"},
		{2*time.Hour + 30*time.Second, "valid · expires in 60 min"},
		{2*time.Hour + 30*time.Minute, "valid · expires in 30 min"},
		{3*time.Hour - 5*time.Second, "valid · expires in 5 s"},
		{3 * time.Hour, "expired · refresh due"},
		{4 * time.Hour, "expired · refresh due"},
	}
	for _, tt := range tests {
		t.Run(tt.after.String(), func(t *testing.T) {
			if got := Describe(a, start.Add(tt.after)); got != tt.want {
				t.Errorf("Describe() = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestDuration(t *testing.T) {
	tests := []struct {
		d    time.Duration
		want string
	}{
		{-time.Hour, "0 s"},
		{0, "0 s"},
		{999 * time.Millisecond, "0 s"},
		{time.Second, "1 s"},
		{1500 * time.Millisecond, "1 s"}, // seconds are cut, not rounded
		{40 * time.Second, "40 s"},
		{59*time.Second + 999*time.Millisecond, "59 s"},
		{time.Minute, "1 min"},
		{89 * time.Second, "1 min"},
		{90 * time.Second, "2 min"}, // half rounds up
		{12 * time.Minute, "12 min"},
		{59*time.Minute + 29*time.Second, "59 min"},
		{59*time.Minute + 30*time.Second, "60 min"},
		{time.Hour, "1 h"},
		{time.Hour + 29*time.Minute, "1 h"},
		{time.Hour + 30*time.Minute, "2 h"},
		{5 * time.Hour, "5 h"},
		{24 * time.Hour, "24 h"},
		{47 * time.Hour, "47 h"},
		{47*time.Hour + 59*time.Minute, "48 h"},
		{48 * time.Hour, "2 d"},
		{59*time.Hour + 59*time.Minute, "2 d"},
		{60 * time.Hour, "3 d"},
		{27 * 24 * time.Hour, "27 d"},
		{365 * 24 * time.Hour, "365 d"},
	}
	for _, tt := range tests {
		t.Run(tt.d.String(), func(t *testing.T) {
			if got := Duration(tt.d); got != tt.want {
				t.Errorf("Duration(%v) = %q, want %q", tt.d, got, tt.want)
			}
		})
	}
}

package ui

import (
	"math"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/test"

	"github.com/keyport/keyport/auth"
)

func TestLifetimeLeft(t *testing.T) {
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	hour := time.Hour
	tests := []struct {
		name      string
		a         auth.Account
		want      float64
		wantShown bool
	}{
		{"just issued", auth.Account{Obtained: now, Expiry: now.Add(hour)}, 1, true},
		{"a quarter gone", auth.Account{Obtained: now.Add(-15 * time.Minute), Expiry: now.Add(45 * time.Minute)}, 0.75, true},
		{"a month, a day left", auth.Account{Obtained: now.Add(-29 * 24 * hour), Expiry: now.Add(24 * hour)}, 1.0 / 30, true},
		{"expired", auth.Account{Obtained: now.Add(-2 * hour), Expiry: now.Add(-hour)}, 0, true},
		{"issued in the future (clock skew)", auth.Account{Obtained: now.Add(hour), Expiry: now.Add(2 * hour)}, 1, true},
		{"does not expire", auth.Account{Obtained: now}, 0, false},
		{"API key", auth.Account{APIKey: true, Obtained: now, Expiry: now.Add(hour)}, 0, false},
		{"issue time unknown", auth.Account{Expiry: now.Add(hour)}, 0, false},
		{"expiry before issue", auth.Account{Obtained: now, Expiry: now.Add(-hour)}, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, shown := lifetimeLeft(tt.a, now)
			if shown != tt.wantShown || math.Abs(got-tt.want) > 1e-9 {
				t.Errorf("lifetimeLeft = %v, %v; want %v, %v", got, shown, tt.want, tt.wantShown)
			}
		})
	}
}

// Each row shows its token's lifetime left as a bar as wide as that share
// of the row's text, and none for an API key or a token that does not
// expire; the row stays as tall either way.
func TestRowLifetimeBar(t *testing.T) {
	dir := t.TempDir()
	now := time.Now()
	base := auth.Account{Provider: "gumroad", TokenType: "Bearer", Connected: now, Status: auth.StatusValid}
	half, forever, key := base, base, base
	half.ID, half.Name, half.Obtained, half.Expiry = "1", "Half", now.Add(-time.Hour), now.Add(time.Hour)
	forever.ID, forever.Name, forever.Obtained = "2", "Forever", now
	key.Provider, key.ID, key.Name, key.APIKey, key.Obtained = "outgrow", "3", "Key", true, now
	writeJSON(t, dir, "accounts.json", map[string]any{"version": 1, "accounts": []auth.Account{half, forever, key}})
	h := newHarness(t, dir)
	h.ui.win.Resize(fyne.NewSize(1040, 680))

	r := h.row("Half")
	if r == nil {
		t.Fatal("no row for Half")
	}
	if !r.lifetime.shown || math.Abs(r.lifetime.left-0.5) > 0.01 {
		t.Errorf("Half's bar: shown %v, left %.3f; want shown, 0.5", r.lifetime.shown, r.lifetime.left)
	}
	objs := test.WidgetRenderer(r.lifetime).Objects()
	track, fill := objs[0].(*canvas.Rectangle), objs[1].(*canvas.Rectangle)
	if track.Size().Width <= 0 || math.Abs(float64(fill.Size().Width/track.Size().Width)-0.5) > 0.01 || !fill.Visible() {
		t.Errorf("Half's bar draws %v of a %v track, visible %v; want half", fill.Size().Width, track.Size().Width, fill.Visible())
	}
	for _, name := range []string{"Forever", "Key"} {
		o := h.row(name)
		if o == nil {
			t.Fatalf("no row for %s", name)
		}
		if o.lifetime.shown {
			t.Errorf("%s's row shows a lifetime bar", name)
		}
		if objs := test.WidgetRenderer(o.lifetime).Objects(); objs[0].Visible() || objs[1].Visible() {
			t.Errorf("%s's bar draws something", name)
		}
		if o.Size().Height != r.Size().Height {
			t.Errorf("%s's row is %v tall, Half's %v", name, o.Size().Height, r.Size().Height)
		}
	}
}

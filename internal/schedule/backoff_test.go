package schedule

import (
	"net/http"
	"strconv"
	"testing"
	"time"
)

// almostOne is the largest float64 below 1, the top of rand.Float64's range.
const almostOne = 0.9999999999999999

// TestBackoff checks the jittered delay's bounds per attempt, the cap and the
// Retry-After override.
func TestBackoff(t *testing.T) {
	tests := []struct {
		attempt    int
		retryAfter time.Duration
		rnd        float64
		min, max   time.Duration
	}{
		{attempt: 1, rnd: 0, min: 0, max: 0},
		{attempt: 1, rnd: almostOne, min: 4999 * time.Millisecond, max: 5 * time.Second},
		{attempt: 0, rnd: almostOne, min: 4999 * time.Millisecond, max: 5 * time.Second},
		{attempt: -3, rnd: almostOne, min: 4999 * time.Millisecond, max: 5 * time.Second},
		{attempt: 2, rnd: almostOne, min: 9999 * time.Millisecond, max: 10 * time.Second},
		{attempt: 3, rnd: 0.5, min: 10 * time.Second, max: 10 * time.Second},
		{attempt: 8, rnd: almostOne, min: 639 * time.Second, max: 640 * time.Second},
		{attempt: 9, rnd: almostOne, min: 899 * time.Second, max: 15 * time.Minute},
		{attempt: 1 << 30, rnd: almostOne, min: 899 * time.Second, max: 15 * time.Minute},
		{attempt: 1 << 30, rnd: 0, min: 0, max: 0},
		// Retry-After wins when larger, up to 1 h.
		{attempt: 1, retryAfter: 2 * time.Minute, rnd: almostOne, min: 2 * time.Minute, max: 2 * time.Minute},
		{attempt: 9, retryAfter: 2 * time.Minute, rnd: almostOne, min: 899 * time.Second, max: 15 * time.Minute},
		{attempt: 1, retryAfter: 48 * time.Hour, rnd: 0, min: time.Hour, max: time.Hour},
		{attempt: 1, retryAfter: -time.Second, rnd: 0, min: 0, max: 0},
		// rnd out of range is clamped.
		{attempt: 1, rnd: -1, min: 0, max: 0},
		{attempt: 1, rnd: 7, min: 5 * time.Second, max: 5 * time.Second},
	}
	for _, tt := range tests {
		name := strconv.Itoa(tt.attempt) + "/" + tt.retryAfter.String() + "/" + strconv.FormatFloat(tt.rnd, 'g', 3, 64)
		t.Run(name, func(t *testing.T) {
			got := Backoff(tt.attempt, tt.retryAfter, func() float64 { return tt.rnd })
			if got < tt.min || got > tt.max {
				t.Errorf("backoff = %v, want in [%v, %v]", got, tt.min, tt.max)
			}
		})
	}
}

// TestBackoffDefaultRand checks that a nil rnd uses real randomness within
// the bounds.
func TestBackoffDefaultRand(t *testing.T) {
	for attempt := 1; attempt < 20; attempt++ {
		if d := Backoff(attempt, 0, nil); d < 0 || d > backoffMax {
			t.Fatalf("Backoff(%d) = %v, out of [0, %v]", attempt, d, backoffMax)
		}
	}
}

// TestParseRetryAfter checks delta-seconds, the three HTTP-date forms and
// malformed values.
func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2015, 10, 21, 7, 28, 0, 0, time.UTC)
	tests := []struct {
		h    string
		want time.Duration
	}{
		{"120", 2 * time.Minute},
		{" 120 ", 2 * time.Minute},
		{"0", 0},
		{"007", 7 * time.Second},
		{"Wed, 21 Oct 2015 07:30:00 GMT", 2 * time.Minute},      // IMF-fixdate
		{"Wednesday, 21-Oct-15 07:29:00 GMT", time.Minute},      // RFC 850
		{"Wed Oct 21 07:28:30 2015", 30 * time.Second},          // asctime
		{"Wed, 21 Oct 2015 07:00:00 GMT", 0},                    // in the past
		{now.Add(time.Hour).Format(http.TimeFormat), time.Hour}, // round trip
		{"99999999999999999999999", 1<<63 - 1},                  // saturates
		{"9223372036", 9223372036 * time.Second},                // largest that fits
		{"", 0},
		{"soon", 0},
		{"-5", 0},
		{"+5", 0},
		{"1.5", 0},
		{"12 34", 0},
		{"2015-10-21T07:30:00Z", 0}, // not an HTTP-date
	}
	for _, tt := range tests {
		t.Run(tt.h, func(t *testing.T) {
			if got := ParseRetryAfter(tt.h, now); got != tt.want {
				t.Errorf("ParseRetryAfter(%q) = %v, want %v", tt.h, got, tt.want)
			}
		})
	}
}

// FuzzParseRetryAfter checks that any header value parses without panicking
// to a non-negative delay, and that small delta-seconds parse exactly.
func FuzzParseRetryAfter(f *testing.F) {
	for _, s := range []string{"120", "", "Wed, 21 Oct 2015 07:28:00 GMT", "Sun Nov  6 08:49:37 1994", "-1", "99999999999999999999"} {
		f.Add(s)
	}
	now := time.Date(2015, 10, 21, 7, 28, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, h string) {
		d := ParseRetryAfter(h, now)
		if d < 0 {
			t.Fatalf("ParseRetryAfter(%q) = %v, negative", h, d)
		}
		if n, err := strconv.ParseUint(h, 10, 32); err == nil && isDigits(h) && d != time.Duration(n)*time.Second {
			t.Fatalf("ParseRetryAfter(%q) = %v, want %ds", h, d, n)
		}
	})
}

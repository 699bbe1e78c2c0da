package schedule

import (
	"math"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Retry delays after a transient refresh failure.
const (
	backoffBase   = 5 * time.Second  // ceiling of the first retry's delay
	backoffMax    = 15 * time.Minute // largest ceiling of the exponential delay
	retryAfterMax = time.Hour        // largest server-requested delay honoured
)

// Backoff returns how long to wait before retry number attempt (1 for the
// first retry after a failure; smaller values count as 1). It uses
// exponential backoff with full jitter: a uniformly random delay between 0
// and a ceiling that starts at 5 s, doubles with each attempt and stops at
// 15 min. rnd returns values in [0, 1); nil means
// math/rand/v2.Float64.
//
// retryAfter is the delay a server asked for in its Retry-After header (RFC
// 9110 section 10.2.3, see ParseRetryAfter), or 0. When it is longer than the
// jittered delay it wins, but never beyond 1 h, so a misbehaving server
// cannot park an account for days.
func Backoff(attempt int, retryAfter time.Duration, rnd func() float64) time.Duration {
	if rnd == nil {
		rnd = rand.Float64
	}
	ceiling := backoffBase
	for i := 1; i < attempt && ceiling < backoffMax; i++ {
		ceiling *= 2
	}
	ceiling = min(ceiling, backoffMax)
	f := rnd()
	if !(f >= 0) { // also catches NaN
		f = 0
	}
	f = min(f, 1)
	d := time.Duration(f * float64(ceiling))
	if retryAfter > d {
		d = min(retryAfter, retryAfterMax)
	}
	return d
}

// ParseRetryAfter reads a Retry-After header value (RFC 9110 section
// 10.2.3): either delta-seconds ("120") or an HTTP-date ("Wed, 21 Oct 2015
// 07:28:00 GMT", also the obsolete RFC 850 and asctime forms), which is
// measured from now. It returns 0 for an empty or malformed value and for a
// date in the past. Values too large for a time.Duration saturate.
func ParseRetryAfter(h string, now time.Time) time.Duration {
	h = strings.TrimSpace(h)
	if h == "" {
		return 0
	}
	if isDigits(h) {
		secs, err := strconv.ParseUint(h, 10, 64)
		if err != nil || secs > math.MaxInt64/uint64(time.Second) {
			return math.MaxInt64 // only an out-of-range number gets here
		}
		return time.Duration(secs) * time.Second
	}
	t, err := http.ParseTime(h)
	if err != nil {
		return 0
	}
	return max(0, t.Sub(now))
}

// isDigits reports whether s is one or more ASCII digits (RFC 9110's
// delta-seconds = 1*DIGIT).
func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// Package human words Keyport's state for people, the same way in the
// window and on the command line: token status ("valid · expires in 27 d"),
// durations ("12 min") and masked secrets.
package human

import (
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/keyport/keyport/auth"
)

// Describe words an account's token status for a person, as the window and
// `keyport accounts` show it: "valid · expires in 27 d", "does not expire",
// "refreshing…", "retrying in 40 s (could not reach Patreon)", "reconnect
// needed". now is passed in so the text can be recomputed as time passes.
func Describe(a auth.Account, now time.Time) string {
	switch a.Status {
	case auth.StatusRefreshing:
		return "refreshing…"
	case auth.StatusReconnect:
		return "reconnect needed"
	case auth.StatusRetrying:
		return fmt.Sprintf("retrying %s (%s)", in(a.RetryAt, now), a.Reason)
	case auth.StatusError:
		if !a.RetryAt.IsZero() {
			return fmt.Sprintf("error, retrying %s: %s", in(a.RetryAt, now), a.Reason)
		}
		return "error: " + a.Reason
	}
	switch {
	case a.APIKey:
		return "API key"
	case !a.Expires():
		return "valid · does not expire"
	case !now.Before(a.Expiry) && !a.HasRefresh:
		return "expired · reconnect to renew"
	case !now.Before(a.Expiry):
		return "expired · refresh due"
	}
	return "valid · expires in " + Duration(a.Expiry.Sub(now))
}

// in says when a retry is due: "in 40 s", or "now" once it is overdue.
func in(at, now time.Time) string {
	if d := at.Sub(now); d >= time.Second {
		return "in " + Duration(d)
	}
	return "now"
}

// Duration rounds a duration the way a person reads it: "40 s", "12 min",
// "5 h", "27 d".
func Duration(d time.Duration) string {
	switch {
	case d < time.Second:
		return "0 s"
	case d < time.Minute:
		return fmt.Sprintf("%d s", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%d min", int(math.Round(d.Minutes())))
	case d < 48*time.Hour:
		return fmt.Sprintf("%d h", int(math.Round(d.Hours())))
	}
	return fmt.Sprintf("%d d", int(math.Round(d.Hours()/24)))
}

// Mask shows the first four characters of a secret and hides the rest, for
// the screen until the person asks to reveal it.
func Mask(secret string) string {
	if len(secret) <= 8 {
		return strings.Repeat("•", len(secret))
	}
	return secret[:4] + strings.Repeat("•", 12)
}

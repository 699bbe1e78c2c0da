package auth

import (
	"fmt"
	"math"
	"time"
)

// Describe words an account's token status for a person, as the window and
// `keyport accounts` show it: "valid · expires in 27 d", "does not expire",
// "refreshing…", "retrying in 40 s (could not reach Patreon)", "reconnect
// needed". now is passed in so the text can be recomputed as time passes.
func Describe(a Account, now time.Time) string {
	switch a.Status {
	case StatusRefreshing:
		return "refreshing…"
	case StatusReconnect:
		return "reconnect needed"
	case StatusRetrying:
		return fmt.Sprintf("retrying %s (%s)", in(a.RetryAt, now), a.Reason)
	case StatusError:
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

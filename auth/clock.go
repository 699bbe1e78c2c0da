package auth

import "github.com/keyport/keyport/internal/schedule"

// Clock is the time source of the refresher and the flow; Timer is what it
// makes. Tests pass a fake one (internal/schedule/schedtest); production
// uses SystemClock.
type (
	Clock       = schedule.Clock
	Timer       = schedule.Timer
	SystemClock = schedule.SystemClock
)

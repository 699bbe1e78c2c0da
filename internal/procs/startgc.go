package procs

import (
	"os"
	"runtime/debug"
	"sync"
)

// startGCPercent is the GC percent while the window starts. Its heap grows
// from nothing to some tens of MB before the window is on screen, and the
// runtime's default (100, from a 4 MB floor) collects it about six times
// on the way, each time marking a heap that is all still live: about a
// tenth of the window's start-up (bench/FINDINGS.md). The Go compiler
// raises its starting heap for the same reason.
const startGCPercent = 400

// LessGCWhileStarting raises the GC percent to startGCPercent, unless
// $GOGC is set, and returns what puts it back; calling that more than
// once does nothing more. The heap may grow up to that much further
// before its next collection; so that the process does not keep the pages
// it touched, putting the percent back also starts a collection that
// returns the free memory to the system (debug.FreeOSMemory) on a
// goroutine of its own, without waiting for it.
func LessGCWhileStarting() (started func()) {
	if os.Getenv("GOGC") != "" {
		return func() {}
	}
	before := debug.SetGCPercent(startGCPercent)
	var once sync.Once
	return func() {
		once.Do(func() {
			debug.SetGCPercent(before)
			go debug.FreeOSMemory()
		})
	}
}

// Package procs tunes the Go runtime for what Keyport's processes do:
// `keyport proxy` runs on one processor while it serves one request at a
// time and on all of them while requests overlap (Gate), and the window
// collects garbage less often until it is on screen (LessGCWhileStarting).
// Both leave the runtime alone when the environment sets GOMAXPROCS or
// GOGC: the person's choice wins. Each belongs to a main command: the
// settings are the process's.
//
// The Go scheduler, when a goroutine it runs readies another and a
// processor (P) is idle, wakes a second thread to run it. A request
// through `keyport proxy` readies goroutines several times (its
// connection, the transport's writer and reader, the response), so on a
// machine with two or more CPUs most requests wake a thread or two that
// find little to do and sleep again: twice the context switches of the
// same work on one P, and, on a virtual machine, a fifth more CPU time
// and latency (bench/FINDINGS.md). People's scripts mostly send one
// request at a time; a burst of parallel ones still wants every CPU.
package procs

import (
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// quietFor is how long no two requests overlap before the process goes
// back to one processor: long enough that a burst's short pauses do not
// resize the scheduler (which stops the world) over and over.
const quietFor = time.Second

// Gate narrows a process to one processor between overlapping requests:
// it sets GOMAXPROCS to 1, raises it back when a request starts while
// another is in flight, and lowers it again once no two requests have
// overlapped for a while. Its methods are safe for concurrent use; a nil
// *Gate does nothing.
type Gate struct {
	wide  int           // GOMAXPROCS while requests overlap: what it was
	quiet time.Duration // quietFor; tests make it long and call look

	inFlight atomic.Int32
	overlap  atomic.Bool // a request started beside another since the last look
	// isWide says GOMAXPROCS is wide; Enter reads it without mu, and it
	// changes only under mu, with GOMAXPROCS.
	isWide atomic.Bool

	mu     sync.Mutex // guards closed, and serialises GOMAXPROCS changes
	closed bool
	done   chan struct{} // closed by Close: the look loop ends
}

// Narrow sets GOMAXPROCS to 1 and returns the Gate that raises it while
// requests overlap, or nil (which does nothing) when $GOMAXPROCS is set
// or the machine has one CPU.
func Narrow() *Gate {
	if os.Getenv("GOMAXPROCS") != "" || runtime.GOMAXPROCS(0) == 1 {
		return nil
	}
	return narrow(quietFor)
}

func narrow(quiet time.Duration) *Gate {
	return &Gate{wide: runtime.GOMAXPROCS(1), quiet: quiet, done: make(chan struct{})}
}

// Enter notes a request's start; Leave must follow when it ends.
func (g *Gate) Enter() {
	if g == nil {
		return
	}
	if g.inFlight.Add(1) < 2 {
		return
	}
	g.overlap.Store(true)
	if !g.isWide.Load() {
		g.widen()
	}
}

// Leave notes the end of a request Enter noted.
func (g *Gate) Leave() {
	if g != nil {
		g.inFlight.Add(-1)
	}
}

// Close gives the process back the processors it had before Narrow.
func (g *Gate) Close() {
	if g == nil {
		return
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closed {
		return
	}
	g.closed = true
	close(g.done)
	runtime.GOMAXPROCS(g.wide)
	g.isWide.Store(true) // for good: widen and look change nothing now
}

// widen gives the process its processors back, and starts the loop that
// narrows it once requests stop overlapping.
func (g *Gate) widen() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.isWide.Load() {
		return
	}
	runtime.GOMAXPROCS(g.wide)
	g.isWide.Store(true)
	go g.watch()
}

// watch calls look every quiet until it narrows the process or the Gate
// is closed.
func (g *Gate) watch() {
	t := time.NewTicker(g.quiet)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			if g.look() {
				return
			}
		case <-g.done:
			return
		}
	}
}

// look narrows the process back to one processor unless a request
// overlapped another since the last look or two are in flight (streams,
// say), and reports whether it is narrow (or closed).
func (g *Gate) look() bool {
	if g.overlap.Swap(false) || g.inFlight.Load() > 1 {
		return false
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closed {
		return true
	}
	if g.isWide.Load() {
		runtime.GOMAXPROCS(1)
		g.isWide.Store(false)
	}
	return true
}

package procs

import (
	"runtime"
	"runtime/debug"
	"sync"
	"testing"
	"time"
)

// gate returns a Gate whose own loop never looks (tests call look) and
// gives the test's GOMAXPROCS back at the end.
func gate(t *testing.T) (*Gate, int) {
	t.Helper()
	before := runtime.GOMAXPROCS(0)
	if before < 2 {
		runtime.GOMAXPROCS(2) // the Gate needs processors to give back
		t.Cleanup(func() { runtime.GOMAXPROCS(before) })
	}
	wide := runtime.GOMAXPROCS(0)
	g := narrow(time.Hour)
	t.Cleanup(g.Close)
	return g, wide
}

func procs() int { return runtime.GOMAXPROCS(0) }

// TestOneAtATimeStaysNarrow: requests one after another, however many,
// run on one processor.
func TestOneAtATimeStaysNarrow(t *testing.T) {
	g, _ := gate(t)
	if procs() != 1 {
		t.Fatalf("after Narrow GOMAXPROCS is %d, want 1", procs())
	}
	for range 100 {
		g.Enter()
		g.Leave()
	}
	if procs() != 1 {
		t.Fatalf("after requests one at a time GOMAXPROCS is %d, want 1", procs())
	}
}

// TestOverlapWidensThenNarrows: a request beside another gives the
// processors back; once a look finds no overlap since the last one, the
// process is narrow again.
func TestOverlapWidensThenNarrows(t *testing.T) {
	g, wide := gate(t)
	g.Enter()
	g.Enter()
	if procs() != wide {
		t.Fatalf("with two requests in flight GOMAXPROCS is %d, want %d", procs(), wide)
	}
	g.Leave()
	if g.look() || procs() != wide {
		t.Fatalf("the look right after an overlap narrowed the process (GOMAXPROCS %d)", procs())
	}
	g.Leave()
	if !g.look() || procs() != 1 {
		t.Fatalf("a look with no overlap since the last left GOMAXPROCS at %d, want 1", procs())
	}
	g.Enter() // one at a time again
	g.Leave()
	if procs() != 1 {
		t.Fatalf("a lone request after narrowing widened the process to %d", procs())
	}
	g.Enter()
	g.Enter()
	if procs() != wide {
		t.Fatalf("a second overlap did not widen again: GOMAXPROCS %d, want %d", procs(), wide)
	}
	g.Leave()
	g.Leave()
}

// TestStreamsInFlightKeepItWide: two requests still in flight (streams)
// keep the processors although no new request started beside them.
func TestStreamsInFlightKeepItWide(t *testing.T) {
	g, wide := gate(t)
	g.Enter()
	g.Enter()
	g.look() // takes the overlap
	if g.look() || procs() != wide {
		t.Fatalf("two requests in flight were narrowed to GOMAXPROCS %d", procs())
	}
	g.Leave()
	if !g.look() || procs() != 1 {
		t.Fatalf("one request in flight and no overlap left GOMAXPROCS at %d, want 1", procs())
	}
	g.Leave()
}

// TestCloseRestores: Close gives back what GOMAXPROCS was before
// Narrow, and later requests change nothing.
func TestCloseRestores(t *testing.T) {
	g, wide := gate(t)
	g.Close()
	if procs() != wide {
		t.Fatalf("after Close GOMAXPROCS is %d, want %d", procs(), wide)
	}
	g.Enter()
	g.Enter()
	g.Leave()
	g.Leave()
	g.look()
	g.look()
	if procs() != wide {
		t.Fatalf("requests and looks after Close changed GOMAXPROCS to %d", procs())
	}
	g.Close() // twice is fine
}

// TestConcurrentUse: Enter, Leave and look from many goroutines at once
// (for -race); the process ends wide while requests overlap.
func TestConcurrentUse(t *testing.T) {
	g, wide := gate(t)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for range 8 {
		wg.Go(func() {
			<-start
			for range 200 {
				g.Enter()
				g.look()
				g.Leave()
			}
		})
	}
	close(start)
	wg.Wait()
	g.Enter()
	g.Enter()
	if procs() != wide {
		t.Fatalf("overlapping requests left GOMAXPROCS at %d", procs())
	}
	g.Leave()
	g.Leave()
}

// TestNarrowRespectsEnvironment: with $GOMAXPROCS set, the person's
// choice stands.
func TestNarrowRespectsEnvironment(t *testing.T) {
	t.Setenv("GOMAXPROCS", "3")
	before := procs()
	g := Narrow()
	if g != nil {
		g.Close()
		t.Fatal("Narrow returned a Gate although $GOMAXPROCS is set")
	}
	if procs() != before {
		t.Fatalf("Narrow changed GOMAXPROCS from %d to %d", before, procs())
	}
	g.Enter() // a nil Gate does nothing
	g.Leave()
	g.Close()
}

// TestWatchNarrows: the Gate's own loop narrows the process once
// requests stop overlapping.
func TestWatchNarrows(t *testing.T) {
	before := runtime.GOMAXPROCS(0)
	if before < 2 {
		runtime.GOMAXPROCS(2)
	}
	t.Cleanup(func() { runtime.GOMAXPROCS(before) })
	g := narrow(10 * time.Millisecond)
	t.Cleanup(g.Close)
	g.Enter()
	g.Enter()
	g.Leave()
	g.Leave()
	deadline := time.Now().Add(10 * time.Second)
	for procs() != 1 {
		if time.Now().After(deadline) {
			t.Fatalf("10 s after the last overlap GOMAXPROCS is still %d", procs())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestLessGCWhileStarting: the GC percent is startGCPercent until the
// start ends, then what it was; $GOGC set leaves it alone.
func TestLessGCWhileStarting(t *testing.T) {
	t.Setenv("GOGC", "") // Setenv restores it; "" counts as unset
	before := debug.SetGCPercent(100)
	t.Cleanup(func() { debug.SetGCPercent(before) })
	started := LessGCWhileStarting()
	if got := debug.SetGCPercent(startGCPercent); got != startGCPercent {
		t.Fatalf("while starting the GC percent is %d, want %d", got, startGCPercent)
	}
	started()
	if got := debug.SetGCPercent(100); got != 100 {
		t.Fatalf("after the start the GC percent is %d, want 100", got)
	}
	debug.SetGCPercent(70)
	started() // once only: a later change stays
	if got := debug.SetGCPercent(100); got != 70 {
		t.Fatalf("a second call set the GC percent to %d", got)
	}

	t.Setenv("GOGC", "50")
	debug.SetGCPercent(50)
	LessGCWhileStarting()()
	if got := debug.SetGCPercent(100); got != 50 {
		t.Fatalf("with $GOGC set the GC percent became %d", got)
	}
}

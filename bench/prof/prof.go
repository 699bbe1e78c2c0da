//go:build unix

// Package prof profiles a program's start-up for bench/FINDINGS.md. A
// program built with the benchprof tag calls FromEnv in an init function
// (cmd/keyport-window and bench/baseline do), so the profile covers the
// very program the benchmarks measure, composed as it ships.
//
// FromEnv reads $PROF_CPU (where the CPU profile goes; none when empty),
// $PROF_DELAY (seconds before it starts, default 0) and $PROF_SECONDS (its
// length, default 2). The profile stops early at SIGUSR1, which `bench/probe
// window -usr1` sends when the window maps, so a start-up profile holds
// only what comes before the window. A heap profile goes to $PROF_HEAP when
// the CPU profile stops.
package prof

import (
	"os"
	"os/signal"
	"runtime/pprof"
	"strconv"
	"syscall"
	"time"
)

// FromEnv starts the profile the environment asks for.
func FromEnv() {
	path := os.Getenv("PROF_CPU")
	if path == "" {
		return
	}
	delay, _ := strconv.ParseFloat(os.Getenv("PROF_DELAY"), 64)
	secs, _ := strconv.ParseFloat(os.Getenv("PROF_SECONDS"), 64)
	if secs <= 0 {
		secs = 2
	}
	mapped := make(chan os.Signal, 1)
	signal.Notify(mapped, syscall.SIGUSR1) // before the window can map
	// From here, not from a timer's goroutine, which may run late.
	if delay <= 0 {
		stop := start(path)
		go wait(stop, secs, mapped)
		return
	}
	time.AfterFunc(time.Duration(delay*float64(time.Second)), func() { wait(start(path), secs, mapped) })
}

// start starts the CPU profile into path and returns what stops it.
func start(path string) func() {
	f, err := os.Create(path)
	if err != nil {
		panic(err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		panic(err)
	}
	return func() { pprof.StopCPUProfile(); f.Close() }
}

// wait stops the profile after secs or at SIGUSR1, then writes the heap
// profile.
func wait(stop func(), secs float64, mapped <-chan os.Signal) {
	select {
	case <-time.After(time.Duration(secs * float64(time.Second))):
	case <-mapped:
	}
	stop()
	if hp := os.Getenv("PROF_HEAP"); hp != "" {
		if h, err := os.Create(hp); err == nil {
			pprof.WriteHeapProfile(h)
			h.Close()
		}
	}
}

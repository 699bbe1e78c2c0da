// Command profkeyport is Keyport's window (the composition of cmd/keyport-window)
// with profiling for bench/run.sh's findings: it writes a CPU profile of
// $PROF_SECONDS seconds (default 2), after $PROF_DELAY seconds (default 0;
// the window opens after it), to $PROF_CPU and, at that
// moment, a heap profile to $PROF_HEAP. PROF_BASELINE=1 shows bench/baseline's
// window instead (titled Keyport), to profile both alike.
package main

import (
	"context"
	"os"
	"os/signal"
	"runtime/pprof"
	"strconv"
	"syscall"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/app"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"github.com/keyport/keyport/auth"
	"github.com/keyport/keyport/ui"
)

func main() {
	if path := os.Getenv("PROF_CPU"); path != "" {
		delay, _ := strconv.ParseFloat(os.Getenv("PROF_DELAY"), 64)
		secs, _ := strconv.ParseFloat(os.Getenv("PROF_SECONDS"), 64)
		if secs <= 0 {
			secs = 2
		}
		time.AfterFunc(time.Duration(delay*float64(time.Second)), func() { profile(path, secs) })
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	a := app.NewWithID(ui.AppID)
	if os.Getenv("PROF_BASELINE") == "1" { // bench/baseline's window, profiled alike
		w := a.NewWindow("Keyport")
		label := widget.NewLabel("Hello")
		w.SetContent(container.NewVBox(label, widget.NewButton("Press", func() { label.SetText("Pressed") })))
		w.Resize(fyne.NewSize(1040, 680))
		w.ShowAndRun()
		return
	}
	var e *auth.Engine
	var err error
	ui.LoadFontsWhile(func() { e, err = auth.New(auth.Params{OpenURL: a.OpenURL}) })
	if err != nil {
		ui.ShowStartError(a, err)
		return
	}
	go e.Run(ctx)
	w := ui.New(a, e, ui.Options{})
	go func() { <-ctx.Done(); w.Quit() }()
	w.ShowAndRun()
}

// profile writes a CPU profile of the next secs seconds to path, then a
// heap profile to $PROF_HEAP.
func profile(path string, secs float64) {
	f, err := os.Create(path)
	if err != nil {
		panic(err)
	}
	pprof.StartCPUProfile(f)
	mapped := make(chan os.Signal, 1) // probe -usr1: the window has mapped
	signal.Notify(mapped, syscall.SIGUSR1)
	select {
	case <-time.After(time.Duration(secs * float64(time.Second))):
	case <-mapped:
	}
	pprof.StopCPUProfile()
	f.Close()
	if hp := os.Getenv("PROF_HEAP"); hp != "" {
		if h, err := os.Create(hp); err == nil {
			pprof.WriteHeapProfile(h)
			h.Close()
		}
	}
}

// Command keyport-window is Keyport's window. The desktop entry starts it
// directly; `keyport` with no command starts it too; the login entry
// starts it with --hidden, in the tray. One runs per configuration: a
// second start brings the running window forward and exits 0. The
// terminal commands live in `keyport`, which links no Fyne, so `keyport
// token` starts in the time a keychain lookup takes (docs/BENCHMARKS.md).
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"fyne.io/fyne/v2/app"

	"github.com/keyport/keyport/auth"
	"github.com/keyport/keyport/internal/applog"
	"github.com/keyport/keyport/internal/procs"
	"github.com/keyport/keyport/ui"
)

func main() {
	// Fewer collections until the window is on screen (internal/procs).
	started := procs.LessGCWhileStarting()
	hidden, ok := parseArgs(os.Args[1:])
	if !ok {
		fmt.Fprintf(os.Stderr, "keyport-window opens Keyport's window and takes only --hidden (start in the tray); the commands are in 'keyport' ('keyport help' lists them).\n")
		os.Exit(2)
	}
	inst, done := claim(os.Stderr) // one window: a second start brings the first forward
	if done {
		return
	}
	if inst != nil {
		defer inst.Close()
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	a := app.NewWithID(ui.AppID)
	a.Lifecycle().SetOnStarted(started) // the window is shown by then, the tray started
	log, closeLog, err := applog.File("keyport.log")
	if err != nil {
		fmt.Fprintf(os.Stderr, "keyport-window: %v; logging to standard error\n", err)
		log, closeLog = applog.Stderr(os.Stderr, true), io.NopCloser(nil)
	}
	defer closeLog.Close()
	// The account index loads while Fyne loads its fonts, on another core
	// (docs/BENCHMARKS.md has both figures).
	var e *auth.Engine
	ui.LoadFontsWhile(func() { e, err = auth.New(auth.Params{OpenURL: a.OpenURL, Log: log}) })
	if err != nil {
		log.Error("start", "err", err)
		ui.ShowStartError(a, err) // a window saying what is wrong and what to do
		return
	}
	refresher, stopRefresher := context.WithCancel(ctx)
	ran := make(chan struct{})
	go func() { e.Run(refresher); close(ran) }()
	w := ui.New(a, e, ui.Options{Autostart: loginEntry(), Hidden: hidden})
	if inst != nil {
		inst.OnShow(w.Show)
	}
	go func() { <-ctx.Done(); w.Quit() }() // Ctrl-C: clear a copied secret first
	w.ShowAndRun()
	if inst != nil {
		// Quitting: a start from now on must not be told this window
		// came forward; it waits for the name instead.
		inst.Close()
	}
	// A refresh the provider has answered must save its (rotated) token
	// before the process ends; a few seconds at most.
	stopRefresher()
	<-ran
	wait, cancel := context.WithTimeout(context.Background(), quitWait)
	defer cancel()
	if err := e.Wait(wait); err != nil {
		log.Warn("quit while a refresh was still saving", "err", err)
	}
}

// quitWait bounds how long quitting waits for refreshes in flight.
const quitWait = 5 * time.Second

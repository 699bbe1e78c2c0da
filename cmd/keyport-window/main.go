// Command keyport-window is Keyport's window. The desktop entry starts it
// directly; `keyport` with no command starts it too. The terminal commands
// live in `keyport`, which links no Fyne, so `keyport token` starts in the
// time a keychain lookup takes (docs/BENCHMARKS.md).
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"fyne.io/fyne/v2/app"

	"github.com/keyport/keyport/auth"
	"github.com/keyport/keyport/ui"
)

func main() {
	if len(os.Args) > 1 {
		fmt.Fprintf(os.Stderr, "keyport-window opens Keyport's window and takes no arguments; the commands are in 'keyport' ('keyport help' lists them).\n")
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	a := app.NewWithID(ui.AppID)
	// The index (about 15 ms with 1,000 accounts) loads while Fyne loads
	// its fonts (about 100 ms), on another core.
	var e *auth.Engine
	var err error
	ui.LoadFontsWhile(func() { e, err = auth.New(auth.Params{OpenURL: a.OpenURL}) })
	if err != nil {
		ui.ShowStartError(a, err) // a window saying what is wrong and what to do
		return
	}
	go e.Run(ctx)
	w := ui.New(a, e, ui.Options{})
	go func() { <-ctx.Done(); w.Quit() }() // Ctrl-C: clear a copied secret first
	w.ShowAndRun()
}

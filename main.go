// Command keyport connects online accounts over OAuth 2.0, keeps their
// tokens in the OS keychain and fresh in the background. With no arguments
// it opens the window; with a command (keyport help) it runs in the
// terminal.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"runtime"
	"syscall"

	"fyne.io/fyne/v2/app"

	"github.com/keyport/keyport/auth"
	"github.com/keyport/keyport/cli"
	"github.com/keyport/keyport/ui"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if len(os.Args) > 1 {
		env := cli.Env{In: os.Stdin, Out: os.Stdout, Err: os.Stderr, Engine: func() (*auth.Engine, error) {
			return auth.New(auth.Params{OpenURL: cli.OpenBrowser})
		}}
		os.Exit(cli.Run(ctx, env, os.Args[1:]))
	}
	if !hasDisplay() {
		fmt.Fprintln(os.Stderr, "keyport: no display to open the window on (DISPLAY and WAYLAND_DISPLAY are unset).\n"+
			"Use the terminal commands instead, e.g. 'keyport connect PROVIDER', 'keyport accounts', 'keyport token ACCOUNT'; 'keyport help' lists them.")
		os.Exit(1)
	}
	a := app.NewWithID(ui.AppID)
	e, err := auth.New(auth.Params{OpenURL: a.OpenURL})
	if err != nil {
		ui.ShowStartError(a, err) // a window saying what is wrong and what to do
		return
	}
	go e.Run(ctx)
	w := ui.New(a, e, ui.Options{})
	go func() { <-ctx.Done(); w.Quit() }() // Ctrl-C: clear a copied secret first
	w.ShowAndRun()
}

// hasDisplay reports whether a window can open. Only X11 and Wayland
// desktops can lack one; macOS and Windows always have one.
func hasDisplay() bool {
	if runtime.GOOS == "darwin" || runtime.GOOS == "windows" {
		return true
	}
	return os.Getenv("DISPLAY") != "" || os.Getenv("WAYLAND_DISPLAY") != ""
}

// Command keyport connects online accounts over OAuth 2.0, keeps their
// tokens in the OS keychain and fresh in the background. With a command
// (keyport help) it runs in the terminal; with none it opens the window,
// which is the program keyport-window installed beside it.
//
// keyport links no Fyne (a test checks): a Go program runs every linked
// package's initialisers before main, and Fyne's would make each
// `keyport token` in a script slower (docs/BENCHMARKS.md).
package main

import (
	"context"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/keyport/keyport/auth"
	"github.com/keyport/keyport/cli"
)

func main() {
	if len(os.Args) == 1 {
		os.Exit(cli.OpenWindow(os.Stderr))
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	env := cli.Env{In: os.Stdin, Out: os.Stdout, Err: os.Stderr, Engine: func(log *slog.Logger) (*auth.Engine, error) {
		return auth.New(auth.Params{OpenURL: cli.OpenBrowser, Log: log})
	}}
	os.Exit(cli.Run(ctx, env, os.Args[1:]))
}

// Command clionly is Keyport's command line without the window: main.go's
// CLI branch, linking no Fyne. bench/run.sh times `clionly token` beside
// `keyport token` to show what the window's packages cost every command.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/keyport/keyport/auth"
	"github.com/keyport/keyport/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	env := cli.Env{In: os.Stdin, Out: os.Stdout, Err: os.Stderr, Engine: func() (*auth.Engine, error) {
		return auth.New(auth.Params{OpenURL: cli.OpenBrowser})
	}}
	os.Exit(cli.Run(ctx, env, os.Args[1:]))
}

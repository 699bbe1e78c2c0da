// Package cli is Keyport's command line: connect, accounts, token,
// disconnect and the set-up commands, on the same engine as the window.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/keyport/keyport/auth"
	"github.com/keyport/keyport/internal/applog"
)

// Env is what a command reads and writes. Out gets the result (a token, a
// table), Err the progress and errors, so `keyport token X` pipes cleanly.
type Env struct {
	In       io.Reader
	Out, Err io.Writer
	// Engine builds the engine on first use, so `keyport help` works even
	// with a broken config directory; log is where the engine's log goes
	// (standard error with -v, else nowhere).
	Engine func(log *slog.Logger) (*auth.Engine, error)
}

// exitWait bounds how long a command waits, before the process exits, for
// a refresh that is saving what the provider answered (a rotated refresh
// token that would otherwise be lost).
const exitWait = 5 * time.Second

type command struct {
	name, args, help string
	run              func(ctx context.Context, env Env, fs *flag.FlagSet, args []string) error
}

var commands = []command{
	{"providers", "", "list the providers and whether each is set up", runProviders},
	{"setup", "PROVIDER --client-id ID [--port N] [--param NAME=VALUE]... [--secret-stdin]", "save the OAuth client you registered at a provider, and its params (the secret goes to the keychain)", runSetup},
	{"connect", "PROVIDER [--device] [--no-browser] [--api-key-stdin]", "sign in to a provider in the browser, or with a code on any device, and store the account", runConnect},
	{"accounts", "[--json]", "list connected accounts and their token status", runAccounts},
	{"token", "ACCOUNT [--min-valid DURATION] [--format bare|header|json] [--refresh]", "print a valid access token (or API key), refreshing it first when needed", runToken},
	{"exec", "[-a ACCOUNT[=VAR]]... [--min-valid DURATION] -- COMMAND [ARG]...", "run a command with the accounts' tokens in its environment (never in its arguments); it exits with the command's status", runExec},
	{"proxy", "[--listen 127.0.0.1:PORT] [--socket PATH] [--print-key]", "serve the accounts' APIs on this computer with their tokens put in: /ACCOUNT/path goes to the provider's API", runProxy},
	{"disconnect", "ACCOUNT", "revoke an account's tokens at the provider and remove it", runDisconnect},
}

// Run runs one command and returns the process exit code: 0 on success, 1
// when the command failed, 2 for a usage error; exec returns its command's
// status. "-v" before the command
// logs what the engine does to standard error. Before it returns, Run
// waits (at most 5 s) for refreshes the command started, so that a
// rotated refresh token is saved even when the command was interrupted.
func Run(ctx context.Context, env Env, args []string) int {
	verbose := false
	for len(args) > 0 && (args[0] == "-v" || args[0] == "--verbose") {
		verbose, args = true, args[1:]
	}
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "-help" || args[0] == "--help" {
		usage(env.Out)
		return 0
	}
	log := applog.Stderr(env.Err, verbose)
	var built *auth.Engine
	build := env.Engine
	env.Engine = func(*slog.Logger) (*auth.Engine, error) {
		e, err := build(log)
		built = e
		return e, err
	}
	defer func() {
		if built == nil {
			return
		}
		wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), exitWait)
		defer cancel()
		if err := built.Wait(wctx); err != nil {
			fmt.Fprintf(env.Err, "keyport: a refresh was still saving its token after %s; run 'keyport accounts' to see the account's state\n", exitWait)
		}
	}()
	for _, c := range commands {
		if c.name != args[0] {
			continue
		}
		fs := flag.NewFlagSet("keyport "+c.name, flag.ContinueOnError)
		fs.SetOutput(env.Err)
		fs.Usage = func() {
			fmt.Fprintf(env.Err, "usage: keyport %s %s\n  %s\n", c.name, c.args, c.help)
			fs.PrintDefaults()
		}
		err := c.run(ctx, env, fs, args[1:])
		var ue usageError
		var ec exitCode
		switch {
		case err == nil:
			return 0
		case errors.As(err, &ec): // exec: the command's own status
			if ec.err != nil {
				fmt.Fprintf(env.Err, "keyport %s: %v\n", c.name, ec.err)
			}
			return ec.code
		case errors.Is(err, flag.ErrHelp):
			return 0
		case errors.Is(err, errReported):
			return 2
		case errors.As(err, &ue):
			fmt.Fprintf(env.Err, "keyport %s: %v\n", c.name, err)
			fs.Usage()
			return 2
		default:
			fmt.Fprintf(env.Err, "keyport %s: %v\n", c.name, err)
			return 1
		}
	}
	fmt.Fprintf(env.Err, "keyport: unknown command %q\n\n", args[0])
	usage(env.Err)
	return 2
}

// errReported is a usage error the flag package has already printed.
var errReported = errors.New("usage error")

type usageError string

func (e usageError) Error() string { return string(e) }

// parse parses flags that may come before or after the positional
// arguments and checks their count.
func parse(fs *flag.FlagSet, args []string, want int) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, errReported // the flag package printed it with the usage
		}
		if fs.NArg() == 0 {
			break
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
	if len(pos) != want {
		return nil, usageError(fmt.Sprintf("expected %d argument(s), got %d", want, len(pos)))
	}
	return pos, nil
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "Keyport connects your online accounts over OAuth 2.0 and keeps their tokens in the OS keychain.")
	fmt.Fprintln(w, "\nusage:\n  keyport                 open the window\n  keyport -v COMMAND      log what Keyport does to standard error")
	for _, c := range commands {
		fmt.Fprintf(w, "  keyport %-15s %s\n", c.name, c.help)
	}
	fmt.Fprintln(w, "\nACCOUNT is PROVIDER/ID as 'keyport accounts' shows it, or a provider id, email or name that matches one account.")
	fmt.Fprintln(w, "Environment: KEYPORT_CONFIG_DIR (settings and index), KEYPORT_KEYRING_SERVICE (keychain service name), BROWSER.")
}

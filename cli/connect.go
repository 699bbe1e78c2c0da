package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/keyport/keyport/auth"
)

func runConnect(ctx context.Context, env Env, fs *flag.FlagSet, args []string) error {
	apiKeyStdin := fs.Bool("api-key-stdin", false, "read an API key or personal access token from standard input instead of signing in")
	noBrowser := fs.Bool("no-browser", false, "open no browser: print the sign-in link to open wherever you like")
	pos, err := parse(fs, args, 1)
	if err != nil {
		return err
	}
	e, err := env.Engine(nil)
	if err != nil {
		return err
	}
	p, ok := e.Provider(pos[0])
	if !ok {
		return fmt.Errorf("%w %q: 'keyport providers' lists them", auth.ErrUnknownProvider, pos[0])
	}
	in := newInput(env.In)
	defer in.restore()
	if *apiKeyStdin || p.Mode == auth.ModeAPIKey {
		if !p.SupportsAPIKey() {
			return fmt.Errorf("%s does not take API keys or personal tokens: use keyport connect %s", p.Name, p.ID)
		}
		hidden := ""
		if in.terminal() {
			hidden = " (it is not shown as you type)"
		}
		label := p.APIKey.KeyLabel()
		fmt.Fprintf(env.Err, "Paste your %s %s and press Enter%s. %s\n", p.Name, label, hidden, p.APIKey.Help)
		key, err := in.line()
		if err != nil && !errors.Is(err, io.EOF) {
			return fmt.Errorf("read the %s: %w", label, err)
		}
		if strings.TrimSpace(key) == "" {
			return fmt.Errorf("no %s on standard input", label)
		}
		a, err := e.ConnectAPIKey(ctx, p.ID, key)
		if err != nil {
			return err
		}
		fmt.Fprintf(env.Out, "Connected %s (%s)\n", a.Name, a.Key())
		return nil
	}
	var opts []auth.ConnectOption
	if *noBrowser {
		opts = append(opts, auth.NoBrowser())
	}
	flow, err := e.Connect(ctx, p.ID, opts...)
	if err != nil {
		return err
	}
	if *noBrowser {
		fmt.Fprintf(env.Err, "Open this link in a browser and sign in to %s:\n\n  %s\n\n", p.Name, flow.URL())
	} else {
		fmt.Fprintf(env.Err, "Sign in to %s in your browser. If it did not open, open this link:\n\n  %s\n\n", p.Name, flow.URL())
	}
	if err := flow.BrowserError(); err != nil {
		fmt.Fprintf(env.Err, "(%v)\n", err)
	}
	hidden := ""
	if in.terminal() {
		hidden = " (it is not shown: it holds the sign-in code)"
	}
	fmt.Fprintf(env.Err, "Waiting… If the browser runs on another machine, paste the address it ends on here and press Enter%s.\n", hidden)
	go readPastes(env, in, flow)
	a, err := flow.Wait()
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Out, "Connected %s account %s%s (%s)\n", p.Name, a.Name, emailPart(a), a.Key())
	return nil
}

// readPastes completes the flow from a redirect URL typed on standard input.
// It returns when the flow ends or input ends; the reading goroutine may
// stay blocked on a terminal read until the process exits (runConnect
// restores the terminal's echo when it returns).
func readPastes(env Env, in *input, flow *auth.Flow) {
	lines := make(chan string)
	go func() {
		defer close(lines)
		for {
			line, err := in.line()
			if err != nil && line == "" {
				if !errors.Is(err, io.EOF) {
					fmt.Fprintf(env.Err, "%v\n", err)
				}
				return
			}
			select {
			case lines <- line:
			case <-flow.Done():
				return
			}
		}
	}()
	for {
		select {
		case <-flow.Done():
			return
		case line, ok := <-lines:
			if !ok {
				return
			}
			if strings.TrimSpace(line) == "" {
				continue
			}
			err := flow.Paste(line)
			select {
			case <-flow.Done(): // the flow ended: Wait reports how
				return
			default:
				if err != nil {
					fmt.Fprintf(env.Err, "%v\n", err)
				}
			}
		}
	}
}

func emailPart(a auth.Account) string {
	if a.Email == "" || a.Email == a.Name {
		return ""
	}
	return " <" + a.Email + ">"
}

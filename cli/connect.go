package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/keyport/keyport/auth"
	"github.com/keyport/keyport/internal/human"
)

func runConnect(ctx context.Context, env Env, fs *flag.FlagSet, args []string) error {
	apiKeyStdin := fs.Bool("api-key-stdin", false, "read an API key or personal access token from standard input instead of signing in")
	noBrowser := fs.Bool("no-browser", false, "open no browser: print the sign-in link to open wherever you like")
	device := fs.Bool("device", false, "sign in with a code entered on any device (where the provider offers it): for SSH sessions and machines without a browser")
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
	if !*device && !*noBrowser && !canOpenBrowser() {
		// Over SSH or on a headless machine the loopback redirect cannot
		// reach Keyport from a browser elsewhere; a code can.
		ok, err := e.SupportsDevice(ctx, p.ID)
		if err != nil {
			return err
		}
		if ok {
			fmt.Fprintf(env.Err, "No display and no $BROWSER here: signing in to %s with a code instead (--no-browser prints a link instead).\n", p.Name)
			*device = true
		}
	}
	if *device {
		return connectDevice(ctx, env, e, p)
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

// connectDevice signs in with the device authorization grant: it prints
// the page and the code, then waits while the engine polls.
func connectDevice(ctx context.Context, env Env, e *auth.Engine, p auth.Provider) error {
	flow, err := e.ConnectDevice(ctx, p.ID)
	if err != nil {
		return err
	}
	defer flow.Cancel()
	fmt.Fprintf(env.Err, "To sign in to %s, open this page on any device:\n\n  %s\n\nand enter the code\n\n  %s\n\n", p.Name, flow.VerificationURI(), flow.UserCode())
	if u := flow.VerificationURIComplete(); u != "" {
		fmt.Fprintf(env.Err, "Or open this link, which fills the code in:\n\n  %s\n\n", u)
	}
	fmt.Fprintf(env.Err, "The code works for %s. Waiting… (Ctrl-C cancels)\n", human.Duration(flow.Lifetime()))
	a, err := flow.Wait()
	switch {
	case errors.Is(err, auth.ErrTimeout):
		return fmt.Errorf("the code expired after %s: run 'keyport connect %s --device' for a new one", human.Duration(flow.Lifetime()), p.ID)
	case err != nil:
		return err
	}
	fmt.Fprintf(env.Out, "Connected %s account %s%s (%s)\n", p.Name, a.Name, emailPart(a), a.Key())
	return nil
}

// canOpenBrowser reports whether a browser can open here: $BROWSER names
// one, or there is a desktop to open the default one on.
var canOpenBrowser = func() bool { return os.Getenv("BROWSER") != "" || hasDisplay() }

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

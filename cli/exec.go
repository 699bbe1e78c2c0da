package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"regexp"
	"strings"
)

// tokenVar is the variable of the token when exec runs with one account
// and no =VAR.
const tokenVar = "KEYPORT_TOKEN"

// execAccount is one -a ACCOUNT[=VAR] of exec.
type execAccount struct{ query, variable string }

// execAccounts collects -a flags.
type execAccounts []execAccount

var envName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

func (a *execAccounts) String() string { return "" }

func (a *execAccounts) Set(v string) error {
	query, variable := v, ""
	if i := strings.LastIndexByte(v, '='); i >= 0 {
		query, variable = v[:i], v[i+1:]
		if !envName.MatchString(variable) {
			return fmt.Errorf("%q after = is not an environment variable name (letters, digits and _)", variable)
		}
	}
	if query == "" {
		return errors.New("no account before =")
	}
	*a = append(*a, execAccount{query, variable})
	return nil
}

// exitCode ends a command with its own exit status: exec's command exited
// with it (err nil: nothing more to say), or could not start (err says
// why).
type exitCode struct {
	code int
	err  error
}

func (e exitCode) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit status %d", e.code)
	}
	return e.err.Error()
}

func (e exitCode) Unwrap() error { return e.err }

func runExec(ctx context.Context, env Env, fs *flag.FlagSet, args []string) error {
	var accounts execAccounts
	fs.Var(&accounts, "a", "`ACCOUNT[=VAR]`: put the account's token in the variable VAR of the command's environment ("+tokenVar+" for a single account without =VAR); repeat for each account")
	minValid := fs.Duration("min-valid", 0, "refresh first unless each token stays valid this long (10m, 1h); the command does not start if one cannot")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return errReported
	}
	command := fs.Args()
	switch {
	case len(command) == 0:
		return usageError("name the command to run after --")
	case len(accounts) == 0:
		return usageError("name an account with -a ACCOUNT (its token goes to " + tokenVar + ")")
	}
	vars := map[string]bool{}
	for i, a := range accounts {
		if a.variable == "" {
			if len(accounts) > 1 {
				return usageError(fmt.Sprintf("-a %s: with more than one account, name each one's variable: -a ACCOUNT=VAR", a.query))
			}
			accounts[i].variable = tokenVar
		}
		if vars[accounts[i].variable] {
			return usageError(fmt.Sprintf("%s is named by two -a flags", accounts[i].variable))
		}
		vars[accounts[i].variable] = true
	}
	e, err := env.Engine(nil)
	if err != nil {
		return err
	}
	// Every token first: the command starts only when all of them are valid.
	environ := withoutVars(os.Environ(), vars)
	for _, a := range accounts {
		acct, err := e.FindAccount(a.query)
		if err != nil {
			return fmt.Errorf("%s did not start: %w", command[0], err)
		}
		s, err := e.TokenValidFor(ctx, acct.Key(), *minValid)
		if err != nil {
			return fmt.Errorf("%s did not start: %w", command[0], err)
		}
		environ = append(environ, a.variable+"="+s.Value())
	}
	cmd := exec.Command(command[0], command[1:]...)
	cmd.Env, cmd.Stdin, cmd.Stdout, cmd.Stderr = environ, env.In, env.Out, env.Err
	return runChild(cmd)
}

// withoutVars returns environ without the variables named in vars.
func withoutVars(environ []string, vars map[string]bool) []string {
	out := make([]string, 0, len(environ)+len(vars))
	for _, kv := range environ {
		if name, _, _ := strings.Cut(kv, "="); !vars[name] {
			out = append(out, kv)
		}
	}
	return out
}

// runChild runs cmd, passes it the signals this process receives (see
// forwarded and fromTerminal) and returns its exit status as an exitCode:
// its code, or 128 plus the number of the signal that killed it, as a
// shell reports it. A command that cannot start ends with 127 (not found)
// or 126, as in a shell.
func runChild(cmd *exec.Cmd) error {
	sigs := make(chan os.Signal, 16)
	if len(forwarded) > 0 { // Notify with none would relay every signal
		signal.Notify(sigs, forwarded...) // before Start: none may be lost in between
		defer signal.Stop(sigs)
	}
	if err := cmd.Start(); err != nil {
		code := 126
		if errors.Is(err, exec.ErrNotFound) || errors.Is(err, os.ErrNotExist) {
			code = 127
		}
		return exitCode{code, fmt.Errorf("start %s: %w", cmd.Args[0], err)}
	}
	done := make(chan struct{})
	go func() {
		for {
			select {
			case sig := <-sigs:
				if !fromTerminal(sig) {
					_ = cmd.Process.Signal(sig) // it may have exited meanwhile
				}
			case <-done:
				return
			}
		}
	}()
	err := cmd.Wait()
	close(done)
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		return fmt.Errorf("run %s: %w", cmd.Args[0], err)
	}
	if code := exitStatus(cmd.ProcessState); code != 0 {
		return exitCode{code: code}
	}
	return nil
}

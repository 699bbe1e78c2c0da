package cli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/keyport/keyport/auth"
	"github.com/keyport/keyport/internal/boundary"
	"github.com/keyport/keyport/internal/human"
)

func runProviders(ctx context.Context, env Env, fs *flag.FlagSet, args []string) error {
	if _, err := parse(fs, args, 0); err != nil {
		return err
	}
	e, err := env.Engine(nil)
	if err != nil {
		return err
	}
	w := tabwriter.NewWriter(env.Out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "ID\tNAME\tWAYS IN\tSTATE")
	for _, p := range e.Providers() {
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", p.ID, p.Name, waysIn(p), providerState(e, p))
	}
	return w.Flush()
}

// waysIn says how a provider connects: "sign-in" (and "code" where its
// catalogue entry names the device grant; an issuer's metadata may offer
// it too), "API key", or these together.
func waysIn(p auth.Provider) string {
	var ways []string
	if p.Mode == auth.ModeOAuth2 {
		way := "sign-in"
		if p.Unconfirmed {
			way += " (unconfirmed)"
		}
		ways = append(ways, way)
		if p.DeviceAuthURL != "" {
			ways = append(ways, "code")
		}
	}
	if p.SupportsAPIKey() {
		ways = append(ways, p.APIKey.KeyLabel())
	}
	return strings.Join(ways, " + ")
}

// providerState says whether a provider can be connected now, or the
// command that sets it up.
func providerState(e *auth.Engine, p auth.Provider) string {
	if e.Configured(p.ID) {
		return "ready"
	}
	cmd := "keyport setup " + p.ID
	if p.Mode == auth.ModeOAuth2 {
		cmd += " --client-id ID"
	}
	for _, pr := range p.Params {
		if pr.Default == "" {
			cmd += " --param " + pr.Name + "=" + strings.ToUpper(pr.Name)
		}
	}
	return "needs set-up: " + cmd
}

func runSetup(ctx context.Context, env Env, fs *flag.FlagSet, args []string) error {
	clientID := fs.String("client-id", "", "the client id the provider gave you")
	port := fs.Int("port", 0, "a fixed loopback redirect port you registered (0: any port)")
	secretStdin := fs.Bool("secret-stdin", false, "read the client secret from standard input (it is stored in the keychain)")
	params := paramFlag{}
	fs.Var(params, "param", "`name=value` of a provider's param (its shop, tenant or base URL); repeat for each")
	pos, err := parse(fs, args, 1)
	if err != nil {
		return err
	}
	e, err := env.Engine(nil)
	if err != nil {
		return err
	}
	secret := ""
	if *secretStdin {
		if secret, err = readClientSecret(env); err != nil {
			return err
		}
	}
	if err := e.SetClient(ctx, pos[0], auth.ClientSettings{ClientID: *clientID, RedirectPort: *port, Params: params}, secret); err != nil {
		return err
	}
	if p, _ := e.Provider(pos[0]); p.Mode == auth.ModeAPIKey {
		fmt.Fprintf(env.Err, "Saved. Connect with: keyport connect %s\n", pos[0])
		return nil
	}
	fmt.Fprintf(env.Err, "Saved. Register this redirect URI with the provider: %s\n", e.RedirectURI(pos[0]))
	return nil
}

// paramFlag collects --param name=value flags.
type paramFlag map[string]string

func (p paramFlag) String() string { return "" }

func (p paramFlag) Set(v string) error {
	name, value, ok := strings.Cut(v, "=")
	if !ok || name == "" {
		return fmt.Errorf("%q is not name=value", v)
	}
	p[strings.TrimSpace(name)] = value
	return nil
}

// readClientSecret reads a client secret from standard input: typed
// without echo on a terminal, else the whole input (at most 64 KiB).
func readClientSecret(env Env) (string, error) {
	in := newInput(env.In)
	defer in.restore()
	var secret string
	if in.terminal() {
		fmt.Fprint(env.Err, "Client secret (not shown as you type): ")
		line, err := in.line()
		fmt.Fprintln(env.Err)
		if err != nil {
			return "", fmt.Errorf("read the client secret: %w", err)
		}
		secret = line
	} else {
		b, err := boundary.ReadAll(env.In, maxLine)
		if err != nil {
			return "", fmt.Errorf("read the client secret from standard input: %w", err)
		}
		secret = string(b)
	}
	if secret = strings.TrimSpace(secret); secret == "" {
		return "", errors.New("no client secret on standard input")
	}
	return secret, nil
}

func runAccounts(ctx context.Context, env Env, fs *flag.FlagSet, args []string) error {
	asJSON := fs.Bool("json", false, "print JSON (no secrets) for scripts")
	if _, err := parse(fs, args, 0); err != nil {
		return err
	}
	e, err := env.Engine(nil)
	if err != nil {
		return err
	}
	accts := e.Accounts()
	if *asJSON {
		enc := json.NewEncoder(env.Out)
		enc.SetIndent("", "  ")
		return enc.Encode(accts)
	}
	if len(accts) == 0 {
		fmt.Fprintln(env.Err, "No accounts yet: 'keyport connect PROVIDER' adds one.")
		return nil
	}
	w := tabwriter.NewWriter(env.Out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "ACCOUNT\tNAME\tEMAIL\tSTATUS")
	now := time.Now()
	for _, a := range accts {
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", a.Key(), a.Name, a.Email, human.Describe(a, now))
	}
	return w.Flush()
}

func runDisconnect(ctx context.Context, env Env, fs *flag.FlagSet, args []string) error {
	pos, err := parse(fs, args, 1)
	if err != nil {
		return err
	}
	e, err := env.Engine(nil)
	if err != nil {
		return err
	}
	a, err := e.FindAccount(pos[0])
	if err != nil {
		return err
	}
	err = e.Disconnect(ctx, a.Key())
	var re *auth.RevokeError
	if err != nil && !errors.As(err, &re) {
		return err
	}
	fmt.Fprintf(env.Err, "Disconnected %s (%s).\n", a.Name, a.Key())
	return err
}

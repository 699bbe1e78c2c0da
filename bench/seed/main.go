// Command seed writes a Keyport account index for bench/run.sh:
//
//	seed -dir DIR -n N [-expiring] [-secret KEY]
//
// It writes N accounts (provider patreon, keys patreon/u0000...) into the
// index under DIR, through auth.Engine.Import as Keyport writes them. Their
// tokens are valid for 30 days, or with -expiring expire 10 to 60 minutes
// from now (1 h tokens, so none is due for a refresh within the next 4
// minutes). -secret also stores a valid token for the account KEY in the
// keychain service $KEYPORT_KEYRING_SERVICE, the way Keyport stores it.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/keyport/keyport/auth"
	"github.com/keyport/keyport/bench"
)

func main() {
	dir := flag.String("dir", "", "config directory")
	n := flag.Int("n", 0, "number of accounts")
	expiring := flag.Bool("expiring", false, "tokens expire within the hour")
	secret := flag.String("secret", "", "store a valid token for this account key in the keychain")
	flag.Parse()
	if *dir == "" {
		fmt.Fprintln(os.Stderr, "seed: -dir is required")
		os.Exit(2)
	}
	now := time.Now().Round(time.Second)
	if err := bench.Seed(*dir, bench.Accounts(*n, now, *expiring)); err != nil {
		fmt.Fprintln(os.Stderr, "seed:", err)
		os.Exit(1)
	}
	if *secret != "" {
		service := os.Getenv("KEYPORT_KEYRING_SERVICE")
		raw, _ := auth.EncodeSecret(auth.Secret{AccessToken: "bench-access-token", RefreshToken: "bench-refresh-token", TokenType: "Bearer", Expiry: now.Add(30 * 24 * time.Hour)})
		kc := auth.NewSystemKeychain(service, 10*time.Second)
		if err := kc.Set(context.Background(), "account:"+*secret, raw); err != nil {
			fmt.Fprintln(os.Stderr, "seed:", err)
			os.Exit(1)
		}
	}
}

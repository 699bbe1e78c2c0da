// Package bench holds Keyport's performance figures: the Go measurements
// (bench_test.go: keychain reads at start-up, the refresher with 10,000
// accounts, the sign-in callback against tools/authserver) and the helpers
// of bench/run.sh (probe, seed, baseline, flowbase). `make bench` runs them
// all; `make bench-docs` writes the results to docs/BENCHMARKS.md.
package bench

import (
	"context"
	"fmt"
	"time"

	"github.com/keyport/keyport/auth"
)

// Accounts returns n connected Patreon accounts (keys patreon/u0000...) with
// refreshable tokens: valid for 30 days, or with expiring set, 1 h tokens
// expiring 10 to 60 minutes after now, so none is due within 4 minutes.
func Accounts(n int, now time.Time, expiring bool) []auth.Account {
	list := make([]auth.Account, n)
	for i := range list {
		obtained, expiry := now, now.Add(30*24*time.Hour)
		if expiring {
			expiry = now.Add(10*time.Minute + time.Duration(i%51)*time.Minute)
			obtained = expiry.Add(-time.Hour)
		}
		list[i] = auth.Account{
			Provider: "patreon", ID: fmt.Sprintf("u%04d", i), Name: fmt.Sprintf("Bench User %04d", i),
			Email: fmt.Sprintf("user%04d@example.test", i), Scopes: []string{"identity", "identity[email]"},
			TokenType: "Bearer", Expiry: expiry, Obtained: obtained, HasRefresh: true,
			Connected: now.Add(-time.Hour), Status: auth.StatusValid,
		}
	}
	return list
}

// Seed writes accounts as the index of dir, without tokens (Engine.Import
// of a zero Secret: the keychain is not touched).
func Seed(dir string, accounts []auth.Account) error {
	e, err := auth.New(auth.Params{ConfigDir: dir})
	if err != nil {
		return err
	}
	for _, a := range accounts {
		if err := e.Import(context.Background(), a, auth.Secret{}); err != nil {
			return err
		}
	}
	return nil
}

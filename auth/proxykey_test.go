package auth

import (
	"context"
	"regexp"
	"sync"
	"testing"
)

// Two engines on one config directory and keychain (the window and
// `keyport proxy`), asking at once for the first time, get one key.
func TestProxyKey(t *testing.T) {
	e1, _ := newTestEngine(t, "", nil)
	e2, err := New(Params{ConfigDir: e1.ConfigDir(), Keychain: e1.keychain})
	if err != nil {
		t.Fatal(err)
	}
	keys := make([]string, 8)
	var wg sync.WaitGroup
	for i := range keys {
		wg.Go(func() {
			e := []*Engine{e1, e2}[i%2]
			var err error
			if keys[i], err = e.ProxyKey(context.Background()); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if !regexp.MustCompile(`^kp_[A-Z2-7]{26}$`).MatchString(keys[0]) {
		t.Fatalf("key %q is not kp_ and 130 random bits", keys[0])
	}
	for _, k := range keys {
		if k != keys[0] {
			t.Fatalf("keys differ: %q", keys)
		}
	}
	stored, err := e1.keychain.Get(context.Background(), proxyKeyItem)
	if err != nil || string(stored) != keys[0] {
		t.Errorf("keychain holds %q, %v", stored, err)
	}
}

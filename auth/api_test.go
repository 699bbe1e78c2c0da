package auth

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestAccountAPI(t *testing.T) {
	file := `{"providers":[
		{"id":"shop","name":"Shop","mode":"api_key","api_key":{"header":"X-Shop-Key","prefix":"Key "},
		 "params":[{"name":"shop","label":"Shop"}],"api_base":"https://{shop}.shop.example/admin/"},
		{"id":"oauth","name":"OAuth","authorize_url":"https://o.example/a","token_url":"https://o.example/t","api_base":"https://api.o.example"},
		{"id":"bare","name":"Bare","authorize_url":"https://b.example/a","token_url":"https://b.example/t"}]}`
	e, _ := newTestEngine(t, file, nil)
	ctx := context.Background()
	now := time.Now()
	for _, imp := range []struct {
		a Account
		s Secret
	}{
		{Account{Provider: "shop", ID: "1", APIKey: true, Params: map[string]string{"shop": "acme"}, Connected: now}, Secret{APIKey: "k1"}},
		{Account{Provider: "oauth", ID: "2", Connected: now}, Secret{AccessToken: "at", TokenType: "bearer", Expiry: now.Add(time.Hour)}},
		{Account{Provider: "bare", ID: "3", Connected: now}, Secret{AccessToken: "at3"}},
	} {
		if err := e.Import(ctx, imp.a, imp.s); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		key, base, header, value string
		s                        Secret
	}{
		{"shop/1", "https://acme.shop.example/admin", "X-Shop-Key", "Key k1", Secret{APIKey: "k1"}},
		{"oauth/2", "https://api.o.example", "Authorization", "Bearer at", Secret{AccessToken: "at", TokenType: "bearer"}},
		{"oauth/2", "https://api.o.example", "Authorization", "MAC at", Secret{AccessToken: "at", TokenType: "MAC"}},
		{"bare/3", "", "Authorization", "Bearer at3", Secret{AccessToken: "at3"}},
	}
	for _, tt := range tests {
		api, err := e.AccountAPI(tt.key)
		if err != nil {
			t.Fatalf("%s: %v", tt.key, err)
		}
		if api.Base != tt.base || api.Header != tt.header || api.Value(tt.s) != tt.value {
			t.Errorf("%s: %+v with value %q; want base %q, %s: %s", tt.key, api, api.Value(tt.s), tt.base, tt.header, tt.value)
		}
	}
	if _, err := e.AccountAPI("oauth/nobody"); !errors.Is(err, ErrUnknownAccount) {
		t.Errorf("unknown account: %v", err)
	}
}

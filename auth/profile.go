package auth

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"

	"github.com/tidwall/gjson"
)

// maxProfileBytes bounds what Keyport reads of a profile answer.
const maxProfileBytes = 1 << 20

// fetchProfile GETs the provider's profile with the access token and maps
// it onto a (non-secret) Account. It returns the raw JSON for the profile
// view.
func fetchProfile(ctx context.Context, client *http.Client, p Provider, tokenType, accessToken string) (Account, []byte, error) {
	spec := p.Profile
	if spec.URL == "" {
		return Account{}, nil, fmt.Errorf("provider %s has no profile request in the catalogue: add profile.url and the field paths", p.ID)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, spec.URL, nil)
	if err != nil {
		return Account{}, nil, fmt.Errorf("read profile: %w", err)
	}
	if tokenType == "" || strings.EqualFold(tokenType, "bearer") {
		tokenType = "Bearer"
	}
	req.Header.Set("Authorization", tokenType+" "+accessToken)
	req.Header.Set("Accept", "application/json")
	for k, v := range spec.Headers {
		req.Header.Set(k, v)
	}
	resp, err := client.Do(req)
	if err != nil {
		return Account{}, nil, fmt.Errorf("read profile: could not reach %s (%s); check your network connection", p.Name, networkReason(err))
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxProfileBytes))
	if err != nil {
		return Account{}, nil, fmt.Errorf("read profile from %s: %w", p.Name, err)
	}
	if resp.StatusCode/100 != 2 {
		return Account{}, nil, fmt.Errorf("read profile: %s answered HTTP %d; the token may lack the scopes the profile needs", p.Name, resp.StatusCode)
	}
	if mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type")); strings.Contains(mt, "html") || !json.Valid(body) {
		return Account{}, nil, fmt.Errorf("read profile: %s answered with something that is not JSON", p.Name)
	}
	a, err := mapProfile(p, body)
	return a, body, err
}

// mapProfile reads id, name, email, avatar and page out of a profile JSON
// document through the catalogue's gjson paths. Only the id is required.
func mapProfile(p Provider, body []byte) (Account, error) {
	if !gjson.ValidBytes(body) {
		return Account{}, fmt.Errorf("read profile: %s answered with something that is not JSON", p.Name)
	}
	get := func(path string) string {
		if path == "" {
			return ""
		}
		r := gjson.GetBytes(body, path)
		if !r.Exists() || r.Type == gjson.JSON || r.Type == gjson.Null {
			return ""
		}
		return strings.TrimSpace(r.String())
	}
	a := Account{
		Provider:   p.ID,
		ID:         get(p.Profile.ID),
		Name:       get(p.Profile.Name),
		Email:      get(p.Profile.Email),
		AvatarURL:  get(p.Profile.Avatar),
		ProfileURL: get(p.Profile.Page),
	}
	if a.ID == "" {
		return Account{}, fmt.Errorf("read profile: %s's answer has no account id at %q; fix profile.id in the providers file", p.Name, p.Profile.ID)
	}
	if strings.ContainsAny(a.ID, "\n\r") || len(a.ID) > 200 {
		return Account{}, fmt.Errorf("read profile: %s's account id is not usable (a line break, or over 200 characters)", p.Name)
	}
	if a.Name == "" {
		a.Name = a.Email
	}
	if a.Name == "" {
		a.Name = p.Name + " " + a.ID
	}
	return a, nil
}

package auth

import (
	"context"
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"strings"

	"github.com/keyport/keyport/internal/boundary"
	"github.com/tidwall/gjson"
)

// maxProfileBytes bounds what Keyport reads of a profile answer.
const maxProfileBytes = 1 << 20

// authorization is the Authorization header value of an access token.
func authorization(tokenType, accessToken string) string {
	if tokenType == "" || strings.EqualFold(tokenType, "bearer") {
		tokenType = "Bearer"
	}
	return tokenType + " " + accessToken
}

// statusError is a profile request the provider answered with an HTTP
// error status.
type statusError struct {
	msg    string
	Status int
}

func (e *statusError) Error() string { return e.msg }

// fetchProfile GETs the provider's profile with a credential in header (the
// access token in Authorization, or a pasted key in the header the
// catalogue names) and maps it onto a (non-secret) Account. It returns the
// raw JSON for the profile view.
func fetchProfile(ctx context.Context, client *http.Client, p Provider, header, credential string) (Account, []byte, error) {
	spec := p.Profile
	if spec.URL == "" {
		return Account{}, nil, fmt.Errorf("provider %s has no profile request in the catalogue: add profile.url and the field paths", p.ID)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, spec.URL, nil)
	if err != nil {
		return Account{}, nil, fmt.Errorf("read profile: %w", err)
	}
	req.Header.Set(header, credential)
	req.Header.Set("Accept", "application/json")
	for k, v := range spec.Headers {
		req.Header.Set(k, v)
	}
	resp, err := client.Do(req)
	if err != nil {
		return Account{}, nil, unreachable("read profile", p.Name, err)
	}
	defer resp.Body.Close()
	body, err := boundary.ReadAll(resp.Body, maxProfileBytes)
	if err != nil {
		return Account{}, nil, fmt.Errorf("read profile from %s: %w", p.Name, err)
	}
	if resp.StatusCode/100 != 2 {
		return Account{}, nil, &statusError{Status: resp.StatusCode,
			msg: fmt.Sprintf("read profile: %s answered HTTP %d; the token may lack the scopes the profile needs", p.Name, resp.StatusCode)}
	}
	if mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type")); strings.Contains(mt, "html") || !json.Valid(body) {
		return Account{}, nil, fmt.Errorf("read profile: %s answered with something that is not JSON", p.Name)
	}
	a, err := mapProfile(p, body)
	return a, body, err
}

// Limits on what a profile's fields may hold.
const (
	maxIDLen   = 200  // runes of an account id
	maxNameLen = 200  // runes of a name or email
	maxURLLen  = 2048 // bytes of an avatar or page URL
)

// mapProfile reads id, name, email, avatar and page out of a profile JSON
// document through the catalogue's gjson paths. Only the id is required.
// Everything it returns is provider text made safe (boundary.Text); an id
// that would need changing to be safe is refused instead, since it names
// the account. The avatar and page URLs pass boundary.CheckURL, on this
// computer only for a provider on this computer; one that fails is dropped
// (the window shows the provider's tile instead).
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
	loopbackOK := boundary.IsLoopbackURL(p.Profile.URL)
	link := func(path string) string {
		raw := get(path)
		if raw == "" || len(raw) > maxURLLen {
			return ""
		}
		if _, err := boundary.CheckURL(raw, loopbackOK); err != nil {
			return ""
		}
		return raw
	}
	a := Account{
		Provider:   p.ID,
		ID:         get(p.Profile.ID),
		Name:       boundary.Text(get(p.Profile.Name), maxNameLen),
		Email:      boundary.Text(get(p.Profile.Email), maxNameLen),
		AvatarURL:  link(p.Profile.Avatar),
		ProfileURL: link(p.Profile.Page),
	}
	if a.ID == "" {
		return Account{}, fmt.Errorf("read profile: %s's answer has no account id at %q; fix profile.id in the providers file", p.Name, p.Profile.ID)
	}
	if !boundary.IsClean(a.ID, maxIDLen) {
		return Account{}, fmt.Errorf("read profile: %s's account id is not usable (a control character, a line break or over %d characters)", p.Name, maxIDLen)
	}
	if a.Name == "" {
		a.Name = a.Email
	}
	if a.Name == "" {
		a.Name = p.Name + " " + a.ID
	}
	return a, nil
}

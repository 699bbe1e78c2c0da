package auth

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"slices"
	"strings"

	"github.com/keyport/keyport/internal/boundary"
)

// userProvidersFile is the name of the user providers file in the config
// directory. It has the same schema as the built-in catalogue; an entry
// whose id matches a built-in one overrides only the fields it sets.
const userProvidersFile = "providers.json"

// loadCatalogue merges the built-in catalogue with the user providers file
// (which may be absent) and validates every entry. The result is sorted by
// name.
func loadCatalogue(builtin []byte, userPath string) ([]Provider, error) {
	base, err := decodeProviders(builtin, "built-in catalogue", nil)
	if err != nil {
		return nil, err
	}
	byID := make(map[string]Provider, len(base))
	for _, p := range base {
		if _, dup := byID[p.ID]; dup {
			return nil, fmt.Errorf("built-in catalogue: provider id %q appears twice", p.ID)
		}
		byID[p.ID] = p
	}
	fromUser := map[string]bool{}
	data, err := readFileCapped(userPath, maxProvidersFile)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return nil, fmt.Errorf("read user providers file: %w", err)
	default:
		user, err := decodeProviders(data, userPath, byID)
		if err != nil {
			return nil, fmt.Errorf("%w (fix or move the file aside and restart)", err)
		}
		seen := map[string]bool{}
		for _, p := range user {
			if seen[p.ID] {
				return nil, fmt.Errorf("read providers file %s: provider id %q appears twice", userPath, p.ID)
			}
			seen[p.ID] = true
			byID[p.ID] = p
			fromUser[p.ID] = true
		}
	}
	out := slices.Collect(maps.Values(byID))
	for i := range out {
		if out[i].Mode == "" {
			out[i].Mode = ModeOAuth2
		}
		if err := out[i].Validate(); err != nil {
			if fromUser[out[i].ID] {
				return nil, fmt.Errorf("%s: %w (fix the entry or move the file aside and restart)", userPath, err)
			}
			return nil, err
		}
	}
	slices.SortFunc(out, func(a, b Provider) int {
		return strings.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name))
	})
	return out, nil
}

// maxProvidersFile bounds the user providers file.
const maxProvidersFile = 1 << 20

// readFileCapped reads a file of at most n bytes; a larger one is an error
// that names the file.
func readFileCapped(path string, n int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := boundary.ReadAll(f, n)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return data, nil
}

// decodeProviders parses a providers file: {"providers": [...]}. Unknown
// fields are errors, so a typo does not silently lose a setting. An entry
// whose id is in base starts from that entry, so it overrides only the
// fields it sets.
func decodeProviders(data []byte, source string, base map[string]Provider) ([]Provider, error) {
	var f struct {
		Providers []json.RawMessage `json:"providers"`
	}
	if err := strictDecode(data, &f); err != nil {
		return nil, fmt.Errorf("read providers file %s: %w", source, err)
	}
	out := make([]Provider, 0, len(f.Providers))
	for i, raw := range f.Providers {
		var head struct {
			ID string `json:"id"`
		}
		_ = json.Unmarshal(raw, &head) // errors surface in the strict decode below
		p := clone(base[strings.TrimSpace(head.ID)])
		if err := strictDecode(raw, &p); err != nil {
			return nil, fmt.Errorf("read providers file %s: entry %d: %w", source, i+1, err)
		}
		p.ID = strings.TrimSpace(p.ID)
		p.sanitise()
		out = append(out, p)
	}
	return out, nil
}

func strictDecode(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return errors.New("unexpected data after the JSON value")
	}
	return nil
}

// sanitise passes the entry's words for people through boundary.Text: a
// providers file may come from anywhere, and its names and notes reach the
// terminal and the window.
func (p *Provider) sanitise() {
	p.Name = boundary.Text(p.Name, 60)
	p.Notes = boundary.Text(p.Notes, 600)
	if p.APIKey != nil {
		p.APIKey.Help = boundary.Text(p.APIKey.Help, 300)
	}
}

// clone copies the maps and slices of p so decoding over it leaves the
// original untouched.
func clone(p Provider) Provider {
	p.Scopes = slices.Clone(p.Scopes)
	p.AuthorizeParams = maps.Clone(p.AuthorizeParams)
	p.Profile.Headers = maps.Clone(p.Profile.Headers)
	if p.PKCE != nil {
		v := *p.PKCE
		p.PKCE = &v
	}
	if p.APIKey != nil {
		k := *p.APIKey
		p.APIKey = &k
	}
	return p
}

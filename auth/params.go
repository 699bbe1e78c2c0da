package auth

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/keyport/keyport/internal/boundary"
)

// Param is one value a person gives at set-up because the provider's hosts
// depend on the account: Shopify's shop, Zendesk's subdomain, Microsoft's
// tenant, a self-hosted GitLab's base URL. Endpoint URLs of the entry name
// it as {name}.
type Param struct {
	Name    string `json:"name"`              // a-z, 0-9 and '_', as in {name}
	Label   string `json:"label"`             // for the set-up form: "Shop"
	Help    string `json:"help,omitempty"`    // "the part before .myshopify.com"
	Default string `json:"default,omitempty"` // used when the person gives none
	// URL says the value is a base URL (https, nothing after the path),
	// such as a self-hosted server's; otherwise it is a host name part:
	// letters, digits, dots and dashes.
	URL bool `json:"url,omitempty"`
}

// paramNames lists the entry's params for a message: "shop", or "none".
func paramNames(p Provider) string {
	if len(p.Params) == 0 {
		return "none"
	}
	names := make([]string, len(p.Params))
	for i, pr := range p.Params {
		names[i] = pr.Name
	}
	return strings.Join(names, ", ")
}

// accountOfParams is the account of a provider that has no profile request
// but whose params name the account (a Shopify shop): its id is the
// params' values.
func accountOfParams(p Provider, values map[string]string) Account {
	var parts []string
	for _, pr := range p.Params {
		parts = append(parts, values[pr.Name])
	}
	id := strings.Join(parts, " ")
	return Account{Provider: p.ID, ID: id, Name: p.Name + " " + id}
}

// tokenFields are the fields a token_response may place.
var tokenFields = []string{"access_token", "refresh_token", "expires_in", "scope", "token_type", "id_token"}

var (
	paramName   = regexp.MustCompile(`^[a-z][a-z0-9_]{0,30}$`)
	placeholder = regexp.MustCompile(`\{([a-z][a-z0-9_]*)\}`)
)

// checkParams validates the entry's params and that its URLs name no
// other.
func (p Provider) checkParams() error {
	seen := map[string]bool{}
	for _, pr := range p.Params {
		if !paramName.MatchString(pr.Name) || seen[pr.Name] {
			return fmt.Errorf("provider %s: param %q must be a unique name of a-z, 0-9 and _", p.ID, pr.Name)
		}
		seen[pr.Name] = true
		if pr.Label == "" {
			return fmt.Errorf("provider %s: param %s has no label", p.ID, pr.Name)
		}
		if pr.Default != "" {
			if err := pr.check(pr.Default); err != nil {
				return fmt.Errorf("provider %s: param %s's default %w", p.ID, pr.Name, err)
			}
		}
	}
	for _, raw := range p.urls() {
		for _, m := range placeholder.FindAllStringSubmatch(raw, -1) {
			if !seen[m[1]] {
				return fmt.Errorf("provider %s: %s names {%s}, which is not one of its params", p.ID, boundary.Text(raw, 120), m[1])
			}
		}
	}
	return nil
}

// urls returns every URL of the entry that may name params.
func (p Provider) urls() []string {
	out := []string{p.Issuer, p.AuthorizeURL, p.TokenURL, p.RefreshURL, p.RevocationURL, p.DeviceAuthURL, p.Profile.URL, p.APIBase, p.RegisterURL, p.Docs}
	if p.APIKey != nil {
		out = append(out, p.APIKey.CheckURL)
	}
	return out
}

// hostPart is a value for a host-name param: one or more DNS labels.
var hostPart = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$`)

// check validates a value for the param: a host name part (nothing that
// could end the host or start a path), or for URL params an https base URL
// without query or fragment.
func (pr Param) check(v string) error {
	if pr.URL {
		u, err := boundary.CheckURL(v, true)
		if err != nil {
			return err
		}
		if u.RawQuery != "" || u.ForceQuery {
			return fmt.Errorf("has a query, which a base URL must not have")
		}
		return nil
	}
	if len(v) > 253 || !hostPart.MatchString(v) {
		return fmt.Errorf("%q is not a host name part (letters, digits, dots and dashes)", boundary.Text(v, 60))
	}
	return nil
}

// sample fills the params of raw with stand-ins, to validate the entry's
// URLs before anyone has given the values.
func (p Provider) sample(raw string) string {
	return placeholder.ReplaceAllStringFunc(raw, func(m string) string {
		name := m[1 : len(m)-1]
		for _, pr := range p.Params {
			if pr.Name == name {
				if pr.URL {
					return "https://base.example"
				}
				return "localhost" // a host part that any template, http or https, accepts
			}
		}
		return m
	})
}

// ParamValues returns the values of the entry's params from given, with
// defaults filled in, and says which param is missing or wrong.
func (p Provider) ParamValues(given map[string]string) (map[string]string, error) {
	out := map[string]string{}
	for _, pr := range p.Params {
		v := strings.TrimSpace(given[pr.Name])
		if pr.URL {
			v = strings.TrimSuffix(v, "/")
		}
		if v == "" {
			v = pr.Default
		}
		if v == "" {
			return nil, fmt.Errorf("%s needs its %s (%s): give it in Set up, or with keyport setup %s --param %s=VALUE", p.Name, strings.ToLower(pr.Label), pr.Help, p.ID, pr.Name)
		}
		if err := pr.check(v); err != nil {
			return nil, fmt.Errorf("%s's %s %w", p.Name, strings.ToLower(pr.Label), err)
		}
		out[pr.Name] = v
	}
	return out, nil
}

// WithParams returns the entry with its params' values put into its URLs.
// The values must come from ParamValues; each URL that results is checked
// again like any endpoint.
func (p Provider) WithParams(values map[string]string) (Provider, error) {
	if len(p.Params) == 0 {
		return p, nil
	}
	p = clone(p)
	fill := func(raw string) string {
		return placeholder.ReplaceAllStringFunc(raw, func(m string) string {
			if v, ok := values[m[1:len(m)-1]]; ok {
				return v
			}
			return m
		})
	}
	for _, f := range []*string{&p.Issuer, &p.AuthorizeURL, &p.TokenURL, &p.RefreshURL, &p.RevocationURL, &p.DeviceAuthURL, &p.Profile.URL, &p.APIBase, &p.RegisterURL, &p.Docs} {
		*f = fill(*f)
	}
	if p.APIKey != nil {
		p.APIKey.CheckURL = fill(p.APIKey.CheckURL)
	}
	p.Params = nil // filled in: the result names none
	if err := p.Validate(); err != nil {
		return Provider{}, err
	}
	return p, nil
}

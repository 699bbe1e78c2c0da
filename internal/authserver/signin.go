package authserver

import (
	"context"
	"errors"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
)

const maxHops = 20

// SignIn plays the browser for an authorization request: it opens
// authorizeURL, signs in as login with password, then presses Allow (allow)
// or Deny on the consent page. It follows redirects only while they stay
// under the issuer and returns the first redirect target outside it: the
// redirect to the client's redirect URI carrying code or error, state and iss.
// SignIn does not request that URL; the caller does, or hands it to the app.
//
// A wrong password, an error page or an unexpected page is an error. SignIn
// blocks until done or ctx is cancelled; each call has its own cookies.
func (s *Server) SignIn(ctx context.Context, authorizeURL, login, password string, allow bool) (*url.URL, error) {
	next, err := url.Parse(authorizeURL)
	if err != nil {
		return nil, fmt.Errorf("sign in: parse authorize URL: %w", err)
	}
	if !s.owns(next) {
		return nil, fmt.Errorf("sign in: %s is not under issuer %s", next.Redacted(), s.Issuer)
	}
	browser := s.browser()
	var form url.Values // nil: GET next; else POST form to next
	you := &person{login: login, password: password, allow: allow}
	for range maxHops {
		if !s.owns(next) {
			return next, nil
		}
		status, loc, body, err := fetch(ctx, browser, next, form)
		if err != nil {
			return nil, fmt.Errorf("sign in: %w", err)
		}
		if loc != nil {
			next, form = loc, nil
			continue
		}
		page := parsePage(body)
		switch {
		case status != http.StatusOK && status != http.StatusUnauthorized:
			return nil, fmt.Errorf("sign in: %s: HTTP %d: %s", next.Path, status, page.message)
		default:
			to, values, ok, err := you.answer(page, next)
			if err != nil {
				return nil, fmt.Errorf("sign in%w", err)
			}
			if !ok {
				return nil, fmt.Errorf("sign in: unexpected page at %s: %s", next.Path, page.message)
			}
			next, form = to, values
		}
	}
	return nil, errors.New("sign in: too many redirects and pages")
}

// browser returns a client with cookies of its own that, like a person's
// browser, is shown each redirect (and follows it in the caller's loop).
func (s *Server) browser() *http.Client {
	jar, _ := cookiejar.New(nil) // never fails without options
	return &http.Client{Jar: jar, Timeout: s.http.Timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// person answers the two pages every sign-in shows as someone signing in
// as login would: the login form, once (a second one means the password
// was refused), and the consent page, with Allow or Deny.
type person struct {
	login, password string
	allow, signedIn bool
}

// answer returns where and what to post in answer to page, got from base;
// ok is false when page is neither of the two. An error starts with ": "
// or " as", for the caller's prefix.
func (p *person) answer(page htmlPage, base *url.URL) (next *url.URL, form url.Values, ok bool, err error) {
	if f := page.form(hasField("login")); f != nil {
		if p.signedIn {
			return nil, nil, false, fmt.Errorf(" as %q: %s", p.login, page.message)
		}
		p.signedIn = true
		form = f.values
		form.Set("login", p.login)
		form.Set("password", p.password)
		return base.ResolveReference(f.action), form, true, nil
	}
	if page.form(hasButton("allow")) == nil {
		return nil, nil, false, nil
	}
	id := "deny"
	if p.allow {
		id = "allow"
	}
	f := page.form(hasButton(id))
	if f == nil {
		return nil, nil, false, fmt.Errorf(": the consent page has no %q button", id)
	}
	return base.ResolveReference(f.action), f.values, true, nil
}

// SignInDevice plays the person on the device grant's verification page
// (RFC 8628 section 3.3): it opens verificationURL (the complete one, or
// the plain one and then enters userCode), confirms the code, signs in as
// login with password, and Allows (allow) or Denies on the consent page;
// Deny at the code's confirmation when allow is false. It returns nil once
// the server shows its end page. Each call has its own cookies.
func (s *Server) SignInDevice(ctx context.Context, verificationURL, userCode, login, password string, allow bool) error {
	next, err := url.Parse(verificationURL)
	if err != nil || !s.owns(next) {
		return fmt.Errorf("device sign-in: %q is not under issuer %s", verificationURL, s.Issuer)
	}
	browser := s.browser()
	var form url.Values
	you := &person{login: login, password: password, allow: allow}
	for range maxHops {
		if !s.owns(next) {
			return fmt.Errorf("device sign-in: sent to %s", next.Redacted())
		}
		status, loc, body, err := fetch(ctx, browser, next, form)
		if err != nil {
			return fmt.Errorf("device sign-in: %w", err)
		}
		if loc != nil {
			next, form = next.ResolveReference(loc), nil
			continue
		}
		page := parsePage(body)
		switch {
		case strings.Contains(string(body), `id="device-done"`):
			if !allow {
				return errors.New("device sign-in: the server signed in after Deny")
			}
			return nil
		case strings.Contains(string(body), `id="device-denied"`):
			if allow {
				return errors.New("device sign-in: the server reports a denial after Allow")
			}
			return nil
		case status != http.StatusOK && status != http.StatusUnauthorized && status != http.StatusBadRequest:
			return fmt.Errorf("device sign-in: %s: HTTP %d: %s", next.Path, status, page.message)
		case len(page.forms) > 0 && strings.Contains(string(body), autoSubmit):
			// oidc-provider's form_post page for a complete verification
			// URI: a browser's script submits the first form as it is.
			f := page.forms[0]
			next, form = next.ResolveReference(f.action), f.values
		case page.form(hasButton("continue")) != nil:
			if form != nil {
				return fmt.Errorf("device sign-in: the code was refused: %s", page.message)
			}
			f := page.form(hasButton("continue"))
			next, form = next.ResolveReference(f.action), f.values
			form.Set("user_code", userCode)
		case page.form(hasButton("allow")) != nil && page.form(hasField("login")) == nil && strings.Contains(string(body), `id="user-code"`):
			f := page.form(hasButton("allow"))
			next, form = next.ResolveReference(f.action), f.values
			if !allow {
				form.Set("abort", "yes")
			}
		default:
			to, values, ok, err := you.answer(page, next)
			switch {
			case err != nil:
				return fmt.Errorf("device sign-in%w", err)
			case ok:
				next, form = to, values
			case status == http.StatusBadRequest || page.message != "":
				return fmt.Errorf("device sign-in: %s: %s", next.Path, page.message)
			default:
				return fmt.Errorf("device sign-in: unexpected page at %s", next.Path)
			}
		}
	}
	return errors.New("device sign-in: too many redirects and pages")
}

// autoSubmit is the script of a page that submits its first form on load.
const autoSubmit = "document.forms[0].submit()"

// owns reports whether u is under the issuer.
func (s *Server) owns(u *url.URL) bool {
	return u.Scheme == s.issuer.Scheme && u.Host == s.issuer.Host && strings.HasPrefix(u.Path, s.issuer.Path)
}

// fetch GETs u, or POSTs form to it, and returns the status and either the
// redirect target or the body.
func fetch(ctx context.Context, c *http.Client, u *url.URL, form url.Values) (int, *url.URL, []byte, error) {
	method, body := http.MethodGet, io.Reader(nil)
	if form != nil {
		method, body = http.MethodPost, strings.NewReader(form.Encode())
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), body)
	if err != nil {
		return 0, nil, nil, err
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := c.Do(req)
	if err != nil {
		return 0, nil, nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 300 && resp.StatusCode < 400 {
		loc, err := resp.Location()
		if err != nil {
			return 0, nil, nil, fmt.Errorf("%s %s: HTTP %d: %w", method, u.Path, resp.StatusCode, err)
		}
		return resp.StatusCode, loc, nil, nil
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return 0, nil, nil, fmt.Errorf("%s %s: read body: %w", method, u.Path, err)
	}
	return resp.StatusCode, nil, b, nil
}

// The pages come from tools/authserver/server.js: plain HTML whose forms,
// inputs and buttons are found with regular expressions.
var (
	formRE   = regexp.MustCompile(`(?is)<form\b([^>]*)>(.*?)</form>`)
	inputRE  = regexp.MustCompile(`(?is)<input\b([^>]*)>`)
	buttonRE = regexp.MustCompile(`(?is)<button\b([^>]*)>`)
	attrRE   = regexp.MustCompile(`(?s)([\w-]+)\s*=\s*"([^"]*)"`)
	errorRE  = regexp.MustCompile(`(?is)<(?:p|dl)\b[^>]*\bid="error"[^>]*>(.*?)</(?:p|dl)>`)
	titleRE  = regexp.MustCompile(`(?is)<title>(.*?)</title>`)
	tagRE    = regexp.MustCompile(`(?s)<[^>]*>`)
)

type htmlForm struct {
	action  *url.URL
	values  url.Values // hidden inputs and their values
	fields  map[string]bool
	buttons map[string]bool
}

type htmlPage struct {
	forms   []htmlForm
	message string // the page's error text, or its title
}

func parsePage(body []byte) htmlPage {
	var p htmlPage
	for _, m := range formRE.FindAllSubmatch(body, -1) {
		attrs := attributes(m[1])
		action, err := url.Parse(attrs["action"])
		if err != nil {
			continue
		}
		f := htmlForm{action: action, values: url.Values{}, fields: map[string]bool{}, buttons: map[string]bool{}}
		for _, in := range inputRE.FindAllSubmatch(m[2], -1) {
			a := attributes(in[1])
			f.fields[a["name"]] = true
			if strings.EqualFold(a["type"], "hidden") {
				f.values.Set(a["name"], a["value"])
			}
		}
		for _, b := range buttonRE.FindAllSubmatch(m[2], -1) {
			f.buttons[attributes(b[1])["id"]] = true
		}
		p.forms = append(p.forms, f)
	}
	if m := errorRE.FindSubmatch(body); m != nil {
		p.message = text(m[1])
	} else if m := titleRE.FindSubmatch(body); m != nil {
		p.message = text(m[1])
	}
	return p
}

func (p htmlPage) form(match func(htmlForm) bool) *htmlForm {
	for i := range p.forms {
		if match(p.forms[i]) {
			return &p.forms[i]
		}
	}
	return nil
}

func hasField(name string) func(htmlForm) bool {
	return func(f htmlForm) bool { return f.fields[name] }
}

func hasButton(id string) func(htmlForm) bool {
	return func(f htmlForm) bool { return f.buttons[id] }
}

func attributes(b []byte) map[string]string {
	attrs := map[string]string{}
	for _, m := range attrRE.FindAllSubmatch(b, -1) {
		attrs[strings.ToLower(string(m[1]))] = html.UnescapeString(string(m[2]))
	}
	return attrs
}

// text returns the text of an HTML fragment on one line.
func text(b []byte) string {
	return strings.Join(strings.Fields(html.UnescapeString(tagRE.ReplaceAllString(string(b), " "))), " ")
}

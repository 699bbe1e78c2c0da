// Package boundary enforces Keyport's trust boundaries with providers, each
// rule in one place: one check for every endpoint URL wherever it came from
// (CheckURL), one redirect policy for outbound requests (Client), one guard in
// front of the browser (GuardOpen) and one sanitiser for text a provider
// controls (Text). Everything a provider sends, and every entry of a
// providers file, is treated as hostile: SECURITY.md has the threat model.
//
// The package imports neither Fyne nor the engine, so the engine, the
// window and the command line share it. Its functions are safe for
// concurrent use.
package boundary

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
)

// maxURLLen bounds an endpoint URL; longer ones are refused.
const maxURLLen = 4096

// CheckURL checks an endpoint, link or picture URL before Keyport sends
// anything to it or opens it: it must be absolute, use https (plain http only
// to a loopback host: 127.0.0.0/8, [::1] or localhost), carry no user name or
// password and no fragment (RFC 6749 sections 3.1 and 3.2), and be at most
// 4 KiB long. A loopback host, http or https, is allowed only when
// loopbackOK is true: a remote provider must not point Keyport at services
// on the person's own machine. It returns the parsed URL, or an error saying
// what is wrong in words for the providers file's author (the URL itself is
// not repeated: it may carry a code).
func CheckURL(raw string, loopbackOK bool) (*url.URL, error) {
	return check(raw, loopbackOK, false)
}

// CheckLink checks a link for a person to open (a provider's register or
// documentation page, a sign-in URL) with CheckURL's rules, except that a
// fragment is allowed and so is a loopback host.
func CheckLink(raw string) (*url.URL, error) {
	return check(raw, true, true)
}

func check(raw string, loopbackOK, fragmentOK bool) (*url.URL, error) {
	if raw == "" {
		return nil, errors.New("is empty")
	}
	if len(raw) > maxURLLen {
		return nil, fmt.Errorf("is longer than %d characters", maxURLLen)
	}
	u, err := url.Parse(raw)
	if err != nil || !u.IsAbs() || u.Opaque != "" {
		return nil, errors.New("is not an absolute URL")
	}
	switch u.Scheme {
	case "https", "http":
	default:
		return nil, fmt.Errorf("uses %s:, but only https (and plain http on 127.0.0.1, [::1] or localhost) is allowed", Text(u.Scheme, 20))
	}
	if u.Host == "" || u.Hostname() == "" {
		return nil, errors.New("has no host")
	}
	if u.User != nil {
		return nil, errors.New("carries a user name or password, which Keyport never sends in a URL")
	}
	if !fragmentOK && (u.Fragment != "" || strings.Contains(raw, "#")) {
		return nil, errors.New("has a fragment (#…), which endpoints must not have")
	}
	loopback := IsLoopback(u.Hostname())
	if u.Scheme == "http" && !loopback {
		return nil, errors.New("must use https (plain http only on 127.0.0.1, [::1] or localhost)")
	}
	if loopback && !loopbackOK {
		return nil, fmt.Errorf("points at this computer (%s), which only a provider on this computer may do", Text(u.Hostname(), 64))
	}
	return u, nil
}

// IsLoopback reports whether host (a host name or IP address without port)
// names this computer: localhost or a loopback address.
func IsLoopback(host string) bool {
	if strings.EqualFold(strings.TrimSuffix(host, "."), "localhost") {
		return true
	}
	ip := net.ParseIP(strings.TrimSuffix(strings.TrimPrefix(host, "["), "]"))
	return ip != nil && ip.IsLoopback()
}

// IsLoopbackURL reports whether raw is a URL whose host is on this
// computer. An unparsable URL is not.
func IsLoopbackURL(raw string) bool {
	u, err := url.Parse(raw)
	return err == nil && u.Host != "" && IsLoopback(u.Hostname())
}

// Where describes a URL for a message: scheme, host and path, without the
// query and fragment (which may carry codes or tokens), sanitised and
// shortened.
func Where(u *url.URL) string {
	if u == nil {
		return "an empty address"
	}
	v := url.URL{Scheme: u.Scheme, Host: u.Host, Path: u.Path}
	if v.Scheme == "" && v.Host == "" {
		return Text(v.Path, 120)
	}
	return Text(v.String(), 120)
}

// Origin returns the scheme and host (with the port made explicit) of u,
// the unit of the same-origin rule.
func Origin(u *url.URL) string {
	port := u.Port()
	if port == "" {
		switch u.Scheme {
		case "https":
			port = "443"
		case "http":
			port = "80"
		}
	}
	return strings.ToLower(u.Scheme) + "://" + net.JoinHostPort(strings.ToLower(u.Hostname()), port)
}

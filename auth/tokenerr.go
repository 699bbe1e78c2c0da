package auth

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"

	"github.com/keyport/keyport/internal/boundary"
	"golang.org/x/oauth2"
)

// TokenError is a failed request to a provider's token endpoint, in words a
// person understands. It unwraps to the sentinel that fits (ErrDenied,
// ErrReconnectNeeded, ErrCancelled) and to the underlying error, so callers
// can branch with errors.Is and errors.As (*oauth2.RetrieveError) while the
// message never carries the response body.
type TokenError struct {
	Provider string // display name
	Op       string // what was being done: "exchange the sign-in code", "refresh the token"
	Code     string // the OAuth error code (RFC 6749 section 5.2), if any
	Status   int    // HTTP status, if any
	// Retryable reports a transient failure (network, 5xx, 429) worth
	// retrying with backoff; RetryAfter is the server's wish, if it said.
	Retryable  bool
	RetryAfter string
	msg        string
	sentinel   error
	err        error
}

func (e *TokenError) Error() string { return e.msg }

// Unwrap returns the sentinel (if any) and the cause.
func (e *TokenError) Unwrap() []error {
	if e.sentinel != nil {
		return []error{e.sentinel, e.err}
	}
	return []error{e.err}
}

// tokenError turns an error from x/oauth2's token endpoint calls into a
// TokenError. refreshing selects what invalid_grant means: during a refresh
// the grant is gone and the account must be reconnected.
func tokenError(provider, op string, err error, refreshing bool) error {
	te := &TokenError{Provider: provider, Op: op, err: err}
	var re *oauth2.RetrieveError
	var ne net.Error
	redirect, refused := boundary.AsRedirect(err)
	switch {
	case refused:
		te.msg = refusedRedirect(op, provider, redirect).Error()
	case errors.Is(err, context.Canceled):
		te.sentinel, te.msg = ErrCancelled, fmt.Sprintf("%s: cancelled", op)
	case errors.As(err, &re):
		te.Code, te.Status = boundary.Text(re.ErrorCode, maxCodeLen), statusOf(re.Response)
		te.msg = describeRetrieve(provider, op, re, refreshing)
		switch {
		case re.ErrorCode == "invalid_grant" && refreshing:
			te.sentinel = ErrReconnectNeeded
		case te.Status >= 500 || te.Status == http.StatusTooManyRequests ||
			re.ErrorCode == "temporarily_unavailable" || re.ErrorCode == "server_error":
			// Transient whatever error code the body carries (RFC 6749
			// section 4.1.2.1 names the last two; some token endpoints use them).
			te.Retryable = true
			if re.Response != nil {
				te.RetryAfter = re.Response.Header.Get("Retry-After")
			}
		}
	case errors.As(err, &ne) || errors.Is(err, context.DeadlineExceeded):
		te.Retryable = true
		te.msg = fmt.Sprintf("%s: could not reach %s (%s); check your network connection", op, provider, networkReason(err))
	default:
		te.msg = fmt.Sprintf("%s: %s answered something Keyport cannot read (%s)", op, provider, safeReason(err))
	}
	return te
}

func describeRetrieve(provider, op string, re *oauth2.RetrieveError, refreshing bool) string {
	desc := ""
	if d := boundary.Text(re.ErrorDescription, maxDescLen); d != "" {
		desc = ": " + d
	}
	code := boundary.Text(re.ErrorCode, maxCodeLen)
	switch code {
	case "invalid_client", "unauthorized_client":
		return fmt.Sprintf("%s: %s rejected the client id or secret (%s%s); check them in the provider's Set up", op, provider, re.ErrorCode, desc)
	case "invalid_grant":
		if refreshing {
			return fmt.Sprintf("%s: %s no longer accepts this account's grant (invalid_grant%s); connect the account again", op, provider, desc)
		}
		return fmt.Sprintf("%s: %s refused the sign-in code (invalid_grant%s); it may have expired or been used already, so connect again", op, provider, desc)
	case "invalid_scope":
		return fmt.Sprintf("%s: %s refused the requested scopes (invalid_scope%s); check the scopes in the providers file", op, provider, desc)
	case "":
	default:
		return fmt.Sprintf("%s: %s answered %s%s", op, provider, code, desc)
	}
	status := statusOf(re.Response)
	kind := "a response Keyport cannot read"
	if ct := contentType(re.Response); strings.Contains(ct, "html") || strings.HasPrefix(strings.TrimSpace(string(re.Body)), "<") {
		kind = "an HTML page"
	} else if strings.Contains(ct, "json") {
		kind = "an error"
	}
	if status == 0 {
		return fmt.Sprintf("%s: %s answered with %s", op, provider, kind)
	}
	advice := ""
	switch {
	case status >= 500:
		advice = "; the provider has a problem, Keyport will try again"
	case status == http.StatusTooManyRequests:
		advice = "; too many requests, Keyport will try again later"
	}
	return fmt.Sprintf("%s: %s answered HTTP %d with %s%s", op, provider, status, kind, advice)
}

// unreachable words a request to a provider that got no answer Keyport
// could use: a redirect the outbound policy refused, or a network failure.
func unreachable(op, provider string, err error) error {
	if re, ok := boundary.AsRedirect(err); ok {
		return refusedRedirect(op, provider, re)
	}
	return fmt.Errorf("%s: could not reach %s (%s); check your network connection", op, provider, networkReason(err))
}

// refusedRedirect words a redirect the outbound policy refused: what was
// being done, at which provider, from where to where. It unwraps to re.
func refusedRedirect(op, provider string, re *boundary.RedirectError) error {
	why := "Keyport never follows a redirect with a code, token or key in the request"
	if re.Policy == boundary.SameOrigin {
		why = "Keyport follows a redirect only within the same site"
	}
	status := ""
	if re.Status != 0 {
		status = fmt.Sprintf(" (HTTP %d)", re.Status)
	}
	return &wrapped{err: re, msg: fmt.Sprintf("%s: %s answered %s with a redirect to %s%s; %s, so it refused (if %s has moved that endpoint, fix it in the providers file)",
		op, provider, re.From, re.To, status, why, provider)}
}

// wrapped is an error with its own message and a cause for errors.Is and
// errors.As.
type wrapped struct {
	msg string
	err error
}

func (w *wrapped) Error() string { return w.msg }
func (w *wrapped) Unwrap() error { return w.err }

func statusOf(r *http.Response) int {
	if r == nil {
		return 0
	}
	return r.StatusCode
}

func contentType(r *http.Response) string {
	if r == nil {
		return ""
	}
	return strings.ToLower(r.Header.Get("Content-Type"))
}

// networkReason names a network failure without echoing URLs (which may
// carry codes) or bodies.
func networkReason(err error) string {
	var dns *net.DNSError
	var op *net.OpError
	switch {
	case errors.As(err, &dns):
		return "cannot resolve " + dns.Name
	case errors.Is(err, context.DeadlineExceeded) || isTimeout(err):
		return "timed out"
	case errors.As(err, &op):
		return op.Op + " " + op.Err.Error()
	}
	return "network error"
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// Limits on provider text in messages: an OAuth error code (RFC 6749 allows
// only printable ASCII, but nothing stops a server) and its description.
const (
	maxCodeLen = 64
	maxDescLen = 200
)

// safeReason keeps the first line of an error, which for x/oauth2's own
// errors ("oauth2: server response missing access_token") carries no body,
// made safe for a terminal.
func safeReason(err error) string {
	line, _, _ := strings.Cut(err.Error(), "\n")
	return boundary.Text(line, 160)
}

package auth

import (
	"fmt"
	"io"
	"log/slog"
)

// redacted is how every value that holds a token, key, code, verifier or
// client secret prints: Secret, Flow, Engine and TokenError (whose cause may
// hold a response body); internal/keychain does the same for its items. fmt calls Format for
// every verb (%v, %+v, %#v, %s, %q, %x...) and log/slog calls LogValue, so
// neither a debug print nor a log line can carry one. A TokenError prints
// its message, which never holds a secret.
const redacted = "[redacted]"

// Format prints [redacted] whatever the verb.
func (Secret) Format(f fmt.State, _ rune) { io.WriteString(f, redacted) }

// LogValue logs [redacted].
func (Secret) LogValue() slog.Value { return slog.StringValue(redacted) }

// MarshalJSON writes "[redacted]": log handlers encode nested values as
// JSON, and a Secret has one way into JSON, the keychain's item
// (secretRecord).
func (Secret) MarshalJSON() ([]byte, error) { return []byte(`"` + redacted + `"`), nil }

// secretRecord is a Secret as the keychain item stores it: the same fields,
// without Secret's redacting methods. Only loadSecret and saveSecret use it.
type secretRecord Secret

// Format prints [redacted] whatever the verb: a flow holds the PKCE
// verifier, the state, the nonce and the client secret.
func (*Flow) Format(f fmt.State, _ rune) { io.WriteString(f, redacted) }

// LogValue logs [redacted].
func (*Flow) LogValue() slog.Value { return slog.StringValue(redacted) }

// Format prints [redacted] whatever the verb: a device flow holds the
// device code.
func (*DeviceFlow) Format(f fmt.State, _ rune) { io.WriteString(f, redacted) }

// LogValue logs [redacted].
func (*DeviceFlow) LogValue() slog.Value { return slog.StringValue(redacted) }

// Format prints [redacted] whatever the verb: an engine may hold refreshed
// secrets the keychain has not taken yet.
func (*Engine) Format(f fmt.State, _ rune) { io.WriteString(f, redacted) }

// LogValue logs [redacted].
func (*Engine) LogValue() slog.Value { return slog.StringValue(redacted) }

// Format prints the error's message whatever the verb (with %q quoted): its
// cause, an *oauth2.RetrieveError, holds the raw response body.
func (e *TokenError) Format(f fmt.State, verb rune) {
	if verb == 'q' {
		fmt.Fprintf(f, "%q", e.msg)
		return
	}
	io.WriteString(f, e.msg)
}

// LogValue logs the error's message.
func (e *TokenError) LogValue() slog.Value { return slog.StringValue(e.msg) }

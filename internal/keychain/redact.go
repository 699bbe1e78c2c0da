package keychain

import (
	"fmt"
	"io"
	"log/slog"
)

// Format prints [redacted] whatever the verb: a head may hold a whole
// value.
func (head) Format(f fmt.State, _ rune) { io.WriteString(f, "[redacted]") }

// LogValue logs [redacted].
func (head) LogValue() slog.Value { return slog.StringValue("[redacted]") }

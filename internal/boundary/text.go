package boundary

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf8"
)

// Text makes text that a provider controls (a profile's name or email, an
// error code or description, an issuer echoed back, a providers file's
// notes) safe to show on a terminal, in the window and in the index: it
// removes C0 and C1 control characters and DEL (so no escape sequence
// reaches a terminal), turns tabs and line breaks into spaces, removes the
// bidirectional formatting characters that can make text read differently
// from what it is (Trojan Source, CVE-2021-42574), replaces invalid UTF-8
// with U+FFFD, trims spaces and keeps at most max runes, ending a shortened
// text with "…". max <= 0 means no limit.
func Text(s string, max int) string {
	clean := true
	for _, r := range s {
		if r == utf8.RuneError || unsafeRune(r) {
			clean = false
			break
		}
	}
	if clean && !needsTrim(s) && (max <= 0 || utf8.RuneCountInString(s) <= max) {
		return s
	}
	var b strings.Builder
	b.Grow(min(len(s), 4*max+3))
	n := 0
	space := false // a space is pending: written only before another rune
	for _, r := range s {
		switch {
		case r == '\t' || r == '\n' || r == '\r' || r == '\u2028' || r == '\u2029' || r == ' ':
			space = n > 0
			continue
		case unsafeRune(r):
			continue
		}
		if max > 0 && n >= max {
			b.WriteString("…")
			return b.String()
		}
		if space {
			if max > 0 && n+1 >= max {
				b.WriteString("…")
				return b.String()
			}
			b.WriteByte(' ')
			n++
			space = false
		}
		b.WriteRune(r) // an invalid byte comes as utf8.RuneError and is written as U+FFFD
		n++
	}
	return b.String()
}

// unsafeRune reports a rune Text removes or replaces: controls, DEL, C1
// controls, line and paragraph separators, and bidirectional formatting
// characters (ALM, LRM, RLM, the embeddings and overrides U+202A-U+202E and
// the isolates U+2066-U+2069).
func unsafeRune(r rune) bool {
	switch {
	case r < 0x20, r == 0x7f, r >= 0x80 && r <= 0x9f:
		return true
	case r == 0x061c, r == 0x200e, r == 0x200f, r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069:
		return true
	case r == 0x2028, r == 0x2029:
		return true
	}
	return false
}

// needsTrim reports whether s starts or ends with a space or has a run of
// spaces, which Text collapses.
func needsTrim(s string) bool {
	return strings.HasPrefix(s, " ") || strings.HasSuffix(s, " ") || strings.Contains(s, "  ")
}

// IsClean reports whether s is already as Text(s, max) would leave it:
// valid UTF-8 without controls or bidirectional formatting, and at most
// max runes. Identifiers that must not change (an account id) are refused
// when they are not clean, rather than changed.
func IsClean(s string, max int) bool {
	return Text(s, max) == s
}

// JSON indents a JSON document for a person to read, with every rune Text
// would remove written as a \uXXXX escape and invalid UTF-8 as \ufffd.
// Such runes can only stand inside JSON strings, where the escape means the
// same, so the text shows what the document holds without acting on a
// terminal or reordering a line. raw that is not JSON is returned through
// Text.
func JSON(raw []byte) string {
	var buf bytes.Buffer
	if err := json.Indent(&buf, raw, "", "  "); err != nil {
		return Text(string(raw), 0)
	}
	var b strings.Builder
	b.Grow(buf.Len())
	for s := buf.String(); s != ""; {
		r, n := utf8.DecodeRuneInString(s)
		switch {
		case r == utf8.RuneError && n == 1:
			b.WriteString(`\ufffd`)
		case r != '\n' && unsafeRune(r):
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteString(s[:n])
		}
		s = s[n:]
	}
	return b.String()
}

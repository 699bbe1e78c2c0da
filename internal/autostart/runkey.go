package autostart

import "strings"

// runKey is the per-user key whose values Windows runs at login.
const runKey = `Software\Microsoft\Windows\CurrentVersion\Run`

// runCommand is the command line of e's Run value: the program and each
// argument quoted as CommandLineToArgvW reads them back (the rules of
// syscall.EscapeArg, which exists only on Windows).
func runCommand(e Entry) string {
	parts := []string{quoteWindowsArg(e.Exec)}
	for _, a := range e.Args {
		parts = append(parts, quoteWindowsArg(a))
	}
	return strings.Join(parts, " ")
}

// quoteWindowsArg quotes s when it is empty or holds a space, tab or
// quote: backslashes before a quote, and at the end, are doubled, a quote
// is escaped.
func quoteWindowsArg(s string) string {
	if s != "" && !strings.ContainsAny(s, " \t\"") {
		return s
	}
	var b strings.Builder
	b.WriteByte('"')
	slashes := 0
	for _, r := range s {
		switch r {
		case '\\':
			slashes++
		case '"':
			b.WriteString(strings.Repeat(`\`, slashes+1))
			slashes = 0
		default:
			slashes = 0
		}
		b.WriteRune(r)
	}
	b.WriteString(strings.Repeat(`\`, slashes))
	b.WriteByte('"')
	return b.String()
}

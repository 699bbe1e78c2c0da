package cli

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strings"

	"golang.org/x/term"
)

// maxLine bounds one line of standard input: a pasted key, secret or
// redirect URL.
const maxLine = 64 << 10

// input reads lines that may hold secrets (an API key, a client secret, a
// redirect URL with its code). On a terminal it turns echo off while it
// reads, so the secret is neither shown nor left in the scrollback, and
// restore puts the terminal back as it was, also when a read is still
// waiting. Elsewhere (a pipe, a file) it reads plain lines of at most
// maxLine bytes. An input is used by one goroutine at a time, but restore
// may be called from another.
type input struct {
	r     *bufio.Reader
	fd    int         // the terminal's descriptor, or -1
	saved *term.State // the terminal's state before Keyport turned echo off
}

func newInput(in io.Reader) *input {
	i := &input{r: bufio.NewReaderSize(in, 4096), fd: -1}
	if f, ok := in.(interface{ Fd() uintptr }); ok && term.IsTerminal(int(f.Fd())) {
		if st, err := term.GetState(int(f.Fd())); err == nil {
			i.fd, i.saved = int(f.Fd()), st
		}
	}
	return i
}

// terminal reports whether input comes from a terminal (and is not echoed).
func (i *input) terminal() bool { return i.fd >= 0 }

// line reads one line without its line ending. On a terminal nothing typed
// is echoed. A line over maxLine bytes is an error.
func (i *input) line() (string, error) {
	if i.terminal() {
		b, err := term.ReadPassword(i.fd)
		return strings.TrimRight(string(b), "\r"), err
	}
	var b []byte
	for {
		part, err := i.r.ReadSlice('\n')
		b = append(b, part...)
		tooLong := fmt.Errorf("a line of standard input is longer than %d KiB", maxLine>>10)
		if len(b) > maxLine+2 { // the line ending may follow
			return "", tooLong
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		s := strings.TrimRight(string(b), "\r\n")
		if len(s) > maxLine {
			return "", tooLong
		}
		if err != nil && s != "" && errors.Is(err, io.EOF) {
			return s, nil // a last line without a line ending
		}
		return s, err
	}
}

// restore gives the terminal back its state from before Keyport read from
// it: echo on again, even while a read is still blocked.
func (i *input) restore() {
	if i.terminal() {
		_ = term.Restore(i.fd, i.saved)
	}
}

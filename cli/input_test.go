package cli

import (
	"errors"
	"io"
	"strings"
	"testing"
)

func TestInputLines(t *testing.T) {
	in := newInput(strings.NewReader("first\r\nsecond\nlast"))
	if in.terminal() {
		t.Fatal("a string reader is a terminal")
	}
	for _, want := range []string{"first", "second", "last"} {
		got, err := in.line()
		if err != nil || got != want {
			t.Fatalf("line = %q, %v; want %q", got, err, want)
		}
	}
	if _, err := in.line(); !errors.Is(err, io.EOF) {
		t.Errorf("after the last line: %v", err)
	}
}

func TestInputLineCapped(t *testing.T) {
	in := newInput(strings.NewReader(strings.Repeat("k", maxLine+1) + "\nnext\n"))
	if _, err := in.line(); err == nil || !strings.Contains(err.Error(), "longer than 64 KiB") {
		t.Errorf("an over-long line: %v", err)
	}
	in = newInput(strings.NewReader(strings.Repeat("k", maxLine) + "\n"))
	if got, err := in.line(); err != nil || len(got) != maxLine {
		t.Errorf("a line of exactly 64 KiB: %d bytes, %v", len(got), err)
	}
}

package applog

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

// countingWriter counts the writes it gets.
type countingWriter struct {
	mu     sync.Mutex
	b      bytes.Buffer
	writes int
	fail   error
}

func (c *countingWriter) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.fail != nil {
		return 0, c.fail
	}
	c.writes++
	return c.b.Write(p)
}

func (c *countingWriter) get() (string, int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.b.String(), c.writes
}

// Lines written by many goroutines arrive whole, all of them, in far fewer
// writes than lines; Close passes on the rest.
func TestLines(t *testing.T) {
	w := &countingWriter{}
	l := NewLines(w, time.Hour) // only a full buffer or Close flushes here
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 2000 {
				fmt.Fprintf(l, "goroutine=%d line=%d %s\n", g, i, strings.Repeat("x", 40))
			}
		})
	}
	wg.Wait()
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	out, writes := w.get()
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) != 16000 {
		t.Fatalf("%d lines arrived, want 16000", len(lines))
	}
	seen := map[string]bool{}
	for _, line := range lines {
		var g, i int
		if _, err := fmt.Sscanf(line, "goroutine=%d line=%d", &g, &i); err != nil || !strings.HasSuffix(line, strings.Repeat("x", 40)) {
			t.Fatalf("a broken line: %q", line)
		}
		seen[line] = true
	}
	if len(seen) != 16000 {
		t.Errorf("%d different lines, want 16000", len(seen))
	}
	if writes > len(out)/linesBuffer+1 {
		t.Errorf("%d writes for 16000 lines: not batched", writes)
	}
}

// A line waits at most the interval.
func TestLinesInterval(t *testing.T) {
	w := &countingWriter{}
	l := NewLines(w, 10*time.Millisecond)
	fmt.Fprintln(l, "one")
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		if out, _ := w.get(); out == "one\n" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the line never arrived")
		}
	}
}

// After the writer beneath fails, writes say so.
func TestLinesFailure(t *testing.T) {
	broken := errors.New("disk full")
	w := &countingWriter{fail: broken}
	l := NewLines(w, time.Hour)
	fmt.Fprintln(l, "one")
	if err := l.Flush(); !errors.Is(err, broken) {
		t.Fatalf("Flush: %v", err)
	}
	if _, err := fmt.Fprintln(l, "two"); !errors.Is(err, broken) {
		t.Errorf("Write after a failure: %v", err)
	}
}

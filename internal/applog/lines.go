package applog

import (
	"io"
	"sync"
	"time"
)

// linesBuffer is how much Lines keeps before it passes it on at once.
const linesBuffer = 64 << 10

// Lines is an io.Writer for a log that many goroutines write lines to at a
// high rate, such as the API proxy's line per request: it keeps what is
// written and passes it on to the writer beneath at most every interval, or
// when 64 KiB wait, so that a line costs no system call of its own. Lines
// reach w in the order written, whole. Close passes on what is left. It is
// safe for concurrent use.
type Lines struct {
	w        io.Writer
	interval time.Duration

	mu    sync.Mutex // guards buf, timer and err
	buf   []byte
	timer *time.Timer // pending flush, nil when none is
	err   error       // the first failure of w

	out sync.Mutex // serialises writes to w
}

// NewLines returns a Lines writing to w every interval.
func NewLines(w io.Writer, interval time.Duration) *Lines {
	return &Lines{w: w, interval: interval}
}

// Write keeps p; it fails only when an earlier write to w failed.
func (l *Lines) Write(p []byte) (int, error) {
	l.mu.Lock()
	if l.err != nil {
		defer l.mu.Unlock()
		return 0, l.err
	}
	l.buf = append(l.buf, p...)
	full := len(l.buf) >= linesBuffer
	if !full && l.timer == nil {
		l.timer = time.AfterFunc(l.interval, func() { l.Flush() })
	}
	l.mu.Unlock()
	if full {
		return len(p), l.flush(true)
	}
	return len(p), nil
}

// Flush passes on what has been written so far.
func (l *Lines) Flush() error { return l.flush(false) }

// flush passes on what is kept; when onlyFull, only if it is still a full
// buffer (another writer that found it full may have passed it on).
func (l *Lines) flush(onlyFull bool) error {
	l.out.Lock()
	defer l.out.Unlock()
	l.mu.Lock()
	if onlyFull && len(l.buf) < linesBuffer {
		l.mu.Unlock()
		return nil
	}
	buf := l.buf
	l.buf = nil
	if l.timer != nil {
		l.timer.Stop()
		l.timer = nil
	}
	l.mu.Unlock()
	if len(buf) == 0 {
		return nil
	}
	_, err := l.w.Write(buf)
	if err != nil {
		l.mu.Lock()
		if l.err == nil {
			l.err = err
		}
		l.mu.Unlock()
	}
	return err
}

// Close passes on what is left. Later writes are kept until the next
// Flush, so a line written while the program stops is not lost.
func (l *Lines) Close() error { return l.Flush() }

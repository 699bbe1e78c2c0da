package proxy

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/keyport/keyport/internal/boundary"
)

// logEvery is how long a request's log line waits at most before it is
// written.
const logEvery = 100 * time.Millisecond

// maxPending is how many lines may wait; the request that fills the queue
// writes them.
const maxPending = 4096

// requestLog writes the proxy's line per request (method, account, path
// without the query, status, duration) away from the request: a request
// only queues what it saw, and the lines are made and written at most
// logEvery later, in the order queued. Formatting a line on the request's
// own goroutine, after its answer was sent, still added about a sixth to
// the latency the proxy adds (bench/FINDINGS.md). Safe for concurrent use.
type requestLog struct {
	log   *slog.Logger
	every time.Duration // logEvery; tests change it

	mu      sync.Mutex // guards pending, spare and timer
	pending []logEntry
	spare   []logEntry  // the last batch written, for reuse
	timer   *time.Timer // the pending write, nil when none is

	out sync.Mutex // serialises writes, so lines keep their order
}

// logEntry is one request's line, as the request saw it; method and path
// are sanitised when written.
type logEntry struct {
	at           time.Time
	method, path string
	account      string
	status       int
	took         time.Duration
}

func newRequestLog(log *slog.Logger) *requestLog { return &requestLog{log: log, every: logEvery} }

// add queues a line.
func (l *requestLog) add(e logEntry) {
	l.mu.Lock()
	l.pending = append(l.pending, e)
	full := len(l.pending) >= maxPending
	if !full && l.timer == nil {
		l.timer = time.AfterFunc(l.every, l.flush)
	}
	l.mu.Unlock()
	if full {
		l.flush()
	}
}

// flush writes the lines queued so far. Each record is made by hand,
// without the caller's program counter that Logger.Info would look up.
func (l *requestLog) flush() {
	l.out.Lock()
	defer l.out.Unlock()
	l.mu.Lock()
	batch := l.pending
	l.pending, l.spare = l.spare[:0], nil
	if l.timer != nil {
		l.timer.Stop()
		l.timer = nil
	}
	l.mu.Unlock()
	ctx := context.Background()
	h := l.log.Handler()
	for _, e := range batch {
		rec := slog.NewRecord(e.at, slog.LevelInfo, "proxy", 0)
		rec.AddAttrs(slog.String("method", boundary.Text(e.method, 20)), slog.String("account", e.account),
			slog.String("path", boundary.Text(e.path, 200)), slog.Int("status", e.status),
			slog.Duration("duration", e.took.Round(time.Microsecond)))
		_ = h.Handle(ctx, rec)
	}
	clear(batch) // let the strings go
	l.mu.Lock()
	if l.spare == nil {
		l.spare = batch
	}
	l.mu.Unlock()
}

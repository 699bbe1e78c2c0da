package proxy

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"
)

// A request only queues its line: nothing is written while it runs.
func TestRequestLogQueues(t *testing.T) {
	f := newFixture(t)
	f.srv.log.every = time.Hour
	f.get("/api/items")
	f.waitQueued(1) // the answer leaves before the handler returns and queues the line
	if lines := f.log.lines(); lines[0] != "" {
		t.Errorf("the line was written on the request's own goroutine: %q", lines)
	}
	f.srv.log.flush()
	if lines := f.log.lines(); len(lines) != 1 || !strings.Contains(lines[0], "path=/api/items status=200") {
		t.Fatalf("after a flush: %q", lines)
	}
}

// The line appears within logEvery without anyone flushing.
func TestRequestLogWritesLater(t *testing.T) {
	f := newFixture(t)
	f.get("/api/items")
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) && !strings.Contains(strings.Join(f.log.lines(), "\n"), "path=/api/items status=200") {
		time.Sleep(10 * time.Millisecond)
	}
	if lines := f.log.lines(); len(lines) != 1 || !strings.Contains(lines[0], "path=/api/items status=200") {
		t.Fatalf("after the interval: %q", lines)
	}
}

// Lines from many goroutines keep the order they were queued in, none is
// lost when the queue fills, and Shutdown writes what is left.
func TestRequestLogOrderAndShutdown(t *testing.T) {
	buf := &logBuffer{}
	p := New(newFakeEngine("http://127.0.0.1:1"), testKey, slog.New(slog.NewTextHandler(buf, nil)), nil)
	srv, err := p.Start(Config{Listen: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	const workers, each = 4, maxPending // more than the queue holds
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				p.reqlog.add(logEntry{at: time.Now(), method: "GET", path: fmt.Sprintf("/w%d/%d", w, i), status: 200})
			}
		})
	}
	wg.Wait()
	if err := srv.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	lines := buf.lines()
	if len(lines) != workers*each {
		t.Fatalf("%d lines, want %d", len(lines), workers*each)
	}
	next := map[string]int{}
	for _, l := range lines {
		var w, i int
		j := strings.Index(l, "path=/w")
		if j < 0 {
			t.Fatalf("line %q", l)
		}
		fmt.Sscanf(l[j:], "path=/w%d/%d", &w, &i)
		if k := fmt.Sprint(w); i != next[k] {
			t.Fatalf("worker %d: line %d came after line %d", w, i, next[k]-1)
		}
		next[fmt.Sprint(w)] = i + 1
	}
}

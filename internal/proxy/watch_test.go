package proxy

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"
)

// watchWithin makes f's watch close connections after header and idle,
// looking every 10 ms from its next start.
func (f *fixture) watchWithin(header, idle time.Duration) {
	w := f.srv.watch
	w.mu.Lock()
	w.header, w.idle = header, idle
	if !w.running { // a running look has read its tick
		w.tick = 10 * time.Millisecond
	}
	w.mu.Unlock()
}

// closedWithin reports whether c is closed by the other end (a read ends
// with EOF or a reset) before d, reading what comes before that.
func closedWithin(t *testing.T, c net.Conn, d time.Duration) bool {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(d))
	_, err := io.Copy(io.Discard, c)
	if errors.Is(err, os.ErrDeadlineExceeded) {
		return false
	}
	return true // EOF (nil from io.Copy) or a reset
}

func (f *fixture) dial() net.Conn {
	f.t.Helper()
	c, err := net.Dial("tcp", f.srv.Addr())
	if err != nil {
		f.t.Fatal(err)
	}
	f.t.Cleanup(func() { c.Close() })
	return c
}

// A connection that starts a request header and never finishes it is
// closed, as one that connects and sends nothing is.
func TestWatchClosesSlowHeader(t *testing.T) {
	f := newFixture(t)
	f.watchWithin(100*time.Millisecond, time.Hour)
	silent := f.dial()
	slow := f.dial()
	fmt.Fprintf(slow, "GET /api/items HTTP/1.1\r\nHost: %s\r\n", f.srv.Addr())
	for name, c := range map[string]net.Conn{"silent": silent, "slow header": slow} {
		if !closedWithin(t, c, 10*time.Second) {
			t.Errorf("%s: the connection is still open 10 s after the header was due", name)
		}
	}
	if n := len(f.api.requests()); n != 0 {
		t.Errorf("the API saw %d requests", n)
	}
}

// A kept-alive connection is closed when idle too long, and not while it
// is used.
func TestWatchClosesIdle(t *testing.T) {
	f := newFixture(t)
	f.watchWithin(time.Hour, time.Second)
	c := f.dial()
	r := bufio.NewReader(c)
	for i := range 3 { // one after the other, well within the idle wait: the connection stays
		fmt.Fprintf(c, "GET /api/items HTTP/1.1\r\nHost: %s\r\n%s: %s\r\n\r\n", f.srv.Addr(), KeyHeader, testKey)
		c.SetReadDeadline(time.Now().Add(10 * time.Second))
		resp, err := http.ReadResponse(r, nil)
		if err != nil {
			t.Fatalf("request %d on the kept-alive connection: %v", i+1, err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("request %d: status %d", i+1, resp.StatusCode)
		}
	}
	if !closedWithin(t, c, 10*time.Second) {
		t.Error("the idle connection is still open 10 s after its idle time ran out")
	}
}

// A request whose header is in is not cut, however long its response
// takes to start and to stream, past both waits.
func TestWatchLeavesRequestsRunning(t *testing.T) {
	f := newFixture(t)
	f.watchWithin(time.Hour, time.Hour)
	f.api.on("/v1/slow", func(w http.ResponseWriter, r *http.Request) {
		// The request's header is in (the API has it): its connection
		// has no deadline, and from now on the waits are short, so the
		// look would cut it if it cut a request being served.
		watch := f.srv.watch
		watch.mu.Lock()
		for c, d := range watch.conns {
			if d != 0 {
				t.Errorf("the connection from %s, serving a request, has a deadline", c.RemoteAddr())
			}
		}
		watch.mu.Unlock()
		f.watchWithin(50*time.Millisecond, 50*time.Millisecond)
		time.Sleep(300 * time.Millisecond) // six waits before the answer starts
		for i := range 5 {
			fmt.Fprintf(w, "part %d\n", i)
			w.(http.Flusher).Flush()
			time.Sleep(100 * time.Millisecond)
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, f.srv.URL()+"/api/slow", nil)
	req.Header.Set(KeyHeader, testKey)
	code, body := f.do(f.tcp, req)
	if code != http.StatusOK || strings.Count(body, "part ") != 5 {
		t.Fatalf("status %d, body %q: the watch cut a running request", code, body)
	}
}

// The watch's goroutine runs only while there are connections, and not
// after Shutdown.
func TestWatchStopsWithoutConnections(t *testing.T) {
	f := newFixture(t)
	f.watchWithin(time.Hour, 50*time.Millisecond)
	running := func() bool {
		f.srv.watch.mu.Lock()
		defer f.srv.watch.mu.Unlock()
		return f.srv.watch.running
	}
	waitFor := func(want bool) {
		t.Helper()
		for end := time.Now().Add(10 * time.Second); running() != want; {
			if time.Now().After(end) {
				t.Fatalf("the watch's goroutine running: %v after 10 s, want %v", !want, want)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	if code, _ := f.get("/api/items"); code != http.StatusOK {
		t.Fatalf("status %d", code)
	}
	waitFor(false) // the client's idle connection was closed, so none is left
	f.watchWithin(time.Hour, time.Hour)
	f.get("/api/items")
	if !running() {
		t.Fatal("the watch is not running while a connection is open")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := f.srv.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	waitFor(false)
}

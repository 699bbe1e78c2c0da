package proxy

import (
	"net"
	"net/http"
	"sync"
	"time"
)

// headerWait is how long a new connection may take to send its first
// request's header; idleWait how long a connection may stay open between
// requests, the next one's header included.
const (
	headerWait = 10 * time.Second
	idleWait   = 2 * time.Minute
)

// connWatch closes the connections that hold the proxy without using it:
// a new one whose first request header has not come within headerWait,
// and one that has been idle, or sending its next header, for longer than
// idleWait. A request, once its header is in, runs as long as its bodies
// stream.
//
// It stands in for http.Server's ReadHeaderTimeout and IdleTimeout, which
// do this with read deadlines: three timer changes per request, any of
// which can wake the network poller, and the largest part of the latency
// the proxy added beyond its own work (bench/FINDINGS.md). Here a request
// only stores a deadline in its connection's entry, and one goroutine,
// running while there are connections, looks at them every tick. A header
// that starts late on an idle connection has the rest of idleWait rather
// than headerWait from its first byte: either way, a connection that sends
// nothing useful is closed within idleWait.
type connWatch struct {
	header, idle time.Duration // headerWait and idleWait; tests change them
	tick         time.Duration // how often deadlines are looked at

	mu sync.Mutex // guards conns, running and stopped
	// conns holds each connection's deadline: the Unix time in
	// nanoseconds by which it must have moved on, 0 while a request is
	// being served.
	conns   map[net.Conn]int64
	running bool // the goroutine that looks is running
	stopped bool
}

func newConnWatch() *connWatch {
	return &connWatch{header: headerWait, idle: idleWait, tick: headerWait / 4, conns: map[net.Conn]int64{}}
}

// connState is srv.ConnState: it moves a connection's deadline with its
// state. A new connection has headerWait for its first request's header;
// one whose request header is in (StateActive) has none; an idle one has
// idleWait. A closed one is forgotten.
func (w *connWatch) connState(c net.Conn, s http.ConnState) {
	w.mu.Lock()
	defer w.mu.Unlock()
	switch s {
	case http.StateNew:
		w.conns[c] = time.Now().Add(w.header).UnixNano()
		if !w.running && !w.stopped {
			w.running = true
			go w.look()
		}
	case http.StateActive:
		if _, ok := w.conns[c]; ok {
			w.conns[c] = 0
		}
	case http.StateIdle:
		if _, ok := w.conns[c]; ok {
			w.conns[c] = time.Now().Add(w.idle).UnixNano()
		}
	case http.StateHijacked, http.StateClosed:
		delete(w.conns, c)
	}
}

// look closes, every tick, the connections past their deadline, and
// returns when none is left to watch or the watch is stopped.
func (w *connWatch) look() {
	t := time.NewTicker(w.tick)
	defer t.Stop()
	var late []net.Conn
	for range t.C {
		now := time.Now().UnixNano()
		w.mu.Lock()
		if len(w.conns) == 0 || w.stopped {
			w.running = false
			w.mu.Unlock()
			return
		}
		for c, d := range w.conns {
			if d != 0 && now > d {
				late = append(late, c)
			}
		}
		w.mu.Unlock()
		for _, c := range late {
			c.Close() // its server sees the error, and connState forgets it
		}
		clear(late)
		late = late[:0]
	}
}

// stop ends the watch at its next tick; the connections left are the
// servers' to close.
func (w *connWatch) stop() {
	w.mu.Lock()
	w.stopped = true
	w.mu.Unlock()
}

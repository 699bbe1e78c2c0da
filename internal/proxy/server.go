package proxy

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"sync"
	"time"

	"github.com/keyport/keyport/internal/boundary"
)

// DefaultAddr is where the proxy listens on TCP unless told otherwise.
const DefaultAddr = "127.0.0.1:9410"

// DefaultSocket returns the proxy's Unix socket path:
// $XDG_RUNTIME_DIR/keyport/proxy.sock, else keyport/run/proxy.sock under
// os.UserCacheDir; "" on Windows, where the proxy has no socket by default.
func DefaultSocket() string {
	if runtime.GOOS == "windows" {
		return ""
	}
	if dir := os.Getenv("XDG_RUNTIME_DIR"); dir != "" {
		return filepath.Join(dir, "keyport", "proxy.sock")
	}
	if dir, err := os.UserCacheDir(); err == nil {
		return filepath.Join(dir, "keyport", "run", "proxy.sock")
	}
	return ""
}

// Config says where a proxy listens.
type Config struct {
	// Listen is a TCP address on this computer (127.0.0.1:PORT, [::1]:PORT
	// or localhost:PORT; port 0 picks one); "" listens on no TCP port.
	// Requests there must carry the key.
	Listen string
	// Socket is the path of a Unix socket, made 0600 in a directory of its
	// own until it is (so nobody else connects in between); "" makes
	// none. Requests there need no key.
	Socket string
	// Requests, when not nil, is told when each request starts and ends,
	// refused ones too (keyport proxy's procs.Gate).
	Requests Tracker
}

// Tracker is told of requests as they start and end; its methods must be
// safe for concurrent use and quick.
type Tracker interface {
	Enter()
	Leave()
}

// Server is a running proxy. Its methods are safe for concurrent use.
type Server struct {
	addr, socket string
	servers      []*http.Server
	log          *requestLog
	watch        *connWatch
	done         chan struct{} // closed when every listener has stopped
	once         sync.Once
	err          error // the first listener's failure; valid after done
}

// Start listens where c says and serves p there until Shutdown. With
// neither address it is an error; so is a TCP address that is not on this
// computer, or one without a key to ask for.
func (p *Proxy) Start(c Config) (*Server, error) {
	if c.Listen == "" && c.Socket == "" {
		return nil, errors.New("the proxy needs a TCP address on this computer or a Unix socket to listen on")
	}
	s := &Server{log: p.reqlog, watch: newConnWatch(), done: make(chan struct{})}
	var listeners []net.Listener
	closeAll := func() {
		for _, l := range listeners {
			l.Close()
		}
	}
	if c.Listen != "" {
		if len(p.key) == 0 {
			return nil, errors.New("the proxy needs its key to listen on TCP")
		}
		l, hosts, err := listenTCP(c.Listen)
		if err != nil {
			return nil, err
		}
		listeners = append(listeners, l)
		s.addr = l.Addr().String()
		s.servers = append(s.servers, s.newHTTPServer(&handler{p: p, hosts: hosts, needKey: true, track: c.Requests}))
	}
	if c.Socket != "" {
		l, err := listenSocket(c.Socket)
		if err != nil {
			closeAll()
			return nil, err
		}
		listeners = append(listeners, l)
		s.socket = c.Socket
		// curl --unix-socket PATH http://localhost/... names localhost.
		s.servers = append(s.servers, s.newHTTPServer(&handler{p: p, hosts: []string{"localhost"}, track: c.Requests}))
	}
	var wg sync.WaitGroup
	for i, srv := range s.servers {
		wg.Go(func() {
			if err := srv.Serve(listeners[i]); !errors.Is(err, http.ErrServerClosed) {
				s.once.Do(func() { s.err = err })
			}
		})
	}
	go func() { wg.Wait(); close(s.done) }()
	return s, nil
}

func (s *Server) newHTTPServer(h http.Handler) *http.Server {
	// No read or write timeout: bodies stream as long as they last. The
	// watch closes connections slow to send a header or idle too long.
	// OPTIONS * comes to the handler too, which refuses it.
	return &http.Server{Handler: h, DisableGeneralOptionsHandler: true, ConnState: s.watch.connState, MaxHeaderBytes: 1 << 20}
}

// listenTCP listens on addr, which must be on this computer, and returns
// the Host values requests to it may carry: the address, and localhost
// with its port.
func listenTCP(addr string) (net.Listener, []string, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, nil, fmt.Errorf("proxy address %q: %w (write 127.0.0.1:PORT)", addr, err)
	}
	if !boundary.IsLoopback(host) {
		return nil, nil, fmt.Errorf("proxy address %q is not on this computer: the proxy listens only on 127.0.0.1, [::1] or localhost, so that no other machine reaches it", addr)
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, nil, fmt.Errorf("listen on %s: %w (another Keyport proxy, the window's perhaps, may be running there: choose another --listen port)", addr, err)
	}
	port := strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
	return l, []string{l.Addr().String(), net.JoinHostPort("localhost", port)}, nil
}

// listenSocket listens on a Unix socket at path. The socket is made in a
// new 0700 directory beside path, set to 0600 and only then renamed to
// path, so nobody else can connect while its mode is still the umask's.
// A socket left at path by a proxy that is gone is replaced; one that
// answers is not.
func listenSocket(path string) (net.Listener, error) {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create the socket's directory: %w", err)
	}
	if fi, err := os.Lstat(path); err == nil {
		if fi.Mode().Type() != os.ModeSocket {
			return nil, fmt.Errorf("%s exists and is not a socket: remove it or choose another --socket", path)
		}
		if c, err := net.DialTimeout("unix", path, time.Second); err == nil {
			c.Close()
			return nil, fmt.Errorf("another Keyport proxy listens on %s already", path)
		}
	}
	tmp, err := os.MkdirTemp(dir, ".keyport-proxy-")
	if err != nil {
		return nil, fmt.Errorf("create the socket: %w", err)
	}
	defer os.RemoveAll(tmp)
	inner := filepath.Join(tmp, "s")
	l, err := net.Listen("unix", inner)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", path, err)
	}
	ul := l.(*net.UnixListener)
	ul.SetUnlinkOnClose(false) // it is renamed: socket.Close removes it by its new name
	if err := os.Chmod(inner, 0o600); err != nil {
		l.Close()
		return nil, fmt.Errorf("make the socket private: %w", err)
	}
	if err := os.Rename(inner, path); err != nil {
		l.Close()
		return nil, fmt.Errorf("create the socket %s: %w", path, err)
	}
	return &socket{UnixListener: ul, path: path}, nil
}

// socket removes its file when closed.
type socket struct {
	*net.UnixListener
	path string
	once sync.Once
}

func (s *socket) Close() error {
	err := s.UnixListener.Close()
	s.once.Do(func() { os.Remove(s.path) })
	return err
}

// Addr returns the TCP address the proxy listens on (127.0.0.1:PORT), or
// "" when it has none.
func (s *Server) Addr() string { return s.addr }

// URL returns the proxy's base URL on TCP (http://127.0.0.1:PORT), or "".
func (s *Server) URL() string {
	if s.addr == "" {
		return ""
	}
	return "http://" + s.addr
}

// Socket returns the proxy's Unix socket path, or "".
func (s *Server) Socket() string { return s.socket }

// Done is closed when the proxy has stopped: after Shutdown, or when a
// listener failed (Err says why).
func (s *Server) Done() <-chan struct{} { return s.done }

// Err returns why the proxy stopped by itself, once Done is closed; nil
// after Shutdown.
func (s *Server) Err() error {
	<-s.done
	return s.err
}

// Shutdown stops listening, waits for requests in flight until ctx ends,
// then closes what is left (a stream that would never end), removes the
// socket, and writes the request lines still queued.
func (s *Server) Shutdown(ctx context.Context) error {
	var errs []error
	for _, srv := range s.servers {
		if err := srv.Shutdown(ctx); err != nil {
			errs = append(errs, srv.Close())
		}
	}
	<-s.done
	s.watch.stop()
	s.log.flush()
	return errors.Join(errs...)
}

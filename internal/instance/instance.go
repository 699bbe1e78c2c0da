// Package instance keeps one running process of a program per user (and
// per configuration): the first process to Claim a name holds it, and a
// later one asks it to come forward, then ends.
//
// The holder keeps a lock file locked (flock on Unix, LockFileEx on
// Windows) for as long as it runs, and answers on a Unix socket beside it
// (AF_UNIX, which Windows 10 has too). The kernel drops the lock when the
// holder ends, however it ends, so a socket left by a crash is known to be
// stale when the lock is free, and is replaced. Both live in a directory
// only the user may enter (Dir).
package instance

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/gofrs/flock"
)

// ErrRunning is what Claim returns when another process holds the name: it
// was asked to come forward and said it would. The caller's work is done.
var ErrRunning = errors.New("already running; its window was brought forward")

// ErrNoAnswer is wrapped by Claim's error when another process holds the
// name but does not answer (it hangs): starting a second holder then
// would be the race this package prevents.
var ErrNoAnswer = errors.New("does not answer")

// answerWait bounds how long Claim waits for the holder to answer; a
// holder still starting up answers once it listens.
var answerWait = 10 * time.Second

// request and reply are the whole protocol: one line each way.
const (
	request = "show\n"
	reply   = "ok\n"
)

// Dir returns the directory of the user's instance sockets:
// $XDG_RUNTIME_DIR/keyport, else os.UserCacheDir()/keyport. It is created
// with mode 0700, tightened if it was looser, and refused if it is not the
// user's own.
func Dir() (string, error) {
	base := os.Getenv("XDG_RUNTIME_DIR")
	if !filepath.IsAbs(base) {
		var err error
		if base, err = os.UserCacheDir(); err != nil {
			return "", fmt.Errorf("find a folder for Keyport's instance socket: %w (set XDG_RUNTIME_DIR)", err)
		}
	}
	dir := filepath.Join(base, "keyport")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("create the instance folder %s: %w", dir, err)
	}
	if err := private(dir); err != nil {
		return "", err
	}
	return dir, nil
}

// Name returns the instance name base for a configuration: base itself
// when every part is empty (the default configuration), else base and a
// hash of the parts, so that two configurations (a demo, a test, the
// person's own) run side by side while each runs once.
func Name(base string, parts ...string) string {
	if strings.Join(parts, "") == "" {
		return base
	}
	sum := sha256.Sum256([]byte(strings.Join(parts, "\x00")))
	return base + "-" + hex.EncodeToString(sum[:6])
}

// Instance is the claim of this process on a name. Its methods are safe
// for concurrent use.
type Instance struct {
	lock *flock.Flock
	ln   net.Listener
	done chan struct{} // closed when the accepting goroutine has returned

	closeOnce sync.Once
	closeErr  error

	mu      sync.Mutex // guards show and pending
	show    func()
	pending bool // a request came before OnShow
}

// Claim makes this process the holder of name in dir, or asks the holder
// to come forward. It returns the Instance when this process holds the
// name (it answers requests from then on; see OnShow), ErrRunning when
// another process holds it and answered, and another error when the holder
// does not answer within 10 s or the socket cannot be made.
func Claim(dir, name string) (*Instance, error) {
	sock := filepath.Join(dir, name+".sock")
	if len(sock) > maxSocketPath {
		return nil, fmt.Errorf("the instance socket path %s is longer than the %d bytes a Unix socket allows: set XDG_RUNTIME_DIR to a shorter folder", sock, maxSocketPath)
	}
	lock := flock.New(filepath.Join(dir, name+".lock"))
	deadline := time.Now().Add(answerWait)
	var lastErr error
	for {
		ok, err := lock.TryLock()
		if err != nil {
			return nil, fmt.Errorf("lock %s: %w", lock.Path(), err)
		}
		if ok {
			return listen(lock, sock)
		}
		if lastErr = ask(sock, deadline); lastErr == nil {
			return nil, ErrRunning
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("another Keyport holds %s but %w (%w): quit it, or end its process, and start Keyport again", lock.Path(), ErrNoAnswer, lastErr)
		}
		time.Sleep(50 * time.Millisecond) // the holder is starting, or has just quit
	}
}

// listen serves sock, replacing any socket a crashed holder left: with the
// lock held, nobody else answers there.
func listen(lock *flock.Flock, sock string) (*Instance, error) {
	if err := os.Remove(sock); err != nil && !errors.Is(err, os.ErrNotExist) {
		lock.Unlock()
		return nil, fmt.Errorf("remove the stale instance socket %s: %w", sock, err)
	}
	ln, err := net.Listen("unix", sock)
	if err == nil {
		err = os.Chmod(sock, 0o600) // the folder is 0700 already; this is the second wall
	}
	if err != nil {
		if ln != nil {
			ln.Close()
		}
		lock.Unlock()
		return nil, fmt.Errorf("listen on the instance socket %s: %w", sock, err)
	}
	in := &Instance{lock: lock, ln: ln, done: make(chan struct{})}
	go in.accept()
	return in, nil
}

// ask sends the holder a request and waits for its answer until deadline.
func ask(sock string, deadline time.Time) error {
	c, err := net.DialTimeout("unix", sock, time.Until(deadline))
	if err != nil {
		return err
	}
	defer c.Close()
	c.SetDeadline(deadline)
	if _, err := c.Write([]byte(request)); err != nil {
		return err
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return err
	}
	if line != reply {
		return fmt.Errorf("unexpected answer %q", line)
	}
	return nil
}

// accept answers requests until Close.
func (in *Instance) accept() {
	defer close(in.done)
	for {
		c, err := in.ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			time.Sleep(10 * time.Millisecond) // e.g. out of file descriptors: try again
			continue
		}
		in.answer(c)
	}
}

// answer handles one connection: a request to come forward is passed on
// (or kept for OnShow) and acknowledged; anything else is dropped.
func (in *Instance) answer(c net.Conn) {
	defer c.Close()
	c.SetDeadline(time.Now().Add(2 * time.Second))
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil || line != request {
		return
	}
	in.mu.Lock()
	show := in.show
	in.pending = show == nil
	in.mu.Unlock()
	if show != nil {
		show()
	}
	c.Write([]byte(reply))
}

// OnShow sets what a request to come forward does; show must not block
// (the window's passes the work to the UI goroutine). A request that came
// before OnShow runs show now.
func (in *Instance) OnShow(show func()) {
	in.mu.Lock()
	in.show = show
	pending := in.pending
	in.pending = false
	in.mu.Unlock()
	if pending {
		show()
	}
}

// Close stops answering, removes the socket and releases the name. It
// waits for the request being answered, if any. Calls after the first
// return the first one's result.
func (in *Instance) Close() error {
	in.closeOnce.Do(func() {
		err := in.ln.Close() // a Unix listener removes its socket file
		<-in.done
		if uerr := in.lock.Unlock(); err == nil {
			err = uerr
		}
		if err != nil {
			in.closeErr = fmt.Errorf("release the instance: %w", err)
		}
	})
	return in.closeErr
}

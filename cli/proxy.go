package cli

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"time"

	"github.com/keyport/keyport/internal/applog"
	"github.com/keyport/keyport/internal/procs"
	"github.com/keyport/keyport/internal/proxy"
)

// proxyStopWait bounds how long stopping the proxy waits for requests in
// flight (a stream may never end).
const proxyStopWait = 5 * time.Second

func runProxy(ctx context.Context, env Env, fs *flag.FlagSet, args []string) error {
	listen := fs.String("listen", proxy.DefaultAddr, "`address` on this computer to listen on, 127.0.0.1:PORT (\"\" for none); requests there carry the proxy key")
	socket := fs.String("socket", proxy.DefaultSocket(), "Unix socket `path` to listen on (\"\" for none); requests there need no key")
	printKey := fs.Bool("print-key", false, "print the proxy key and exit")
	if _, err := parse(fs, args, 0); err != nil {
		return err
	}
	e, err := env.Engine(nil)
	if err != nil {
		return err
	}
	var key string
	if *listen != "" || *printKey {
		if key, err = e.ProxyKey(ctx); err != nil {
			return err
		}
	}
	if *printKey {
		_, err := fmt.Fprintln(env.Out, key)
		return err
	}
	// A line per request, whether or not -v; written out every 100 ms, so
	// a line costs a request no write of its own.
	lines := applog.NewLines(env.Err, 100*time.Millisecond)
	defer lines.Close()
	requests := slog.New(slog.NewTextHandler(lines, nil))
	// One processor while requests come one at a time (internal/procs).
	gate := procs.Narrow()
	defer gate.Close()
	srv, err := proxy.New(e, key, requests, nil).Start(proxy.Config{Listen: *listen, Socket: *socket, Requests: gate})
	if err != nil {
		return err
	}
	// stdout: where it listens, for scripts; stderr: how to use it.
	fmt.Fprintln(env.Err, "Keyport's API proxy is running; Ctrl-C stops it. Request /ACCOUNT/path (ACCOUNT as 'keyport accounts' shows it, or a provider id):")
	if srv.URL() != "" {
		fmt.Fprintln(env.Out, srv.URL())
		fmt.Fprintf(env.Err, "  curl -H \"%s: $(keyport proxy --print-key)\" %s/ACCOUNT/path\n", proxy.KeyHeader, srv.URL())
	}
	if srv.Socket() != "" {
		fmt.Fprintln(env.Out, "unix:"+srv.Socket())
		fmt.Fprintf(env.Err, "  curl --unix-socket %s http://localhost/ACCOUNT/path   (no key needed)\n", srv.Socket())
	}
	select {
	case <-ctx.Done():
	case <-srv.Done():
		return fmt.Errorf("the proxy stopped: %w", srv.Err())
	}
	stop, cancel := context.WithTimeout(context.WithoutCancel(ctx), proxyStopWait)
	defer cancel()
	return srv.Shutdown(stop)
}

// Command proxybase is the baseline of the proxy figures in bench/run.sh: a
// bare httputil.ReverseProxy that adds one fixed header (its defaults but
// for the transport, which has the settings Keyport's proxy uses, so the
// ratio measures what each does per request and not its connection pool):
//
//	proxybase -target URL [-listen ADDR] [-header NAME -value VALUE]
//
// With -pool it lends ReverseProxy its copy buffers from a sync.Pool, as
// Keyport's proxy does: the ratio to that one is what Keyport's own work
// per request costs, apart from the garbage a bare ReverseProxy makes.
//
// It prints its base URL on stdout once it listens, and serves until
// killed.
package main

import (
	"flag"
	"fmt"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"sync"
)

// buffers is a sync.Pool of 32 KiB buffers.
type buffers struct{}

var bufferPool = sync.Pool{New: func() any { b := make([]byte, 32<<10); return &b }}

func (buffers) Get() []byte  { return *bufferPool.Get().(*[]byte) }
func (buffers) Put(b []byte) { bufferPool.Put(&b) }

func main() {
	listen := flag.String("listen", "127.0.0.1:0", "address to listen on")
	target := flag.String("target", "", "base URL requests go to")
	header := flag.String("header", "Authorization", "header to add")
	value := flag.String("value", "Bearer baseline-token", "its value")
	pool := flag.Bool("pool", false, "reuse the 32 KiB copy buffers")
	flag.Parse()
	u, err := url.Parse(*target)
	if err != nil || u.Host == "" {
		fmt.Fprintln(os.Stderr, "proxybase: -target must be a URL")
		os.Exit(2)
	}
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = 16 // as internal/proxy.New
	rp := &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(u)
			pr.Out.Header.Set(*header, *value)
		},
		Transport: t,
	}
	if *pool {
		rp.BufferPool = buffers{}
	}
	l, err := net.Listen("tcp", *listen)
	if err != nil {
		fmt.Fprintln(os.Stderr, "proxybase:", err)
		os.Exit(1)
	}
	fmt.Println("http://" + l.Addr().String())
	if err := http.Serve(l, rp); err != nil {
		fmt.Fprintln(os.Stderr, "proxybase:", err)
		os.Exit(1)
	}
}

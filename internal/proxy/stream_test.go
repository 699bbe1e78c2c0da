package proxy

import (
	"context"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Each part the provider flushes reaches the caller before the provider
// writes the next, whether the response is server-sent events, of unknown
// length (a download streamed as it is made) or of declared length but
// sent slowly: the proxy holds no response back.
func TestStreamsResponses(t *testing.T) {
	const part = "data: 1\n\n"
	for _, kind := range []string{"text/event-stream", "application/x-ndjson", "declared length"} {
		t.Run(kind, func(t *testing.T) {
			f := newFixture(t)
			read := make(chan struct{})
			f.api.on("/v1/events", func(w http.ResponseWriter, r *http.Request) {
				if kind == "declared length" {
					w.Header().Set("Content-Type", "application/octet-stream")
					w.Header().Set("Content-Length", strconv.Itoa(3*len(part)))
				} else {
					w.Header().Set("Content-Type", kind)
				}
				for range 3 {
					io.WriteString(w, part)
					w.(http.Flusher).Flush()
					select {
					case <-read: // the caller has it
					case <-r.Context().Done():
						return
					}
				}
			})
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			req, _ := http.NewRequestWithContext(ctx, http.MethodGet, f.srv.URL()+"/api/events", nil)
			req.Header.Set(KeyHeader, testKey)
			resp, err := f.tcp.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			buf := make([]byte, len(part))
			for i := range 3 {
				if _, err := io.ReadFull(resp.Body, buf); err != nil {
					t.Fatalf("part %d: %v (the proxy held the response back)", i+1, err)
				}
				if string(buf) != part {
					t.Fatalf("part %d: %q", i+1, buf)
				}
				read <- struct{}{}
			}
		})
	}
}

// A request body of unknown length, or longer than the replay limit,
// reaches the provider as it is sent, not once it is complete.
func TestStreamsRequests(t *testing.T) {
	for _, length := range []int64{-1, 4 << 20} {
		t.Run(map[int64]string{-1: "chunked", 4 << 20: "4 MiB declared"}[length], func(t *testing.T) {
			f := newFixture(t)
			first := make(chan struct{})
			got := make(chan int64, 1)
			f.api.on("/v1/upload", func(w http.ResponseWriter, r *http.Request) {
				if _, err := io.ReadFull(r.Body, make([]byte, 64<<10)); err != nil {
					t.Error(err)
				}
				close(first)
				n, _ := io.Copy(io.Discard, r.Body)
				got <- 64<<10 + n
			})
			pr, pw := io.Pipe()
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			req, _ := http.NewRequestWithContext(ctx, http.MethodPut, f.srv.URL()+"/api/upload", pr)
			req.ContentLength = length
			req.Header.Set(KeyHeader, testKey)
			done := make(chan error, 1)
			go func() {
				resp, err := f.tcp.Do(req)
				if err == nil {
					resp.Body.Close()
				}
				done <- err
			}()
			pw.Write(make([]byte, 64<<10))
			select {
			case <-first:
			case <-ctx.Done():
				t.Fatal("the provider did not get the first part before the rest was sent")
			}
			rest := int64(1 << 20)
			if length > 0 {
				rest = length - 64<<10
			}
			io.CopyN(pw, strings.NewReader(strings.Repeat("b", int(rest))), rest)
			pw.Close()
			if err := <-done; err != nil {
				t.Fatal(err)
			}
			if n := <-got; n != 64<<10+rest {
				t.Errorf("the provider got %d bytes, want %d", n, 64<<10+rest)
			}
		})
	}
}

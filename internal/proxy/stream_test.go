package proxy

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// Each event the provider flushes reaches the caller before the provider
// writes the next: the proxy buffers no response.
func TestStreamsResponses(t *testing.T) {
	f := newFixture(t)
	read := make(chan struct{})
	f.api.on("/v1/events", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		for i := range 3 {
			io.WriteString(w, "data: "+string(rune('1'+i))+"\n\n")
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
	lines := bufio.NewReader(resp.Body)
	for i := range 3 {
		line, err := lines.ReadString('\n')
		if err != nil {
			t.Fatalf("event %d: %v (the proxy held the stream back)", i+1, err)
		}
		if want := "data: " + string(rune('1'+i)) + "\n"; line != want {
			t.Fatalf("event %d: %q, want %q", i+1, line, want)
		}
		lines.ReadString('\n')
		read <- struct{}{}
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

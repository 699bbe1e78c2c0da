package cli

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/keyport/keyport/auth"
	"github.com/keyport/keyport/internal/proxy"
)

// keyport proxy prints where it listens, serves /ACCOUNT/path with the key
// --print-key prints, and stops (removing its socket) when its context
// ends.
func TestProxyCommand(t *testing.T) {
	dir := connected(t)
	code, key, stderr := run(t, dir, "", "proxy", "--print-key")
	key = strings.TrimSpace(key)
	if code != 0 || !strings.HasPrefix(key, "kp_") {
		t.Fatalf("--print-key: %d %q %q", code, key, stderr)
	}
	if _, again, _ := run(t, dir, "", "proxy", "--print-key"); strings.TrimSpace(again) != key {
		t.Errorf("a second --print-key printed another key")
	}

	sock := filepath.Join(t.TempDir(), "p.sock")
	out, errOut := &syncBuffer{}, &syncBuffer{}
	env := Env{In: strings.NewReader(""), Out: out, Err: errOut, Engine: func(log *slog.Logger) (*auth.Engine, error) {
		return auth.New(auth.Params{ConfigDir: dir, Keychain: auth.NewSystemKeychain("keyport-cli-test", 5*time.Second), Log: log})
	}}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	go func() { done <- Run(ctx, env, []string{"proxy", "--listen", "127.0.0.1:0", "--socket", sock}) }()
	var lines []string
	for deadline := time.Now().Add(10 * time.Second); len(lines) < 2; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("keyport proxy printed %q, %q", out.String(), errOut.String())
		}
		lines = strings.Fields(out.String())
	}
	if !strings.HasPrefix(lines[0], "http://127.0.0.1:") || lines[1] != "unix:"+sock {
		t.Fatalf("stdout %q", lines)
	}
	req, _ := http.NewRequest(http.MethodGet, lines[0]+"/demo/me", nil)
	req.Header.Set(proxy.KeyHeader, key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !bytes.Contains(body, []byte("Grace Hopper")) {
		t.Errorf("GET /demo/me: %d %s", resp.StatusCode, body)
	}
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Errorf("exit %d: %s", code, errOut.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("keyport proxy did not stop")
	}
	if !strings.Contains(errOut.String(), "method=GET account=demo/7 path=/demo/me status=200") {
		t.Errorf("no request line on stderr: %s", errOut.String())
	}
	if _, err := os.Lstat(sock); !os.IsNotExist(err) {
		t.Errorf("socket left behind: %v", err)
	}
}

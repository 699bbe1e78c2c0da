package integration

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/keyport/keyport/auth"
	"github.com/keyport/keyport/internal/authserver"
)

// keyportBin is the real binary, built once by TestMain.
var keyportBin string

func TestMain(m *testing.M) {
	code := func() int {
		if os.Getenv("KEYPORT_INTEGRATION") == "1" {
			dir, err := os.MkdirTemp("", "keyport-it-bin")
			if err != nil {
				panic(err)
			}
			defer os.RemoveAll(dir)
			keyportBin = filepath.Join(dir, "keyport")
			build := exec.Command("go", "build", "-o", keyportBin, "github.com/keyport/keyport")
			build.Stdout, build.Stderr = os.Stderr, os.Stderr
			if err := build.Run(); err != nil {
				panic("build keyport: " + err.Error())
			}
		}
		return m.Run()
	}()
	os.Exit(code)
}

// cmd prepares `keyport args...` on this installation, as a person's shell
// would run it (no display, so commands never open a window).
func (v *env) cmd(ctx context.Context, args ...string) *exec.Cmd {
	c := exec.CommandContext(ctx, keyportBin, args...)
	c.Env = append(os.Environ(), "KEYPORT_CONFIG_DIR="+v.dir, "KEYPORT_KEYRING_SERVICE="+v.service, "BROWSER=true", "DISPLAY=", "WAYLAND_DISPLAY=")
	return c
}

// run runs a command and returns its stdout, stderr and error.
func (v *env) run(args ...string) (string, string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var out, errOut bytes.Buffer
	c := v.cmd(ctx, args...)
	c.Stdout, c.Stderr = &out, &errOut
	err := c.Run()
	return out.String(), errOut.String(), err
}

// The done criterion: `keyport connect` against a local
// authorization server prints the connected account's name and email. The
// browser here is the test, which signs in and pastes the final redirect
// URL back, as a person in an SSH session would.
func TestCLIConnectPrintsAccount(t *testing.T) {
	v := newEnv(t, authserver.Options{})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c := v.cmd(ctx, "connect", "local")
	stdin, _ := c.StdinPipe()
	stderr, _ := c.StderrPipe()
	var out bytes.Buffer
	c.Stdout = &out
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	link := regexp.MustCompile(`^\s+(http://127\.0\.0\.1:\d+/auth\?\S+)$`)
	sc := bufio.NewScanner(stderr)
	var authURL string
	for authURL == "" && sc.Scan() {
		if m := link.FindStringSubmatch(sc.Text()); m != nil {
			authURL = m[1]
		}
	}
	if authURL == "" {
		t.Fatal("keyport connect printed no sign-in link")
	}
	go func() {
		for sc.Scan() {
		}
	}()
	back, err := v.srv.SignIn(ctx, authURL, "alice", "alice", true)
	if err != nil {
		t.Fatal(err)
	}
	stdin.Write([]byte(back.String() + "\n"))
	if err := c.Wait(); err != nil {
		t.Fatalf("keyport connect: %v", err)
	}
	if !regexp.MustCompile(`^Connected Local demo account Alice Example <alice@example\.test> \(local/\S+\)\n$`).MatchString(out.String()) {
		t.Errorf("stdout = %q", out.String())
	}
}

// Two processes asking for the same due account cause one refresh: with
// rotating refresh tokens a second refresh would present a spent token and
// the server would revoke the whole grant.
func TestTwoProcessesOneRefresh(t *testing.T) {
	v := newEnv(t, authserver.Options{AccessTTL: 4 * time.Second})
	a := v.connect(v.engine(), "demo")
	first, _, err := v.run("token", "local")
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(time.Until(a.Obtained.Add(2500 * time.Millisecond))) // past halfway: due
	var wg sync.WaitGroup
	outs, errs := make([]string, 2), make([]error, 2)
	for i := range outs {
		wg.Go(func() {
			var stderr string
			outs[i], stderr, errs[i] = v.run("token", "local")
			if errs[i] != nil {
				t.Errorf("process %d: %v: %s", i, errs[i], stderr)
			}
		})
	}
	wg.Wait()
	if outs[0] != outs[1] || outs[0] == first || outs[0] == "" {
		t.Fatalf("tokens: first %q, then %q and %q; want one new token for both", first, outs[0], outs[1])
	}
	if code := userinfo(t, v.srv, strings.TrimSpace(outs[0])); code != 200 {
		t.Errorf("userinfo with the refreshed token: HTTP %d", code)
	}
}

// A process killed with SIGKILL at any point of a refresh leaves an account
// that still refreshes, or, when the kill fell between the server rotating
// the refresh token and the keychain write, one marked reconnect needed
// with that reason. Never a damaged entry.
func TestKilledDuringRefresh(t *testing.T) {
	v := newEnv(t, authserver.Options{})
	v.connect(v.engine(), "demo")
	outcomes := map[string]int{}
	for i := range 12 {
		ctx, cancel := context.WithCancel(context.Background())
		c := v.cmd(ctx, "token", "--refresh", "local")
		if err := c.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Duration(rand.IntN(120)) * time.Millisecond)
		c.Process.Kill()
		c.Wait()
		cancel()

		stdout, stderr, err := v.run("token", "--refresh", "local")
		var list []auth.Account
		js, _, jerr := v.run("accounts", "--json")
		if jerr != nil || json.Unmarshal([]byte(js), &list) != nil || len(list) != 1 {
			t.Fatalf("round %d: index unreadable after a kill: %v %q", i, jerr, js)
		}
		switch {
		case err == nil && strings.TrimSpace(stdout) != "":
			outcomes["still refreshes"]++
		case strings.Contains(stderr, "stopped during an earlier refresh") && list[0].Status == auth.StatusReconnect:
			outcomes["reconnect needed, with the reason"]++
			v.connect(v.engine(), "demo") // start the next round from a working account
		default:
			t.Fatalf("round %d: after a kill: err %v, stderr %q, status %q", i, err, stderr, list[0].Status)
		}
	}
	t.Logf("outcomes over 12 kills: %v", outcomes)
}

// With the Secret Service gone, commands say so and write nothing.
func TestKeychainStopped(t *testing.T) {
	v := newEnv(t, authserver.Options{})
	v.connect(v.engine(), "demo")
	before := listFiles(t, v.dir)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c := v.cmd(ctx, "token", "local")
	c.Env = append(c.Env, "DBUS_SESSION_BUS_ADDRESS=unix:path="+filepath.Join(t.TempDir(), "no-bus"))
	var out, errOut bytes.Buffer
	c.Stdout, c.Stderr = &out, &errOut
	err := c.Run()
	if err == nil || out.Len() != 0 {
		t.Fatalf("keyport token without a keychain: err %v, stdout %q", err, out.String())
	}
	if !strings.Contains(errOut.String(), "Secret Service") || !strings.Contains(errOut.String(), "try again") {
		t.Errorf("message does not say what to do: %q", errOut.String())
	}
	if after := listFiles(t, v.dir); !slices.Equal(before, after) {
		t.Errorf("files changed without a keychain:\nbefore %v\nafter  %v", before, after)
	}
}

// listFiles lists a tree's regular files with size and modification time.
func listFiles(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			info, _ := d.Info()
			out = append(out, fmt.Sprint(p, " ", info.ModTime(), " ", info.Size()))
		}
		return nil
	})
	return out
}

//go:build linux

package integration

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/keyport/keyport/internal/authserver"
)

// childEnv makes this test binary a child for `keyport exec` instead of
// running tests: "userinfo URL" asks userinfo with $KEYPORT_TOKEN and
// exits 0 when it is accepted; "sigint" counts the SIGINTs that come
// within half a second of the first.
const childEnv = "KEYPORT_IT_CHILD"

func init() {
	mode, arg, _ := strings.Cut(os.Getenv(childEnv), " ")
	switch mode {
	case "":
		return
	case "userinfo":
		os.Exit(childUserinfo(arg))
	case "sigint":
		os.Exit(childSIGINT())
	}
	fmt.Fprintf(os.Stderr, "unknown %s %q\n", childEnv, mode)
	os.Exit(2)
}

func childUserinfo(endpoint string) int {
	req, _ := http.NewRequest(http.MethodGet, endpoint, nil)
	req.Header.Set("Authorization", "Bearer "+os.Getenv("KEYPORT_TOKEN"))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		fmt.Println(err)
		return 3
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	fmt.Printf("userinfo %d %s\n", resp.StatusCode, b)
	if strings.Contains(strings.Join(os.Args, " "), os.Getenv("KEYPORT_TOKEN")) {
		fmt.Println("the token is in argv")
		return 4
	}
	if resp.StatusCode != 200 {
		return 5
	}
	return 0
}

func childSIGINT() int {
	sigs := make(chan os.Signal, 8)
	signal.Notify(sigs, syscall.SIGINT)
	fmt.Println("ready")
	<-sigs
	n := 1
	for deadline := time.After(500 * time.Millisecond); ; {
		select {
		case <-sigs:
			n++
		case <-deadline:
			fmt.Printf("SIGINT %d\n", n)
			return 0
		}
	}
}

// The child of `keyport exec` gets a token in KEYPORT_TOKEN (nowhere in
// its arguments) that the server's userinfo accepts, and keyport exits
// with the child's status.
func TestExecTokenWorks(t *testing.T) {
	v := newEnv(t, authserver.Options{AccessTTL: 20 * time.Second})
	v.connect(v.engine(), "demo")
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c := v.cmd(ctx, "exec", "-a", "local", "--", self, "one", "two")
	c.Env = append(c.Env, childEnv+"=userinfo "+v.srv.Metadata.UserinfoEndpoint)
	out, err := c.CombinedOutput()
	if err != nil || !strings.Contains(string(out), `userinfo 200 {"sub":"demo"`) {
		t.Fatalf("keyport exec: %v\n%s", err, out)
	}

	// keyport ends with the command's own status.
	c = v.cmd(ctx, "exec", "-a", "local", "--", "sh", "-c", "exit 9")
	if err := c.Run(); c.ProcessState.ExitCode() != 9 {
		t.Errorf("keyport exec of exit 9: %v", err)
	}
}

// --min-valid longer than the server's tokens live: keyport exec refuses
// with the reason before the command starts.
func TestExecMinValidRefused(t *testing.T) {
	v := newEnv(t, authserver.Options{AccessTTL: 20 * time.Second})
	v.connect(v.engine(), "demo")
	marker := filepath.Join(t.TempDir(), "started")
	_, stderr, err := v.run("exec", "-a", "local", "--min-valid", "1m", "--", "touch", marker)
	if err == nil || !regexp.MustCompile(`^keyport exec: touch did not start: the token cannot be made valid for that long: Local demo issues tokens valid for 1\ds, less than the 1m asked for; ask for at most that\n$`).MatchString(stderr) {
		t.Errorf("err %v, stderr %q", err, stderr)
	}
	if _, err := os.Stat(marker); err == nil {
		t.Error("the command ran")
	}
	if out, stderr, err := v.run("exec", "-a", "local", "--min-valid", "15s", "--", "sh", "-c", `test -n "$KEYPORT_TOKEN" && echo ok`); err != nil || out != "ok\n" {
		t.Errorf("--min-valid 15s of 20 s tokens: %v %q %q", err, out, stderr)
	}
}

// Ctrl-C in the terminal reaches the command once: the terminal sends it
// to keyport and the command alike, and keyport does not send it again.
func TestExecCtrlCOnce(t *testing.T) {
	v := newEnv(t, authserver.Options{})
	v.connect(v.engine(), "demo")
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	t.Setenv(childEnv, "sigint")
	term := v.terminal(ctx, "exec", "-a", "local", "--", self)
	term.waitFor(regexp.MustCompile(`ready`))
	if _, err := term.tty.Write([]byte{3}); err != nil { // Ctrl-C
		t.Fatal(err)
	}
	m := term.waitFor(regexp.MustCompile(`SIGINT (\d+)`))
	if m[1] != "1" {
		t.Errorf("the command got SIGINT %s times for one Ctrl-C", m[1])
	}
	if err := term.wait(); err != nil {
		t.Errorf("keyport exec: %v\n%s", err, term.shown())
	}
}

package cli

import (
	"net/url"
	"os"
	"os/exec"
	"runtime"
	"strings"
)

// OpenBrowser opens u in the person's browser: $BROWSER when set (a
// colon-separated list, as the convention has it), else the platform's
// opener (xdg-open on Linux and BSD).
func OpenBrowser(u *url.URL) error {
	if list := os.Getenv("BROWSER"); list != "" {
		var err error
		for _, b := range strings.Split(list, ":") {
			if err = start(b, u.String()); err == nil {
				return nil
			}
		}
		return err
	}
	switch runtime.GOOS {
	case "darwin":
		return start("open", u.String())
	case "windows":
		return start("rundll32", "url.dll,FileProtocolHandler", u.String())
	}
	return start("xdg-open", u.String())
}

// start runs a browser without waiting for it: some stay open for as long
// as the window does.
func start(name string, args ...string) error {
	cmd := exec.Command(name, args...)
	if err := cmd.Start(); err != nil {
		return err
	}
	go cmd.Wait() // reap it whenever it exits
	return nil
}

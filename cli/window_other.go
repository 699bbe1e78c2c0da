//go:build !unix

package cli

import "os/exec"

// execWindow starts the window program and returns: Windows has no exec,
// and a window program needs no console waiting on it.
func execWindow(path string) error {
	return exec.Command(path).Start()
}

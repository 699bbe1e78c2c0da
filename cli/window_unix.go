//go:build unix

package cli

import (
	"os"
	"syscall"
)

// execWindow replaces this process with the window program: same process,
// so whoever started `keyport` (a shell, a launcher) holds the window.
func execWindow(path string) error {
	return syscall.Exec(path, []string{path}, os.Environ())
}

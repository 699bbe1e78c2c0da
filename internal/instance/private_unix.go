//go:build unix

package instance

import (
	"fmt"
	"os"
	"syscall"
)

// maxSocketPath is the longest socket path every Unix takes (sun_path is
// 104 bytes on macOS and the BSDs, 108 on Linux, with the final NUL).
const maxSocketPath = 103

// private makes sure only the user can enter dir: a real directory (not a
// symlink), owned by the user, mode 0700 (tightened if looser).
func private(dir string) error {
	fi, err := os.Lstat(dir)
	if err != nil {
		return fmt.Errorf("check the instance folder %s: %w", dir, err)
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !fi.IsDir() || !ok || int(st.Uid) != os.Getuid() {
		return fmt.Errorf("the instance folder %s is not a folder of your own: remove it and start Keyport again", dir)
	}
	if fi.Mode().Perm() != 0o700 {
		if err := os.Chmod(dir, 0o700); err != nil {
			return fmt.Errorf("make the instance folder %s private: %w", dir, err)
		}
	}
	return nil
}

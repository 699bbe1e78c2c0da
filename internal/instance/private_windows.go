//go:build windows

package instance

// maxSocketPath is the longest AF_UNIX path Windows takes (sun_path is
// 108 bytes with the final NUL).
const maxSocketPath = 107

// private has nothing to do on Windows: the folder is under the user's
// %LocalAppData%, which only the user (and administrators) may open.
func private(string) error { return nil }

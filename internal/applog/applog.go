// Package applog makes Keyport's log/slog loggers: the window's, written to
// a size-rotated file in the user cache directory, and the command line's,
// written to standard error when asked for (-v). Nothing the engine logs is
// a secret (auth's values print as [redacted]); this package adds no
// policy of its own.
package applog

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"

	"gopkg.in/natefinch/lumberjack.v2"
)

// File sizes of the window's log.
const (
	maxMegabytes = 1 // rotate after 1 MB
	maxBackups   = 2 // keep keyport.log.1-style backups of the last two
)

// Dir returns the directory of Keyport's log files: $KEYPORT_LOG_DIR, else
// os.UserCacheDir()/keyport.
func Dir() (string, error) {
	if dir := os.Getenv("KEYPORT_LOG_DIR"); dir != "" {
		return dir, nil
	}
	base, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("find the log directory: %w (set KEYPORT_LOG_DIR)", err)
	}
	return filepath.Join(base, "keyport"), nil
}

// File returns a logger writing text lines to <Dir>/name, rotated at 1 MB
// with two old files kept, and the writer to close when the program ends.
func File(name string) (*slog.Logger, io.Closer, error) {
	dir, err := Dir()
	if err != nil {
		return nil, nil, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, nil, fmt.Errorf("create the log directory: %w", err)
	}
	w := &lumberjack.Logger{Filename: filepath.Join(dir, name), MaxSize: maxMegabytes, MaxBackups: maxBackups}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelInfo})), w, nil
}

// Stderr returns the command line's logger: text lines on w when verbose,
// else a logger that drops everything.
func Stderr(w io.Writer, verbose bool) *slog.Logger {
	if !verbose {
		return slog.New(slog.DiscardHandler)
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

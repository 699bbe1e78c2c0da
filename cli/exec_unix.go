//go:build unix

package cli

import (
	"os"
	"slices"
	"syscall"

	"golang.org/x/sys/unix"
)

// forwarded are the signals exec passes on to its command.
var forwarded = []os.Signal{syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGQUIT, syscall.SIGUSR1, syscall.SIGUSR2, syscall.SIGWINCH}

// keyboard are the signals a terminal sends to its whole foreground process
// group: Ctrl-C, Ctrl-\ and a window resize.
var keyboard = []os.Signal{syscall.SIGINT, syscall.SIGQUIT, syscall.SIGWINCH}

// fromTerminal reports whether sig is a keyboard signal while this process
// group is the terminal's foreground group. The command runs in the same
// group (so it can read the terminal), so the terminal has sent it the
// signal already; passing it on would deliver Ctrl-C twice, which programs
// such as terraform read as "stop now, without cleaning up". The price: a
// SIGINT sent to keyport alone by another program while it runs in the
// foreground does not reach the command.
func fromTerminal(sig os.Signal) bool {
	if !slices.Contains(keyboard, sig) {
		return false
	}
	tty, err := os.Open("/dev/tty")
	if err != nil {
		return false // no controlling terminal
	}
	defer tty.Close()
	fg, err := unix.IoctlGetInt(int(tty.Fd()), unix.TIOCGPGRP)
	return err == nil && fg == syscall.Getpgrp()
}

// exitStatus is the command's exit code, or 128 plus the signal that
// killed it.
func exitStatus(ps *os.ProcessState) int {
	if ws, ok := ps.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return 128 + int(ws.Signal())
	}
	return ps.ExitCode()
}

//go:build !unix

package cli

import "os"

// forwarded is empty: on Windows Ctrl-C and Ctrl-Break reach every process
// of the console, the command's included, and there are no other signals
// to pass on (os.Process.Signal cannot send os.Interrupt there).
var forwarded []os.Signal

// fromTerminal is never asked: nothing is forwarded.
func fromTerminal(os.Signal) bool { return false }

// exitStatus is the command's exit code.
func exitStatus(ps *os.ProcessState) int { return ps.ExitCode() }

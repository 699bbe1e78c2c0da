//go:build benchprof

package main

import "github.com/keyport/keyport/bench/prof"

// Built with -tags benchprof for the profiles of bench/FINDINGS.md
// (keyport proxy's, say).
func init() { prof.FromEnv() }

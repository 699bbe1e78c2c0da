//go:build benchprof

package main

import "github.com/keyport/keyport/bench/prof"

// Built with -tags benchprof for bench/FINDINGS.md's profiles.
func init() { prof.FromEnv() }

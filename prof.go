//go:build benchprof

package main

import "github.com/keyport/keyport/bench/prof"

// Built with -tags benchprof for the profiles of bench/FINDINGS.md and
// default.pgo.
func init() { prof.FromEnv() }

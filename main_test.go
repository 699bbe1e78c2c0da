package main

import (
	"os/exec"
	"strings"
	"testing"
)

// keyport must start fast for scripts (`keyport token` in a loop): no
// package it links may be Fyne's, whose initialisers run before main. The
// window is cmd/keyport-window; auth never imports Fyne either.
func TestLinksNoFyne(t *testing.T) {
	for _, pkg := range []string{".", "./auth/...", "./cli/..."} {
		out, err := exec.Command("go", "list", "-deps", "-f", "{{.ImportPath}}", pkg).CombinedOutput()
		if err != nil {
			t.Fatalf("go list -deps %s: %v\n%s", pkg, err, out)
		}
		var fyne []string
		for _, p := range strings.Fields(string(out)) {
			if strings.HasPrefix(p, "fyne.io/") {
				fyne = append(fyne, p)
			}
		}
		if len(fyne) > 0 {
			t.Errorf("%s links Fyne packages %v; the window's code belongs in ui and cmd/keyport-window", pkg, fyne)
		}
		if !strings.Contains(string(out), "github.com/keyport/keyport/auth") {
			t.Errorf("go list -deps %s does not list auth; the check looks at the wrong thing:\n%s", pkg, out)
		}
	}
}

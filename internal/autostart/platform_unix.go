//go:build !windows && !darwin

package autostart

func newPlatform(e Entry) (Manager, error) { return xdgManager(e) }

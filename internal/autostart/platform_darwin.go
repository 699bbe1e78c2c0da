//go:build darwin

package autostart

func newPlatform(e Entry) (Manager, error) { return launchAgentManager(e) }

//go:build windows

package autostart

import (
	"errors"
	"fmt"

	"golang.org/x/sys/windows/registry"
)

func newPlatform(e Entry) (Manager, error) {
	return runKeyManager{name: e.ID, command: runCommand(e)}, nil
}

// runKeyManager is a string value under HKEY_CURRENT_USER's Run key.
type runKeyManager struct {
	name    string // the value's name
	command string // its data: the command line
}

func (m runKeyManager) Enabled() (bool, error) {
	k, err := registry.OpenKey(registry.CURRENT_USER, runKey, registry.QUERY_VALUE)
	if errors.Is(err, registry.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("open the registry key HKCU\\%s: %w", runKey, err)
	}
	defer k.Close()
	_, _, err = k.GetStringValue(m.name)
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, registry.ErrNotExist):
		return false, nil
	}
	return false, fmt.Errorf("read the registry value %s of HKCU\\%s: %w", m.name, runKey, err)
}

func (m runKeyManager) SetEnabled(on bool) error {
	k, _, err := registry.CreateKey(registry.CURRENT_USER, runKey, registry.SET_VALUE)
	if err != nil {
		return fmt.Errorf("open the registry key HKCU\\%s: %w", runKey, err)
	}
	defer k.Close()
	if on {
		err = k.SetStringValue(m.name, m.command)
	} else if err = k.DeleteValue(m.name); errors.Is(err, registry.ErrNotExist) {
		err = nil
	}
	if err != nil {
		return fmt.Errorf("change the registry value %s of HKCU\\%s: %w", m.name, runKey, err)
	}
	return nil
}

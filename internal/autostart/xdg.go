package autostart

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// xdgManager is the entry of the XDG Autostart specification:
// $XDG_CONFIG_HOME/autostart/ID.desktop (~/.config/autostart by default),
// which GNOME, KDE, Xfce and the others start at login.
func xdgManager(e Entry) (Manager, error) {
	dir, err := xdgConfigHome()
	if err != nil {
		return nil, err
	}
	return fileManager{path: filepath.Join(dir, "autostart", e.ID+".desktop"), content: desktopEntry(e)}, nil
}

// xdgConfigHome is $XDG_CONFIG_HOME, or ~/.config when it is unset or not
// absolute, as the XDG Base Directory specification says.
func xdgConfigHome() (string, error) {
	if dir := os.Getenv("XDG_CONFIG_HOME"); filepath.IsAbs(dir) {
		return dir, nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("find the autostart folder: %w (set HOME or XDG_CONFIG_HOME)", err)
	}
	return filepath.Join(home, ".config"), nil
}

// desktopEntry is the autostart entry for e, valid per the Desktop Entry
// specification (version 1.0 keys only, which desktop-file-validate of Debian 12 knows).
func desktopEntry(e Entry) []byte {
	var b strings.Builder
	line := func(k, v string) { b.WriteString(k + "=" + v + "\n") }
	b.WriteString("[Desktop Entry]\n")
	line("Type", "Application")
	line("Version", "1.0")
	line("Name", escapeString(e.Name))
	if e.Comment != "" {
		line("Comment", escapeString(e.Comment))
	}
	line("Exec", desktopExec(append([]string{e.Exec}, e.Args...)))
	line("Terminal", "false")
	line("NoDisplay", "true") // a login entry, not a second menu item
	line("X-GNOME-Autostart-enabled", "true")
	return []byte(b.String())
}

// desktopExec is the Exec value for args: each argument quoted when it
// holds a reserved character, with ", `, $ and \ escaped inside the quotes
// and % doubled (field codes), then the string escapes applied to the whole
// value: the specification's two levels, so a backslash becomes four.
func desktopExec(args []string) string {
	quoted := make([]string, len(args))
	for i, a := range args {
		a = strings.ReplaceAll(a, "%", "%%")
		if a == "" || strings.ContainsAny(a, " \t\"'\\><~|&;$*?#()`") {
			var q strings.Builder
			q.WriteByte('"')
			for _, r := range a {
				if strings.ContainsRune("\"`$\\", r) {
					q.WriteByte('\\')
				}
				q.WriteRune(r)
			}
			q.WriteByte('"')
			a = q.String()
		}
		quoted[i] = a
	}
	return escapeString(strings.Join(quoted, " "))
}

// escapeString applies the escapes of a desktop entry's string values.
// Control characters never reach here (Entry.check), so only the
// backslash needs one.
func escapeString(s string) string { return strings.ReplaceAll(s, `\`, `\\`) }

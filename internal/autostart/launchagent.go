package autostart

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"os"
	"path/filepath"
)

// launchAgentManager is a LaunchAgent in ~/Library/LaunchAgents, which
// launchd loads at the person's next login and runs once (RunAtLoad).
func launchAgentManager(e Entry) (Manager, error) {
	home, err := os.UserHomeDir()
	if err != nil {
		return nil, fmt.Errorf("find the LaunchAgents folder: %w (set HOME)", err)
	}
	return fileManager{path: filepath.Join(home, "Library", "LaunchAgents", e.ID+".plist"), content: launchAgent(e)}, nil
}

// launchAgent is the property list of e's LaunchAgent: its label, the
// program and arguments (no shell in between), run at load, as an
// interactive process.
func launchAgent(e Entry) []byte {
	var b bytes.Buffer
	str := func(s string) {
		b.WriteString("<string>")
		xml.EscapeText(&b, []byte(s)) // writes to a bytes.Buffer: no error
		b.WriteString("</string>")
	}
	b.WriteString(xml.Header)
	b.WriteString(`<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">` + "\n")
	b.WriteString("<plist version=\"1.0\">\n<dict>\n")
	b.WriteString("\t<key>Label</key>\n\t")
	str(e.ID)
	b.WriteString("\n\t<key>ProgramArguments</key>\n\t<array>\n")
	for _, a := range append([]string{e.Exec}, e.Args...) {
		b.WriteString("\t\t")
		str(a)
		b.WriteString("\n")
	}
	b.WriteString("\t</array>\n")
	b.WriteString("\t<key>RunAtLoad</key>\n\t<true/>\n")
	b.WriteString("\t<key>ProcessType</key>\n\t<string>Interactive</string>\n")
	b.WriteString("</dict>\n</plist>\n")
	return b.Bytes()
}

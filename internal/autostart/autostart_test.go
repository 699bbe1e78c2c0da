package autostart

import (
	"encoding/xml"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

var plain = Entry{ID: "io.keyport.app", Name: "Keyport", Comment: "Keeps your accounts' tokens fresh",
	Exec: "/usr/local/bin/keyport-window", Args: []string{"--hidden"}}

func TestEntryCheck(t *testing.T) {
	tests := []struct {
		name   string
		change func(*Entry)
		want   string // "" when the entry is fine
	}{
		{"plain", func(*Entry) {}, ""},
		{"relative program", func(e *Entry) { e.Exec = "keyport-window" }, "not an absolute path"},
		{"line break in an argument", func(e *Entry) { e.Args = []string{"--hidden\nX-Evil=1"} }, "control character"},
		{"line break in the name", func(e *Entry) { e.Name = "Keyport\nExec=/bin/sh" }, "control character"},
		{"id with a slash", func(e *Entry) { e.ID = "../io.keyport.app" }, "not a plain name"},
		{"empty id", func(e *Entry) { e.ID = "" }, "not a plain name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := plain
			e.Args = slices.Clone(plain.Args)
			tt.change(&e)
			err := e.check()
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("check: %v, want none", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Fatalf("check: %v, want one saying %q", err, tt.want)
			}
		})
	}
}

func TestDesktopEntry(t *testing.T) {
	want := "[Desktop Entry]\n" +
		"Type=Application\n" +
		"Version=1.0\n" +
		"Name=Keyport\n" +
		"Comment=Keeps your accounts' tokens fresh\n" +
		"Exec=/usr/local/bin/keyport-window --hidden\n" +
		"Terminal=false\n" +
		"NoDisplay=true\n" +
		"X-GNOME-Autostart-enabled=true\n"
	if got := string(desktopEntry(plain)); got != want {
		t.Errorf("desktop entry:\n%s\nwant:\n%s", got, want)
	}
}

func TestDesktopExec(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"/opt/keyport/keyport-window", "--hidden"}, `/opt/keyport/keyport-window --hidden`},
		{[]string{"/home/ann/My Apps/keyport-window"}, `"/home/ann/My Apps/keyport-window"`},
		{[]string{"/home/ann/$HOME/k"}, `"/home/ann/\\$HOME/k"`},
		{[]string{`/home/ann/back\slash/k`}, `"/home/ann/back\\\\slash/k"`},
		{[]string{`/home/ann/"q"/k`}, `"/home/ann/\\"q\\"/k"`},
		{[]string{"/home/ann/100%/k"}, `/home/ann/100%%/k`},
		{[]string{"/k", ""}, `/k ""`},
	}
	for _, tt := range tests {
		if got := desktopExec(tt.args); got != tt.want {
			t.Errorf("desktopExec(%q) = %s, want %s", tt.args, got, tt.want)
		}
	}
}

func TestLaunchAgent(t *testing.T) {
	want := `<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0">
<dict>
	<key>Label</key>
	<string>io.keyport.app</string>
	<key>ProgramArguments</key>
	<array>
		<string>/usr/local/bin/keyport-window</string>
		<string>--hidden</string>
	</array>
	<key>RunAtLoad</key>
	<true/>
	<key>ProcessType</key>
	<string>Interactive</string>
</dict>
</plist>
`
	if got := string(launchAgent(plain)); got != want {
		t.Errorf("LaunchAgent:\n%s\nwant:\n%s", got, want)
	}
}

// Whatever the path holds, the property list is well-formed XML whose
// ProgramArguments read back as the program and arguments given.
func TestLaunchAgentArguments(t *testing.T) {
	e := plain
	e.Exec = "/Applications/Keyport & <Co>.app/Contents/MacOS/keyport-window"
	e.Args = []string{"--hidden", `"quoted" 'and' ]]>`}
	dec := xml.NewDecoder(strings.NewReader(string(launchAgent(e))))
	dec.Strict = true
	var args []string
	var inArray, inString bool
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("the property list is not well-formed XML: %v", err)
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			inArray = inArray || tok.Name.Local == "array"
			inString = tok.Name.Local == "string"
		case xml.EndElement:
			inArray = inArray && tok.Name.Local != "array"
			inString = false
		case xml.CharData:
			if inArray && inString {
				args = append(args, string(tok))
			}
		}
	}
	if want := append([]string{e.Exec}, e.Args...); !slices.Equal(args, want) {
		t.Errorf("ProgramArguments read back as %q, want %q", args, want)
	}
}

func TestRunCommand(t *testing.T) {
	tests := []struct {
		exec string
		args []string
		want string
	}{
		{`C:\Users\ann\AppData\Local\Keyport\keyport-window.exe`, []string{"--hidden"},
			`C:\Users\ann\AppData\Local\Keyport\keyport-window.exe --hidden`},
		{`C:\Program Files\Keyport\keyport-window.exe`, []string{"--hidden"},
			`"C:\Program Files\Keyport\keyport-window.exe" --hidden`},
		{`C:\Program Files\Keyport\keyport-window.exe`, []string{`a "b"`, `trailing\ `, ""},
			`"C:\Program Files\Keyport\keyport-window.exe" "a \"b\"" "trailing\ " ""`},
		{`C:\k.exe`, []string{`dir with space\`}, `C:\k.exe "dir with space\\"`},
	}
	for _, tt := range tests {
		e := plain
		e.Exec, e.Args = tt.exec, tt.args
		if got := runCommand(e); got != tt.want {
			t.Errorf("runCommand(%q %q) = %s, want %s", tt.exec, tt.args, got, tt.want)
		}
	}
	if runKey != `Software\Microsoft\Windows\CurrentVersion\Run` {
		t.Errorf("runKey = %s: not the per-user Run key", runKey)
	}
}

// The macOS entry, written through the same file code on this machine:
// ~/Library/LaunchAgents/ID.plist holds launchAgent's text, and turning it
// off removes it.
func TestLaunchAgentFile(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HOME", home)
	m, err := launchAgentManager(plain)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.SetEnabled(true); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(home, "Library", "LaunchAgents", "io.keyport.app.plist")
	if got, err := os.ReadFile(path); err != nil || string(got) != string(launchAgent(plain)) {
		t.Fatalf("LaunchAgent file: %v\n%s", err, got)
	}
	if on, err := m.Enabled(); !on || err != nil {
		t.Errorf("Enabled = %v, %v; want true", on, err)
	}
	if err := m.SetEnabled(false); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("the LaunchAgent is still there: %v", err)
	}
}

package boundary

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestText(t *testing.T) {
	tests := []struct {
		in   string
		max  int
		want string
	}{
		{"Ada Lovelace", 0, "Ada Lovelace"},
		{"  Ada   Lovelace \n", 0, "Ada Lovelace"},
		{"Ada\x1b[2J\x1b]0;pwned\x07 Lovelace", 0, "Ada[2J]0;pwned Lovelace"},
		{"line one\nline two\r\nthree\tfour", 0, "line one line two three four"},
		{"a\x00b\x7fc\u0085d\u009be", 0, "abcde"},
		{"admin\u202e\u2066txt.exe\u2069\u202c", 0, "admintxt.exe"},
		{"\u200eleft\u200fright\u061c", 0, "leftright"},
		{"bad \xff\xfe utf8", 0, "bad \ufffd\ufffd utf8"},
		{"para\u2028graph\u2029end", 0, "para graph end"},
		{"ünïcödé 日本語 😀", 0, "ünïcödé 日本語 😀"},
		{"abcdef", 3, "abc…"},
		{"abc", 3, "abc"},
		{"ab cd", 3, "ab…"},
		{"日本語テキスト", 2, "日本…"},
		{"", 5, ""},
		{"\x1b\x1b", 5, ""},
	}
	for _, tt := range tests {
		if got := Text(tt.in, tt.max); got != tt.want {
			t.Errorf("Text(%q, %d) = %q, want %q", tt.in, tt.max, got, tt.want)
		}
	}
}

func TestIsClean(t *testing.T) {
	for s, want := range map[string]bool{"42": true, "user-1": true, "a\nb": false, "x\u202ey": false, "\xff": false, " x": false} {
		if got := IsClean(s, 200); got != want {
			t.Errorf("IsClean(%q) = %v, want %v", s, got, want)
		}
	}
	if IsClean(strings.Repeat("x", 201), 200) {
		t.Error("a 201-rune id is clean at 200")
	}
}

// FuzzText checks Text's promises for any input: valid UTF-8, no control or
// bidirectional formatting character, no leading or trailing space, at most
// max runes plus the ellipsis, and Text of its own output changes nothing.
func FuzzText(f *testing.F) {
	for _, s := range []string{"Ada", "\x1b[31mred\x1b[0m", "a\u202eb", "\xff\xfe", " a  b ", "日本語", "x\u2029y"} {
		f.Add(s, 0)
		f.Add(s, 3)
	}
	f.Fuzz(func(t *testing.T, s string, max int) {
		max %= 300
		out := Text(s, max)
		if !utf8.ValidString(out) {
			t.Fatalf("invalid UTF-8: %q", out)
		}
		for _, r := range out {
			if unsafeRune(r) {
				t.Fatalf("kept %U in %q", r, out)
			}
		}
		if strings.HasPrefix(out, " ") || strings.HasSuffix(out, " ") || strings.Contains(out, "  ") {
			t.Fatalf("spaces not collapsed: %q", out)
		}
		if max > 0 {
			body, cut := strings.CutSuffix(out, "…")
			if n := utf8.RuneCountInString(body); n > max || (cut && n > max) {
				t.Fatalf("%d runes, max %d: %q", n, max, out)
			}
		}
		if again := Text(out, 0); again != out {
			t.Fatalf("not idempotent: %q -> %q", out, again)
		}
	})
}

func TestJSON(t *testing.T) {
	raw := []byte("{\"name\":\"Ada\u202eevil\u009b2J\x7f\",\"bad\":\"\xff\",\"n\":1}")
	got := JSON(raw)
	want := "{\n  \"name\": \"Ada\\u202eevil\\u009b2J\\u007f\",\n  \"bad\": \"\\ufffd\",\n  \"n\": 1\n}"
	if got != want {
		t.Errorf("JSON = %q\nwant   %q", got, want)
	}
	var back map[string]any
	if err := json.Unmarshal([]byte(got), &back); err != nil || back["name"] != "Ada\u202eevil\u009b2J\x7f" {
		t.Errorf("the escaped text does not mean the same: %v %q", err, back["name"])
	}
	if got := JSON([]byte("not json \x1b[2J")); got != "not json [2J" {
		t.Errorf("JSON(not json) = %q", got)
	}
}

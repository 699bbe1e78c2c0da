package boundary

import (
	"net/url"
	"strings"
	"testing"
)

func TestCheckURL(t *testing.T) {
	tests := []struct {
		raw        string
		loopbackOK bool
		want       string // "" means accepted; else a word of the error
	}{
		{"https://api.example.com/token", false, ""},
		{"https://api.example.com:8443/token?x=1", false, ""},
		{"http://127.0.0.1:9460/token", true, ""},
		{"http://127.8.9.1/token", true, ""},
		{"http://[::1]:80/token", true, ""},
		{"http://localhost:1/token", true, ""},
		{"https://localhost/token", true, ""},
		{"http://127.0.0.1:9460/token", false, "points at this computer"},
		{"https://127.0.0.1/token", false, "points at this computer"},
		{"https://[::1]/token", false, "points at this computer"},
		{"http://api.example.com/token", true, "must use https"},
		{"http://127.0.0.1.evil.example/token", true, "must use https"},
		{"file:///etc/passwd", true, "uses file:"},
		{"javascript:alert(1)", true, "not an absolute URL"},
		{"smb://server/share", true, "uses smb:"},
		{"ftp://example.com/x", true, "uses ftp:"},
		{"/relative/path", true, "not an absolute URL"},
		{"//example.com/x", true, "not an absolute URL"},
		{"", true, "is empty"},
		{"https://", true, "has no host"},
		{"https://user:pw@example.com/x", true, "user name or password"},
		{"https://example.com/x#frag", true, "fragment"},
		{"https://example.com/x#", true, "fragment"},
		{"https://exa mple.com/", true, "not an absolute URL"},
		{"https://example.com/" + strings.Repeat("a", 5000), true, "longer than"},
		{"HTTPS://example.com/x", false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.raw, func(t *testing.T) {
			_, err := CheckURL(tt.raw, tt.loopbackOK)
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("refused: %v", err)
			case tt.want != "" && err == nil:
				t.Errorf("accepted, want an error saying %q", tt.want)
			case tt.want != "" && !strings.Contains(err.Error(), tt.want):
				t.Errorf("error %q does not say %q", err, tt.want)
			}
		})
	}
}

func TestCheckLinkAllowsFragment(t *testing.T) {
	if _, err := CheckLink("https://app.example.com/settings#apps"); err != nil {
		t.Errorf("a documentation link with a fragment: %v", err)
	}
	if _, err := CheckLink("http://127.0.0.1:9460/auth?x=1"); err != nil {
		t.Errorf("a sign-in link on this computer: %v", err)
	}
	if _, err := CheckLink("file:///etc/passwd#x"); err == nil {
		t.Error("a file: link was accepted")
	}
}

func TestIsLoopback(t *testing.T) {
	for host, want := range map[string]bool{
		"127.0.0.1": true, "127.1.2.3": true, "::1": true, "[::1]": true, "localhost": true, "LOCALHOST": true,
		"localhost.": true, "10.0.0.1": false, "example.com": false, "localhost.example.com": false, "": false, "0.0.0.0": false,
	} {
		if got := IsLoopback(host); got != want {
			t.Errorf("IsLoopback(%q) = %v, want %v", host, got, want)
		}
	}
}

func TestWhereDropsQuery(t *testing.T) {
	u, _ := url.Parse("https://evil.example:8443/token?code=secret-code&x=1#frag")
	if got := Where(u); got != "https://evil.example:8443/token" {
		t.Errorf("Where = %q", got)
	}
	u = &url.URL{Scheme: "https", Host: "evil.example", Path: "/\x1b[31mred\u202e"}
	if got := Where(u); strings.ContainsAny(got, "\x1b\u202e") {
		t.Errorf("Where kept an escape: %q", got)
	}
}

func TestOrigin(t *testing.T) {
	same := [][2]string{{"https://a.example/x", "https://A.example:443/y"}, {"http://127.0.0.1:80/", "http://127.0.0.1/z"}}
	for _, p := range same {
		a, _ := url.Parse(p[0])
		b, _ := url.Parse(p[1])
		if Origin(a) != Origin(b) {
			t.Errorf("%s and %s: different origins %s, %s", p[0], p[1], Origin(a), Origin(b))
		}
	}
	other := [][2]string{{"https://a.example/", "http://a.example/"}, {"https://a.example/", "https://b.example/"}, {"https://a.example/", "https://a.example:8443/"}}
	for _, p := range other {
		a, _ := url.Parse(p[0])
		b, _ := url.Parse(p[1])
		if Origin(a) == Origin(b) {
			t.Errorf("%s and %s: same origin %s", p[0], p[1], Origin(a))
		}
	}
}

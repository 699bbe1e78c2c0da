package boundary

import (
	"errors"
	"net/url"
	"testing"
)

func TestGuardOpen(t *testing.T) {
	var opened []string
	open := GuardOpen(func(u *url.URL) error { opened = append(opened, u.String()); return nil })
	refused := []string{"file:///etc/passwd?client_id=x", "javascript:alert(document.cookie)", "smb://attacker/share",
		"/callback/local?code=1", "", "ssh://host", "data:text/html,<script>", "http://example.com/not-https", "-oProxyCommand=x"}
	for _, raw := range refused {
		u, _ := url.Parse(raw)
		if raw == "" {
			u = &url.URL{}
		}
		if err := open(u); !errors.Is(err, ErrNotWebLink) {
			t.Errorf("%q: err = %v, want ErrNotWebLink", raw, err)
		}
	}
	if err := open(nil); !errors.Is(err, ErrNotWebLink) {
		t.Errorf("nil URL: err = %v", err)
	}
	if len(opened) != 0 {
		t.Fatalf("the browser was asked to open %q", opened)
	}
	for _, raw := range []string{"https://accounts.example.com/authorize?state=x", "http://127.0.0.1:9460/auth?x=1", "https://example.com/docs#section"} {
		u, _ := url.Parse(raw)
		if err := open(u); err != nil {
			t.Errorf("%q refused: %v", raw, err)
		}
	}
	if len(opened) != 3 {
		t.Errorf("opened %q", opened)
	}
	if GuardOpen(nil) != nil {
		t.Error("GuardOpen(nil) is not nil")
	}
}

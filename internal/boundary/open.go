package boundary

import (
	"errors"
	"fmt"
	"net/url"
)

// ErrNotWebLink reports a link GuardOpen refused to hand to the browser.
var ErrNotWebLink = errors.New("only https links (and plain http on this computer) are opened in the browser")

// GuardOpen returns open behind the one check every link passes before it
// reaches the system browser: CheckLink (https, or http on this computer). Anything else (file:, javascript:,
// smb:, a relative or empty URL, a link with a password) is refused with an
// error wrapping ErrNotWebLink and open is not called: a browser or
// xdg-open would hand such a URL to whatever program claims its scheme. A
// nil open returns nil.
func GuardOpen(open func(*url.URL) error) func(*url.URL) error {
	if open == nil {
		return nil
	}
	return func(u *url.URL) error {
		if u == nil {
			return fmt.Errorf("%w: the link is empty", ErrNotWebLink)
		}
		checked, err := CheckLink(u.String())
		if err != nil {
			return fmt.Errorf("%w: the link %v", ErrNotWebLink, err)
		}
		return open(checked)
	}
}

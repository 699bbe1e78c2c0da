// Package assets holds the files Keyport embeds: the built-in provider
// catalogue, icons, and the page the browser shows after signing in.
package assets

import (
	"embed"
	_ "embed" // for the single-file embeds below
)

// Providers is the built-in provider catalogue (see README, "Providers").
//
//go:embed providers.json
var Providers []byte

// CallbackPage is the html/template the loopback server answers the
// browser with; it takes .OK, .Title and .Message.
//
//go:embed callback.html
var CallbackPage string

// Icons holds the app icon and provider icons, by file name under icons/.
//
//go:embed icons
var Icons embed.FS

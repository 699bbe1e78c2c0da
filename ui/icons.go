package ui

import (
	"bytes"
	"image"
	_ "image/png" // the embedded icons
	"path"
	"sync"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"

	"github.com/keyport/keyport/assets"
	"github.com/keyport/keyport/auth"
)

// appIcon is Keyport's own icon, for the window, the tray and dialogs.
var appIcon = embeddedIcon("keyport-64.png") // small: the 512 px one is for fyne package, and decoding it at every start showed in the start-up profile

// embeddedIcon returns an icon from assets.Icons as a static resource, or
// Fyne's generic file icon if the file is missing (a catalogue typo must not
// stop the window from opening).
func embeddedIcon(name string) fyne.Resource {
	data, err := assets.Icons.ReadFile(path.Join("icons", name))
	if err != nil {
		return theme.FileIcon()
	}
	res := fyne.NewStaticResource(name, data)
	if img, _, err := image.Decode(bytes.NewReader(data)); err == nil {
		pictures.Store(res, img)
	}
	return res
}

// pictures holds the embedded icons decoded, once each. A canvas.Image given
// a Resource decodes it itself, so every visible account row decoded its
// provider's icon again (docs/BENCHMARKS.md); canvasImage shows these
// decoded images instead.
var pictures sync.Map // fyne.Resource -> image.Image

// iconCache hands out provider icons, loading each file once. It is used
// on the UI goroutine only.
type iconCache map[string]fyne.Resource

// provider returns the provider's icon: the file the catalogue names, or
// the provider's letter tile.
func (c iconCache) provider(p auth.Provider) fyne.Resource {
	key := p.Icon
	if key == "" {
		key = "tile:" + p.ID
	}
	if res, ok := c[key]; ok {
		return res
	}
	var res fyne.Resource
	if p.Icon != "" {
		res = embeddedIcon(p.Icon)
	} else {
		res = letterTile(p.ID, p.Name)
	}
	c[key] = res
	return res
}

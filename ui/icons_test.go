package ui

import (
	"testing"

	"fyne.io/fyne/v2"

	"github.com/keyport/keyport/auth"
)

// TestProviderIconsDecodedOnce: rows showing the same provider icon share one
// decoded image instead of each decoding the PNG; any other picture (a
// downloaded avatar) is shown from its resource.
func TestProviderIconsDecodedOnce(t *testing.T) {
	icons := iconCache{}
	res := icons.provider(auth.Provider{ID: "patreon", Icon: "patreon.png"})
	a, b := newCanvasImage(40), newCanvasImage(40)
	a.set(res)
	b.set(icons.provider(auth.Provider{ID: "patreon", Icon: "patreon.png"}))
	if a.img.Resource != nil || a.img.Image == nil || a.img.Image != b.img.Image {
		t.Errorf("rows do not share the decoded icon: %v/%p and %v/%p", a.img.Resource, a.img.Image, b.img.Resource, b.img.Image)
	}
	if got := a.img.Image.Bounds().Dx(); got != 128 {
		t.Errorf("decoded icon is %d px wide, want 128", got)
	}
	other := fyne.NewStaticResource("avatar.png", []byte("downloaded"))
	a.set(other)
	if a.img.Resource != other || a.img.Image != nil {
		t.Errorf("a downloaded picture is not shown from its resource: %v, %v", a.img.Resource, a.img.Image)
	}
}

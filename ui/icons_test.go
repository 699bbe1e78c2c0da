package ui

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"math"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

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

// relativeLuminance is WCAG 2.x's relative luminance of c.
func relativeLuminance(c color.Color) float64 {
	r, g, b, _ := c.RGBA()
	lin := func(v uint32) float64 {
		s := float64(v) / 0xffff
		if s <= 0.04045 {
			return s / 12.92
		}
		return math.Pow((s+0.055)/1.055, 2.4)
	}
	return 0.2126*lin(r) + 0.7152*lin(g) + 0.0722*lin(b)
}

// contrast is WCAG 2.x's contrast ratio of two colours.
func contrast(a, b color.Color) float64 {
	la, lb := relativeLuminance(a), relativeLuminance(b)
	return (max(la, lb) + 0.05) / (min(la, lb) + 0.05)
}

func TestTileColoursContrast(t *testing.T) {
	for _, c := range tileColours {
		if r := contrast(c, color.White); r < 4.5 {
			t.Errorf("tile colour %v has contrast %.2f with white, want at least 4.5", c, r)
		}
	}
}

// TestLetterTile checks a provider without an icon file gets a tile of its
// initial, the same each time, kept decoded.
func TestLetterTile(t *testing.T) {
	test.NewTempApp(t)
	icons := iconCache{}
	p := auth.Provider{ID: "zoom", Name: "zoom"}
	res := icons.provider(p)
	if icons.provider(p) != res {
		t.Error("the tile is made again for each row")
	}
	img, ok := pictures.Load(res)
	if !ok {
		t.Fatal("the tile is not kept decoded")
	}
	m := img.(image.Image)
	if m.Bounds().Dx() != tileSide {
		t.Errorf("tile is %d px", m.Bounds().Dx())
	}
	white := 0
	for y := range tileSide {
		for x := range tileSide {
			if r, g, b, _ := m.At(x, y).RGBA(); r > 0xf000 && g > 0xf000 && b > 0xf000 {
				white++
			}
		}
	}
	if white < 300 {
		t.Errorf("%d white pixels: the letter was not drawn", white)
	}
	if _, a, _, _ := m.At(0, 0).RGBA(); a != 0 {
		t.Error("the corner is not rounded off")
	}
	if tr, ok := res.(*tileResource); !ok || tr.png != nil {
		t.Error("the tile's PNG was encoded before anything asked for it (a cost at every start)")
	}
	if cfg, err := png.DecodeConfig(bytes.NewReader(res.Content())); err != nil || cfg.Width != tileSide {
		t.Errorf("the tile's content is not its %d px PNG: %v %v", tileSide, cfg, err)
	}
	if other := letterTile("zoom", "Zoom"); !bytes.Equal(other.Content(), res.Content()) {
		t.Error("the same provider got another tile")
	}
}

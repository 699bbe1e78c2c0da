package ui

import (
	"bytes"
	"hash/fnv"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"
	"golang.org/x/image/font"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/math/fixed"
)

// tileSide is the side of a letter tile in pixels: twice the largest size
// shown (64).
const tileSide = 128

// tileColours are the tiles' backgrounds, each dark enough for white text
// (contrast at least 4.5:1, TestTileColoursContrast).
var tileColours = []color.RGBA{
	{0x1d, 0x4e, 0xd8, 0xff}, // blue
	{0xb9, 0x1c, 0x1c, 0xff}, // red
	{0x15, 0x80, 0x3d, 0xff}, // green
	{0x7e, 0x22, 0xce, 0xff}, // purple
	{0xbe, 0x18, 0x5d, 0xff}, // pink
	{0x0f, 0x76, 0x6e, 0xff}, // teal
	{0x9a, 0x34, 0x12, 0xff}, // brown
	{0x43, 0x38, 0xca, 0xff}, // indigo
	{0x37, 0x41, 0x51, 0xff}, // slate
}

// tileFace is the bold face letters are drawn in, parsed once.
var tileFace = sync.OnceValues(func() (font.Face, error) {
	f, err := opentype.Parse(theme.DefaultTextBoldFont().Content())
	if err != nil {
		return nil, err
	}
	return opentype.NewFace(f, &opentype.FaceOptions{Size: 72, DPI: 72, Hinting: font.HintingFull})
})

// letterTile draws a provider's tile: its name's first letter in white on
// a colour chosen from its id, so a provider always looks the same and no
// logo (someone's trademark) is needed. The image is kept decoded in
// pictures for the rows to share.
func letterTile(id, name string) fyne.Resource {
	h := fnv.New32a()
	h.Write([]byte(id))
	bg := tileColours[h.Sum32()%uint32(len(tileColours))]
	img := image.NewRGBA(image.Rect(0, 0, tileSide, tileSide))
	drawRounded(img, bg, tileSide/5)
	letter := "?"
	if r, _ := utf8.DecodeRuneInString(strings.TrimSpace(name)); r != utf8.RuneError {
		letter = string(unicode.ToUpper(r))
	}
	if face, err := tileFace(); err == nil {
		d := &font.Drawer{Dst: img, Src: image.White, Face: face}
		b, _ := d.BoundString(letter)
		w, top, bottom := (b.Max.X - b.Min.X).Ceil(), b.Min.Y.Ceil(), b.Max.Y.Ceil()
		d.Dot = fixed.P((tileSide-w)/2-b.Min.X.Floor(), (tileSide-(bottom-top))/2-top)
		d.DrawString(letter)
	}
	res := &tileResource{name: "tile-" + id + ".png", img: img}
	pictures.Store(fyne.Resource(res), image.Image(img))
	return res
}

// tileResource is a letter tile as a fyne.Resource. Rows show the image
// itself (pictures); the PNG is encoded only if something asks for the
// bytes, since encoding every visible row's tile took about a third of
// what Keyport's start costs beyond a bare window (bench/FINDINGS.md).
type tileResource struct {
	name string
	img  image.Image
	once sync.Once
	png  []byte
}

func (t *tileResource) Name() string { return t.name }

func (t *tileResource) Content() []byte {
	t.once.Do(func() {
		var buf bytes.Buffer
		_ = png.Encode(&buf, t.img)
		t.png = buf.Bytes()
	})
	return t.png
}

// drawRounded fills img with c, leaving its corners (radius r) clear.
func drawRounded(img *image.RGBA, c color.RGBA, r int) {
	draw.Draw(img, img.Bounds(), &image.Uniform{c}, image.Point{}, draw.Src)
	n := img.Bounds().Dx()
	for y := 0; y < r; y++ {
		for x := 0; x < r; x++ {
			dx, dy := r-x, r-y
			if dx*dx+dy*dy > r*r {
				for _, p := range [][2]int{{x, y}, {n - 1 - x, y}, {x, n - 1 - y}, {n - 1 - x, n - 1 - y}} {
					img.SetRGBA(p[0], p[1], color.RGBA{})
				}
			}
		}
	}
}

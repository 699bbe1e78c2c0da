package ui

import (
	"bytes"
	"context"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/color"
	"image/png"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"fyne.io/fyne/v2"

	"github.com/keyport/keyport/internal/boundary"
)

// bombPNG is a valid PNG header that declares w×h pixels, followed by a
// tiny image data chunk: a few hundred bytes that a decoder would turn into
// w*h*4 bytes.
func bombPNG(w, h uint32) []byte {
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	chunk := func(typ string, data []byte) {
		binary.Write(&b, binary.BigEndian, uint32(len(data)))
		td := append([]byte(typ), data...)
		b.Write(td)
		binary.Write(&b, binary.BigEndian, crc32.ChecksumIEEE(td))
	}
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], w)
	binary.BigEndian.PutUint32(ihdr[4:], h)
	ihdr[8], ihdr[9] = 8, 6 // 8-bit RGBA
	chunk("IHDR", ihdr)
	chunk("IDAT", []byte{0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01})
	chunk("IEND", nil)
	return b.Bytes()
}

func solidPNG(t *testing.T, w, h int) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for i := range img.Pix {
		img.Pix[i] = 0x80
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestDecodeAvatar checks the picture rules: a header declaring more than
// 16 megapixels is refused before any pixel is decoded (the allocation
// stays small), what is not a picture is refused, and a large picture is
// shrunk to avatarSide before Fyne sees it.
func TestDecodeAvatar(t *testing.T) {
	bomb := bombPNG(30000, 30000)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	_, err := decodeAvatar("bomb.png", bomb)
	runtime.ReadMemStats(&after)
	if err == nil || !strings.Contains(err.Error(), "30000×30000") {
		t.Fatalf("a 30000×30000 picture: err = %v", err)
	}
	if grew := after.TotalAlloc - before.TotalAlloc; grew > 8<<20 {
		t.Errorf("refusing the picture allocated %d bytes", grew)
	}
	if _, err := decodeAvatar("x.svg", []byte(`<svg xmlns="http://www.w3.org/2000/svg"/>`)); err == nil {
		t.Error("an SVG was accepted")
	}
	res, err := decodeAvatar("big.png", solidPNG(t, 1000, 500))
	if err != nil {
		t.Fatal(err)
	}
	img, ok := pictures.Load(res)
	if !ok {
		t.Fatal("the picture is not kept decoded")
	}
	if b := img.(image.Image).Bounds(); b.Dx() != avatarSide || b.Dy() != avatarSide/2 {
		t.Errorf("shrunk to %v, want %d×%d", b, avatarSide, avatarSide/2)
	}
	if cfg, err := png.DecodeConfig(bytes.NewReader(res.Content())); err != nil || cfg.Width != avatarSide {
		t.Errorf("the resource Fyne gets: %+v, %v", cfg, err)
	}
	if c := img.(image.Image).At(10, 10); c != (color.RGBA{0x80, 0x80, 0x80, 0x80}) {
		t.Logf("colour after scaling: %v", c)
	}
}

// TestAvatarsRefuseOtherOrigins checks that a picture's redirect to
// another site is not followed (the other site sees no request) and the
// fallback tile stays.
func TestAvatarsRefuseOtherOrigins(t *testing.T) {
	var otherHits atomic.Int32
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		otherHits.Add(1)
		w.Header().Set("Content-Type", "image/png")
		w.Write(solidPNG(t, 8, 8))
	}))
	defer other.Close()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/away.png":
			http.Redirect(w, r, other.URL+"/a.png", http.StatusFound)
		case "/bomb.png":
			w.Header().Set("Content-Type", "image/png")
			w.Write(bombPNG(30000, 30000))
		default:
			w.Header().Set("Content-Type", "image/png")
			w.Write(solidPNG(t, 8, 8))
		}
	}))
	defer srv.Close()

	queue := make(chan func(), 16)
	loaded := map[string]bool{}
	av := newAvatars(context.Background(), boundary.Client(&http.Client{Timeout: 5 * time.Second}, boundary.SameOrigin),
		func(f func()) { queue <- f }, func(u string) { loaded[u] = true })
	fallback := fyne.NewStaticResource("tile.png", nil)
	urls := []string{srv.URL + "/away.png", srv.URL + "/bomb.png", srv.URL + "/ok.png"}
	for _, u := range urls {
		av.Get(u, fallback)
	}
	timeout := time.After(10 * time.Second)
	for len(av.pending) > 0 {
		select {
		case f := <-queue: // the UI goroutine's work, run here
			f()
		case <-timeout:
			t.Fatal("the pictures did not finish loading")
		}
	}
	if got := av.Get(urls[0], fallback); got != fallback {
		t.Error("the redirected picture is shown")
	}
	if got := av.Get(urls[1], fallback); got != fallback {
		t.Error("the oversized picture is shown")
	}
	if got := av.Get(urls[2], fallback); got == fallback || !loaded[urls[2]] {
		t.Error("the good picture was not loaded")
	}
	if n := otherHits.Load(); n != 0 {
		t.Errorf("the other site got %d requests", n)
	}
}

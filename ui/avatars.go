package ui

import (
	"bytes"
	"context"
	"fmt"
	"image"
	_ "image/gif"  // avatars: GIF (its first frame)
	_ "image/jpeg" // avatars: JPEG
	"image/png"
	"net/http"
	"strings"

	"fyne.io/fyne/v2"
	"golang.org/x/image/draw"
	_ "golang.org/x/image/webp" // avatars: WebP

	"github.com/keyport/keyport/internal/boundary"
)

// Limits on an account picture, which the provider chooses.
const (
	maxAvatarBytes  = 2 << 20    // bytes downloaded
	maxAvatarPixels = 16_000_000 // pixels declared in its header, checked before decoding
	avatarSide      = 128        // the longest side kept: twice the largest shown (64)
)

// avatars loads account pictures in the background and caches them in
// memory by URL; a picture that failed to load is not asked for again.
// Its methods run on the UI goroutine; the downloads do not.
type avatars struct {
	ctx     context.Context
	client  *http.Client
	do      func(func())
	loaded  func(url string)         // called on the UI goroutine when a picture arrives
	cache   map[string]fyne.Resource // nil value: failed
	pending map[string]bool          // downloads in flight
	slots   chan struct{}            // bounds concurrent downloads
}

// newAvatars returns an empty cache whose downloads end with ctx.
func newAvatars(ctx context.Context, client *http.Client, do func(func()), loaded func(string)) *avatars {
	return &avatars{ctx: ctx, client: client, do: do, loaded: loaded,
		cache: map[string]fyne.Resource{}, pending: map[string]bool{}, slots: make(chan struct{}, 4)}
}

// Get returns the picture at url if it is cached, else fallback, and starts
// loading it when it is neither cached nor failed nor loading. It never
// blocks.
func (av *avatars) Get(url string, fallback fyne.Resource) fyne.Resource {
	if url == "" {
		return fallback
	}
	if res, ok := av.cache[url]; ok {
		if res == nil {
			return fallback
		}
		return res
	}
	if !av.pending[url] {
		av.pending[url] = true
		go av.fetch(url)
	}
	return fallback
}

// fetch downloads one picture and hands it to the UI goroutine.
func (av *avatars) fetch(url string) {
	var res fyne.Resource
	select {
	case av.slots <- struct{}{}:
		data, err := av.download(url)
		<-av.slots
		if err == nil {
			res, _ = decodeAvatar(url, data) // a refused picture shows the tile
		}
	case <-av.ctx.Done():
	}
	av.do(func() {
		delete(av.pending, url)
		av.cache[url] = res
		if res != nil {
			av.loaded(url)
		}
	})
}

// download GETs an image, refusing anything that is not one.
func (av *avatars) download(url string) ([]byte, error) {
	req, err := http.NewRequestWithContext(av.ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, fmt.Errorf("load avatar: %w", err)
	}
	resp, err := av.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("load avatar: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "image/") {
		return nil, fmt.Errorf("load avatar: HTTP %d, %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	data, err := boundary.ReadAll(resp.Body, maxAvatarBytes)
	if err != nil {
		return nil, fmt.Errorf("load avatar: %w", err)
	}
	return data, nil
}

// decodeAvatar turns a downloaded picture into what the window shows: it
// reads the picture's declared size first and refuses more than 16
// megapixels (a small PNG can declare 30000×30000 and make a decoder
// allocate gigabytes), decodes PNG, JPEG, GIF or WebP, shrinks it to
// avatarSide and hands Fyne that small image (kept decoded, see pictures)
// as a PNG resource. Fyne never decodes the provider's bytes itself.
func decodeAvatar(name string, data []byte) (fyne.Resource, error) {
	cfg, _, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("load avatar: not a PNG, JPEG, GIF or WebP picture: %w", err)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 || int64(cfg.Width)*int64(cfg.Height) > maxAvatarPixels {
		return nil, fmt.Errorf("load avatar: it declares %d×%d pixels, more than %d", cfg.Width, cfg.Height, maxAvatarPixels)
	}
	img, _, err := image.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("load avatar: %w", err)
	}
	small := shrink(img, avatarSide)
	var buf bytes.Buffer
	if err := png.Encode(&buf, small); err != nil {
		return nil, fmt.Errorf("load avatar: %w", err)
	}
	res := fyne.NewStaticResource(name, buf.Bytes())
	pictures.Store(res, small)
	return res, nil
}

// shrink scales img down so that its longer side is at most side pixels,
// keeping its proportions; a smaller image is returned as RGBA unchanged.
func shrink(img image.Image, side int) image.Image {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	if w > side || h > side {
		if w >= h {
			w, h = side, max(1, h*side/w)
		} else {
			w, h = max(1, w*side/h), side
		}
	}
	dst := image.NewRGBA(image.Rect(0, 0, w, h))
	draw.CatmullRom.Scale(dst, dst.Bounds(), img, b, draw.Src, nil)
	return dst
}

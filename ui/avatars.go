package ui

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"

	"fyne.io/fyne/v2"
)

// maxAvatarBytes bounds an avatar download.
const maxAvatarBytes = 2 << 20

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
			res = fyne.NewStaticResource(url, data)
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
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxAvatarBytes+1))
	if err != nil || len(data) > maxAvatarBytes {
		return nil, fmt.Errorf("load avatar: body unreadable or over %d bytes", maxAvatarBytes)
	}
	return data, nil
}

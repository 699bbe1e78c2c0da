package proxy

import (
	"bytes"
	"io"
	"log/slog"
	"net/http"
)

// maxReplay is the largest request body the proxy keeps to send again
// after a 401.
const maxReplay = 1 << 20

// upstream sends the proxy's requests to providers under the engine's rule
// for requests that carry a secret (no redirect followed, so the token
// never goes elsewhere: boundary.RefuseRedirects, on the transport itself,
// which spares each request http.Client's redirect machinery), and handles
// a 401: the credential is
// refreshed once and the request sent again when its body can be replayed.
type upstream struct {
	send  http.RoundTripper
	creds *credentials
	log   *slog.Logger
}

func (u *upstream) RoundTrip(req *http.Request) (*http.Response, error) {
	rt := routeOf(req.Context())
	body, replayable := replayBody(req)
	resp, err := u.send.RoundTrip(req)
	if err != nil || resp.StatusCode != http.StatusUnauthorized {
		return resp, err
	}
	next, err := u.creds.rejected(req.Context(), rt.key, rt.cred)
	if err != nil {
		u.log.Warn("proxy: refresh after the provider's 401 failed", "account", rt.key, "err", err)
	}
	if next == nil || next.value == rt.cred.value || !replayable {
		return resp, nil // the 401 goes to the caller
	}
	_, _ = io.CopyN(io.Discard, resp.Body, 64<<10) // let the connection be reused
	resp.Body.Close()
	retry := req.Clone(req.Context())
	retry.Header.Set(next.api.Header, next.value)
	if body != nil {
		retry.Body = io.NopCloser(bytes.NewReader(body))
	}
	return u.send.RoundTrip(retry)
}

// replayBody makes req's body one that can be sent twice when it is empty
// or has a declared length of at most maxReplay, reading it into memory,
// and returns it (nil when empty) and whether it can. Longer bodies, and
// those of unknown length (chunked, which may be a stream that never ends),
// are streamed as they come and cannot be replayed.
func replayBody(req *http.Request) ([]byte, bool) {
	if req.Body == nil || req.Body == http.NoBody {
		return nil, true
	}
	if req.ContentLength < 0 || req.ContentLength > maxReplay {
		return nil, false
	}
	b, err := io.ReadAll(io.LimitReader(req.Body, req.ContentLength))
	if err != nil || int64(len(b)) != req.ContentLength {
		// The caller stopped sending: send what came, once; the provider
		// sees a short body, as it would without the proxy.
		req.Body = io.NopCloser(io.MultiReader(bytes.NewReader(b), req.Body))
		return nil, false
	}
	req.Body = io.NopCloser(bytes.NewReader(b))
	return b, true
}

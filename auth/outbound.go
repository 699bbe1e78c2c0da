package auth

import (
	"net/http"

	"github.com/keyport/keyport/internal/boundary"
)

// maxMetadataBytes bounds a discovery document and a key set (JWKS).
const maxMetadataBytes = 1 << 20

// outbound holds the engine's HTTP clients, one per rule of
// internal/boundary, all on the transport and timeout of Params.HTTPClient.
// Every request to a provider goes through one of them, chosen by what the
// request carries.
type outbound struct {
	// secret follows no redirect: the code exchange, refresh, revocation
	// and API-key check carry a code, a PKCE verifier, a refresh token, a
	// client secret or a key.
	secret *http.Client
	// profile follows same-origin redirects only: the profile and userinfo
	// requests carry the access token in Authorization.
	profile *http.Client
	// public follows same-origin redirects and caps bodies at
	// maxMetadataBytes: discovery and the issuer's signing keys carry no
	// secret, but what they answer decides where secrets go.
	public *http.Client
}

func newOutbound(base *http.Client) outbound {
	return outbound{
		secret:  boundary.Client(base, boundary.NoRedirects),
		profile: boundary.Client(base, boundary.SameOrigin),
		public:  boundary.LimitBodies(boundary.Client(base, boundary.SameOrigin), maxMetadataBytes),
	}
}

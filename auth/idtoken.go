package auth

import (
	"context"
	"net/http"
	"slices"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
)

// idTokens checks one issuer's ID tokens (OpenID Connect Core section
// 3.1.3.7) with go-oidc: its signing keys, fetched from the jwks_uri, cached
// for the life of the Engine and fetched again for a key id not yet seen,
// and the asymmetric algorithms its metadata allows (RS256 when it names
// none).
type idTokens struct {
	issuer string
	keys   *oidc.RemoteKeySet
	algs   []string
}

// signingAlgs are the ID token algorithms Keyport accepts: go-oidc's
// asymmetric ones. A shared-secret algorithm (HS256) would need the client
// secret as its key, which a native app's public client does not have.
var signingAlgs = []string{oidc.RS256, oidc.RS384, oidc.RS512, oidc.ES256, oidc.ES384, oidc.ES512,
	oidc.PS256, oidc.PS384, oidc.PS512, oidc.EdDSA}

func newIDTokens(client *http.Client, m metadata) *idTokens {
	var algs []string
	for _, a := range m.SigningAlgs {
		if slices.Contains(signingAlgs, a) {
			algs = append(algs, a)
		}
	}
	// The key set's context only carries the HTTP client (go-oidc's
	// convention); its fetches are bounded by the client's timeout.
	ctx := oidc.ClientContext(context.Background(), client)
	return &idTokens{issuer: m.Issuer, keys: oidc.NewRemoteKeySet(ctx, m.JWKS), algs: algs}
}

// verifier checks ID tokens issued to clientID, with now as the clock.
func (t *idTokens) verifier(clientID string, now func() time.Time) *oidc.IDTokenVerifier {
	return oidc.NewVerifier(t.issuer, t.keys, &oidc.Config{ClientID: clientID, Now: now, SupportedSigningAlgs: t.algs})
}

// warmUpJWS is a well-formed JWS whose key id no issuer uses and whose
// signature checks against no key.
const warmUpJWS = "eyJhbGciOiJSUzI1NiIsImtpZCI6ImtleXBvcnQtd2FybS11cCJ9.e30.AA"

// warm fetches the issuer's current keys while the person signs in, so the
// ID token check after the code exchange finds them cached instead of
// waiting for them. go-oidc has no call for that; it fetches the keys when a
// token names a key id it does not hold, which warmUpJWS always does (and
// then fails, as it must). It returns when the keys are in or ctx is done.
func (t *idTokens) warm(ctx context.Context) {
	_, _ = t.keys.VerifySignature(ctx, warmUpJWS)
}

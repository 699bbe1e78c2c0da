// Package auth is Keyport's engine: the provider catalogue, the loopback
// OAuth 2.0 authorization code flow with PKCE (RFC 8252, RFC 7636, RFC 9700,
// RFC 9207), the keychain store, the account index and the background
// refresher.
//
// The package never imports Fyne. Side effects come in as plain functions and
// small interfaces (OpenURL, an *http.Client, a Clock, a Keychain), so the
// window, the command line and tests drive the same code.
//
// Unless a doc comment says otherwise, every exported type is safe for
// concurrent use.
package auth

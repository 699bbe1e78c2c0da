package auth

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"golang.org/x/oauth2"

	"github.com/keyport/keyport/internal/boundary"
)

// DeviceFlow is one sign-in with a code (the device authorization grant,
// RFC 8628): the person opens the provider's verification page on any
// device, enters the code, and Keyport polls the token endpoint meanwhile.
// It is for where the loopback redirect cannot work: an SSH session, a
// headless machine, a locked-down desktop. Its methods are safe for
// concurrent use.
type DeviceFlow struct {
	e      *Engine
	g      grant
	da     *oauth2.DeviceAuthResponse
	start  time.Time
	cancel context.CancelFunc
	done   chan struct{} // closed when the flow has ended
	acct   Account       // valid after done
	err    error         // valid after done
}

// SupportsDevice reports whether a provider offers the device grant: its
// catalogue entry names a device authorization endpoint, or its issuer's
// metadata does (which needs discovery, hence ctx).
func (e *Engine) SupportsDevice(ctx context.Context, providerID string) (bool, error) {
	p, err := e.provider(providerID)
	if err != nil || !p.SupportsOAuth() {
		return false, err
	}
	p, _, err = e.setupProvider(p)
	if err != nil {
		return false, err
	}
	p, _, err = e.resolve(ctx, p)
	if err != nil {
		return false, err
	}
	return p.DeviceAuthURL != "", nil
}

// ConnectDevice starts a sign-in with a code: it asks the provider's device
// authorization endpoint for a user code and returns at once; the flow then
// polls the token endpoint at the interval the provider asks (5 s more
// after each slow_down) until the person has approved, declined, the code
// expired, or ctx is cancelled. PKCE S256 is sent where the provider takes
// it (servers ignore parameters they do not know, RFC 6749 section 3.1).
// The account goes through the same ID token, profile and keychain checks
// as a browser sign-in. Like Connect, one sign-in per provider runs at a
// time (ErrFlowRunning). The device grant needs only a client id: a
// provider that issues confidential clients gets the stored secret too.
func (e *Engine) ConnectDevice(ctx context.Context, providerID string) (*DeviceFlow, error) {
	p, err := e.provider(providerID)
	if err != nil {
		return nil, err
	}
	client := e.Client(p.ID)
	if client.ClientID == "" {
		return nil, fmt.Errorf("%w: %s needs a client id first; register a client at %s", ErrNotConfigured, p.Name, cmp.Or(p.RegisterURL, "the provider's developer page"))
	}
	p, values, err := e.setupProvider(p)
	if err != nil {
		return nil, err
	}
	if !e.signins.start(p.ID) {
		return nil, fmt.Errorf("connect %s: %w", p.Name, ErrFlowRunning)
	}
	f, err := e.startDevice(ctx, p, values, client)
	if err != nil {
		e.signins.end(p.ID)
		return nil, err
	}
	return f, nil
}

func (e *Engine) startDevice(parent context.Context, p Provider, values map[string]string, client ClientSettings) (*DeviceFlow, error) {
	p, ids, err := e.resolve(parent, p)
	if err != nil {
		return nil, err
	}
	if p.DeviceAuthURL == "" {
		return nil, fmt.Errorf("%s does not offer sign-in with a code (no device authorization endpoint); use Connect", p.Name)
	}
	secret, err := e.clientSecret(parent, p.ID)
	if err != nil {
		return nil, err
	}
	cfg := oauth2Config(p, client.ClientID, secret)
	cfg.Endpoint.DeviceAuthURL = p.DeviceAuthURL
	if cfg.Endpoint.AuthStyle == oauth2.AuthStyleAutoDetect {
		// x/oauth2's detection sends a failed request again the other way
		// and learns only from a success; every authorization_pending is a
		// failure, so each poll would be two requests at once. The body
		// form (client_secret_post) is what the device-grant providers in
		// the catalogue take; auth_style "basic" says otherwise.
		cfg.Endpoint.AuthStyle = oauth2.AuthStyleInParams
	}
	var askOpts, pollOpts []oauth2.AuthCodeOption
	if p.UsesPKCE() {
		v := oauth2.GenerateVerifier()
		askOpts = append(askOpts, oauth2.S256ChallengeOption(v))
		pollOpts = append(pollOpts, oauth2.VerifierOption(v))
	}
	if p.Separator() != " " && len(p.Scopes) > 0 {
		scope := oauth2.SetAuthURLParam("scope", joinScopes(p))
		askOpts, pollOpts = append(askOpts, scope), append(pollOpts, scope)
	}
	// A code lives longer than a sign-in page: 15 minutes at most by
	// default, whatever the provider says. x/oauth2 times the polls with
	// the real clock, so the flow does too.
	start := time.Now()
	longest := e.timeout * 3
	timed, cancelTimeout := context.WithTimeout(parent, longest)
	ctx, cancelCause := context.WithCancelCause(timed)
	cancel := func() { cancelCause(ErrCancelled); cancelTimeout() }
	reqCtx := context.WithValue(ctx, oauth2.HTTPClient, e.http.tokenClient(p))
	da, err := cfg.DeviceAuth(reqCtx, askOpts...)
	if err != nil {
		cancel()
		if parent.Err() != nil {
			return nil, fmt.Errorf("connect %s: %w", p.Name, ErrCancelled)
		}
		return nil, tokenError(p.Name, "ask for a sign-in code", err, false)
	}
	if err := checkDeviceAuth(da, boundary.IsLoopbackURL(p.DeviceAuthURL), start, longest); err != nil {
		cancel()
		return nil, fmt.Errorf("ask %s for a sign-in code: %w; the provider may be misconfigured, or use Connect", p.Name, err)
	}
	f := &DeviceFlow{e: e, da: da, start: start, cancel: cancel, done: make(chan struct{}),
		g: grant{p: p, ids: ids, clientID: client.ClientID, params: values, wantIDToken: ids != nil && containsScope(p.Scopes, "openid")}}
	go func() {
		defer close(f.done)
		defer e.signins.end(p.ID)
		defer cancel()
		tok, err := cfg.DeviceAccessToken(reqCtx, da, pollOpts...)
		if err != nil {
			f.err = f.pollError(ctx, parent, err)
			return
		}
		f.acct, f.err = f.g.accept(ctx, e, tok)
	}()
	return f, nil
}

// Bounds on a device authorization response (RFC 8628 section 3.2), which
// the person sees or Keyport sends back.
const (
	maxUserCode   = 64   // runes; real ones are 8 or 9
	maxDeviceCode = 4096 // bytes
	maxInterval   = 600  // seconds between polls
)

// checkDeviceAuth checks a device authorization response before anything
// of it is shown or used, and bounds its numbers: the code must be short
// printable text, the pages URLs that pass boundary.CheckURL (on this
// computer only for a device endpoint on it), the interval between 1 s
// (0 or less: the RFC's 5 s) and 10 min, and the expiry within longest of
// start (an expiry beyond, before start or unsaid becomes start+longest).
func checkDeviceAuth(da *oauth2.DeviceAuthResponse, loopbackOK bool, start time.Time, longest time.Duration) error {
	switch {
	case da.DeviceCode == "" || len(da.DeviceCode) > maxDeviceCode:
		return errors.New("the answer has no usable device_code")
	case strings.TrimSpace(da.UserCode) == "" || !boundary.IsClean(da.UserCode, maxUserCode):
		return fmt.Errorf("the answer has no user_code a person can type (at most %d printable characters)", maxUserCode)
	}
	if _, err := boundary.CheckURL(da.VerificationURI, loopbackOK); err != nil {
		return fmt.Errorf("the answer's verification_uri %w", err)
	}
	if da.VerificationURIComplete != "" {
		if _, err := boundary.CheckURL(da.VerificationURIComplete, loopbackOK); err != nil {
			return fmt.Errorf("the answer's verification_uri_complete %w", err)
		}
	}
	if da.Interval <= 0 {
		da.Interval = 5
	}
	da.Interval = min(da.Interval, maxInterval)
	if end := start.Add(longest); da.Expiry.IsZero() || da.Expiry.Before(start) || da.Expiry.After(end) {
		da.Expiry = end
	}
	return nil
}

// joinScopes joins a provider's scopes with its separator.
func joinScopes(p Provider) string {
	out := ""
	for i, s := range p.Scopes {
		if i > 0 {
			out += p.Separator()
		}
		out += s
	}
	return out
}

// pollError words why polling ended without a token.
func (f *DeviceFlow) pollError(ctx, parent context.Context, err error) error {
	name := f.g.p.Name
	var re *oauth2.RetrieveError
	switch {
	case parent.Err() != nil, errors.Is(context.Cause(ctx), ErrCancelled):
		return fmt.Errorf("connect %s: %w", name, ErrCancelled)
	case errors.As(err, &re) && re.ErrorCode == "access_denied":
		return fmt.Errorf("%w: you declined access on %s", ErrDenied, name)
	case errors.As(err, &re) && re.ErrorCode == "expired_token",
		ctx.Err() != nil, !time.Now().Before(f.da.Expiry):
		// By the clock, not by the error: one poll that timed out also
		// ends in context.DeadlineExceeded, and its words are below.
		return fmt.Errorf("connect %s: %w: the code expired after %s; press Connect to get a new one", name, ErrTimeout, minutes(f.Lifetime()))
	}
	return tokenError(name, "wait for the sign-in with a code", err, false)
}

// minutes words a code's lifetime: "15 minutes", "1 minute", "30 seconds".
func minutes(d time.Duration) string {
	switch m := int(math.Round(d.Minutes())); {
	case d < time.Minute:
		return fmt.Sprintf("%d seconds", int(math.Round(d.Seconds())))
	case m == 1:
		return "1 minute"
	default:
		return fmt.Sprintf("%d minutes", m)
	}
}

// UserCode returns the code the person enters on the verification page.
// It is not a secret on its own: it works only with the device code, which
// Keyport keeps.
func (f *DeviceFlow) UserCode() string { return f.da.UserCode }

// VerificationURI returns the page where the person enters the code.
func (f *DeviceFlow) VerificationURI() string { return f.da.VerificationURI }

// VerificationURIComplete returns the page with the code filled in, or ""
// when the provider offers none.
func (f *DeviceFlow) VerificationURIComplete() string { return f.da.VerificationURIComplete }

// Expiry returns when the code stops working: when the provider said, or
// at most 15 minutes (three times the engine's timeout) after it was
// issued.
func (f *DeviceFlow) Expiry() time.Time { return f.da.Expiry }

// Lifetime returns how long the code works from when it was issued.
func (f *DeviceFlow) Lifetime() time.Duration { return f.Expiry().Sub(f.start) }

// Provider returns the provider's display name.
func (f *DeviceFlow) Provider() string { return f.g.p.Name }

// Cancel ends the flow with ErrCancelled, unless it has ended.
func (f *DeviceFlow) Cancel() { f.cancel() }

// Done is closed when the flow has ended.
func (f *DeviceFlow) Done() <-chan struct{} { return f.done }

// Wait blocks until the flow ends and returns the account, or why it did
// not connect: ErrDenied, ErrTimeout (the code expired), ErrCancelled, a
// *TokenError, or a profile or keychain error. No goroutine of the flow is
// left when Wait returns.
func (f *DeviceFlow) Wait() (Account, error) {
	<-f.done
	return f.acct, f.err
}

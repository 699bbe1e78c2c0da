package auth

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// deviceFile is the stub as a provider with a device authorization
// endpoint at /device.
func deviceFile(sp *stubProvider, _ *recorder) string {
	return sp.providersFile(fmt.Sprintf(`,"device_authorization_url":%q`, sp.URL+"/device"))
}

// deviceAnswer makes the stub's device endpoint answer with body.
func deviceAnswer(body string) func(sp *stubProvider, rec *recorder) {
	return func(sp *stubProvider, rec *recorder) {
		sp.on("/device", func(w http.ResponseWriter, r *http.Request) {
			io.Copy(io.Discard, r.Body)
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, strings.ReplaceAll(body, "REC", rec.URL))
		})
	}
}

// A device authorization answer is provider input like any other: what
// the person would see or open is checked first, and the numbers Keyport
// would wait by are bounded.
func TestDeviceHostileAnswers(t *testing.T) {
	tests := []struct {
		name, body string
		want       string // words of the error
	}{
		{"a code that moves the terminal", `{"device_code":"d","user_code":"AB\u001b[2JCD","verification_uri":"REC/device"}`,
			"has no user_code a person can type"},
		{"a code too long to type", `{"device_code":"d","user_code":"` + strings.Repeat("A", 65) + `","verification_uri":"REC/device"}`,
			"at most 64 printable characters"},
		{"no device code", `{"user_code":"ABCD-EFGH","verification_uri":"REC/device"}`, "has no usable device_code"},
		{"a script for a page", `{"device_code":"d","user_code":"ABCD-EFGH","verification_uri":"javascript:alert(1)"}`,
			"the answer's verification_uri is not an absolute URL"},
		{"a complete page with a password in it", `{"device_code":"d","user_code":"ABCD-EFGH","verification_uri":"REC/device","verification_uri_complete":"http://u:p@127.0.0.1/x"}`,
			"verification_uri_complete"},
		{"a page of another scheme", `{"device_code":"d","user_code":"ABCD-EFGH","verification_uri":"file:///etc/passwd"}`,
			"verification_uri uses file:"},
		{"no page at all", `{"device_code":"d","user_code":"ABCD-EFGH"}`, "verification_uri is empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHostile(t, deviceFile, deviceAnswer(tt.body))
			_, err := h.e.ConnectDevice(context.Background(), "test")
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), "ask Test for a sign-in code") {
				t.Fatalf("err = %v, want it to say %q", err, tt.want)
			}
			h.assertClean()
			if h.e.signins.start("test") {
				h.e.signins.end("test")
			} else {
				t.Error("the refused answer left the provider's sign-in running")
			}
		})
	}
}

// A negative interval would make x/oauth2's ticker panic, a huge one or a
// huge expires_in would overflow a time.Duration: the flow bounds both and
// says how long the code works.
func TestDeviceBoundsNumbers(t *testing.T) {
	for _, body := range []string{
		`{"device_code":"d","user_code":"ABCD-EFGH","verification_uri":"REC/device","interval":-3,"expires_in":-60}`,
		`{"device_code":"d","user_code":"ABCD-EFGH","verification_uri":"REC/device","interval":9223372036854775807,"expires_in":9223372036854775807}`,
		`{"device_code":"d","user_code":"ABCD-EFGH","verification_uri":"REC/device"}`,
	} {
		h := newHostile(t, deviceFile, deviceAnswer(body))
		before := time.Now()
		f, err := h.e.ConnectDevice(context.Background(), "test")
		if err != nil {
			t.Fatalf("%s: %v", body, err)
		}
		if f.da.Interval < 1 || f.da.Interval > maxInterval {
			t.Errorf("%s: polls every %d s", body, f.da.Interval)
		}
		// FlowTimeout is a minute in unit tests: a code works 3 at most.
		if exp := f.Expiry(); exp.Before(before) || exp.After(before.Add(3*time.Minute+time.Second)) || f.Lifetime() > 3*time.Minute {
			t.Errorf("%s: expiry %v after the start, lifetime %v", body, exp.Sub(before), f.Lifetime())
		}
		f.Cancel()
		if _, err := f.Wait(); !errors.Is(err, ErrCancelled) {
			t.Errorf("%s: after Cancel: %v", body, err)
		}
	}
}

// The device endpoint redirecting elsewhere is refused, as the token
// endpoint's redirects are: the client id and secret would follow.
func TestDeviceEndpointRedirect(t *testing.T) {
	h := newHostile(t, deviceFile, func(sp *stubProvider, rec *recorder) {
		sp.on("/device", redirectTo(rec.URL+"/device", http.StatusTemporaryRedirect))
	})
	_, err := h.e.ConnectDevice(context.Background(), "test")
	if err == nil || !strings.Contains(err.Error(), "never follows a redirect") {
		t.Fatalf("err = %v", err)
	}
	h.assertClean()
}

// The poll's answers in words: a denial, an expired code, and a provider
// without the grant.
func TestDevicePollOutcomes(t *testing.T) {
	answer := `{"device_code":"d","user_code":"ABCD-EFGH","verification_uri":"REC/device","interval":1,"expires_in":900}`
	for code, want := range map[string]string{
		"access_denied": "access denied: you declined access on Test",
		"expired_token": "the code expired after 3 minutes; press Connect to get a new one",
	} {
		h := newHostile(t, deviceFile, deviceAnswer(answer))
		h.sp.tokenHook = func(w http.ResponseWriter, r *http.Request) bool {
			if r.PostFormValue("grant_type") != "urn:ietf:params:oauth:grant-type:device_code" || r.PostFormValue("device_code") != "d" {
				t.Errorf("poll form %v", r.PostForm)
			}
			writeOAuthError(w, code)
			return true
		}
		f, err := h.e.ConnectDevice(context.Background(), "test")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.Wait(); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: err = %v, want %q", code, err, want)
		}
		h.assertClean()
	}
	h := newHostile(t, nil, nil)
	if ok, err := h.e.SupportsDevice(context.Background(), "test"); ok || err != nil {
		t.Errorf("a provider without a device endpoint: supports %v, %v", ok, err)
	}
	if _, err := h.e.ConnectDevice(context.Background(), "test"); err == nil || !strings.Contains(err.Error(), "does not offer sign-in with a code") {
		t.Errorf("ConnectDevice without the grant: %v", err)
	}
}

// With a client secret and no auth_style, each poll is one request, sent
// an interval after the last: x/oauth2's auth-style detection would send
// every authorization_pending again at once the other way.
func TestDevicePollsOncePerInterval(t *testing.T) {
	answer := `{"device_code":"d","user_code":"ABCD-EFGH","verification_uri":"REC/device","interval":1,"expires_in":900}`
	h := newHostile(t, deviceFile, deviceAnswer(answer))
	if err := h.e.SetClient(context.Background(), "test", ClientSettings{ClientID: "test-client"}, "client-secret"); err != nil {
		t.Fatal(err)
	}
	var polls []time.Time
	h.sp.tokenHook = func(w http.ResponseWriter, r *http.Request) bool {
		polls = append(polls, time.Now())
		if len(polls) < 3 {
			writeOAuthError(w, "authorization_pending")
		} else {
			writeOAuthError(w, "access_denied")
		}
		return true
	}
	f, err := h.e.ConnectDevice(context.Background(), "test")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Wait(); !errors.Is(err, ErrDenied) {
		t.Fatalf("err = %v, want the denial", err)
	}
	if len(polls) != 3 {
		t.Fatalf("%d token requests for 3 polls", len(polls))
	}
	for i := 1; i < len(polls); i++ {
		if gap := polls[i].Sub(polls[i-1]); gap < 900*time.Millisecond {
			t.Errorf("poll %d came %v after the one before, within the 1 s interval", i+1, gap)
		}
	}
}

// A poll that times out says so; the code has not expired.
func TestDevicePollTimeoutIsNotExpiry(t *testing.T) {
	answer := `{"device_code":"d","user_code":"ABCD-EFGH","verification_uri":"REC/device","interval":1,"expires_in":900}`
	sp := newStubProvider(t)
	rec := newRecorder(t)
	deviceAnswer(answer)(sp, rec)
	release := make(chan struct{})
	defer close(release)
	sp.tokenHook = func(w http.ResponseWriter, r *http.Request) bool {
		select { // longer than the client's timeout
		case <-release:
		case <-r.Context().Done():
		}
		return true
	}
	e, _ := newTestEngine(t, deviceFile(sp, rec), func(p *Params) {
		p.HTTPClient = &http.Client{Timeout: 300 * time.Millisecond, Transport: &http.Transport{DisableKeepAlives: true}}
	})
	f, err := e.ConnectDevice(context.Background(), "test")
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.Wait()
	if err == nil || errors.Is(err, ErrTimeout) || !strings.Contains(err.Error(), "could not reach Test") {
		t.Errorf("err = %v, want the timed-out poll in words, not an expired code", err)
	}
}

package auth

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"golang.org/x/oauth2"
)

const (
	secretBody   = "SECRET-BODY-123"
	clientSecret = "CLIENT-SECRET-456"
	refreshTok   = "RT-SECRET-789"
	signInCode   = "CODE-SECRET-000"
)

// tokenEndpoint is an httptest token endpoint that answers every request
// with status, content type and body (and extra headers).
func tokenEndpoint(t *testing.T, status int, contentType, body string, headers map[string]string) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if contentType != "" {
			w.Header().Set("Content-Type", contentType)
		}
		for k, v := range headers {
			w.Header().Set(k, v)
		}
		w.WriteHeader(status)
		fmt.Fprint(w, body)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// requestToken runs the x/oauth2 call the engine makes, exchange or
// refresh, against tokenURL, and returns what tokenError makes of its error.
func requestToken(ctx context.Context, client *http.Client, tokenURL string, refreshing bool) error {
	p := Provider{ID: "patreon", Name: "Patreon", AuthorizeURL: "https://www.patreon.com/oauth2/authorize", TokenURL: tokenURL, AuthStyle: "body"}
	cfg := oauth2Config(p, "client-id", clientSecret)
	ctx = context.WithValue(ctx, oauth2.HTTPClient, client)
	var err error
	if refreshing {
		_, err = cfg.TokenSource(ctx, &oauth2.Token{RefreshToken: refreshTok}).Token()
	} else {
		_, err = cfg.Exchange(ctx, signInCode, oauth2.VerifierOption(oauth2.GenerateVerifier()))
	}
	if err == nil {
		return nil
	}
	op := "exchange the sign-in code"
	if refreshing {
		op = "refresh the token"
	}
	return tokenError(p.Name, op, err, refreshing)
}

// checkNoSecrets fails if the message carries the response body or any
// secret the request held.
func checkNoSecrets(t *testing.T, err error) {
	t.Helper()
	for _, s := range []string{secretBody, clientSecret, refreshTok, signInCode} {
		if strings.Contains(err.Error(), s) {
			t.Errorf("error %q carries %q", err, s)
		}
	}
}

func TestTokenErrors(t *testing.T) {
	tests := []struct {
		name        string
		status      int
		contentType string
		body        string
		headers     map[string]string
		refreshing  bool

		want       []string // substrings of the message
		sentinel   error    // errors.Is target, or nil
		retryable  bool
		retryAfter string
		code       string
	}{
		{
			name: "invalid_client on exchange", status: 400, contentType: "application/json",
			body: `{"error":"invalid_client","debug":"` + secretBody + `"}`,
			want: []string{"exchange the sign-in code: Patreon rejected the client id or secret (invalid_client)", "check them in the provider's Set up"},
			code: "invalid_client",
		},
		{
			name: "invalid_client on refresh with description", status: 401, contentType: "application/json",
			body:       `{"error":"invalid_client","error_description":"Client authentication failed","debug":"` + secretBody + `"}`,
			refreshing: true,
			want:       []string{"refresh the token: Patreon rejected the client id or secret (invalid_client: Client authentication failed)"},
			code:       "invalid_client",
		},
		{
			name: "unauthorized_client", status: 400, contentType: "application/json",
			body: `{"error":"unauthorized_client"}`,
			want: []string{"rejected the client id or secret (unauthorized_client)"}, code: "unauthorized_client",
		},
		{
			name: "invalid_grant on exchange", status: 400, contentType: "application/json",
			body: `{"error":"invalid_grant","code":"` + secretBody + `"}`,
			want: []string{"Patreon refused the sign-in code (invalid_grant)", "expired or been used already"}, code: "invalid_grant",
		},
		{
			name: "invalid_grant on refresh", status: 400, contentType: "application/json",
			body: `{"error":"invalid_grant","error_description":"Token revoked"}`, refreshing: true,
			want:     []string{"Patreon no longer accepts this account's grant (invalid_grant: Token revoked)", "connect the account again"},
			sentinel: ErrReconnectNeeded, code: "invalid_grant",
		},
		{
			name: "invalid_grant with 200", status: 200, contentType: "application/json",
			body: `{"error":"invalid_grant"}`, refreshing: true,
			want: []string{"no longer accepts"}, sentinel: ErrReconnectNeeded, code: "invalid_grant",
		},
		{
			name: "invalid_grant as a form", status: 400, contentType: "application/x-www-form-urlencoded",
			body: "error=invalid_grant&debug=" + secretBody, refreshing: true,
			want: []string{"no longer accepts"}, sentinel: ErrReconnectNeeded, code: "invalid_grant",
		},
		{
			name: "invalid_scope", status: 400, contentType: "application/json",
			body: `{"error":"invalid_scope"}`,
			want: []string{"Patreon refused the requested scopes (invalid_scope)"}, code: "invalid_scope",
		},
		{
			name: "other error code", status: 400, contentType: "application/json",
			body: `{"error":"unsupported_grant_type","error_description":"nope"}`,
			want: []string{"Patreon answered unsupported_grant_type: nope"}, code: "unsupported_grant_type",
		},
		{
			name: "502 HTML page", status: 502, contentType: "text/html; charset=utf-8",
			body:       `<html><head><title>502 Bad Gateway</title></head><body>` + secretBody + `</body></html>`,
			refreshing: true,
			want:       []string{"refresh the token: Patreon answered HTTP 502 with an HTML page", "Keyport will try again"},
			retryable:  true,
		},
		{
			name: "HTML page without content type", status: 503, body: `<!DOCTYPE html><p>` + secretBody,
			want: []string{"answered HTTP 503 with an HTML page"}, retryable: true,
		},
		{
			name: "500 JSON without code", status: 500, contentType: "application/json",
			body: `{"message":"` + secretBody + `"}`,
			want: []string{"answered HTTP 500 with an error"}, retryable: true,
		},
		{
			name: "503 temporarily_unavailable", status: 503, contentType: "application/json",
			body: `{"error":"temporarily_unavailable","error_description":"try later"}`, refreshing: true,
			want: []string{"temporarily_unavailable"}, retryable: true, retryAfter: "5",
			headers: map[string]string{"Retry-After": "5"}, code: "temporarily_unavailable",
		},
		{
			name: "429 with Retry-After", status: 429, contentType: "text/plain",
			body: secretBody, headers: map[string]string{"Retry-After": "120"}, refreshing: true,
			want: []string{"answered HTTP 429", "too many requests"}, retryable: true, retryAfter: "120",
		},
		{
			name: "429 with a JSON error code", status: 429, contentType: "application/json",
			body: `{"error":"rate_limit_exceeded","debug":"` + secretBody + `"}`, headers: map[string]string{"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"},
			refreshing: true,
			want:       []string{"rate_limit_exceeded"}, retryable: true, retryAfter: "Wed, 21 Oct 2015 07:28:00 GMT", code: "rate_limit_exceeded",
		},
		{
			name: "400 plain text", status: 400, contentType: "text/plain", body: secretBody,
			want: []string{"answered HTTP 400 with a response Keyport cannot read"},
		},
		{
			name: "200 with non-JSON garbage", status: 200, contentType: "application/json", body: secretBody + " garbage",
			want: []string{"Patreon answered something Keyport cannot read"},
		},
		{
			name: "200 HTML", status: 200, contentType: "text/html", body: "<html>" + secretBody + "</html>",
			want: []string{"answered something Keyport cannot read"},
		},
		{
			name: "200 without access token", status: 200, contentType: "application/json",
			body: `{"token_type":"Bearer","debug":"` + secretBody + `"}`,
			want: []string{"answered something Keyport cannot read (oauth2: server response missing access_token)"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := tokenEndpoint(t, tt.status, tt.contentType, tt.body, tt.headers)
			err := requestToken(context.Background(), srv.Client(), srv.URL+"/token", tt.refreshing)
			if err == nil {
				t.Fatal("no error")
			}
			for _, s := range tt.want {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q does not contain %q", err, s)
				}
			}
			checkNoSecrets(t, err)
			var te *TokenError
			if !errors.As(err, &te) {
				t.Fatalf("%T is not a *TokenError", err)
			}
			if te.Provider != "Patreon" || te.Retryable != tt.retryable || te.RetryAfter != tt.retryAfter || te.Code != tt.code {
				t.Errorf("TokenError = %+v, want retryable %v, retry after %q, code %q", te, tt.retryable, tt.retryAfter, tt.code)
			}
			var re *oauth2.RetrieveError
			if isRetrieve := errors.As(err, &re); isRetrieve != (tt.status != 200 || tt.code != "") {
				t.Errorf("errors.As(*oauth2.RetrieveError) = %v", isRetrieve)
			} else if isRetrieve {
				if re.ErrorCode != tt.code || re.Response.StatusCode != tt.status || te.Status != tt.status {
					t.Errorf("RetrieveError code %q status %d, TokenError status %d", re.ErrorCode, re.Response.StatusCode, te.Status)
				}
			}
			for _, s := range []error{ErrReconnectNeeded, ErrCancelled, ErrDenied} {
				if got := errors.Is(err, s); got != (s == tt.sentinel) {
					t.Errorf("errors.Is(err, %v) = %v", s, got)
				}
			}
		})
	}
}

func TestTokenErrorNetwork(t *testing.T) {
	closed := httptest.NewServer(http.NotFoundHandler())
	closedURL := closed.URL + "/token"
	closed.Close()

	for _, refreshing := range []bool{false, true} {
		t.Run(fmt.Sprintf("refreshing=%v", refreshing), func(t *testing.T) {
			err := requestToken(context.Background(), http.DefaultClient, closedURL, refreshing)
			if err == nil {
				t.Fatal("no error")
			}
			if !strings.Contains(err.Error(), "could not reach Patreon") || !strings.Contains(err.Error(), "check your network connection") {
				t.Errorf("error = %q", err)
			}
			if strings.Contains(err.Error(), closedURL) {
				t.Errorf("error %q carries the token URL", err)
			}
			checkNoSecrets(t, err)
			var te *TokenError
			if !errors.As(err, &te) || !te.Retryable {
				t.Errorf("not a retryable TokenError: %#v", err)
			}
			if errors.Is(err, ErrCancelled) || errors.Is(err, ErrReconnectNeeded) {
				t.Errorf("unexpected sentinel in %v", err)
			}
		})
	}
}

func TestTokenErrorContext(t *testing.T) {
	t.Run("cancelled before the request", func(t *testing.T) {
		srv := tokenEndpoint(t, 200, "application/json", `{"access_token":"a"}`, nil)
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		err := requestToken(ctx, srv.Client(), srv.URL, false)
		if !errors.Is(err, ErrCancelled) || !errors.Is(err, context.Canceled) {
			t.Errorf("error = %v, want ErrCancelled and context.Canceled", err)
		}
		if !strings.Contains(err.Error(), "exchange the sign-in code: cancelled") {
			t.Errorf("error = %q", err)
		}
		var te *TokenError
		if errors.As(err, &te) && te.Retryable {
			t.Error("a cancelled request is retryable")
		}
	})

	t.Run("cancelled while waiting for the answer", func(t *testing.T) {
		started, release := make(chan struct{}), make(chan struct{})
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			// Reading the form lets the server notice the client hang up.
			_ = r.ParseForm()
			close(started)
			select {
			case <-r.Context().Done():
			case <-release:
			}
		}))
		defer srv.Close()
		defer close(release)
		ctx, cancel := context.WithCancel(context.Background())
		go func() {
			<-started
			cancel()
		}()
		err := requestToken(ctx, srv.Client(), srv.URL, true)
		if !errors.Is(err, ErrCancelled) {
			t.Errorf("error = %v, want ErrCancelled", err)
		}
		checkNoSecrets(t, err)
	})

	t.Run("deadline exceeded", func(t *testing.T) {
		srv := tokenEndpoint(t, 200, "application/json", `{"access_token":"a"}`, nil)
		ctx, cancel := context.WithDeadline(context.Background(), time.Unix(1, 0))
		defer cancel()
		err := requestToken(ctx, srv.Client(), srv.URL, true)
		var te *TokenError
		if !errors.As(err, &te) || !te.Retryable || !strings.Contains(err.Error(), "timed out") {
			t.Errorf("error = %v, want a retryable timeout", err)
		}
		if errors.Is(err, ErrCancelled) {
			t.Error("a deadline is reported as cancelled")
		}
	})
}

func TestTokenErrorSuccessNoError(t *testing.T) {
	srv := tokenEndpoint(t, 200, "application/json", `{"access_token":"a","token_type":"Bearer","expires_in":3600}`, nil)
	for _, refreshing := range []bool{false, true} {
		if err := requestToken(context.Background(), srv.Client(), srv.URL, refreshing); err != nil {
			t.Errorf("refreshing=%v: %v", refreshing, err)
		}
	}
}

func TestTokenErrorDescriptionTruncated(t *testing.T) {
	tests := []struct {
		name, desc string
	}{
		{"ASCII", strings.Repeat("d", 300)},
		{"multi-byte at the cut", "a" + strings.Repeat("é", 250)},
		{"CJK", strings.Repeat("認証", 120)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := tokenEndpoint(t, 400, "application/json", fmt.Sprintf(`{"error":"invalid_client","error_description":%q}`, tt.desc), nil)
			err := requestToken(context.Background(), srv.Client(), srv.URL, false)
			if err == nil {
				t.Fatal("no error")
			}
			msg := err.Error()
			if !utf8.ValidString(msg) {
				t.Errorf("message is not valid UTF-8: %q", msg)
			}
			if !strings.Contains(msg, "…") || strings.Contains(msg, tt.desc) {
				t.Errorf("description not truncated: %q", msg)
			}
		})
	}
}

package exchange

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/tokenring/tokenring/flow"
	"github.com/tokenring/tokenring/internal/termtext"
)

// replayTransport answers every request with a fixed reply, in memory.
type replayTransport struct {
	status int
	ctype  string
	body   []byte
}

func (rt replayTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Body != nil {
		io.Copy(io.Discard, r.Body)
		r.Body.Close()
	}
	h := http.Header{}
	if rt.ctype != "" {
		h.Set("Content-Type", rt.ctype)
	}
	return &http.Response{
		StatusCode: rt.status, Status: http.StatusText(rt.status), Header: h,
		Body: io.NopCloser(bytes.NewReader(rt.body)), ContentLength: int64(len(rt.body)), Request: r,
	}, nil
}

var tokenSeeds = []string{
	// Warhorn (seed document)
	`{"access_token":"y1XX8rsAPrEfdk4GBAXZH2TL","id_token":"eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiIsImtpZCI6ImRlZmF1bHQifQ.eyJpc3MiOiJodHRwczovL3dhcmhvcm4ubmV0Iiwic3ViIjoiMDAwMDAwMDAwMSIsImF1ZCI6Ikx3ODk3dm4zUjd5Nk0yTmZzQTJCeEpHTSIsImV4cCI6NDcxNzQ5ODM2MiwiaWF0IjoxNTYxODIxMTYyLCJub25jZSI6ImU4YjNjZGY3MTU2YjA1Njk4YWQwIn0.CDu2","token_type":"bearer"}`,
	// Dressipi (seed document)
	`{"access_token":"eyJhbGciOiJIUzI1NiJ9.eyJleHAiOjE1NzE5OTQ2NzIsImlhdCI6MTU3MTkwODI3Miwic3ViIjoiOTQxNzMifQ.mb3ur-cCDbApKU1j24SkjgR7AjLNGQ2pHkJdpfKtY28","refresh_token":"WzEsWzk0MTczXSwiaGF5ZFJDalRqX1R6RlhzQnlrnXoiLCIxNTcx1TA4MjcyLjM4NDM0NCJd--df2b0e0d9fc63bf536ba2bb807ec7b0d127145ba","expires_in":86400,"token_type":"Bearer"}`,
	// JWT access token, no expires_in
	`{"access_token":"eyJhbGciOiJIUzI1NiJ9.eyJleHAiOjE1NzE5OTQ2NzJ9.sig","token_type":"Bearer"}`,
	`{"access_token":"a","expires_in":"3600"}`,
	`{"access_token":"a","expires_in":" 3600 "}`,
	`{"access_token":"a","expires_in":3600.5}`,
	`{"access_token":"a","expires_in":-5}`,
	`{"access_token":"a","expires_in":0}`,
	`{"access_token":"a","expires_in":1e300}`,
	`{"access_token":"a","expires_in":"NaN"}`,
	`{"access_token":"a","expires_in":"Inf"}`,
	`{"access_token":"a","expires_in":null,"refresh_token":null}`,
	`{"access_token":"a","expires_in":99999999999999999999}`,
	`{"access_token":"a","scope":["openid","email",3]}`,
	`{"access_token":"a","scope":"openid\u001b[2J email","token_type":"b\u0007earer"}`,
	`{"access_token":"a b"}`,
	`{"access_token":"a\u0000"}`,
	`{"access_token":""}`,
	`{"access_token":12}`,
	`{"access_token":"a","refresh_token":"r","refresh_expires_in":1800}`,
	`{"access_token":"a","id_token":"x.y.z"}`,
	`{"access_token":"a.eyJleHAiOiIxNzAwMDAwMDAwIn0.s"}`,
	`{"access_token":"a.eyJleHAiOjFlMzAwfQ.s"}`,
	`{"error":"invalid_grant","error_description":"\u001b]52;c;cm0gLXJmIH4=\u0007gone"}`,
	`{"error":12}`,
	`[]`,
	`null`,
	`"x"`,
	`{}`,
	`{"access_token":"a","access_token":"b"}`,
	`{"access_token":"a","expires_in":3600.0}`,
	`{"access_token":"a","expires_in":3.6e3}`,
	`{"access_token":"a","expires_in":true}`,
	`{"access_token":"a","expires_in":{"s":1}}`,
	`{"access_token":"a","expires_in":"\u0033600"}`,
	`{"access_token":"a","expires_in":1,"expires_in":"x"}`,
}

// FuzzTokenResponse feeds arbitrary JSON to the token-response reader
// (readToken, the one function that reads replies) and, in memory, through
// the whole Exchange path (x/oauth2's parsing, our classification).
func FuzzTokenResponse(f *testing.F) {
	for _, s := range tokenSeeds {
		f.Add([]byte(s))
	}
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, data []byte) {
		var raw map[string]any
		if json.Unmarshal(data, &raw) == nil {
			get := func(k string) any { return raw[k] }
			checkRead(t, raw, now)(readToken(&oauth2.Token{}, get, now))
			// As x/oauth2 would hand it over: typed fields plus the raw map.
			base := &oauth2.Token{}
			base.AccessToken, _ = raw["access_token"].(string)
			base.TokenType, _ = raw["token_type"].(string)
			base.RefreshToken, _ = raw["refresh_token"].(string)
			checkRead(t, raw, now)(readToken(base.WithExtra(raw), base.WithExtra(raw).Extra, now))
		}

		// The emulation of x/oauth2's expires_in decoding agrees with the
		// real thing: when it says "rejected", x/oauth2 rejects the reply.
		if !oauth2ReadsExpiresIn(data) {
			ctx := context.WithValue(context.Background(), oauth2.HTTPClient,
				&http.Client{Transport: replayTransport{status: 200, ctype: "application/json", body: data}})
			conf := &oauth2.Config{Endpoint: oauth2.Endpoint{TokenURL: "https://127.0.0.1/t", AuthStyle: oauth2.AuthStyleInParams}}
			if _, err := conf.Exchange(ctx, "c"); err == nil {
				t.Fatalf("x/oauth2 read %q although the emulation says it cannot", data)
			}
		}
		// The expires_in normalizer leaves a reply x/oauth2 can parse.
		if norm := normalizeExpiresIn(data); !bytes.Equal(norm, data) {
			if !oauth2ReadsExpiresIn(norm) {
				t.Fatalf("normalized reply %q still has an expires_in x/oauth2 rejects", norm)
			}
			if oauth2ReadsExpiresIn(data) {
				t.Fatalf("reply %q was rewritten although x/oauth2 reads it", data)
			}
		}

		for _, status := range []int{200, 400} {
			c := &Client{Now: func() time.Time { return now }, Timeout: time.Second,
				HTTP: &http.Client{Transport: replayTransport{status: status, ctype: "application/json", body: data}}}
			p := flow.Provider{ID: "fuzz", TokenURL: "https://127.0.0.1/token", ClientID: "c", ClientAuth: flow.ClientAuthBody}
			req := &flow.AuthRequest{Provider: p, RedirectURI: "https://app.example/cb", Verifier: testVerifier, Nonce: testNonce}
			tok, err := c.Exchange(context.Background(), req, flow.Secrets{ClientSecret: testSecret}, testCode)
			if err != nil {
				if tok != nil {
					t.Fatal("both a token and an error")
				}
				msg := err.Error()
				for _, s := range []string{testSecret, testVerifier, testCode} {
					if strings.Contains(msg, s) {
						t.Fatalf("error %q leaks %q", msg, s)
					}
				}
				if termtext.Clean(msg) != msg {
					t.Fatalf("error %q is not clean", msg)
				}
				var oe *flow.OAuthError
				if !errors.As(err, &oe) && !errors.Is(err, flow.ErrBadResponse) && !errors.Is(err, flow.ErrNonceMismatch) && !errors.Is(err, flow.ErrServer) {
					t.Fatalf("unexpected error kind: %v", err)
				}
				continue
			}
			if status != 200 {
				t.Fatalf("a token from an HTTP %d reply", status)
			}
			if tok == nil || tok.AccessToken == "" {
				t.Fatal("success without an access token")
			}
		}
	})
}

// checkRead asserts the reader's invariants.
func checkRead(t *testing.T, raw map[string]any, now time.Time) func(*flow.Token, error) {
	return func(tok *flow.Token, err error) {
		t.Helper()
		if err != nil {
			if tok != nil {
				t.Fatal("both a token and an error")
			}
			if !errors.Is(err, errNoAccessToken) && !errors.Is(err, errBadTokenChars) {
				t.Fatalf("unexpected error %v", err)
			}
			if s, _ := raw["access_token"].(string); s != "" && isTokenChars(s) && errors.Is(err, errNoAccessToken) {
				t.Fatal("a usable access_token was reported missing")
			}
			return
		}
		if tok.AccessToken == "" || !isTokenChars(tok.AccessToken) || !isTokenChars(tok.RefreshToken) || !isTokenChars(tok.IDToken) {
			t.Fatalf("bad token chars in %q", tok.AccessToken)
		}
		if termtext.Clean(tok.TokenType) != tok.TokenType || termtext.Clean(tok.Scope) != tok.Scope {
			t.Fatalf("token_type %q or scope %q not clean", tok.TokenType, tok.Scope)
		}
		if !tok.IssuedAt.Equal(now) {
			t.Fatal("IssuedAt is not now")
		}
		switch tok.ExpirySource {
		case flow.ExpiryNone:
			if !tok.Expiry.IsZero() {
				t.Fatal("ExpiryNone with an expiry")
			}
		case flow.ExpiryFromExpiresIn:
			if !tok.Expiry.After(now) || tok.Expiry.After(now.AddDate(101, 0, 0)) {
				t.Fatalf("expires_in expiry %v out of range", tok.Expiry)
			}
			if _, ok := raw["expires_in"]; !ok {
				t.Fatal("expiry from an absent expires_in")
			}
		case flow.ExpiryFromJWT:
			if tok.Expiry.IsZero() || tok.Expiry.Year() > 9999 {
				t.Fatalf("JWT expiry %v", tok.Expiry)
			}
		default:
			t.Fatalf("expiry source %q", tok.ExpirySource)
		}
		if secs, ok := seconds(raw["expires_in"]); ok && secs <= 100*365*24*3600 && tok.ExpirySource != flow.ExpiryFromExpiresIn {
			t.Fatalf("a valid expires_in (%d) was ignored", secs)
		}
	}
}

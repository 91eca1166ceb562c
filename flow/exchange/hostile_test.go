package exchange

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tokenring/tokenring/flow"
)

func exchangeOnce(t *testing.T, c *Client, cs *countingServer) (*flow.Token, error) {
	t.Helper()
	p := testProvider(cs.URL)
	tok, err := c.Exchange(context.Background(), testRequest(p), testSecrets, testCode)
	assertClean(t, err)
	return tok, err
}

func TestExchangeSendsTheDocumentedForm(t *testing.T) {
	cs := newServer(t, jsonReply(200, `{"access_token":"`+testAccess+`","token_type":"bearer","refresh_token":"`+testRefresh+`","expires_in":3600,"scope":"a b"}`))
	c := testClient()
	c.UserAgent = "tokenring-test/1"
	p := testProvider(cs.URL)
	p.Headers = map[string]string{"X-Extra": "yes"}
	p.APIKeyHeader = "x-api-key"
	p.TokenParams = map[string]string{"audience": "api", "grant_type": "evil", "code": "evil"}
	s := flow.Secrets{ClientSecret: testSecret, APIKey: testAPIKey}
	tok, err := c.Exchange(context.Background(), testRequest(p), s, testCode)
	if err != nil {
		t.Fatal(err)
	}
	wantRequests(t, cs, 1)
	r := cs.last(t)
	want := map[string]string{
		"grant_type": "authorization_code", "code": testCode, "redirect_uri": p.RedirectURI,
		"code_verifier": testVerifier, "client_id": "client-1", "client_secret": testSecret, "audience": "api",
	}
	for k, v := range want {
		if got := r.Form.Get(k); got != v {
			t.Errorf("form %s = %q, want %q", k, got, v)
		}
	}
	if len(r.Form) != len(want) {
		t.Errorf("form has %d fields, want %d: %v", len(r.Form), len(want), r.Form)
	}
	if r.Header.Get("Authorization") != "" {
		t.Error("body client auth also sent an Authorization header")
	}
	if r.Header.Get("x-api-key") != testAPIKey || r.Header.Get("X-Extra") != "yes" || r.Header.Get("User-Agent") != "tokenring-test/1" {
		t.Errorf("headers: %v", r.Header)
	}
	if tok.AccessToken != testAccess || tok.RefreshToken != testRefresh || tok.TokenType != "bearer" || tok.Scope != "a b" {
		t.Errorf("token fields wrong: %+v", *tok)
	}
	if !tok.Expiry.Equal(fixedNow.Add(time.Hour)) || tok.ExpirySource != flow.ExpiryFromExpiresIn || !tok.IssuedAt.Equal(fixedNow) {
		t.Errorf("expiry %v (%s), issued %v", tok.Expiry, tok.ExpirySource, tok.IssuedAt)
	}
}

func TestExchangeBasicAuth(t *testing.T) {
	cs := newServer(t, jsonReply(200, `{"access_token":"x","token_type":"Bearer"}`))
	p := testProvider(cs.URL)
	p.ClientAuth = flow.ClientAuthBasic
	p.ClientID = "client 1&"
	if _, err := testClient().Exchange(context.Background(), testRequest(p), flow.Secrets{ClientSecret: "p@ss:w rd"}, testCode); err != nil {
		t.Fatal(err)
	}
	wantRequests(t, cs, 1)
	r := cs.last(t)
	auth := r.Header.Get("Authorization")
	// RFC 6749 §2.3.1: form-encode id and secret, then Basic.
	want := "Basic " + base64.StdEncoding.EncodeToString([]byte("client+1%26:p%40ss%3Aw+rd"))
	if auth != want {
		t.Errorf("Authorization %q, want %q", auth, want)
	}
	if r.Form.Has("client_secret") || r.Form.Has("client_id") {
		t.Errorf("basic auth also put credentials in the body: %v", r.Form)
	}
}

func TestExchangeNoVerifierNoSecret(t *testing.T) {
	cs := newServer(t, jsonReply(200, `{"access_token":"x"}`))
	p := testProvider(cs.URL)
	req := testRequest(p)
	req.Verifier = ""
	if _, err := testClient().Exchange(context.Background(), req, flow.Secrets{}, testCode); err != nil {
		t.Fatal(err)
	}
	f := cs.last(t).Form
	if f.Has("code_verifier") || f.Has("client_secret") {
		t.Errorf("sent what it did not have: %v", f)
	}
}

func TestHostile500HTML(t *testing.T) {
	cs := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(500)
		io.WriteString(w, "<html><body><h1>Internal Server Error</h1>"+testCode+"</body></html>")
	})
	_, err := exchangeOnce(t, testClient(), cs)
	wantKind(t, err, flow.ErrServer)
	wantRequests(t, cs, 1)
	if !strings.Contains(err.Error(), "500") || !strings.Contains(err.Error(), "127.0.0.1") {
		t.Errorf("error %q should name the status and the host", err)
	}
}

func TestHostile200HTML(t *testing.T) {
	cs := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		io.WriteString(w, "<!doctype html><p>Please log in</p>")
	})
	_, err := exchangeOnce(t, testClient(), cs)
	wantKind(t, err, flow.ErrBadResponse)
	wantRequests(t, cs, 1)
	if !strings.Contains(err.Error(), "HTML") {
		t.Errorf("error %q should say it was HTML", err)
	}
}

func TestHostileEmpty200(t *testing.T) {
	for _, ct := range []string{"application/json", "", "text/plain"} {
		t.Run(ct, func(t *testing.T) {
			cs := newServer(t, func(w http.ResponseWriter, r *http.Request) {
				if ct != "" {
					w.Header().Set("Content-Type", ct)
				}
				w.WriteHeader(200)
			})
			_, err := exchangeOnce(t, testClient(), cs)
			wantKind(t, err, flow.ErrBadResponse)
			wantRequests(t, cs, 1)
		})
	}
}

func TestHostileHugeBody(t *testing.T) {
	const size = 5 << 20
	big := `{"access_token":"` + strings.Repeat("a", size) + `"}`
	for _, chunked := range []bool{false, true} {
		name := map[bool]string{false: "content-length", true: "chunked"}[chunked]
		t.Run(name, func(t *testing.T) {
			cs := newServer(t, func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				if chunked {
					w.(http.Flusher).Flush()
				} else {
					w.Header().Set("Content-Length", strconv.Itoa(len(big)))
				}
				io.WriteString(w, big)
			})
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			_, err := exchangeOnce(t, testClient(), cs)
			runtime.ReadMemStats(&after)
			wantKind(t, err, flow.ErrBadResponse)
			wantRequests(t, cs, 1)
			if !strings.Contains(err.Error(), "larger than 1 MiB") {
				t.Errorf("error %q should say the reply was too large", err)
			}
			// The client reads at most 1 MiB + 1 byte (less than 3 MiB of
			// allocations with buffer growth); reading the whole 5 MiB body
			// would cost well over 10 MiB. The server and the race detector
			// allocate in this window too, hence the slack. A Content-Length
			// over the cap is refused before the body is read: no megabyte
			// is allocated at all (reading it into one buffer: 5 MiB).
			limit := uint64(8 << 20)
			if !chunked {
				limit = 1 << 20
			}
			alloc := after.TotalAlloc - before.TotalAlloc
			if alloc > limit {
				t.Errorf("allocated %d bytes for a capped read (at most %d)", alloc, limit)
			}
		})
	}
}

func TestExpiresInAsString(t *testing.T) {
	cs := newServer(t, jsonReply(200, `{"access_token":"x","token_type":"Bearer","expires_in":"3600"}`))
	tok, err := exchangeOnce(t, testClient(), cs)
	if err != nil {
		t.Fatal(err)
	}
	if !tok.Expiry.Equal(fixedNow.Add(time.Hour)) || tok.ExpirySource != flow.ExpiryFromExpiresIn {
		t.Errorf("expiry %v (%s), want now+1h from expires_in", tok.Expiry, tok.ExpirySource)
	}
}

func TestHostileStall(t *testing.T) {
	cs := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(30 * time.Second):
			jsonReply(200, `{"access_token":"late"}`)(w, r)
		}
	})
	c := testClient()
	c.Timeout = 300 * time.Millisecond
	_, err := exchangeOnce(t, c, cs)
	wantKind(t, err, flow.ErrTimeout)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("error %q should also wrap context.DeadlineExceeded", err)
	}
	wantRequests(t, cs, 1)
}

func TestHostileStallInBody(t *testing.T) {
	// Headers arrive, the body never ends: the timeout covers the body too.
	cs := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"access_token":"`)
		w.(http.Flusher).Flush()
		select {
		case <-r.Context().Done():
		case <-time.After(30 * time.Second):
		}
	})
	c := testClient()
	c.Timeout = 300 * time.Millisecond
	_, err := exchangeOnce(t, c, cs)
	wantKind(t, err, flow.ErrTimeout)
	wantRequests(t, cs, 1)
}

func TestHostileEscapeSequences(t *testing.T) {
	desc := "bad code\x1b]52;c;" + base64.StdEncoding.EncodeToString([]byte("rm -rf ~")) + "\x07\x1b[2J\x1b[31m gone\r\nnow"
	cs := newServer(t, jsonReply(400, `{"error":"invalid_grant\u001b[5m","error_description":"`+jsonEscape(desc)+`","error_uri":"https://x.example/\u0007e"}`))
	_, err := exchangeOnce(t, testClient(), cs)
	oe := wantOAuth(t, err, "invalid_grant")
	if oe.Description != "bad code gone now" {
		t.Errorf("description %q, want the text without escapes", oe.Description)
	}
	if oe.Op != "code exchange" || oe.Status != 400 {
		t.Errorf("op %q status %d", oe.Op, oe.Status)
	}
	if strings.ContainsAny(oe.URI, "\x07\x1b") {
		t.Errorf("URI %q not cleaned", oe.URI)
	}
	wantRequests(t, cs, 1)
}

func jsonEscape(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r < 0x20 {
			b.WriteString(`\u00`)
			b.WriteByte("0123456789abcdef"[r>>4])
			b.WriteByte("0123456789abcdef"[r&15])
			continue
		}
		if r == '"' || r == '\\' {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

func TestHostileServerEchoesSecrets(t *testing.T) {
	cs := newServer(t, jsonReply(400, `{"error":"invalid_grant","error_description":"code `+testCode+` with secret `+testSecret+` and verifier `+testVerifier+` refused"}`))
	_, err := exchangeOnce(t, testClient(), cs)
	oe := wantOAuth(t, err, "invalid_grant") // assertClean checks the text
	if !strings.Contains(oe.Description, "[redacted]") {
		t.Errorf("description %q", oe.Description)
	}
	// A secret split by an escape sequence, or cut by the length cap, leaks
	// no part of itself either.
	half := len(testCode) / 2
	for _, desc := range []string{
		"code " + testCode[:half] + `\u001b[0m` + testCode[half:] + " refused",
		strings.Repeat("x", 290) + testCode,
	} {
		cs := newServer(t, jsonReply(400, `{"error":"invalid_grant","error_description":"`+desc+`"}`))
		_, err := exchangeOnce(t, testClient(), cs)
		oe := wantOAuth(t, err, "invalid_grant")
		if strings.Contains(oe.Description, testCode[:8]) {
			t.Errorf("description %q shows part of the code", oe.Description)
		}
	}
}

func TestHostileUntrustedTLS(t *testing.T) {
	cs := newTLSServer(t, jsonReply(200, `{"access_token":"x"}`))
	c := testClient() // default transport: the test CA is not trusted
	p := testProvider(cs.URL)
	_, err := c.Exchange(context.Background(), testRequest(p), testSecrets, testCode)
	wantKind(t, err, flow.ErrTLS)
	wantRequests(t, cs, 0) // the handshake failed: nothing reached the handler

	// The same server works with a client that trusts it.
	c.HTTP = cs.Client()
	if _, err := c.Exchange(context.Background(), testRequest(p), testSecrets, testCode); err != nil {
		t.Fatalf("trusted TLS: %v", err)
	}
	wantRequests(t, cs, 1)
}

func TestHostilePlainHTTPOnTLSClient(t *testing.T) {
	cs := newServer(t, jsonReply(200, `{"access_token":"x"}`))
	p := testProvider(strings.Replace(cs.URL, "http://", "https://", 1))
	_, err := testClient().Exchange(context.Background(), testRequest(p), testSecrets, testCode)
	wantKind(t, err, flow.ErrTLS)
}

func TestHostileConnectionRefused(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	p := testProvider("http://" + addr)
	_, err = testClient().Exchange(context.Background(), testRequest(p), testSecrets, testCode)
	wantKind(t, err, flow.ErrUnreachable)
	if !strings.Contains(err.Error(), addr) || !strings.Contains(err.Error(), "refused") {
		t.Errorf("error %q should name %s and say refused", err, addr)
	}
}

func TestFailedExchangeIsNotRetried(t *testing.T) {
	cases := map[string]http.HandlerFunc{
		"invalid_grant": jsonReply(400, `{"error":"invalid_grant"}`),
		"invalid_client 401": func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("WWW-Authenticate", `Basic realm="x"`)
			jsonReply(401, `{"error":"invalid_client"}`)(w, r)
		},
		"500 json":     jsonReply(500, `{}`),
		"502 text":     func(w http.ResponseWriter, r *http.Request) { http.Error(w, "bad gateway", 502) },
		"error in 200": jsonReply(200, `{"error":"invalid_grant"}`),
		"no token":     jsonReply(200, `{"token_type":"bearer"}`),
		"redirect 307": func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "/token2", http.StatusTemporaryRedirect)
		},
		"redirect 308": func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "/token", http.StatusPermanentRedirect)
		},
		"bad json":      jsonReply(200, `{"access_token":`),
		"number token":  jsonReply(200, `{"access_token":12345}`),
		"control chars": jsonReply(200, `{"access_token":"a\nb"}`),
	}
	for _, style := range []flow.ClientAuth{flow.ClientAuthBody, flow.ClientAuthBasic} {
		for name, h := range cases {
			t.Run(string(style)+"/"+name, func(t *testing.T) {
				cs := newServer(t, h)
				p := testProvider(cs.URL)
				p.ClientAuth = style
				tok, err := testClient().Exchange(context.Background(), testRequest(p), testSecrets, testCode)
				if err == nil {
					t.Fatalf("got a token %v", tok)
				}
				assertClean(t, err)
				wantRequests(t, cs, 1)
				var oe *flow.OAuthError
				if !errors.As(err, &oe) && !errors.Is(err, flow.ErrBadResponse) && !errors.Is(err, flow.ErrServer) {
					t.Errorf("error %q is neither an OAuth error nor a bad response/server error", err)
				}
			})
		}
	}
}

func TestFormEncodedReply(t *testing.T) {
	cs := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/x-www-form-urlencoded")
		io.WriteString(w, "access_token=12345&token_type=bearer&expires_in=60&scope=read")
	})
	tok, err := exchangeOnce(t, testClient(), cs)
	if err != nil {
		t.Fatal(err)
	}
	if tok.AccessToken != "12345" || tok.Scope != "read" || !tok.Expiry.Equal(fixedNow.Add(time.Minute)) {
		t.Errorf("token %+v", *tok)
	}
}

func TestExpiryFromAccessTokenJWT(t *testing.T) {
	exp := fixedNow.Add(90 * time.Minute).Unix()
	jwt := fakeJWT(t, map[string]any{"exp": exp, "sub": "u"})
	cs := newServer(t, jsonReply(200, `{"access_token":"`+jwt+`","token_type":"Bearer"}`))
	tok, err := exchangeOnce(t, testClient(), cs)
	if err != nil {
		t.Fatal(err)
	}
	if tok.ExpirySource != flow.ExpiryFromJWT || tok.Expiry.Unix() != exp {
		t.Errorf("expiry %v (%s), want %d from the JWT", tok.Expiry, tok.ExpirySource, exp)
	}
	// expires_in wins over the JWT.
	cs2 := newServer(t, jsonReply(200, `{"access_token":"`+jwt+`","expires_in":60}`))
	tok, err = exchangeOnce(t, testClient(), cs2)
	if err != nil || tok.ExpirySource != flow.ExpiryFromExpiresIn {
		t.Errorf("expires_in should win: %v %v", err, tok)
	}
	// Neither: no expiry.
	cs3 := newServer(t, jsonReply(200, `{"access_token":"opaque","token_type":"bearer"}`))
	tok, err = exchangeOnce(t, testClient(), cs3)
	if err != nil || tok.ExpirySource != flow.ExpiryNone || tok.Expires() {
		t.Errorf("want no expiry: %v %+v", err, tok)
	}
}

func TestExchangeChecksNonce(t *testing.T) {
	for _, tc := range []struct {
		name  string
		nonce any
		want  error
	}{
		{"match", testNonce, nil},
		{"mismatch", "other-nonce", flow.ErrNonceMismatch},
		{"missing", nil, flow.ErrNonceMismatch},
	} {
		t.Run(tc.name, func(t *testing.T) {
			claims := map[string]any{"sub": "u", "aud": "client-1"}
			if tc.nonce != nil {
				claims["nonce"] = tc.nonce
			}
			cs := newServer(t, jsonReply(200, `{"access_token":"x","id_token":"`+fakeJWT(t, claims)+`"}`))
			p := testProvider(cs.URL)
			req := testRequest(p)
			req.Nonce = testNonce
			tok, err := testClient().Exchange(context.Background(), req, testSecrets, testCode)
			if tc.want == nil {
				if err != nil || tok.IDToken == "" {
					t.Fatalf("%v %v", err, tok)
				}
				return
			}
			wantKind(t, err, tc.want)
			if tok != nil {
				t.Error("tokens returned despite a nonce mismatch")
			}
		})
	}
	t.Run("garbage id_token", func(t *testing.T) {
		cs := newServer(t, jsonReply(200, `{"access_token":"x","id_token":"not.a.jwt"}`))
		req := testRequest(testProvider(cs.URL))
		req.Nonce = testNonce
		_, err := testClient().Exchange(context.Background(), req, testSecrets, testCode)
		wantKind(t, err, flow.ErrBadResponse)
	})
}

func TestRefusesInsecureEndpoints(t *testing.T) {
	for _, u := range []string{"http://example.com/token", "ftp://127.0.0.1/token", "http://10.0.0.1/token"} {
		p := testProvider("")
		p.TokenURL = u
		_, err := testClient().Exchange(context.Background(), testRequest(p), testSecrets, testCode)
		wantKind(t, err, flow.ErrInsecure)
	}
	p := testProvider("")
	p.TokenURL = ""
	_, err := testClient().Refresh(context.Background(), p, testSecrets, testRefresh)
	wantKind(t, err, flow.ErrConfig)
}

func TestMissingAPIKeyIsAConfigError(t *testing.T) {
	cs := newServer(t, jsonReply(200, `{"access_token":"x"}`))
	p := testProvider(cs.URL)
	p.APIKeyHeader = "x-api-key"
	_, err := testClient().Exchange(context.Background(), testRequest(p), flow.Secrets{}, testCode)
	wantKind(t, err, flow.ErrConfig)
	wantRequests(t, cs, 0)
}

func TestCancelledContext(t *testing.T) {
	started := make(chan struct{})
	cs := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		close(started)
		<-r.Context().Done()
	})
	ctx, cancel := context.WithCancel(context.Background())
	go func() { <-started; cancel() }()
	p := testProvider(cs.URL)
	_, err := testClient().Exchange(ctx, testRequest(p), testSecrets, testCode)
	wantKind(t, err, context.Canceled)
	if errors.Is(err, flow.ErrTimeout) {
		t.Error("a cancel is not a timeout")
	}
	wantRequests(t, cs, 1)
}

func TestTokenReplyCapStaysAt1MiB(t *testing.T) {
	// With MaxBody raised, a token reply over 1 MiB is still refused rather
	// than silently truncated by x/oauth2 (a form-encoded reply would parse).
	body := "access_token=abc&pad=" + strings.Repeat("x", 1<<20)
	cs := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/x-www-form-urlencoded")
		io.WriteString(w, body)
	})
	c := testClient()
	c.MaxBody = 8 << 20
	_, err := exchangeOnce(t, c, cs)
	wantKind(t, err, flow.ErrBadResponse)
	wantRequests(t, cs, 1)
	if !strings.Contains(err.Error(), "larger than 1 MiB") {
		t.Errorf("error %q should name the 1 MiB cap", err)
	}
}

func TestOddExpiresInDoesNotLoseTheToken(t *testing.T) {
	// x/oauth2 alone rejects the whole reply for these; the code would be spent.
	for raw, want := range map[string]time.Duration{
		`3600`: time.Hour, `"3600"`: time.Hour, `3600.0`: time.Hour, `3.6e3`: time.Hour, `"3600.9"`: time.Hour,
		`" 3600 "`: time.Hour, `1e300`: time.Duration(maxExpiresIn) * time.Second,
		`"soon"`: 0, `true`: 0, `{}`: 0, `[]`: 0, `null`: 0, `-5`: 0, `0`: 0, `""`: 0,
	} {
		t.Run(raw, func(t *testing.T) {
			cs := newServer(t, jsonReply(200, `{"access_token":"at","token_type":"Bearer","expires_in":`+raw+`,"scope":"a"}`))
			tok, err := exchangeOnce(t, testClient(), cs)
			if err != nil {
				t.Fatal(err)
			}
			if want == 0 {
				if tok.Expires() || tok.ExpirySource != flow.ExpiryNone {
					t.Errorf("expiry %v (%s), want none", tok.Expiry, tok.ExpirySource)
				}
			} else if got := tok.Expiry.Sub(fixedNow); got != want || tok.ExpirySource != flow.ExpiryFromExpiresIn {
				t.Errorf("expires in %v (%s), want %v", got, tok.ExpirySource, want)
			}
			if tok.AccessToken != "at" || tok.Scope != "a" || tok.TokenType != "Bearer" {
				t.Errorf("token %+v", *tok)
			}
			wantRequests(t, cs, 1)
		})
	}
}

// A provider that echoes what it received (the Authorization header, the
// form) in its error text gets every form of every secret redacted: raw,
// base64 (the Basic credentials), base64url and percent-encoded.
func TestEchoedSecretsAreRedactedInEveryEncoding(t *testing.T) {
	const secret = "s3:cr+et%/x"
	const refresh = "rt+/=:refresh"
	echo := func(w http.ResponseWriter, r *http.Request) {
		raw, _ := io.ReadAll(r.Body)
		desc := "got " + r.Header.Get("Authorization") + " body " + string(raw) + " b64url " +
			base64.RawURLEncoding.EncodeToString([]byte(refresh)) + " std " + base64.StdEncoding.EncodeToString([]byte(secret))
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(400)
		b, _ := json.Marshal(map[string]string{"error": "invalid_client", "error_description": desc})
		w.Write(b)
	}
	cs := newServer(t, echo)
	c := testClient()
	p := testProvider(cs.URL)
	p.ClientAuth = flow.ClientAuthBasic
	p.ClientID = "client:1"
	_, err := c.Refresh(context.Background(), p, flow.Secrets{ClientSecret: secret}, refresh)
	if err == nil {
		t.Fatal("no error")
	}
	msg := err.Error()
	basic := base64.StdEncoding.EncodeToString([]byte(url.QueryEscape(p.ClientID) + ":" + url.QueryEscape(secret)))
	for _, leak := range []string{secret, refresh, url.QueryEscape(secret), url.QueryEscape(refresh), basic,
		base64.RawURLEncoding.EncodeToString([]byte(refresh)), base64.StdEncoding.EncodeToString([]byte(secret))} {
		if strings.Contains(msg, leak) {
			t.Errorf("error text carries %q: %s", leak, msg)
		}
	}
	if !strings.Contains(msg, "[redacted]") {
		t.Errorf("nothing redacted in %q (did the server echo anything?)", msg)
	}
}

// A refresh whose answer was lost must not look like one that was never
// sent: only the second may be replayed with the same refresh token.
func TestErrNotSentOnlyWhenNothingReachedTheProvider(t *testing.T) {
	c := testClient()
	c.Timeout = 500 * time.Millisecond
	ctx := context.Background()

	// connection refused: nothing was sent
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := ln.Addr().String()
	ln.Close()
	_, err := c.Refresh(ctx, testProvider("http://"+addr), flow.Secrets{}, testRefresh)
	if !errors.Is(err, flow.ErrUnreachable) || !errors.Is(err, flow.ErrNotSent) {
		t.Fatalf("connection refused: %v (ErrNotSent %v)", err, errors.Is(err, flow.ErrNotSent))
	}

	// the server reads the request, then hangs up without answering
	hangup := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		conn, _, err := w.(http.Hijacker).Hijack()
		if err == nil {
			conn.Close()
		}
	})
	_, err = c.Refresh(ctx, testProvider(hangup.URL), flow.Secrets{}, testRefresh)
	if err == nil || errors.Is(err, flow.ErrNotSent) {
		t.Fatalf("answer lost after the request was read: %v (must not be ErrNotSent)", err)
	}

	// the server reads the request and never answers: a timeout after sending
	stall := newServer(t, func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() })
	_, err = c.Refresh(ctx, testProvider(stall.URL), flow.Secrets{}, testRefresh)
	if !errors.Is(err, flow.ErrTimeout) || errors.Is(err, flow.ErrNotSent) {
		t.Fatalf("timeout after sending: %v (must be ErrTimeout, not ErrNotSent)", err)
	}
}

package exchange

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tokenring/tokenring/flow"
)

// Secrets the tests send; no error string may contain any of them.
const (
	testCode     = "CODE-s3cr3t-0a1b2c"
	testSecret   = "CLIENT-s3cr3t-3d4e5f"
	testVerifier = "VERIFIER-s3cr3t-6a7b8c9d0e1f2a3b4c5d6e7f8a9b0c1d2e3f4a5b6c7d"
	testAPIKey   = "APIKEY-s3cr3t-9f8e7d"
	testAccess   = "ACCESS-s3cr3t-1234"
	testRefresh  = "REFRESH-s3cr3t-5678"
	testNonce    = "NONCE-s3cr3t-abcd"
)

var allSecrets = []string{testCode, testSecret, testVerifier, testAPIKey, testAccess, testRefresh, testNonce}

// seen is one request as a test server saw it.
type seen struct {
	Method string
	Path   string
	Header http.Header
	Form   url.Values
}

// countingServer is an httptest server on 127.0.0.1 that records every
// request before handing it to h.
type countingServer struct {
	*httptest.Server
	mu   sync.Mutex
	reqs []seen
}

func newServer(t testing.TB, h http.HandlerFunc) *countingServer {
	t.Helper()
	cs := &countingServer{}
	cs.Server = httptest.NewServer(cs.wrap(h))
	cs.Config.ErrorLog = log.New(io.Discard, "", 0)
	t.Cleanup(cs.Close)
	return cs
}

func newTLSServer(t testing.TB, h http.HandlerFunc) *countingServer {
	t.Helper()
	cs := &countingServer{}
	cs.Server = httptest.NewUnstartedServer(cs.wrap(h))
	cs.Config.ErrorLog = log.New(io.Discard, "", 0)
	cs.StartTLS()
	t.Cleanup(cs.Close)
	return cs
}

func (cs *countingServer) wrap(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		cs.mu.Lock()
		cs.reqs = append(cs.reqs, seen{Method: r.Method, Path: r.URL.Path, Header: r.Header.Clone(), Form: cloneValues(r.PostForm)})
		cs.mu.Unlock()
		h(w, r)
	}
}

func cloneValues(v url.Values) url.Values {
	c := url.Values{}
	for k, vs := range v {
		c[k] = append([]string(nil), vs...)
	}
	return c
}

func (cs *countingServer) count() int {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	return len(cs.reqs)
}

func (cs *countingServer) last(t testing.TB) seen {
	t.Helper()
	cs.mu.Lock()
	defer cs.mu.Unlock()
	if len(cs.reqs) == 0 {
		t.Fatal("the server saw no request")
	}
	return cs.reqs[len(cs.reqs)-1]
}

func (cs *countingServer) all() []seen {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	return append([]seen(nil), cs.reqs...)
}

func jsonReply(status int, body string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		io.WriteString(w, body)
	}
}

var fixedNow = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)

// testClient has a fixed clock and a short timeout.
func testClient() *Client {
	c := New()
	c.Now = func() time.Time { return fixedNow }
	c.Timeout = 5 * time.Second
	return c
}

func testProvider(base string) flow.Provider {
	return flow.Provider{
		ID:            "test",
		DisplayName:   "Test",
		AuthURL:       base + "/authorize",
		TokenURL:      base + "/token",
		RevocationURL: base + "/revoke",
		DeviceAuthURL: base + "/device",
		ClientID:      "client-1",
		RedirectURI:   "http://127.0.0.1:9/callback",
		PKCE:          flow.PKCERequired,
		ClientAuth:    flow.ClientAuthBody,
		ClientSecret:  flow.NeedOptional,
	}
}

func testRequest(p flow.Provider) *flow.AuthRequest {
	return &flow.AuthRequest{Provider: p, State: "state-1", Verifier: testVerifier, RedirectURI: p.RedirectURI}
}

var testSecrets = flow.Secrets{ClientSecret: testSecret}

// assertClean fails when err's text contains a secret or a control character.
func assertClean(t testing.TB, err error) {
	t.Helper()
	if err == nil {
		return
	}
	msg := err.Error()
	for _, s := range allSecrets {
		if strings.Contains(msg, s) {
			t.Errorf("error %q contains the secret %q", msg, s)
		}
	}
	for _, r := range msg {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r <= 0x9f) {
			t.Errorf("error %q contains control character %U", msg, r)
		}
	}
}

func wantKind(t testing.TB, err, kind error) {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want one wrapping %v", kind)
	}
	if !errors.Is(err, kind) {
		t.Fatalf("error %q does not wrap %q", err, kind)
	}
	assertClean(t, err)
}

func wantOAuth(t testing.TB, err error, code string) *flow.OAuthError {
	t.Helper()
	var oe *flow.OAuthError
	if !errors.As(err, &oe) {
		t.Fatalf("error %v is not a *flow.OAuthError", err)
	}
	if oe.Code != code {
		t.Fatalf("OAuth error code %q, want %q", oe.Code, code)
	}
	assertClean(t, err)
	return oe
}

func wantRequests(t testing.TB, cs *countingServer, n int) {
	t.Helper()
	if got := cs.count(); got != n {
		t.Fatalf("the server saw %d requests, want %d", got, n)
	}
}

// fakeJWT builds an unsigned-looking compact JWS with the given claims.
func fakeJWT(t testing.TB, claims map[string]any) string {
	t.Helper()
	enc := func(v any) string {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		return base64.RawURLEncoding.EncodeToString(b)
	}
	return enc(map[string]string{"alg": "HS256", "typ": "JWT"}) + "." + enc(claims) + ".c2lnbmF0dXJl"
}

// pollCtx bounds one device-flow poll in a test: a regression that keeps
// polling (say, past access_denied) fails in 10 s instead of hanging until
// go test's 10-minute timeout. Fake waits return ctx.Err() so the bound
// holds without real sleeps.
func pollCtx(t testing.TB) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

package exchange

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tokenring/tokenring/flow"
	"github.com/tokenring/tokenring/internal/localoauth"
)

// fakeClock is shared by a localoauth server and the client, so device-flow
// intervals and expiries can pass without sleeping.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// authorize plays the user: start, approve in the "browser", read the paste.
func authorize(t *testing.T, srv *localoauth.Server, p flow.Provider) (*flow.AuthRequest, string) {
	t.Helper()
	req, err := flow.StartAuth(p)
	if err != nil {
		t.Fatal(err)
	}
	landed, err := srv.Approve(req.URL)
	if err != nil {
		t.Fatal(err)
	}
	code, err := req.ReadPaste(landed)
	if err != nil {
		t.Fatalf("reading %q: %v", landed, err)
	}
	return req, code
}

func tokenCount(srv *localoauth.Server, path string) int { return srv.Count(path) }

const (
	warhornID       = "Lw897vn3R7y6M2NfsA2BxJGM"
	warhornSecret   = "warhorn-client-s3cr3t"
	warhornCallback = "https://app.example/oauth/callback"
)

func warhornProvider(t *testing.T, srv *localoauth.Server, scopes []string) flow.Provider {
	t.Helper()
	p, err := flow.Preset("warhorn", flow.Overrides{
		ClientID: warhornID, RedirectURI: warhornCallback,
		AuthURL: srv.URL + "/oauth/authorize", TokenURL: srv.URL + "/oauth/token", Scopes: scopes,
	})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestWarhorn(t *testing.T) {
	srv := localoauth.NewWarhorn(localoauth.WarhornOptions{ClientID: warhornID, ClientSecret: warhornSecret, RedirectURI: warhornCallback})
	t.Cleanup(srv.Close)
	c := New()
	s := flow.Secrets{ClientSecret: warhornSecret}
	ctx := context.Background()

	p := warhornProvider(t, srv, nil) // preset scopes: openid email profile
	req, code := authorize(t, srv, p)
	tok, err := c.Exchange(ctx, req, s, code)
	if err != nil {
		t.Fatal(err)
	}
	if n := tokenCount(srv, "/oauth/token"); n != 1 {
		t.Fatalf("token endpoint saw %d requests, want 1", n)
	}
	if tok.TokenType != "bearer" {
		t.Errorf("token_type %q, want the lower-case bearer as sent", tok.TokenType)
	}
	if tok.Expires() || tok.ExpirySource != flow.ExpiryNone || tok.RefreshToken != "" {
		t.Errorf("Warhorn tokens do not expire and have no refresh token: %v %s %v", tok.Expiry, tok.ExpirySource, tok.RefreshToken != "")
	}
	if tok.IDToken == "" {
		t.Error("no id_token although openid was asked for")
	}
	if !srv.ValidAccessToken(tok.AccessToken) {
		t.Error("the server does not know the access token")
	}
	last := srv.Requests()[len(srv.Requests())-1]
	if last.Form.Get("client_secret") != warhornSecret || last.Form.Get("redirect_uri") != warhornCallback || last.Header.Get("Authorization") != "" {
		t.Errorf("request did not authenticate in the form body as Warhorn wants")
	}

	// The code is single-use: a second exchange fails with invalid_grant,
	// in exactly one more request.
	_, err = c.Exchange(ctx, req, s, code)
	wantOAuth(t, err, "invalid_grant")
	for _, secret := range []string{code, warhornSecret} {
		if strings.Contains(err.Error(), secret) {
			t.Errorf("error %q leaks a secret", err)
		}
	}
	if n := tokenCount(srv, "/oauth/token"); n != 2 {
		t.Fatalf("token endpoint saw %d requests after the failed exchange, want 2", n)
	}

	t.Run("no openid, no id_token", func(t *testing.T) {
		p := warhornProvider(t, srv, []string{"email", "profile"})
		req, code := authorize(t, srv, p)
		tok, err := c.Exchange(ctx, req, s, code)
		if err != nil {
			t.Fatal(err)
		}
		if tok.IDToken != "" {
			t.Error("id_token without openid")
		}
	})

	t.Run("nonce mismatch", func(t *testing.T) {
		req, code := authorize(t, srv, p)
		req.Nonce = "a-different-nonce-" + strings.Repeat("x", 16)
		before := tokenCount(srv, "/oauth/token")
		_, err := c.Exchange(ctx, req, s, code)
		wantKind(t, err, flow.ErrNonceMismatch)
		if n := tokenCount(srv, "/oauth/token") - before; n != 1 {
			t.Errorf("%d requests, want 1", n)
		}
	})

	t.Run("wrong secret", func(t *testing.T) {
		req, code := authorize(t, srv, p)
		_, err := c.Exchange(ctx, req, flow.Secrets{ClientSecret: "wrong-secret-value"}, code)
		wantOAuth(t, err, "invalid_client")
		if strings.Contains(err.Error(), "wrong-secret-value") {
			t.Error("error leaks the secret")
		}
	})

	t.Run("application token by client credentials", func(t *testing.T) {
		before := tokenCount(srv, "/oauth/token")
		tok, err := c.ClientCredentials(ctx, p, s)
		if err != nil {
			t.Fatal(err)
		}
		if tok.AccessToken == "" || tok.Expires() || tok.TokenType != "bearer" {
			t.Errorf("app token %+v", tok)
		}
		if n := tokenCount(srv, "/oauth/token") - before; n != 1 {
			t.Errorf("%d requests, want 1", n)
		}
	})
}

func TestWarhornFailuresAreNotRetried(t *testing.T) {
	srv := localoauth.NewWarhorn(localoauth.WarhornOptions{ClientID: warhornID, ClientSecret: warhornSecret, RedirectURI: warhornCallback})
	t.Cleanup(srv.Close)
	s := flow.Secrets{ClientSecret: warhornSecret}
	p := warhornProvider(t, srv, nil)
	for _, tc := range []struct {
		name string
		fail localoauth.Failure
		kind error
	}{
		{"500", localoauth.Failure{Status: 500, Body: "<html>oops</html>", ContentType: "text/html"}, flow.ErrServer},
		{"stall", localoauth.Failure{Delay: 5 * time.Second}, flow.ErrTimeout},
		{"html 200", localoauth.Failure{Status: 200, Body: "<html>login</html>", ContentType: "text/html"}, flow.ErrBadResponse},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := New()
			c.Timeout = 300 * time.Millisecond
			req, code := authorize(t, srv, p)
			before := tokenCount(srv, "/oauth/token")
			srv.SetFail(tc.fail)
			_, err := c.Exchange(context.Background(), req, s, code)
			wantKind(t, err, tc.kind)
			if strings.Contains(err.Error(), code) {
				t.Error("error leaks the code")
			}
			// Let a stalled handler finish before counting.
			deadline := time.Now().Add(10 * time.Second)
			for tokenCount(srv, "/oauth/token")-before < 1 && time.Now().Before(deadline) {
				time.Sleep(10 * time.Millisecond)
			}
			if n := tokenCount(srv, "/oauth/token") - before; n != 1 {
				t.Errorf("%d requests for one failed exchange, want 1", n)
			}
		})
	}
}

const (
	dressipiClient = "dressipi-client-1"
	dressipiKey    = "dressipi-api-key-s3cr3t"
)

func TestDressipi(t *testing.T) {
	srv := localoauth.NewDressipi(localoauth.DressipiOptions{ClientID: dressipiClient, APIKey: dressipiKey})
	t.Cleanup(srv.Close)
	c := New()
	ctx := context.Background()
	p, err := flow.Preset("dressipi", flow.Overrides{BaseURL: srv.URL, ClientID: dressipiClient})
	if err != nil {
		t.Fatal(err)
	}
	s := flow.Secrets{APIKey: dressipiKey}
	req, code := authorize(t, srv, p)
	if req.Verifier == "" || req.RedirectURI != localoauth.OOBAuto {
		t.Fatalf("Dressipi needs PKCE and the OOB redirect URI: verifier %v, redirect %q", req.Verifier != "", req.RedirectURI)
	}
	tok, err := c.Exchange(ctx, req, s, code)
	if err != nil {
		t.Fatal(err)
	}
	if tok.RefreshToken == "" || tok.ExpirySource != flow.ExpiryFromExpiresIn || tok.TokenType != "Bearer" {
		t.Errorf("token: refresh %v, expiry from %s, type %q", tok.RefreshToken != "", tok.ExpirySource, tok.TokenType)
	}
	if d := time.Until(tok.Expiry); d < 86000*time.Second || d > 86401*time.Second {
		t.Errorf("expiry in %v, want ~86400 s", d)
	}

	// Rotation: the new refresh token replaces the old, which is then refused.
	old := tok.RefreshToken
	tok2, err := c.Refresh(ctx, p, s, old)
	if err != nil {
		t.Fatal(err)
	}
	if tok2.RefreshToken == "" || tok2.RefreshToken == old {
		t.Fatal("Dressipi rotates refresh tokens: want a new one")
	}
	_, err = c.Refresh(ctx, p, s, old)
	wantOAuth(t, err, "invalid_grant")
	if !flow.IsInvalidGrant(err) || strings.Contains(err.Error(), old) {
		t.Errorf("error %q", err)
	}

	// Without the API key nothing is sent; with a wrong one the server refuses.
	before := len(srv.Requests())
	_, err = c.Refresh(ctx, p, flow.Secrets{}, tok2.RefreshToken)
	wantKind(t, err, flow.ErrConfig)
	if len(srv.Requests()) != before {
		t.Error("a request went out without the API key")
	}
	_, err = c.Refresh(ctx, p, flow.Secrets{APIKey: "wrong-api-key-123"}, tok2.RefreshToken)
	if err == nil || strings.Contains(err.Error(), "wrong-api-key-123") {
		t.Errorf("wrong API key: %v", err)
	}

	// Every call carried x-api-key (the one above carried the wrong one).
	for i, r := range srv.Requests() {
		if r.Header.Get("x-api-key") == "" { // the authorize page too (localoauth's browser sends it)
			t.Errorf("request %d to %s had no x-api-key", i, r.Path)
		}
		if r.Path == "/oauth/token" && r.Form.Get("redirect_uri") != localoauth.OOBAuto {
			t.Errorf("request %d: redirect_uri %q", i, r.Form.Get("redirect_uri"))
		}
	}
	// The refresh token still works after the wrong-key attempt.
	if _, err := c.Refresh(ctx, p, s, tok2.RefreshToken); err != nil {
		t.Fatalf("refresh with the right key: %v", err)
	}
}

func TestDressipiPKCEIsChecked(t *testing.T) {
	srv := localoauth.NewDressipi(localoauth.DressipiOptions{ClientID: dressipiClient, APIKey: dressipiKey})
	t.Cleanup(srv.Close)
	p, _ := flow.Preset("dressipi", flow.Overrides{BaseURL: srv.URL, ClientID: dressipiClient})
	req, code := authorize(t, srv, p)
	bad := *req
	bad.Verifier = strings.Repeat("w", 64) // not the one the challenge was made from
	_, err := New().Exchange(context.Background(), &bad, flow.Secrets{APIKey: dressipiKey}, code)
	wantOAuth(t, err, "invalid_grant")
	if strings.Contains(err.Error(), bad.Verifier) {
		t.Error("error leaks the verifier")
	}
}

func oidcServer(t *testing.T, o localoauth.OIDCOptions) *localoauth.Server {
	t.Helper()
	if o.ClientID == "" {
		o.ClientID = "oidc-client"
	}
	srv := localoauth.NewOIDC(o)
	t.Cleanup(srv.Close)
	return srv
}

func discover(t *testing.T, c *Client, srv *localoauth.Server, base flow.Provider) flow.Provider {
	t.Helper()
	p, err := c.Discover(context.Background(), srv.URL, base)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestOIDCDiscoveryLoopbackRefreshRevoke(t *testing.T) {
	srv := oidcServer(t, localoauth.OIDCOptions{
		ClientSecret: "oidc-s3cr3t", RedirectURIs: []string{"http://127.0.0.1/callback"},
		RotateRefresh: false, Revocation: true, PKCE: true, BasicAuth: true, JWTAccessTokens: true,
	})
	c := New()
	ctx := context.Background()
	base := flow.Provider{ID: "oidc", ClientID: "oidc-client", RedirectURI: "http://127.0.0.1/callback", Scopes: []string{"openid", "offline_access"}, ClientSecret: flow.NeedRequired}
	p := discover(t, c, srv, base)
	if p.TokenURL != srv.URL+"/token" || p.AuthURL != srv.URL+"/authorize" || p.RevocationURL != srv.URL+"/revoke" || p.DeviceAuthURL != "" {
		t.Fatalf("discovered endpoints %q %q %q %q", p.AuthURL, p.TokenURL, p.RevocationURL, p.DeviceAuthURL)
	}
	if p.ClientAuth != flow.ClientAuthBasic || p.PKCE != flow.PKCEOptional || p.Issuer != srv.URL {
		t.Fatalf("client auth %q, pkce %q, issuer %q", p.ClientAuth, p.PKCE, p.Issuer)
	}
	s := flow.Secrets{ClientSecret: "oidc-s3cr3t"}

	// Loopback capture: the listener picks a port, the auth URL is rebuilt
	// with it, the "browser" follows the redirect to the listener.
	req, err := flow.StartAuth(p)
	if err != nil {
		t.Fatal(err)
	}
	capt, err := c.ListenLoopback(req)
	if err != nil {
		t.Fatal(err)
	}
	defer capt.Close()
	req, err = req.WithRedirectURI(capt.RedirectURI())
	if err != nil {
		t.Fatal(err)
	}
	landed, err := srv.Approve(req.URL)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(landed, capt.RedirectURI()+"?") {
		t.Fatalf("landed on %q, want the listener %q", landed, capt.RedirectURI())
	}
	resp, err := http.Get(landed)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	res := <-capt.Result()
	if res.Err != nil || res.Code == "" {
		t.Fatalf("capture: %+v", res)
	}
	tok, err := c.Exchange(ctx, req, s, res.Code)
	if err != nil {
		t.Fatal(err)
	}
	if tok.IDToken == "" || tok.RefreshToken == "" || tok.ExpirySource != flow.ExpiryFromExpiresIn {
		t.Fatalf("token: id %v refresh %v expiry %s", tok.IDToken != "", tok.RefreshToken != "", tok.ExpirySource)
	}

	// Non-rotating server: the reply has no refresh_token, the old one is kept.
	tok2, err := c.Refresh(ctx, p, s, tok.RefreshToken)
	if err != nil {
		t.Fatal(err)
	}
	if tok2.RefreshToken != tok.RefreshToken {
		t.Error("the refresh token was not kept although the server did not rotate it")
	}
	if tok2.AccessToken == tok.AccessToken {
		t.Error("refresh returned the same access token")
	}

	// Revocation (RFC 7009): the refresh token dies, with one request.
	before := srv.Count("/revoke")
	if err := c.Revoke(ctx, p, s, tok2.RefreshToken, "refresh_token"); err != nil {
		t.Fatal(err)
	}
	if n := srv.Count("/revoke") - before; n != 1 {
		t.Errorf("%d revocation requests, want 1", n)
	}
	if srv.ValidRefreshToken(tok2.RefreshToken) {
		t.Error("the refresh token is still valid after revocation")
	}
	_, err = c.Refresh(ctx, p, s, tok2.RefreshToken)
	wantOAuth(t, err, "invalid_grant")
	// A 503 from the revocation endpoint.
	srv.SetFail(localoauth.Failure{Status: 503, Body: `{"error":"temporarily_unavailable"}`, ContentType: "application/json", Path: "/revoke"})
	err = c.Revoke(ctx, p, s, tok2.AccessToken, "access_token")
	wantKind(t, err, flow.ErrServer)
	if !strings.Contains(err.Error(), "try again later") {
		t.Errorf("error %q should say to try later", err)
	}
}

func TestOIDCRotatingRefresh(t *testing.T) {
	srv := oidcServer(t, localoauth.OIDCOptions{RedirectURIs: []string{"http://127.0.0.1/cb"}, RotateRefresh: true, PKCE: true})
	c := New()
	p := discover(t, c, srv, flow.Provider{ID: "oidc", ClientID: "oidc-client", RedirectURI: "http://127.0.0.1:5555/cb", Scopes: []string{"openid"}, ClientSecret: flow.NeedNone})
	if p.ClientAuth != flow.ClientAuthBody {
		t.Fatalf("public client: client auth %q, want body", p.ClientAuth)
	}
	req, code := authorize(t, srv, p)
	tok, err := c.Exchange(context.Background(), req, flow.Secrets{}, code)
	if err != nil {
		t.Fatal(err)
	}
	tok2, err := c.Refresh(context.Background(), p, flow.Secrets{}, tok.RefreshToken)
	if err != nil {
		t.Fatal(err)
	}
	if tok2.RefreshToken == tok.RefreshToken || tok2.RefreshToken == "" {
		t.Fatal("rotating server: the new refresh token was not kept")
	}
	_, err = c.Refresh(context.Background(), p, flow.Secrets{}, tok.RefreshToken)
	wantOAuth(t, err, "invalid_grant")
}

func TestOIDCClientCredentials(t *testing.T) {
	srv := oidcServer(t, localoauth.OIDCOptions{ClientSecret: "cc-s3cr3t", ClientCredentials: true, BasicAuth: true})
	c := New()
	p := discover(t, c, srv, flow.Provider{ID: "oidc", ClientID: "oidc-client", Grant: flow.GrantClientCredentials})
	tok, err := c.ClientCredentials(context.Background(), p, flow.Secrets{ClientSecret: "cc-s3cr3t"})
	if err != nil {
		t.Fatal(err)
	}
	if tok.AccessToken == "" || !srv.ValidAccessToken(tok.AccessToken) {
		t.Error("no valid app token")
	}
	_, err = c.ClientCredentials(context.Background(), p, flow.Secrets{ClientSecret: "nope-wrong"})
	wantOAuth(t, err, "invalid_client")
}

func TestOIDCDeviceFlow(t *testing.T) {
	clock := &fakeClock{t: time.Now()}
	srv := oidcServer(t, localoauth.OIDCOptions{Device: true, DeviceInterval: 5, Revocation: true})
	srv.SetNow(clock.Now)
	c := New()
	c.Now = clock.Now
	var waits []time.Duration
	polls := 0
	c.wait = func(ctx context.Context, d time.Duration) error {
		waits = append(waits, d)
		clock.Advance(d)
		polls++
		if polls == 3 { // the user approves while tokenring waits
			if err := srv.ApproveDevice(srv.LastUserCode()); err != nil {
				t.Error(err)
			}
		}
		return ctx.Err()
	}
	p := discover(t, c, srv, flow.Provider{ID: "oidc", ClientID: "oidc-client", Scopes: []string{"openid"}, ClientSecret: flow.NeedNone})
	d, err := c.StartDevice(context.Background(), p, flow.Secrets{})
	if err != nil {
		t.Fatal(err)
	}
	if d.UserCode == "" || !strings.HasPrefix(d.VerificationURI, srv.URL) || d.Interval != 5*time.Second || d.Expiry.IsZero() {
		t.Fatalf("device auth %+v", d)
	}
	tok, err := c.PollDevice(pollCtx(t), p, flow.Secrets{}, d)
	if err != nil {
		t.Fatal(err)
	}
	if tok.AccessToken == "" {
		t.Fatal("no token")
	}
	if len(waits) != 3 || waits[0] != 5*time.Second || waits[2] != 5*time.Second {
		t.Errorf("waits %v, want three of 5 s", waits)
	}
	if n := srv.Count("/token"); n != 3 {
		t.Errorf("%d polls, want 3", n)
	}

	t.Run("denied", func(t *testing.T) {
		d, err := c.StartDevice(context.Background(), p, flow.Secrets{})
		if err != nil {
			t.Fatal(err)
		}
		c := *c
		c.wait = func(ctx context.Context, dd time.Duration) error {
			clock.Advance(dd)
			return srv.DenyDevice(d.UserCode)
		}
		_, err = c.PollDevice(pollCtx(t), p, flow.Secrets{}, d)
		wantOAuth(t, err, "access_denied")
	})
	t.Run("expired", func(t *testing.T) {
		d, err := c.StartDevice(context.Background(), p, flow.Secrets{})
		if err != nil {
			t.Fatal(err)
		}
		c := *c
		c.wait = func(ctx context.Context, dd time.Duration) error { clock.Advance(11 * time.Minute); return ctx.Err() }
		_, err = c.PollDevice(pollCtx(t), p, flow.Secrets{}, d)
		wantOAuth(t, err, "expired_token")
	})
	t.Run("cancelled", func(t *testing.T) {
		d, err := c.StartDevice(context.Background(), p, flow.Secrets{})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		c := *c
		c.wait = nil // the real timer, cut short by the cancel
		go func() { time.Sleep(20 * time.Millisecond); cancel() }()
		_, err = c.PollDevice(ctx, p, flow.Secrets{}, d)
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("error %v, want context.Canceled", err)
		}
	})
}

// Which credential a provider refused, said in words a person can act on.
func TestAdviceNamesTheRefusedCredential(t *testing.T) {
	ctx := context.Background()
	srv := localoauth.NewDressipi(localoauth.DressipiOptions{ClientID: "dr", APIKey: "right-key"})
	defer srv.Close()
	p, err := flow.Preset(flow.PresetDressipi, flow.Overrides{BaseURL: srv.URL, ClientID: "dr"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = New().Refresh(ctx, p, flow.Secrets{APIKey: "wrong-key"}, "rt-whatever")
	var oe *flow.OAuthError
	if !errors.As(err, &oe) || oe.Code != "invalid_client" || !strings.Contains(err.Error(), "API key (sent as x-api-key)") ||
		strings.Contains(err.Error(), "client secret") {
		t.Fatalf("wrong API key: %v", err)
	}
	cc := &flow.OAuthError{Op: "client credentials", Code: "invalid_grant"}
	if a := cc.Advice(); strings.Contains(a, "refresh token") || !strings.Contains(a, "application token") {
		t.Fatalf("client credentials invalid_grant advice: %q", a)
	}
}

// RFC 6749 §2.3.1: HTTP Basic client authentication form-encodes the id
// and secret before base64. A secret with ':', '+' and '%' must reach the
// server intact on the revocation and device endpoints too (the server
// decodes exactly as the RFC says and refuses anything else).
func TestBasicAuthFormEncodesRevocationAndDevice(t *testing.T) {
	ctx := context.Background()
	const id, secret = "client:1+x", "s:e+c%2Fr%et"
	srv := localoauth.NewOIDC(localoauth.OIDCOptions{ClientID: id, ClientSecret: secret, BasicAuth: true,
		Revocation: true, Device: true, DeviceInterval: 1})
	defer srv.Close()
	p := flow.Provider{ID: "oidc", Issuer: srv.URL, TokenURL: srv.URL + "/token", RevocationURL: srv.URL + "/revoke",
		DeviceAuthURL: srv.URL + "/device", ClientID: id, ClientAuth: flow.ClientAuthBasic, Grant: flow.GrantDeviceCode}
	s := flow.Secrets{ClientSecret: secret}
	c := New()
	toks, err := srv.MintTokens("openid", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Revoke(ctx, p, s, toks.RefreshToken, "refresh_token"); err != nil {
		t.Fatalf("revocation with Basic auth: %v", err)
	}
	if srv.ValidRefreshToken(toks.RefreshToken) {
		t.Fatal("the refresh token is still valid after revocation")
	}
	if _, err := c.StartDevice(ctx, p, s); err != nil {
		t.Fatalf("device authorization with Basic auth: %v", err)
	}
	for _, r := range srv.Requests() {
		if r.Form.Get("client_secret") != "" {
			t.Errorf("%s carried the secret in the body too", r.Path)
		}
	}
}

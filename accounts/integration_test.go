package accounts

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/tokenring/tokenring/flow"
	"github.com/tokenring/tokenring/flow/exchange"
	"github.com/tokenring/tokenring/internal/localoauth"
)

func oidcProvider(srv *localoauth.Server, grant flow.Grant) flow.Provider {
	return flow.Provider{ID: "local-oidc", DisplayName: "Local OIDC", AuthURL: srv.URL + "/authorize", TokenURL: srv.URL + "/token",
		RevocationURL: srv.URL + "/revoke", ClientID: "oidc-client", ClientAuth: flow.ClientAuthBody, Grant: grant}
}

func minted(t *testing.T, srv *localoauth.Server, scope string, ttl time.Duration) flow.Token {
	t.Helper()
	m, err := srv.MintTokens(scope, ttl)
	if err != nil {
		t.Fatal(err)
	}
	return flow.Token{AccessToken: m.AccessToken, TokenType: m.TokenType, RefreshToken: m.RefreshToken, IDToken: m.IDToken,
		Expiry: m.Expiry, ExpirySource: flow.ExpiryFromExpiresIn, IssuedAt: time.Now()}
}

// TestLocalOIDC: the store against the strict OIDC emulation over real
// HTTP (flow/exchange): refresh with rotation when the policy says so,
// revocation of both tokens on Remove, a failed revocation reported as a
// warning, and client-credentials renewal.
func TestLocalOIDC(t *testing.T) {
	srv := localoauth.NewOIDC(localoauth.OIDCOptions{ClientID: "oidc-client", ClientSecret: "oidc-secret-123",
		AccessTTL: time.Hour, RotateRefresh: true, Revocation: true, ClientCredentials: true})
	defer srv.Close()
	clk := &clock{t: time.Now()}
	s := openFile(t, t.TempDir(), "pw", exchange.New(), clk.Now)
	ctx := ctxT(t)

	tok := minted(t, srv, "openid", 0)
	if err := s.Add(ctx, Account{Name: "user", Provider: oidcProvider(srv, flow.GrantAuthorizationCode)}, Secret{Token: tok, ClientSecret: "oidc-secret-123"}); err != nil {
		t.Fatal(err)
	}
	if got, err := s.Token(ctx, "user"); err != nil || got.AccessToken != tok.AccessToken {
		t.Fatalf("fresh token: %v", err)
	}
	clk.Add(56 * time.Minute)
	got, err := s.Token(ctx, "user")
	if err != nil || got.AccessToken == tok.AccessToken || !srv.ValidAccessToken(got.AccessToken) || srv.ValidRefreshToken(tok.RefreshToken) {
		t.Fatalf("refresh in the window: %v", err)
	}
	if !srv.ValidRefreshToken(got.RefreshToken) || got.IDToken == "" {
		t.Fatal("rotated refresh token (or the ID token) not kept")
	}

	if err := s.Remove(ctx, "user", true); err != nil {
		t.Fatalf("Remove: %v", err)
	}
	if srv.ValidRefreshToken(got.RefreshToken) || srv.ValidAccessToken(got.AccessToken) {
		t.Fatal("tokens still valid at the provider after Remove with revoke")
	}

	// A revocation endpoint that fails: removed here, warning returned.
	tok2 := minted(t, srv, "openid", 0)
	if err := s.Add(ctx, Account{Name: "user2", Provider: oidcProvider(srv, flow.GrantAuthorizationCode)}, Secret{Token: tok2, ClientSecret: "oidc-secret-123"}); err != nil {
		t.Fatal(err)
	}
	srv.SetFail(localoauth.Failure{Path: "/revoke", Status: 503, Count: 2})
	err = s.Remove(ctx, "user2", true)
	if !errors.Is(err, ErrRevokeFailed) || !errors.Is(err, flow.ErrServer) {
		t.Fatalf("Remove with a failing revocation endpoint: %v", err)
	}
	if _, err := s.Account("user2"); !errors.Is(err, ErrNotFound) {
		t.Fatal("not removed")
	}
	if strings.Contains(err.Error(), tok2.RefreshToken) || strings.Contains(err.Error(), "oidc-secret-123") {
		t.Fatal("the warning carries a secret")
	}
	t.Logf("warning: %v", err)

	// Client credentials: an expired application token is renewed.
	app := oidcProvider(srv, flow.GrantClientCredentials)
	cc, err := exchange.New().ClientCredentials(ctx, app, flow.Secrets{ClientSecret: "oidc-secret-123"})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Add(ctx, Account{Name: "app", Provider: app}, Secret{Token: *cc, ClientSecret: "oidc-secret-123"}); err != nil {
		t.Fatal(err)
	}
	clk.Add(2 * time.Hour)
	got, err = s.Token(ctx, "app")
	if err != nil || got.AccessToken == cc.AccessToken || !srv.ValidAccessToken(got.AccessToken) {
		t.Fatalf("client-credentials renewal: %v", err)
	}
}

// One due point, one refresh, whoever runs: a process that saw the account
// due before another one refreshed it (the TUI's scheduler, the agent)
// refreshes only if it is still due once it holds the lock. Before, the
// TUI's forced refresh after the CLI's gave two refreshes for one due point.
func TestOneRefreshPerDuePointAcrossProcesses(t *testing.T) {
	srv := localoauth.NewOIDC(localoauth.OIDCOptions{ClientID: "oidc-client", AccessTTL: time.Hour, RotateRefresh: true})
	defer srv.Close()
	clk := &clock{t: time.Now()}
	dir := t.TempDir()
	ex := exchange.New()
	ex.Now = clk.Now // expiries on the test's clock
	cliStore := openFile(t, dir, "pw", ex, clk.Now)
	tuiStore := openFile(t, dir, "pw", ex, clk.Now)
	ctx := ctxT(t)
	if err := cliStore.Add(ctx, Account{Name: "user", Provider: oidcProvider(srv, flow.GrantAuthorizationCode)}, Secret{Token: minted(t, srv, "openid", 0)}); err != nil {
		t.Fatal(err)
	}
	clk.Add(56 * time.Minute) // inside the refresh window
	seen := mustAccount(t, tuiStore, "user")
	if due := tuiStore.Policy().RefreshDue(seen); due.After(clk.Now()) {
		t.Fatalf("the TUI does not see the account due: %v", due)
	}
	if _, err := cliStore.Token(ctx, "user"); err != nil { // `tokenring token` refreshes it
		t.Fatal(err)
	}
	a, err := tuiStore.RefreshIfDue(ctx, "user") // the TUI's scheduled refresh, from what it saw
	if err != nil {
		t.Fatal(err)
	}
	if n := srv.Count("/token"); n != 1 {
		t.Fatalf("%d refreshes for one due point", n)
	}
	if !a.AccessExpiry.After(seen.AccessExpiry) {
		t.Fatal("RefreshIfDue did not return the account as the other process refreshed it")
	}
	if _, err := tuiStore.Refresh(ctx, "user"); err != nil || srv.Count("/token") != 2 {
		t.Fatalf("a refresh the user asks for still happens: %v, %d requests", err, srv.Count("/token"))
	}
}

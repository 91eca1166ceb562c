package accounts

import (
	"context"
	"testing"
	"time"

	"github.com/tokenring/tokenring/flow"
	"github.com/tokenring/tokenring/flow/exchange"
	"github.com/tokenring/tokenring/internal/localoauth"
)

// waitRequests waits until srv has received n requests to path.
func waitRequests(t *testing.T, srv *localoauth.Server, path string, n int) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); srv.Count(path) < n; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%d requests to %s, want %d", srv.Count(path), path, n)
		}
	}
}

// Once a refresh request is on its way, the provider may have rotated the
// refresh token: a cancel (the first Ctrl-C, a TUI that quits) must not
// throw its answer away, or the account needs linking again. Before, the
// cancel cut the request, the provider had already rotated, and the
// stored refresh token was dead. Close waits for the answer and stores it.
func TestCancelDuringRotatingRefreshKeepsTheNewTokens(t *testing.T) {
	srv := localoauth.NewOIDC(localoauth.OIDCOptions{ClientID: "oidc-client", AccessTTL: time.Hour, RotateRefresh: true})
	defer srv.Close()
	dir := t.TempDir()
	s := openFile(t, dir, "pw", exchange.New(), nil)
	old := minted(t, srv, "openid", 0)
	if err := s.Add(ctxT(t), Account{Name: "user", Provider: oidcProvider(srv, flow.GrantAuthorizationCode)}, Secret{Token: old}); err != nil {
		t.Fatal(err)
	}

	// the provider rotates at once and answers 2.5 s later
	srv.SetFail(localoauth.Failure{Path: "/token", Late: true, Delay: 2500 * time.Millisecond})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	refreshed := make(chan error, 1)
	go func() {
		_, err := s.Refresh(ctx, "user")
		refreshed <- err
	}()
	waitRequests(t, srv, "/token", 1)
	cancel()
	if got := s.Spending(); len(got) != 1 || got[0] != "user" {
		t.Fatalf("Spending = %v, want [user]", got)
	}
	closed := make(chan struct{})
	go func() {
		s.Close()
		close(closed)
	}()
	select {
	case <-closed:
		t.Fatal("Close returned while a refresh that spent the refresh token was on its way")
	case err := <-refreshed:
		t.Fatalf("the cancel gave the refresh up (%v): the rotated tokens are lost", err)
	case <-time.After(300 * time.Millisecond):
	}
	if err := <-refreshed; err != nil {
		t.Fatalf("Refresh after the cancel: %v", err)
	}
	<-closed
	if got := s.Spending(); len(got) != 0 {
		t.Fatalf("Spending after the refresh = %v", got)
	}

	sec, err := openFile(t, dir, "pw", exchange.New(), nil).Secret(ctxT(t), "user")
	if err != nil {
		t.Fatal(err)
	}
	if sec.Token.RefreshToken == old.RefreshToken || !srv.ValidRefreshToken(sec.Token.RefreshToken) {
		t.Fatal("the keyring does not hold the rotated refresh token")
	}
	if srv.ValidRefreshToken(old.RefreshToken) {
		t.Fatal("the provider did not rotate: the test proves nothing")
	}
}

// What spends nothing is still cut by a cancel: client credentials (a new
// request gets a new token) are not waited for, nor named as spending.
func TestCancelCutsARefreshThatSpendsNothing(t *testing.T) {
	srv := localoauth.NewOIDC(localoauth.OIDCOptions{ClientID: "oidc-client", ClientSecret: "oidc-secret-123",
		AccessTTL: time.Hour, ClientCredentials: true})
	defer srv.Close()
	s := openFile(t, t.TempDir(), "pw", exchange.New(), nil)
	app := oidcProvider(srv, flow.GrantClientCredentials)
	cc, err := exchange.New().ClientCredentials(ctxT(t), app, flow.Secrets{ClientSecret: "oidc-secret-123"})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Add(ctxT(t), Account{Name: "app", Provider: app}, Secret{Token: *cc, ClientSecret: "oidc-secret-123"}); err != nil {
		t.Fatal(err)
	}
	srv.SetFail(localoauth.Failure{Path: "/token", Late: true, Delay: 5 * time.Second})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	refreshed := make(chan error, 1)
	go func() {
		_, err := s.Refresh(ctx, "app")
		refreshed <- err
	}()
	waitRequests(t, srv, "/token", 2)
	if got := s.Spending(); len(got) != 0 {
		t.Fatalf("client credentials named as spending: %v", got)
	}
	cancel()
	select {
	case err := <-refreshed:
		if err == nil {
			t.Fatal("a cancelled client-credentials refresh succeeded")
		}
	case <-time.After(3 * time.Second):
		t.Fatal("a cancel did not cut a client-credentials request")
	}
}

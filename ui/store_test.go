package ui

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/exp/teatest/v2"

	"github.com/tokenring/tokenring/accounts"
	"github.com/tokenring/tokenring/flow"
	"github.com/tokenring/tokenring/internal/localoauth"
)

// The real path end to end: accounts.Store on a new encrypted file keyring
// in a temp dir, flow/exchange against the local Warhorn and Dressipi
// emulations over HTTP on 127.0.0.1.
func TestRealStoreLinkUnlockCopyRefresh(t *testing.T) {
	w := newWizEnv(t)
	dir := t.TempDir()
	st, err := accounts.Open(accounts.Config{
		Dir: dir, Backend: "file", Exchanger: w.o.Exchanger,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if b := st.Backend(); b.Name != "file" || !b.Locked {
		t.Fatalf("backend %+v: want a locked file keyring", b)
	}
	w.o.Store = st

	srv, prov := warhornServer(t)
	dr := localoauth.NewDressipi(localoauth.DressipiOptions{ClientID: "shop-client", APIKey: "api-key-123", AccessTTL: 10 * time.Minute})
	t.Cleanup(dr.Close)
	dp, err := flow.Preset("dressipi", flow.Overrides{BaseURL: dr.URL, ClientID: "shop-client"})
	if err != nil {
		t.Fatal(err)
	}
	w.o.Providers = []flow.Provider{prov, dp}
	p, tm := start(t, w.o, 80, 24)

	// 1. link Warhorn; storing it needs the keyring: a new one asks for a
	// passphrase twice, before the authorization URL is shown (a code is
	// never spent on an account that could not be stored)
	waitText(t, p, "No accounts yet")
	tm.Send(press("n"))
	waitText(t, p, "Which provider is the account with?")
	tm.Send(press("1"))
	waitText(t, p, "Account name *")
	tm.Type("work-warhorn")
	tm.Send(press("tab"))
	tm.Type(whSecret)
	tm.Send(press("enter"))
	waitText(t, p, "Choose a passphrase")
	select {
	case u := <-w.opened:
		t.Fatalf("the authorization URL was opened before the keyring was unlocked: %s", u)
	default:
	}
	tm.Type("s3cret pass")
	tm.Send(press("enter"))
	waitText(t, p, "again:")
	tm.Type("s3cret pass")
	tm.Send(press("enter"))
	authURL := w.nextURL(t)
	landed, err := srv.Approve(authURL)
	if err != nil {
		t.Fatal(err)
	}
	tm.Send(tea.PasteMsg{Content: landed})
	tm.Send(press("enter")) // a paste fills the box; enter submits
	waitText(t, p, "Linked work-warhorn")
	tm.Send(press("enter")) // back from the Done step
	waitText(t, p, "▸ work-warhorn")

	// 2. copy its token: OSC 52 carries exactly the stored access token
	sec, err := st.Secret(context.Background(), "work-warhorn")
	if err != nil {
		t.Fatal(err)
	}
	if !srv.ValidAccessToken(sec.Token.AccessToken) {
		t.Fatal("the stored token is not one the server issued")
	}
	tm.Send(press("c"))
	teatest.WaitFor(t, tm.Output(), func(b []byte) bool { return bytes.Contains(b, osc52Plain(sec.Token.AccessToken)) },
		teatest.WithDuration(5*time.Second))

	// 3. link Dressipi (config provider with base URL and client id): only name and API key are asked
	tm.Send(press("n"))
	waitText(t, p, "Which provider")
	tm.Send(press("2"))
	v := waitText(t, p, "API key *")
	if strings.Contains(v, "Client ID") || strings.Contains(v, "API base URL") {
		t.Fatalf("asks for what the provider already has:\n%s", v)
	}
	tm.Type("shop")
	tm.Send(press("tab"))
	tm.Type("api-key-123")
	tm.Send(press("enter"))
	text, err := dr.Approve(w.nextURL(t))
	if err != nil {
		t.Fatal(err)
	}
	tm.Send(tea.PasteMsg{Content: text})
	tm.Send(press("enter")) // a paste fills the box; enter submits
	waitText(t, p, "Linked shop")
	tm.Send(press("enter")) // back from the Done step
	v = waitText(t, p, "▸ shop")
	if !strings.Contains(v, "expires in 9m 5") && !strings.Contains(v, "expires in 10m 00s") {
		t.Fatalf("no countdown for shop:\n%s", v)
	}

	// 4. refresh it now: the rotated refresh token is stored
	before, _ := st.Secret(context.Background(), "shop")
	tm.Send(press("r"))
	waitText(t, p, "Refreshed shop")
	after, err := st.Secret(context.Background(), "shop")
	if err != nil {
		t.Fatal(err)
	}
	if after.Token.RefreshToken == before.Token.RefreshToken || after.Token.AccessToken == before.Token.AccessToken {
		t.Fatal("refresh did not store the new (rotated) tokens")
	}
	if after.APIKey != "api-key-123" {
		t.Fatal("the API key was not kept")
	}
	finalView(t, tm)

	// 5. a second run on the same keyring: listing works locked; copying asks
	// for the passphrase, a wrong one can be retried
	st2, err := accounts.Open(accounts.Config{
		Dir: dir, Backend: "file", Exchanger: w.o.Exchanger,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st2.Close() })
	w.o.Store = st2
	p, tm = start(t, w.o, 80, 24)
	v = waitText(t, p, "work-warhorn")
	if !strings.Contains(v, "(locked)") || strings.Contains(v, "Unlock the keyring") {
		t.Fatalf("second run should list while locked, without a prompt:\n%s", v)
	}
	selectRow(t, p, tm, "work-warhorn")
	tm.Send(press("c"))
	waitText(t, p, "Unlock the keyring")
	tm.Type("not it")
	tm.Send(press("enter"))
	waitText(t, p, "Wrong passphrase. Try again.")
	tm.Type("s3cret pass")
	tm.Send(press("enter"))
	waitText(t, p, "Copied access token of work-warhorn")
	teatest.WaitFor(t, tm.Output(), func(b []byte) bool { return bytes.Contains(b, osc52Plain(sec.Token.AccessToken)) },
		teatest.WithDuration(5*time.Second))
}

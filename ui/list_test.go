package ui

import (
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/golden"
	teatest "github.com/charmbracelet/x/exp/teatest/v2"

	"github.com/tokenring/tokenring/accounts"
	"github.com/tokenring/tokenring/flow"
)

func warhornP() flow.Provider {
	p, _ := flow.Preset("warhorn", flow.Overrides{ClientID: "app-1", RedirectURI: "https://app.example/cb"})
	return p
}

func dressipiP() flow.Provider {
	p, _ := flow.Preset("dressipi", flow.Overrides{BaseURL: "https://api.shop.example", ClientID: "shop"})
	return p
}

func oidcP() flow.Provider {
	p, _ := flow.Preset("generic", flow.Overrides{AuthURL: "https://id.example/auth", TokenURL: "https://id.example/token", ClientID: "ci"})
	p.DisplayName = "Example ID"
	p.RevocationURL = "https://id.example/revoke"
	return p
}

// seed fills s with one account of every status.
func seed(s *fakeStore) {
	s.put(accounts.Account{Name: "warhorn-me", Provider: warhornP(), LinkedAt: t0.Add(-48 * time.Hour),
		ExpirySource: flow.ExpiryNone, Scopes: []string{"openid", "email", "profile"}},
		flow.Token{AccessToken: "wh-token-0123456789", TokenType: "bearer", IDToken: testJWT})
	s.put(accounts.Account{Name: "dressipi-shop", Provider: dressipiP(), LinkedAt: t0.Add(-time.Hour),
		AccessExpiry: t0.Add(4*time.Minute + 12*time.Second), ExpirySource: flow.ExpiryFromExpiresIn,
		LastRefresh: t0.Add(-20 * time.Minute)},
		flow.Token{AccessToken: "dr-access", RefreshToken: "dr-refresh"})
	s.put(accounts.Account{Name: "ci-bot", Provider: oidcP(), LinkedAt: t0.Add(-time.Hour),
		AccessExpiry: t0.Add(45 * time.Second), ExpirySource: flow.ExpiryFromJWT},
		flow.Token{AccessToken: testJWT})
	s.put(accounts.Account{Name: "old-app", Provider: oidcP(), LinkedAt: t0.Add(-72 * time.Hour),
		AccessExpiry: t0.Add(-20 * time.Minute)},
		flow.Token{AccessToken: "old"})
	s.put(accounts.Account{Name: "broken", Provider: dressipiP(), LinkedAt: t0.Add(-72 * time.Hour),
		AccessExpiry: t0.Add(-2 * time.Hour), NeedsRelink: true, LastError: "refresh failed: invalid_grant"},
		flow.Token{AccessToken: "x", RefreshToken: "dead"})
	s.put(accounts.Account{Name: "api-errors", Provider: oidcP(), LinkedAt: t0.Add(-72 * time.Hour),
		AccessExpiry: t0.Add(30 * time.Minute), LastError: "refresh failed: the provider had an internal error"},
		flow.Token{AccessToken: "y", RefreshToken: "r"})
}

// testJWT is an unsigned-looking JWT: {"alg":"RS256","typ":"JWT"}.{"sub":"user-1","iss":"https://id.example","exp":1795435200}
const testJWT = "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJ1c2VyLTEiLCJpc3MiOiJodHRwczovL2lkLmV4YW1wbGUiLCJleHAiOjE3OTU0MzUyMDB9.c2ln"

func newHarness(t *testing.T, seedIt bool) (*fakeStore, *clockT, Options) {
	c := newClock()
	s := newFakeStore(c)
	if seedIt {
		seed(s)
	}
	return s, c, baseOptions(s, c, map[string]string{})
}

func TestListGolden(t *testing.T) {
	_, _, o := newHarness(t, true)
	p, tm := start(t, o, 80, 24)
	waitText(t, p, "warhorn-me")
	raw := finalRaw(t, tm)
	v := ansi.Strip(raw)
	// attention first: re-link, error, expired, expiring, valid, no expiry
	order := []string{"broken", "api-errors", "old-app", "ci-bot", "dressipi-shop", "warhorn-me"}
	last := -1
	for _, n := range order {
		i := strings.Index(v, n)
		if i < 0 || i < last {
			t.Fatalf("%s out of order in\n%s", n, v)
		}
		last = i
	}
	golden.RequireEqual(t, []byte(v))
	goldenAs(t, "styled", raw) // colours and emphasis (dark background)
}

func TestListCountdownTicks(t *testing.T) {
	_, c, o := newHarness(t, true)
	p, tm := start(t, o, 80, 24)
	waitText(t, p, "expires in 4m 12s")
	c.Advance(time.Second)
	tm.Send(tickMsg{})
	waitText(t, p, "expires in 4m 11s")
	c.Advance(44 * time.Second)
	tm.Send(tickMsg{})
	v := waitText(t, p, "expired now")
	if !strings.Contains(v, "expires in 3m 27s") {
		t.Fatalf("dressipi countdown not advanced:\n%s", v)
	}
}

func TestListEmptyState(t *testing.T) {
	_, _, o := newHarness(t, false)
	p, tm := start(t, o, 80, 24)
	waitText(t, p, "No accounts yet")
	v := finalView(t, tm)
	for _, want := range []string{"Press n to link", "tokenring demo"} {
		if !strings.Contains(v, want) {
			t.Fatalf("empty state lacks %q:\n%s", want, v)
		}
	}
	golden.RequireEqual(t, []byte(v))
}

func TestListEmptyStateDemo(t *testing.T) {
	_, _, o := newHarness(t, false)
	o.Demo = true
	p, tm := start(t, o, 80, 24)
	waitText(t, p, "No accounts yet")
	v := finalView(t, tm)
	if strings.Contains(v, "tokenring demo") || !strings.Contains(v, "DEMO") {
		t.Fatalf("demo empty state:\n%s", v)
	}
}

func TestListFilter(t *testing.T) {
	_, _, o := newHarness(t, true)
	p, tm := start(t, o, 80, 24)
	waitText(t, p, "warhorn-me")
	tm.Send(press("/"))
	tm.Type("dress")
	v := waitView(t, p, "filtered", func(v string) bool {
		return strings.Contains(v, "dressipi-shop") && !strings.Contains(v, "warhorn-me")
	})
	if !strings.Contains(v, "broken") { // provider Dressipi matches too
		t.Fatalf("filter should match providers:\n%s", v)
	}
	tm.Send(press("enter"))
	waitText(t, p, "(2 shown)")
	tm.Send(press("esc"))
	waitText(t, p, "warhorn-me")
}

// From `tokenring` with no account, D starts the demo: the UI says so, and
// the program ends asking for it (Run turns that into ErrDemoRequested).
func TestListEmptyStateOffersDemo(t *testing.T) {
	_, _, o := newHarness(t, false)
	o.OfferDemo = true
	p, tm := start(t, o, 80, 24)
	v := waitText(t, p, "No accounts yet")
	for _, want := range []string{"Press D to try", "D try the demo"} {
		if !strings.Contains(v, want) {
			t.Fatalf("empty state lacks %q:\n%s", want, v)
		}
	}
	tm.Send(press("D"))
	fm := tm.FinalModel(t, teatest.WithFinalTimeout(5*time.Second))
	if m := fm.(*probe).m; !m.demoRequested || !m.quitting {
		t.Fatalf("D did not end the program asking for the demo (requested %v, quitting %v)", m.demoRequested, m.quitting)
	}
}

// With accounts, D is not the demo key: nothing quits.
func TestDemoKeyIgnoredWithAccounts(t *testing.T) {
	_, _, o := newHarness(t, true)
	o.OfferDemo = true
	p, tm := start(t, o, 80, 24)
	v := waitText(t, p, "warhorn-me")
	if strings.Contains(v, "try the demo") {
		t.Fatalf("demo offered with accounts:\n%s", v)
	}
	tm.Send(press("D"))
	tm.Send(press("?"))
	waitText(t, p, "keys")
	if p.m.demoRequested {
		t.Fatal("D asked for the demo although accounts exist")
	}
}

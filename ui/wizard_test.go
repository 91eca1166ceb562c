package ui

import (
	"context"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/exp/golden"
	"github.com/charmbracelet/x/exp/teatest/v2"

	"github.com/tokenring/tokenring/accounts"
	"github.com/tokenring/tokenring/flow"
	"github.com/tokenring/tokenring/flow/exchange"
	"github.com/tokenring/tokenring/internal/localoauth"
)

const (
	whID       = "Lw897vn3R7y6M2NfsA2BxJGM"
	whSecret   = "warhorn-client-s3cr3t"
	whCallback = "https://app.example/oauth/callback"
)

// wizEnv is a local desktop session: the wizard "opens the browser", which
// here records the URL so the test can play the user approving it.
type wizEnv struct {
	store  *fakeStore
	clock  *clockT
	opened chan string
	o      Options
}

func newWizEnv(t *testing.T) *wizEnv {
	c := newClock()
	s := newFakeStore(c)
	w := &wizEnv{store: s, clock: c, opened: make(chan string, 8)}
	w.o = baseOptions(s, c, map[string]string{"DISPLAY": ":0"})
	w.o.NativeClipboard = &fakeClip{}
	w.o.Exchanger = exchange.New()
	w.o.Now = time.Now // tokens from the servers carry real times
	w.o.OpenURL = func(_ context.Context, u string) error { w.opened <- u; return nil }
	return w
}

func (w *wizEnv) nextURL(t *testing.T) string {
	t.Helper()
	select {
	case u := <-w.opened:
		return u
	case <-time.After(10 * time.Second):
		t.Fatal("the wizard did not open an authorization URL")
	}
	return ""
}

func warhornServer(t *testing.T) (*localoauth.Server, flow.Provider) {
	srv := localoauth.NewWarhorn(localoauth.WarhornOptions{ClientID: whID, ClientSecret: whSecret, RedirectURI: whCallback})
	t.Cleanup(srv.Close)
	p, err := flow.Preset("warhorn", flow.Overrides{ClientID: whID, RedirectURI: whCallback,
		AuthURL: srv.URL + "/oauth/authorize", TokenURL: srv.URL + "/oauth/token"})
	if err != nil {
		t.Fatal(err)
	}
	p.DisplayName = "Warhorn (local)"
	return srv, p
}

// startWarhornLink opens the wizard on the configured local Warhorn, fills
// name and secret, and returns the first authorization URL.
func startWarhornLink(t *testing.T, w *wizEnv, p *probe, tm *teatest.TestModel) string {
	t.Helper()
	waitText(t, p, "No accounts yet")
	tm.Send(press("n"))
	waitText(t, p, "Which provider is the account with?")
	tm.Send(press("1")) // configured providers come first
	waitText(t, p, "Account name *")
	tm.Type("work-warhorn")
	tm.Send(press("tab"))
	tm.Type(whSecret)
	v := p.sync(t, tm)
	if strings.Contains(v, whSecret) {
		t.Fatalf("client secret shown in clear:\n%s", v)
	}
	tm.Send(press("enter"))
	return w.nextURL(t)
}

func TestWizardWarhornSuccess(t *testing.T) {
	w := newWizEnv(t)
	srv, prov := warhornServer(t)
	w.o.Providers = []flow.Provider{prov}
	p, tm := start(t, w.o, 80, 24)
	authURL := startWarhornLink(t, w, p, tm)
	v := waitText(t, p, "Paste the code, or the whole address you land on")
	goldenAs(t, "authorize", stripURL(v, authURL))

	landed, err := srv.Approve(authURL)
	if err != nil {
		t.Fatal(err)
	}
	tm.Send(tea.PasteMsg{Content: landed})
	tm.Send(press("enter")) // a paste fills the box; enter submits
	waitText(t, p, "Linked work-warhorn")
	tm.Send(press("enter")) // back from the Done step
	v = waitText(t, p, "▸ work-warhorn")
	if !strings.Contains(v, "∞ no expiry") {
		t.Fatalf("a Warhorn token does not expire:\n%s", v)
	}
	w.store.mu.Lock()
	a, sec := w.store.accts["work-warhorn"], w.store.secrets["work-warhorn"]
	w.store.mu.Unlock()
	if !srv.ValidAccessToken(sec.Token.AccessToken) || sec.ClientSecret != whSecret || !a.HasIDToken || a.Provider.TokenURL != prov.TokenURL {
		t.Fatalf("stored account %+v / secret not as expected", a)
	}
	if n := srv.Count("/oauth/token"); n != 1 {
		t.Fatalf("token endpoint called %d times", n)
	}
	goldenAs(t, "final", finalView(t, tm))
}

// stripURL replaces the (random) authorization URL in a view with a marker.
func stripURL(v, u string) string {
	lines := strings.Split(v, "\n")
	var out []string
	for _, l := range lines {
		t := strings.TrimSpace(l)
		if t != "" && strings.Contains(u, t) && len(t) > 20 {
			if len(out) == 0 || out[len(out)-1] != "    <authorization URL>" {
				out = append(out, "    <authorization URL>")
			}
			continue
		}
		out = append(out, l)
	}
	return strings.Join(out, "\n")
}

func TestWizardWrongStateThenRightOne(t *testing.T) {
	w := newWizEnv(t)
	srv, prov := warhornServer(t)
	w.o.Providers = []flow.Provider{prov}
	p, tm := start(t, w.o, 80, 24)
	first := startWarhornLink(t, w, p, tm)
	waitText(t, p, "Paste the code")
	tm.Send(press("ctrl+r")) // start over: a new attempt with a new state
	second := w.nextURL(t)
	if first == second {
		t.Fatal("start over reused the authorization URL")
	}
	landed1, err := srv.Approve(first)
	if err != nil {
		t.Fatal(err)
	}
	tm.Send(tea.PasteMsg{Content: landed1})
	tm.Send(press("enter")) // a paste fills the box; enter submits
	waitText(t, p, "different authorization attempt")
	if n := srv.Count("/oauth/token"); n != 0 {
		t.Fatalf("a code from another attempt was sent (%d token requests)", n)
	}
	landed2, err := srv.Approve(second)
	if err != nil {
		t.Fatal(err)
	}
	tm.Send(tea.PasteMsg{Content: landed2})
	tm.Send(press("enter")) // a paste fills the box; enter submits
	waitText(t, p, "Linked work-warhorn")
}

func TestWizardProviderErrorThenStartOver(t *testing.T) {
	w := newWizEnv(t)
	srv, prov := warhornServer(t)
	w.o.Providers = []flow.Provider{prov}
	p, tm := start(t, w.o, 80, 24)
	authURL := startWarhornLink(t, w, p, tm)
	landed, err := srv.Approve(authURL)
	if err != nil {
		t.Fatal(err)
	}
	srv.SetFail(localoauth.Failure{Status: 400, ContentType: "application/json",
		Body: `{"error":"invalid_grant","error_description":"The authorization code has expired"}`})
	tm.Send(tea.PasteMsg{Content: landed})
	tm.Send(press("enter")) // a paste fills the box; enter submits
	v := waitText(t, p, "Linking failed")
	for _, want := range []string{"refused: invalid_grant", "The authorization code has expired", "Start over to get a new one", "start over with a new authorization"} {
		if !strings.Contains(strings.Join(strings.Fields(v), " "), want) {
			t.Fatalf("failure screen lacks %q:\n%s", want, v)
		}
	}
	golden.RequireEqual(t, []byte(v))
	// pasting the same address again does nothing: the attempt is over
	tm.Send(tea.PasteMsg{Content: landed})
	tm.Send(press("enter")) // a paste fills the box; enter submits
	p.sync(t, tm)
	if n := srv.Count("/oauth/token"); n != 1 {
		t.Fatalf("token requests = %d, want exactly 1 (never re-send a code)", n)
	}
	tm.Send(press("enter")) // start over
	again := w.nextURL(t)
	if again == authURL {
		t.Fatal("start over must build a new authorization request")
	}
	landed2, err := srv.Approve(again)
	if err != nil {
		t.Fatal(err)
	}
	tm.Send(tea.PasteMsg{Content: landed2})
	tm.Send(press("enter")) // a paste fills the box; enter submits
	waitText(t, p, "Linked work-warhorn")
	codes := map[string]bool{}
	for _, r := range srv.Requests() {
		if r.Path == "/oauth/token" {
			c := r.Form.Get("code")
			if codes[c] {
				t.Fatal("a code was sent twice")
			}
			codes[c] = true
		}
	}
	if len(codes) != 2 {
		t.Fatalf("token requests with %d distinct codes, want 2", len(codes))
	}
}

func TestWizardDenied(t *testing.T) {
	w := newWizEnv(t)
	srv, prov := warhornServer(t)
	w.o.Providers = []flow.Provider{prov}
	p, tm := start(t, w.o, 80, 24)
	authURL := startWarhornLink(t, w, p, tm)
	landed, err := srv.Deny(authURL)
	if err != nil {
		t.Fatal(err)
	}
	tm.Type(landed) // typed (no bracketed paste), then enter
	tm.Send(press("enter"))
	waitText(t, p, "access_denied")
	waitText(t, p, "Linking failed")
	if n := srv.Count("/oauth/token"); n != 0 {
		t.Fatalf("token requests = %d after a denial", n)
	}
}

func TestWizardNotACode(t *testing.T) {
	w := newWizEnv(t)
	_, prov := warhornServer(t)
	w.o.Providers = []flow.Provider{prov}
	p, tm := start(t, w.o, 80, 24)
	startWarhornLink(t, w, p, tm)
	tm.Send(tea.PasteMsg{Content: "hello there general kenobi"})
	tm.Send(press("enter")) // a paste fills the box; enter submits
	waitText(t, p, "not an authorization code")
	waitText(t, p, "Paste the code")
}

func TestWizardDressipiOOB(t *testing.T) {
	w := newWizEnv(t)
	srv := localoauth.NewDressipi(localoauth.DressipiOptions{ClientID: "shop-client", APIKey: "api-key-123", AccessTTL: 10 * time.Minute})
	t.Cleanup(srv.Close)
	p, tm := start(t, w.o, 80, 24)
	waitText(t, p, "No accounts yet")
	tm.Send(press("n"))
	waitText(t, p, "Which provider")
	tm.Send(press("3"))
	waitText(t, p, "API base URL *")
	tm.Type("shop")
	tm.Send(press("tab"))
	tm.Type(srv.URL)
	tm.Send(press("tab"))
	tm.Type("shop-client")
	tm.Send(press("tab"))
	tm.Type("api-key-123")
	v := p.sync(t, tm)
	if strings.Contains(v, "api-key-123") {
		t.Fatalf("API key shown in clear:\n%s", v)
	}
	golden.RequireEqual(t, []byte(strings.ReplaceAll(v, srv.URL, "http://127.0.0.1:PORT")))
	tm.Send(press("enter"))
	u := w.nextURL(t)
	text, err := srv.Approve(u) // "Authorization code: ..." page text
	if err != nil {
		t.Fatal(err)
	}
	tm.Send(tea.PasteMsg{Content: text})
	tm.Send(press("enter")) // a paste fills the box; enter submits
	// the toast comes first, the list with the new account when the index is read again
	v = waitView(t, p, "the linked account in the list", func(v string) bool {
		return strings.Contains(v, "Linked shop") && strings.Contains(v, "shop is linked")
	})
	tm.Send(press("enter")) // back from the Done step: the list, with the new account
	v = waitText(t, p, "▸ shop")
	if !strings.Contains(v, "expires in 10m 00s") && !strings.Contains(v, "expires in 9m 5") {
		t.Fatalf("no countdown for the new token:\n%s", v)
	}
}

func TestWizardLoopbackCapture(t *testing.T) {
	w := newWizEnv(t)
	srv := localoauth.NewOIDC(localoauth.OIDCOptions{ClientID: "cli", RedirectURIs: []string{"http://127.0.0.1/callback"},
		AccessTTL: time.Hour, RefreshTTL: 24 * time.Hour, PKCE: true})
	t.Cleanup(srv.Close)
	p, tm := start(t, w.o, 80, 24)
	waitText(t, p, "No accounts yet")
	tm.Send(press("n"))
	waitText(t, p, "Which provider")
	tm.Send(press("4"))
	waitText(t, p, "Issuer *")
	tm.Type("oidc")
	tm.Send(press("tab"))
	tm.Type(srv.URL)
	tm.Send(press("tab"))
	tm.Type("cli")
	tm.Send(press("enter")) // secret (optional)
	tm.Send(press("enter")) // redirect (prefilled)
	tm.Send(press("enter")) // scopes (prefilled)
	tm.Send(press("enter")) // submit
	u := w.nextURL(t)
	waitText(t, p, "tokenring listens on http://127.0.0.1:")
	landed, err := srv.Approve(u)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(landed, "http://127.0.0.1:") {
		t.Fatalf("landed on %q", landed)
	}
	// the browser follows the redirect: no paste needed
	resp, err := http.Get(landed)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	// the toast comes first, the list with the new account when the index is read again
	v := waitView(t, p, "the linked account in the list", func(v string) bool {
		return strings.Contains(v, "Linked oidc") && strings.Contains(v, "oidc is linked")
	})
	tm.Send(press("enter")) // back from the Done step: the list, with the new account
	v = waitText(t, p, "▸ oidc")
	if !strings.Contains(v, "expires in 59m 5") && !strings.Contains(v, "expires in 1h 00m") {
		t.Fatalf("view:\n%s", v)
	}
}

func TestWizardDeviceFlow(t *testing.T) {
	w := newWizEnv(t)
	w.o.Getenv = func(string) string { return "" } // headless: no browser
	srv := localoauth.NewOIDC(localoauth.OIDCOptions{ClientID: "tv", Device: true, DeviceInterval: 1,
		AccessTTL: time.Hour, RefreshTTL: 24 * time.Hour})
	t.Cleanup(srv.Close)
	p, tm := start(t, w.o, 80, 24)
	waitText(t, p, "No accounts yet")
	tm.Send(press("n"))
	waitText(t, p, "Which provider")
	tm.Send(press("5"))
	waitText(t, p, "Issuer *")
	tm.Type("tv")
	tm.Send(press("tab"))
	tm.Type(srv.URL)
	tm.Send(press("tab"))
	tm.Type("tv")
	tm.Send(press("enter"))
	tm.Send(press("enter"))
	tm.Send(press("enter"))
	v := waitText(t, p, "and enter the code:")
	code := srv.LastUserCode()
	if code == "" || !strings.Contains(v, code) {
		t.Fatalf("user code %q not shown:\n%s", code, v)
	}
	if !strings.Contains(v, "the code expires in") {
		t.Fatalf("no countdown:\n%s", v)
	}
	v = strings.ReplaceAll(v, code, "ABCD-EFGH")
	v = strings.ReplaceAll(v, srv.URL, "http://127.0.0.1:PORT")
	v = regexp.MustCompile(`expires in [0-9ms ]+`).ReplaceAllString(v, "expires in 10m 00s")
	v = regexp.MustCompile(`[∙●]{3}`).ReplaceAllString(v, "∙∙∙")
	goldenAs(t, "device", v)
	if err := srv.ApproveDevice(code); err != nil {
		t.Fatal(err)
	}
	waitText(t, p, "Linked tv")
}

func TestWizardClientCredentials(t *testing.T) {
	w := newWizEnv(t)
	srv := localoauth.NewWarhorn(localoauth.WarhornOptions{ClientID: whID, ClientSecret: whSecret, RedirectURI: whCallback})
	t.Cleanup(srv.Close)
	prov, err := flow.Preset("warhorn", flow.Overrides{ClientID: whID, Grant: flow.GrantClientCredentials,
		TokenURL: srv.URL + "/oauth/token", AuthURL: srv.URL + "/oauth/authorize"})
	if err != nil {
		t.Fatal(err)
	}
	prov.DisplayName = "Warhorn app (local)"
	w.o.Providers = []flow.Provider{prov}
	p, tm := start(t, w.o, 80, 24)
	waitText(t, p, "No accounts yet")
	tm.Send(press("n"))
	tm.Send(press("1"))
	waitText(t, p, "Client secret *")
	tm.Type("app")
	tm.Send(press("tab"))
	tm.Type(whSecret)
	tm.Send(press("enter"))
	waitText(t, p, "Linked app")
	select {
	case u := <-w.opened:
		t.Fatalf("client credentials opened a browser: %s", u)
	default:
	}
}

func TestWizardValidation(t *testing.T) {
	w := newWizEnv(t)
	_, prov := warhornServer(t)
	w.o.Providers = []flow.Provider{prov}
	p, tm := start(t, w.o, 80, 24)
	waitText(t, p, "No accounts yet")
	tm.Send(press("n"))
	goldenAs(t, "pick", waitText(t, p, "Which provider is the account with?"))
	tm.Send(press("1"))
	waitText(t, p, "Account name *")
	tm.Send(press("tab"))
	tm.Send(press("enter"))
	waitText(t, p, "Account name is needed.")
	tm.Type("bad name!")
	tm.Send(press("tab"))
	tm.Send(press("enter"))
	waitText(t, p, "Account names use letters, digits")
	tm.Send(press("esc"))
	waitText(t, p, "Which provider")
	tm.Send(press("esc"))
	waitText(t, p, "No accounts yet")
}

func TestWizardRelink(t *testing.T) {
	w := newWizEnv(t)
	srv, prov := warhornServer(t)
	w.store.put(accounts.Account{Name: "work-warhorn", Provider: prov, NeedsRelink: true,
		LastError: "refresh failed: invalid_grant"}, flow.Token{AccessToken: "dead"})
	p, tm := start(t, w.o, 80, 24)
	waitText(t, p, "invalid_grant. Press L to link it again")
	tm.Send(press("L"))
	v := waitText(t, p, "Link work-warhorn again")
	if !strings.Contains(v, "work-warhorn") {
		t.Fatalf("name not prefilled:\n%s", v)
	}
	tm.Type(whSecret)
	tm.Send(press("enter"))
	u := w.nextURL(t)
	landed, err := srv.Approve(u)
	if err != nil {
		t.Fatal(err)
	}
	tm.Send(tea.PasteMsg{Content: landed})
	tm.Send(press("enter")) // a paste fills the box; enter submits
	waitText(t, p, "Linked work-warhorn")
	tm.Send(press("enter")) // back from the Done step
	v = waitText(t, p, "∞ no expiry")
	if strings.Contains(v, "needs re-link") {
		t.Fatalf("still needs re-linking:\n%s", v)
	}
	w.store.mu.Lock()
	defer w.store.mu.Unlock()
	a, sec := w.store.accts["work-warhorn"], w.store.secrets["work-warhorn"]
	if a.NeedsRelink || sec.Token.AccessToken == "dead" || !srv.ValidAccessToken(sec.Token.AccessToken) {
		t.Fatalf("account not replaced: %+v", a)
	}
}

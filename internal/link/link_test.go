package link

// The sequence against the strict local providers (real HTTP on 127.0.0.1,
// flow/exchange) and the real file keyring in a temp dir. The same cases
// through both front ends are in frontends_test.go.

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tokenring/tokenring/accounts"
	"github.com/tokenring/tokenring/flow"
	"github.com/tokenring/tokenring/flow/exchange"
	"github.com/tokenring/tokenring/internal/config"
	"github.com/tokenring/tokenring/internal/localoauth"
)

const whRedirect = "https://app.example/oauth/callback"

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// openStore opens the real file keyring in a temp dir; pass "" leaves it
// locked (no passphrase known, none can be asked).
func openStore(t *testing.T, pass string) *accounts.Store {
	t.Helper()
	st, err := accounts.Open(accounts.Config{Dir: t.TempDir(), Backend: "file", EnvPassphrase: pass, Exchanger: exchange.New()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func newLinker(st Store, providers ...flow.Provider) *Linker {
	return &Linker{Store: st, Exchanger: exchange.New(), Providers: providers}
}

func plan(t *testing.T, l *Linker, req Request, sec flow.Secrets) *Plan {
	t.Helper()
	p, err := l.Plan(ctxT(t), req)
	if err != nil {
		t.Fatalf("Plan: %v", err)
	}
	if err := p.Ready(ctxT(t), sec); err != nil {
		t.Fatalf("Ready: %v", err)
	}
	return p
}

func TestPlanResolvesProviders(t *testing.T) {
	st := openStore(t, "pw")
	cfg, err := config.Parse("[providers.shop]\npreset = \"dressipi\"\nclient_id = \"abc\"\n")
	if err != nil {
		t.Fatal(err)
	}
	l := newLinker(st, cfg.ProviderList()...)
	ctx := ctxT(t)

	// a config provider, with the base URL from the command line
	p, err := l.Plan(ctx, Request{Name: "a", Provider: "shop", Overrides: flow.Overrides{BaseURL: "https://api.shop.example"}})
	if err != nil || p.Provider.TokenURL != "https://api.shop.example/oauth/token" || p.Provider.ClientID != "abc" {
		t.Fatalf("shop: %+v %v", p, err)
	}
	if _, err := l.Plan(ctx, Request{Name: "a", Provider: "shop"}); !isField(err, flow.FieldBaseURL) {
		t.Fatalf("shop without base URL: %v", err)
	}
	// a preset with a grant switch; scopes given space/comma separated
	p, err = l.Plan(ctx, Request{Name: "a", Provider: "warhorn", Overrides: flow.Overrides{ClientID: "id",
		Grant: flow.GrantClientCredentials, Scopes: []string{"a b,c"}}})
	if err != nil || p.Provider.Grant != flow.GrantClientCredentials || strings.Join(p.Provider.Scopes, " ") != "a b c" ||
		p.Needs().ClientSecret != flow.NeedRequired {
		t.Fatalf("warhorn cc: %+v %v", p, err)
	}
	// a generic provider is named after its host
	p, err = l.Plan(ctx, Request{Name: "a", Provider: "custom", Overrides: flow.Overrides{ClientID: "id",
		AuthURL: "https://sso.corp.example/a", TokenURL: "https://sso.corp.example/t", RedirectURI: "http://127.0.0.1/cb"}})
	if err != nil || p.Provider.Label() != "sso.corp.example" {
		t.Fatalf("generic: %+v %v", p, err)
	}
	// what can fail locally fails here, typed
	if _, err := l.Plan(ctx, Request{Name: "a", Provider: "nope"}); !errors.Is(err, flow.ErrConfig) {
		t.Fatalf("unknown provider: %v", err)
	}
	if _, err := l.Plan(ctx, Request{Name: "../evil", Provider: "warhorn"}); !errors.Is(err, accounts.ErrBadName) {
		t.Fatalf("bad name: %v", err)
	}
	if _, err := l.Plan(ctx, Request{Name: "a", Provider: "warhorn", Overrides: flow.Overrides{ClientID: "id"}}); !isField(err, flow.FieldRedirectURI) {
		t.Fatalf("warhorn without redirect URI: %v", err)
	}
}

func isField(err error, f flow.Field) bool {
	for _, fe := range flow.FieldErrors(err) {
		if fe.Field == f {
			return true
		}
	}
	return false
}

func TestNeedsDiscovery(t *testing.T) {
	iss := "https://id.example"
	for _, c := range []struct {
		p    flow.Provider
		want bool
	}{
		{flow.Provider{}, false},
		{flow.Provider{Issuer: iss}, true},
		{flow.Provider{Issuer: iss, AuthURL: iss + "/a"}, true},
		{flow.Provider{Issuer: iss, AuthURL: iss + "/a", TokenURL: iss + "/t"}, false}, // linked before: keeps its endpoints
		{flow.Provider{Issuer: iss, TokenURL: iss + "/t", Grant: flow.GrantClientCredentials}, false},
		{flow.Provider{Issuer: iss, AuthURL: iss + "/a", TokenURL: iss + "/t", Grant: flow.GrantDeviceCode}, true},
		{flow.Provider{AuthURL: "https://a/a"}, false}, // nothing to discover from
	} {
		if got := needsDiscovery(c.p); got != c.want {
			t.Errorf("needsDiscovery(%+v) = %v, want %v", c.p, got, c.want)
		}
	}
}

// Every grant, end to end: one token request at the server, the account
// stored in the real keyring.
func TestEachGrantLinksOnce(t *testing.T) {
	ctx := ctxT(t)
	t.Run("warhorn: paste the https redirect URL", func(t *testing.T) {
		srv := localoauth.NewWarhorn(localoauth.WarhornOptions{ClientID: "wh", ClientSecret: "wh-secret", RedirectURI: whRedirect})
		defer srv.Close()
		st := openStore(t, "pw")
		p := plan(t, newLinker(st), Request{Name: "events", Provider: "warhorn", Overrides: flow.Overrides{
			AuthURL: srv.URL + "/oauth/authorize", TokenURL: srv.URL + "/oauth/token", ClientID: "wh", RedirectURI: whRedirect}},
			flow.Secrets{ClientSecret: "wh-secret"})
		a := start[*Authorize](t, p)
		landed, err := srv.Approve(a.URL)
		if err != nil {
			t.Fatal(err)
		}
		code, err := a.Code(landed)
		if err != nil {
			t.Fatal(err)
		}
		res, err := a.Redeem(ctx, code)
		if err != nil {
			t.Fatal(err)
		}
		saved(t, st, p, res, "events")
		if n := srv.Count("/oauth/token"); n != 1 {
			t.Fatalf("%d token requests", n)
		}
	})
	t.Run("dressipi: out-of-band code, API key", func(t *testing.T) {
		srv := localoauth.NewDressipi(localoauth.DressipiOptions{ClientID: "dr", APIKey: "key-1"})
		defer srv.Close()
		st := openStore(t, "pw")
		l := newLinker(st)
		pl, err := l.Plan(ctx, Request{Name: "shop", Provider: "dressipi", Overrides: flow.Overrides{BaseURL: srv.URL, ClientID: "dr"}})
		if err != nil {
			t.Fatal(err)
		}
		if n := pl.Needs(); !n.APIKey || n.APIKeyHeader != "x-api-key" || n.ClientSecret != flow.NeedNone {
			t.Fatalf("needs %+v", n)
		}
		var se *SecretError
		if err := pl.Ready(ctx, flow.Secrets{}); !errors.As(err, &se) || se.Secret != SecretAPIKey {
			t.Fatalf("Ready without the API key: %v", err)
		}
		if err := pl.Ready(ctx, flow.Secrets{APIKey: "key-1", ClientSecret: "dropped"}); err != nil {
			t.Fatal(err)
		}
		a := start[*Authorize](t, pl)
		if !a.OOB || a.Listening != "" {
			t.Fatalf("OOB %v listening %q", a.OOB, a.Listening)
		}
		page, err := srv.Approve(a.URL)
		if err != nil {
			t.Fatal(err)
		}
		code, err := a.Code(page)
		if err != nil {
			t.Fatal(err)
		}
		res, err := a.Redeem(ctx, code)
		if err != nil {
			t.Fatal(err)
		}
		saved(t, st, pl, res, "shop")
		sec, err := st.Secret(ctx, "shop")
		if err != nil || sec.APIKey != "key-1" || sec.ClientSecret != "" {
			t.Fatalf("stored secrets: %v", err)
		}
	})
	t.Run("oidc: the loopback listener catches the redirect", func(t *testing.T) {
		srv := localoauth.NewOIDC(localoauth.OIDCOptions{ClientID: "oc", RedirectURIs: []string{"http://127.0.0.1/callback"}, PKCE: true})
		defer srv.Close()
		st := openStore(t, "pw")
		p := plan(t, newLinker(st), Request{Name: "work", Provider: "oidc", Overrides: flow.Overrides{
			Issuer: srv.URL, ClientID: "oc", RedirectURI: "http://127.0.0.1:0/callback"}}, flow.Secrets{})
		if p.Provider.TokenURL != srv.URL+"/token" {
			t.Fatalf("not discovered: %+v", p.Provider)
		}
		a := start[*Authorize](t, p)
		defer a.Close()
		if a.Listening == "" || a.ListenErr != nil || a.RedirectURI != a.Listening {
			t.Fatalf("listening %q (%v), redirect %q", a.Listening, a.ListenErr, a.RedirectURI)
		}
		landed, err := srv.Approve(a.URL)
		if err != nil {
			t.Fatal(err)
		}
		go func() { // the browser follows the redirect to the listener
			if resp, err := http.Get(landed); err == nil {
				resp.Body.Close()
			}
		}()
		r := <-a.Captured()
		if r.Err != nil {
			t.Fatal(r.Err)
		}
		res, err := a.Redeem(ctx, r.Code)
		if err != nil {
			t.Fatal(err)
		}
		saved(t, st, p, res, "work")
		if u, _ := url.Parse(res.Provider.RedirectURI); u.Port() == "0" || u.Port() == "" {
			t.Fatalf("stored redirect URI %q: not the port the listener chose", res.Provider.RedirectURI)
		}
	})
	t.Run("device flow", func(t *testing.T) {
		srv := localoauth.NewOIDC(localoauth.OIDCOptions{ClientID: "oc", Device: true, DeviceInterval: 1})
		defer srv.Close()
		st := openStore(t, "pw")
		p := plan(t, newLinker(st), Request{Name: "tv", Provider: "oidc", Overrides: flow.Overrides{
			Issuer: srv.URL, ClientID: "oc", Grant: flow.GrantDeviceCode}}, flow.Secrets{})
		d := start[*Device](t, p)
		if d.UserCode == "" || d.URL() == "" {
			t.Fatalf("device step %+v", d)
		}
		if err := srv.ApproveDevice(d.UserCode); err != nil {
			t.Fatal(err)
		}
		res, err := d.Wait(ctx)
		if err != nil {
			t.Fatal(err)
		}
		saved(t, st, p, res, "tv")
	})
	t.Run("client credentials", func(t *testing.T) {
		srv := localoauth.NewWarhorn(localoauth.WarhornOptions{ClientID: "wh", ClientSecret: "s3cret"})
		defer srv.Close()
		st := openStore(t, "pw")
		p, err := newLinker(st).Plan(ctx, Request{Name: "app", Provider: "warhorn", Overrides: flow.Overrides{
			TokenURL: srv.URL + "/oauth/token", ClientID: "wh", Grant: flow.GrantClientCredentials}})
		if err != nil {
			t.Fatal(err)
		}
		// the grant always needs a client secret: without one, nothing is sent
		var se *SecretError
		if err := p.Ready(ctx, flow.Secrets{}); !errors.As(err, &se) || se.Secret != SecretClientSecret {
			t.Fatalf("Ready without the client secret: %v", err)
		}
		if err := p.Ready(ctx, flow.Secrets{ClientSecret: "s3cret"}); err != nil {
			t.Fatal(err)
		}
		is := start[*Issued](t, p)
		saved(t, st, p, is.Result, "app")
		if n := srv.Count("/oauth/token"); n != 1 {
			t.Fatalf("%d token requests", n)
		}
	})
}

func start[S Step](t *testing.T, p *Plan) S {
	t.Helper()
	step, err := p.Start(ctxT(t))
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	s, ok := step.(S)
	if !ok {
		t.Fatalf("Start gave %T", step)
	}
	return s
}

func saved(t *testing.T, st *accounts.Store, p *Plan, res *Result, name string) {
	t.Helper()
	if _, err := p.Save(ctxT(t), res); err != nil {
		t.Fatalf("Save: %v", err)
	}
	tok, err := st.Token(ctxT(t), name)
	if err != nil || tok.AccessToken != res.Token.AccessToken {
		t.Fatalf("stored token of %s: %v", name, err)
	}
}

// Nothing single-use is spent before everything local is known good, and a
// code is sent once whatever happens.
func TestNothingSpentBeforeLocalChecks(t *testing.T) {
	ctx := ctxT(t)
	srv := localoauth.NewWarhorn(localoauth.WarhornOptions{ClientID: "wh", ClientSecret: "wh-secret", RedirectURI: whRedirect})
	defer srv.Close()
	req := Request{Name: "events", Provider: "warhorn", Overrides: flow.Overrides{
		AuthURL: srv.URL + "/oauth/authorize", TokenURL: srv.URL + "/oauth/token", ClientID: "wh", RedirectURI: whRedirect}}

	// a locked keyring stops Ready: no attempt can start
	locked := openStore(t, "")
	p, err := newLinker(locked).Plan(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Ready(ctx, flow.Secrets{ClientSecret: "wh-secret"}); !errors.Is(err, accounts.ErrLocked) {
		t.Fatalf("Ready on a locked keyring: %v", err)
	}
	if _, err := p.Start(ctx); !errors.Is(err, ErrNotReady) {
		t.Fatalf("Start before Ready: %v", err)
	}

	// a name taken stops Plan (a relink replaces it)
	st := openStore(t, "pw")
	l := newLinker(st)
	first := plan(t, l, req, flow.Secrets{ClientSecret: "wh-secret"})
	a := start[*Authorize](t, first)
	landed, _ := srv.Approve(a.URL)
	// garbage and another attempt's redirect are refused without a request
	if _, err := a.Code("hello there"); !errors.Is(err, flow.ErrNotACode) {
		t.Fatalf("garbage: %v", err)
	}
	other := start[*Authorize](t, first)
	otherLanded, _ := srv.Approve(other.URL)
	if _, err := a.Code(otherLanded); !errors.Is(err, flow.ErrStateMismatch) {
		t.Fatalf("other attempt's redirect: %v", err)
	}
	if n := srv.Count("/oauth/token"); n != 0 {
		t.Fatalf("%d token requests before a code was redeemed", n)
	}
	code, _ := a.Code(landed)
	res, err := a.Redeem(ctx, code)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Redeem(ctx, code); !errors.Is(err, ErrSpent) {
		t.Fatalf("second Redeem: %v", err)
	}
	if _, err := first.Save(ctx, res); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Plan(ctx, req); !errors.Is(err, accounts.ErrExists) {
		t.Fatalf("name taken: %v", err)
	}
	relinkReq := req
	relinkReq.Relink = true
	again := plan(t, l, relinkReq, flow.Secrets{ClientSecret: "wh-secret"})
	a2 := start[*Authorize](t, again)
	landed2, _ := srv.Approve(a2.URL)
	code2, _ := a2.Code(landed2)
	res2, err := a2.Redeem(ctx, code2)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := again.Save(ctx, res2); err != nil {
		t.Fatalf("relink Save: %v", err)
	}
	tok, _ := st.Token(ctx, "events")
	if tok.AccessToken != res2.Token.AccessToken {
		t.Fatal("relink did not replace the token")
	}
	if n := srv.Count("/oauth/token"); n != 2 {
		t.Fatalf("%d token requests for two redeemed codes", n)
	}
	names := []string{}
	accts, _ := st.Accounts()
	for _, ac := range accts {
		names = append(names, ac.Name)
	}
	if !slices.Equal(names, []string{"events"}) {
		t.Fatalf("accounts %v", names)
	}
}

// failingAdd fails the first n Adds (a full disk, a keyring that does not
// answer), then passes them through.
type failingAdd struct {
	Store
	n int
}

func (f *failingAdd) Add(ctx context.Context, a accounts.Account, sec accounts.Secret) error {
	if f.n > 0 {
		f.n--
		return errors.New("disk full")
	}
	return f.Store.Add(ctx, a, sec)
}

// A Save that failed keeps the tokens: Save again stores them, and the
// code is not needed again.
func TestSaveAgainAfterAFailedSave(t *testing.T) {
	ctx := ctxT(t)
	srv := localoauth.NewWarhorn(localoauth.WarhornOptions{ClientID: "wh", ClientSecret: "s3cret"})
	defer srv.Close()
	st := openStore(t, "pw")
	l := newLinker(&failingAdd{Store: st, n: 1})
	p := plan(t, l, Request{Name: "app", Provider: "warhorn", Overrides: flow.Overrides{
		TokenURL: srv.URL + "/oauth/token", ClientID: "wh", Grant: flow.GrantClientCredentials}}, flow.Secrets{ClientSecret: "s3cret"})
	is := start[*Issued](t, p)
	if _, err := p.Save(ctx, is.Result); err == nil {
		t.Fatal("the first Save should fail")
	}
	saved(t, st, p, is.Result, "app")
	if n := srv.Count("/oauth/token"); n != 1 {
		t.Fatalf("%d token requests", n)
	}
}

// A certified OpenID provider drops offline_access without prompt=consent
// (OIDC Core §11): tokenring asks for consent and gets a refresh token;
// when consent is switched off in auth_params the result says the refresh
// token is missing, so front ends can warn.
func TestOfflineAccessAsksForConsent(t *testing.T) {
	ctx := ctxT(t)
	srv := localoauth.NewOIDC(localoauth.OIDCOptions{ClientID: "oc", RedirectURIs: []string{localoauth.OOB}, OfflineAccess: true})
	defer srv.Close()
	link := func(name string, authParams map[string]string) *Result {
		st := openStore(t, "pw")
		base := flow.Provider{ID: "corp", Issuer: srv.URL, ClientID: "oc", RedirectURI: localoauth.OOB,
			Scopes: []string{"openid", "offline_access"}, AuthParams: authParams}
		p := plan(t, newLinker(st), Request{Name: name, Base: &base}, flow.Secrets{})
		a := start[*Authorize](t, p)
		page, err := srv.Approve(a.URL)
		if err != nil {
			t.Fatal(err)
		}
		code, _ := a.Code(page)
		res, err := a.Redeem(ctx, code)
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	if res := link("consented", nil); res.Token.RefreshToken == "" || res.OfflineDenied() {
		t.Fatalf("with prompt=consent: refresh token %v, OfflineDenied %v", res.Token.RefreshToken != "", res.OfflineDenied())
	}
	if res := link("no-consent", map[string]string{"prompt": ""}); res.Token.RefreshToken != "" || !res.OfflineDenied() {
		t.Fatalf("without prompt: refresh token %v, OfflineDenied %v", res.Token.RefreshToken != "", res.OfflineDenied())
	}
}

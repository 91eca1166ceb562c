// Package demo sets up `tokenring demo`: local OAuth providers on 127.0.0.1
// (internal/localoauth, real HTTP, the same code path as a real provider), a
// throwaway encrypted file keyring in a temporary directory with a generated
// passphrase that is never shown, and sample accounts linked for real through
// the authorization-code flow (internal/link, as the CLI and the wizard link,
// with the provider's consent page answered over HTTP).
//
// The samples show every status a newcomer may meet: tokens that expire
// within one or two minutes (so background refreshes happen while one
// watches), a token that does not expire (Warhorn), and an account whose
// refresh token was revoked, so it needs linking again.
package demo

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/tokenring/tokenring/accounts"
	"github.com/tokenring/tokenring/flow"
	"github.com/tokenring/tokenring/internal/link"
	"github.com/tokenring/tokenring/internal/localoauth"
)

// Names of the sample accounts.
const (
	AccountAlice   = "alice-demo"       // demo OIDC provider, 2 min tokens, rotating refresh tokens
	AccountShop    = "shop-dressipi"    // Dressipi emulation, 75 s JWTs, x-api-key, rotating refresh tokens
	AccountEvents  = "events-warhorn"   // Warhorn emulation, token does not expire
	AccountLaptop  = "old-laptop"       // demo OIDC provider, refresh token revoked: needs linking again
	DemoProviderID = "demo"             // the wizard's preset for the demo provider
	DemoClientID   = "tokenring-demo"   // client id registered at the demo provider
	ShopClientID   = "demo-shop-client" // client id registered at the Dressipi emulation
	EventsClientID = "demo-warhorn-app" // client id registered at the Warhorn emulation
	// EventsRedirectURI is the https callback registered at the Warhorn
	// emulation (Warhorn requires https: the user pastes the URL they land on).
	EventsRedirectURI = "https://tokenring.invalid/oauth/callback"
)

// Lifetimes of the sample access tokens.
const (
	AliceTTL = 2 * time.Minute
	ShopTTL  = 75 * time.Second
)

// Options configure Start. The zero value is what `tokenring demo` uses.
type Options struct {
	// TempDir is where the throwaway config directory is made ("" = os.TempDir()).
	TempDir string
	// Exchanger talks to the providers (required: the command line passes
	// its own).
	Exchanger flow.Exchanger
	// Policy is the refresh policy of the demo store (zero = the default).
	Policy accounts.Policy
}

// Demo is a running demo environment. Close it to stop the providers and
// delete the keyring.
type Demo struct {
	Store     *accounts.Store
	Exchanger flow.Exchanger
	// Provider is the demo provider as the link wizard offers it: its
	// authorize page shows a code to paste back.
	Provider flow.Provider
	// Dir is the throwaway config directory (deleted by Close).
	Dir string

	OIDC, Dressipi, Warhorn *localoauth.Server

	pass string
}

// Start starts the providers, opens the throwaway keyring and links the
// sample accounts. On error everything already started is cleaned up.
func Start(ctx context.Context, o Options) (d *Demo, err error) {
	if o.Exchanger == nil {
		return nil, errors.New("demo: no network client (Options.Exchanger)")
	}
	d = &Demo{Exchanger: o.Exchanger}
	defer func() {
		if err != nil {
			d.Close()
			d = nil
		}
	}()
	if d.Dir, err = os.MkdirTemp(o.TempDir, "tokenring-demo-"); err != nil {
		return d, fmt.Errorf("demo: cannot make a temporary directory: %w", err)
	}
	if err = os.Chmod(d.Dir, 0o700); err != nil {
		return d, fmt.Errorf("demo: %w", err)
	}
	if d.pass, err = random(24); err != nil {
		return d, err
	}
	apiKey, err := random(18)
	if err != nil {
		return d, err
	}
	whSecret, err := random(18)
	if err != nil {
		return d, err
	}

	if d.OIDC, err = localoauth.StartOIDC(localoauth.OIDCOptions{
		ClientID:        DemoClientID,
		RedirectURIs:    []string{localoauth.OOB, localoauth.OOBAuto, "http://127.0.0.1/callback", "http://localhost/callback"},
		AccessTTL:       AliceTTL,
		RotateRefresh:   true,
		JWTAccessTokens: true,
		Device:          true,
		DeviceInterval:  2,
		Revocation:      true,
		PKCE:            true,
		Demo:            true,
		Subject:         "alice",
	}); err != nil {
		return d, fmt.Errorf("demo: cannot start the demo provider: %w", err)
	}
	if d.Dressipi, err = localoauth.StartDressipi(localoauth.DressipiOptions{
		ClientID: ShopClientID, APIKey: apiKey, AccessTTL: ShopTTL,
	}); err != nil {
		return d, fmt.Errorf("demo: cannot start the Dressipi emulation: %w", err)
	}
	if d.Warhorn, err = localoauth.StartWarhorn(localoauth.WarhornOptions{
		ClientID: EventsClientID, ClientSecret: whSecret, RedirectURI: EventsRedirectURI,
	}); err != nil {
		return d, fmt.Errorf("demo: cannot start the Warhorn emulation: %w", err)
	}

	d.Provider = flow.Provider{
		ID:            DemoProviderID,
		DisplayName:   "Demo provider (built in, 127.0.0.1)",
		Description:   "the demo's own OpenID Connect provider: its authorize page shows a code to paste back",
		Issuer:        d.OIDC.URL,
		AuthURL:       d.OIDC.URL + "/authorize",
		TokenURL:      d.OIDC.URL + "/token",
		RevocationURL: d.OIDC.URL + "/revoke",
		DeviceAuthURL: d.OIDC.URL + "/device",
		ClientID:      DemoClientID,
		RedirectURI:   localoauth.OOB,
		Scopes:        []string{"openid", "profile", "email"},
		PKCE:          flow.PKCERequired,
		ClientAuth:    flow.ClientAuthBody,
		Grant:         flow.GrantAuthorizationCode,
		ClientSecret:  flow.NeedNone,
		TokenHeader:   "Authorization",
	}

	pass := d.pass
	if d.Store, err = accounts.Open(accounts.Config{
		Dir:     d.Dir,
		Backend: "file",
		// shown as the keyring's reason: "chosen by tokenring demo; ..."
		BackendSource: "tokenring demo; a throwaway keyring, deleted on exit",
		Passphrase:    func(string) (string, error) { return pass, nil },
		Exchanger:     d.Exchanger,
		Policy:        o.Policy,
		// A keyring that lives minutes, under a random passphrase: no
		// stretching worth the wait (Argon2id's least costs).
		KDF: accounts.KDFParams{Time: 1, Memory: 1 << 10, Threads: 1},
	}); err != nil {
		return d, fmt.Errorf("demo: cannot open the throwaway keyring: %w", err)
	}
	if err = d.Store.Unlock(ctx, d.pass); err != nil {
		return d, fmt.Errorf("demo: cannot unlock the throwaway keyring: %w", err)
	}

	shop, err := flow.Preset(flow.PresetDressipi, flow.Overrides{BaseURL: d.Dressipi.URL, ClientID: ShopClientID})
	if err != nil {
		return d, fmt.Errorf("demo: %w", err)
	}
	shop.DisplayName = "Dressipi (local emulation)"
	events := flow.Provider{}
	if events, err = flow.Preset(flow.PresetWarhorn, flow.Overrides{
		AuthURL: d.Warhorn.URL + "/oauth/authorize", TokenURL: d.Warhorn.URL + "/oauth/token",
		ClientID: EventsClientID, RedirectURI: EventsRedirectURI,
	}); err != nil {
		return d, fmt.Errorf("demo: %w", err)
	}
	events.DisplayName = "Warhorn (local emulation)"

	samples := []struct {
		name   string
		srv    *localoauth.Server
		p      flow.Provider
		s      flow.Secrets
		revoke bool
	}{
		{AccountAlice, d.OIDC, d.Provider, flow.Secrets{}, false},
		{AccountShop, d.Dressipi, shop, flow.Secrets{APIKey: apiKey}, false},
		{AccountEvents, d.Warhorn, events, flow.Secrets{ClientSecret: whSecret}, false},
		{AccountLaptop, d.OIDC, d.Provider, flow.Secrets{}, true},
	}
	l := &link.Linker{Store: d.Store, Exchanger: d.Exchanger}
	for _, s := range samples {
		tok, err := Link(ctx, l, s.srv, s.name, s.p, s.s)
		if err != nil {
			return d, fmt.Errorf("demo: linking the sample account %s: %w", s.name, err)
		}
		if s.revoke {
			// The user revoked this device's access at the provider; the
			// next refresh answers invalid_grant and the store marks the
			// account as needing to be linked again.
			s.srv.Revoke(tok.RefreshToken)
			if _, err := d.Store.Refresh(ctx, s.name); err == nil {
				return d, fmt.Errorf("demo: the revoked sample account %s still refreshed", s.name)
			}
		}
	}
	return d, nil
}

// Link links one account for real, through internal/link like the CLI and
// the wizard: it plans and starts an authorization for p, lets srv's consent
// page approve it over HTTP (as the user's browser would), reads what the
// user would paste, redeems the code and stores the account. It returns the
// token (for the demo's own bookkeeping).
func Link(ctx context.Context, l *link.Linker, srv *localoauth.Server, name string, p flow.Provider, s flow.Secrets) (*flow.Token, error) {
	plan, err := l.Plan(ctx, link.Request{Name: name, Base: &p})
	if err != nil {
		return nil, err
	}
	if err := plan.Ready(ctx, s); err != nil {
		return nil, err
	}
	step, err := plan.Start(ctx)
	if err != nil {
		return nil, err
	}
	a, ok := step.(*link.Authorize)
	if !ok {
		return nil, fmt.Errorf("demo: %s does not use the authorization-code grant", p.Label())
	}
	defer a.Close()
	pasted, err := srv.Approve(a.URL)
	if err != nil {
		return nil, err
	}
	code, err := a.Code(pasted)
	if err != nil {
		return nil, err
	}
	res, err := a.Redeem(ctx, code)
	if err != nil {
		return nil, err
	}
	if _, err := plan.Save(ctx, res); err != nil {
		return nil, err
	}
	return &res.Token, nil
}

// Close stops the providers, closes the keyring and deletes the temporary
// directory. It is safe to call more than once.
func (d *Demo) Close() error {
	if d == nil {
		return nil
	}
	var errs []error
	if d.Store != nil {
		errs = append(errs, d.Store.Close())
		d.Store = nil
	}
	for _, s := range []**localoauth.Server{&d.OIDC, &d.Dressipi, &d.Warhorn} {
		if *s != nil {
			(*s).Close()
			*s = nil
		}
	}
	if d.Dir != "" {
		errs = append(errs, os.RemoveAll(d.Dir))
		d.Dir = ""
	}
	return errors.Join(errs...)
}

func random(n int) (string, error) {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("demo: no randomness available: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

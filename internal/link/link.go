// Package link is the one sequence that links an account, for every grant
// and every front end (the command line, the TUI's wizard, the demo):
//
//	resolve the provider → discover → validate → check the name
//	   (Linker.Plan)
//	→ the secrets it needs, and a keyring that can store them now
//	   (Plan.Ready)
//	→ start an attempt: an authorization URL (and a loopback listener), a
//	   device code, or, for client credentials, the token itself
//	   (Plan.Start, which returns a Step)
//	→ redeem what came back: the pasted code, the loopback capture, the
//	   device approval (Authorize.Redeem, Device.Wait)
//	→ save (Plan.Save)
//
// Everything that can fail here without the provider fails before a
// single-use code is spent: a bad or taken name, incomplete or insecure
// settings, a missing secret, a locked keyring, a paste that is not a code
// for this attempt. A code is sent at most once (Authorize.Redeem refuses a
// second call); a new attempt is a new Plan.Start.
//
// Front ends only render: the steps are plain data, the errors are typed
// (*flow.FieldError, *SecretError, accounts.ErrExists, accounts.ErrBadName,
// accounts.ErrLocked, flow's errors) so the CLI can say --client-id and the
// wizard "Client ID". The package talks to providers through a
// flow.Exchanger and never imports Bubble Tea.
package link

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"time"

	"github.com/tokenring/tokenring/accounts"
	"github.com/tokenring/tokenring/flow"
)

// Store is what linking needs of the account store (*accounts.Store).
type Store interface {
	Account(name string) (accounts.Account, error)
	// Writable makes sure a new secret can be stored now (the file
	// keyring's passphrase known); accounts.ErrLocked when it cannot ask.
	Writable(ctx context.Context) error
	Add(ctx context.Context, a accounts.Account, sec accounts.Secret) error
	Remove(ctx context.Context, name string, revoke bool) error
}

var _ Store = (*accounts.Store)(nil)

// Linker links accounts. Its fields are set once by the front end.
type Linker struct {
	Store     Store
	Exchanger flow.Exchanger
	// Providers are config.toml's (config.File.ProviderList): found by id
	// before the built-in presets.
	Providers []flow.Provider
	Now       func() time.Time // nil: time.Now
	// Progress, when set, hears about slow steps before they start (the
	// CLI prints them; the wizard shows a spinner instead).
	Progress func(Event)
}

// Event is a slow step about to start.
type Event struct {
	Kind   EventKind
	Detail string // the issuer being discovered, the provider asked, ...
}

// EventKind says which step.
type EventKind int

const (
	EventDiscover          EventKind = iota + 1 // reading an issuer's OpenID Connect configuration
	EventExchange                               // redeeming the code
	EventClientCredentials                      // asking for an application token
	EventDevice                                 // asking for a device code
)

// Request is what the user asked for.
type Request struct {
	Name string
	// Provider is a provider id: config.toml's first, then a preset
	// (warhorn, dressipi, generic/custom/oidc). Base, when set, is used
	// instead: a provider given whole (relinking an account, the demo's).
	Provider string
	Base     *flow.Provider
	// Overrides are what the user gave on top (flags, wizard fields).
	Overrides flow.Overrides
	// Relink replaces the existing account Name once the new tokens are in
	// hand (its tokens are not revoked: they no longer work).
	Relink bool
	// NoListen: do not start a loopback listener, only take pastes.
	NoListen bool
}

// SecretError says a secret the provider needs was not given.
type SecretError struct {
	Secret Secret
	For    string // the provider's label
}

// Secret names a secret linking may need.
type Secret int

const (
	SecretClientSecret Secret = iota + 1
	SecretAPIKey
)

func (e *SecretError) Error() string {
	what := "a client secret"
	if e.Secret == SecretAPIKey {
		what = "an API key"
	}
	return e.For + " needs " + what
}

// Needs are the secrets a provider asks for.
type Needs struct {
	ClientSecret flow.Need // none, optional or required
	APIKey       bool      // sent in APIKeyHeader on every call
	APIKeyHeader string
}

// Plan is a provider resolved for one account, ready to start attempts.
type Plan struct {
	Name     string
	Provider flow.Provider // resolved, discovered, validated, with defaults
	Relink   bool

	l        *Linker
	noListen bool
	secrets  flow.Secrets
	ready    bool
}

// ErrNotReady is returned by Start when Ready has not succeeded.
var ErrNotReady = errors.New("link: Ready must succeed before Start")

// ErrSpent is returned by a second Redeem of the same attempt: a code is
// sent at most once.
var ErrSpent = errors.New("link: this attempt's code was sent already; start a new attempt")

func (l *Linker) now() time.Time {
	if l.Now == nil {
		return time.Now()
	}
	return l.Now()
}

func (l *Linker) progress(k EventKind, detail string) {
	if l.Progress != nil {
		l.Progress(Event{Kind: k, Detail: detail})
	}
}

// Plan checks the name, resolves the provider, discovers its endpoints
// when it has an issuer and lacks an endpoint its grant needs, and
// validates it. Nothing is stored and nothing single-use is spent.
func (l *Linker) Plan(ctx context.Context, req Request) (*Plan, error) {
	if err := accounts.ValidName(req.Name); err != nil {
		return nil, err
	}
	if _, err := l.Store.Account(req.Name); err == nil && !req.Relink {
		return nil, fmt.Errorf("%w: %s", accounts.ErrExists, req.Name)
	} else if err != nil && !errors.Is(err, accounts.ErrNotFound) {
		return nil, err
	}
	p, err := l.resolve(req)
	if err != nil {
		return nil, err
	}
	if needsDiscovery(p) {
		if l.Exchanger == nil {
			return nil, errNoNetwork
		}
		l.progress(EventDiscover, p.Issuer)
		if p, err = l.Exchanger.Discover(ctx, p.Issuer, p); err != nil {
			return nil, err
		}
	}
	p = p.WithDefaults()
	if err := p.Validate(); err != nil {
		return nil, err
	}
	return &Plan{Name: req.Name, Provider: p, Relink: req.Relink, l: l, noListen: req.NoListen}, nil
}

var errNoNetwork = errors.New("linking is not available: this build has no network client")

// resolve finds the provider and applies the overrides.
func (l *Linker) resolve(req Request) (flow.Provider, error) {
	if req.Base != nil {
		return req.Base.With(req.Overrides), nil
	}
	for _, p := range l.Providers {
		if p.ID == req.Provider {
			if p.NeedsBaseURL && p.BaseURL == "" && req.Overrides.BaseURL == "" {
				return flow.Provider{}, flow.MissingField(flow.FieldBaseURL, p.Label()+": the customer's API base URL")
			}
			return p.With(req.Overrides), nil
		}
	}
	p, err := flow.Preset(req.Provider, req.Overrides)
	if err != nil {
		return flow.Provider{}, err
	}
	if p.ID == flow.PresetGeneric {
		p.DisplayName = hostOf(p.Issuer, p.AuthURL, p.TokenURL) // "id.example.com", not "Generic OAuth 2.0"
	}
	return p, nil
}

// needsDiscovery: an issuer, and an endpoint the grant needs is missing
// (discovery fills only what is empty; a provider linked before keeps its
// endpoints).
func needsDiscovery(p flow.Provider) bool {
	if p.Issuer == "" {
		return false
	}
	q := p.WithDefaults()
	switch q.Grant {
	case flow.GrantDeviceCode:
		return q.TokenURL == "" || q.DeviceAuthURL == ""
	case flow.GrantClientCredentials:
		return q.TokenURL == ""
	}
	return q.TokenURL == "" || q.AuthURL == ""
}

func hostOf(urls ...string) string {
	for _, s := range urls {
		if u, err := url.Parse(s); err == nil && u.Host != "" {
			return u.Host
		}
	}
	return "OAuth 2.0"
}

// Needs says which secrets the provider asks for. The client-credentials
// grant always needs a client secret.
func (p *Plan) Needs() Needs {
	n := Needs{ClientSecret: p.Provider.ClientSecret, APIKey: p.Provider.APIKeyHeader != "", APIKeyHeader: p.Provider.APIKeyHeader}
	if p.Provider.Grant == flow.GrantClientCredentials {
		n.ClientSecret = flow.NeedRequired
	}
	return n
}

// Ready takes the secrets and makes sure the account can be stored once
// the tokens arrive: a required secret given (*SecretError otherwise) and
// the keyring writable now (accounts.ErrLocked: unlock, then call Ready
// again). It spends nothing.
func (p *Plan) Ready(ctx context.Context, s flow.Secrets) error {
	n := p.Needs()
	if n.ClientSecret == flow.NeedNone {
		s.ClientSecret = ""
	}
	if !n.APIKey {
		s.APIKey = ""
	}
	switch {
	case n.ClientSecret == flow.NeedRequired && s.ClientSecret == "":
		return &SecretError{Secret: SecretClientSecret, For: p.Provider.Label()}
	case n.APIKey && s.APIKey == "":
		return &SecretError{Secret: SecretAPIKey, For: p.Provider.Label()}
	}
	if p.l.Exchanger == nil {
		return errNoNetwork
	}
	if err := p.l.Store.Writable(ctx); err != nil {
		return err
	}
	p.secrets, p.ready = s, true
	return nil
}

// Result is a token set issued for the account, not stored yet.
type Result struct {
	Name     string
	Provider flow.Provider // as the attempt used it (a loopback port chosen)
	Token    flow.Token
	secrets  flow.Secrets
}

// OfflineDenied says offline access was asked for (the offline_access
// scope) but no refresh token came: the account must be linked again when
// its token expires. Front ends warn.
func (r *Result) OfflineDenied() bool {
	return slices.Contains(r.Provider.Scopes, "offline_access") && r.Token.RefreshToken == ""
}

// String never shows a secret.
func (r Result) String() string { return "link.Result{" + r.Name + ", redacted}" }

// Save stores the account (replacing it for a relink). On failure the
// Result is still good: call Save again (the code is not needed again).
func (p *Plan) Save(ctx context.Context, r *Result) (accounts.Account, error) {
	if r == nil || r.Token.AccessToken == "" {
		return accounts.Account{}, fmt.Errorf("%w: the provider sent no access token", flow.ErrBadResponse)
	}
	a, sec := accounts.Linked(r.Name, r.Provider, r.secrets, r.Token, p.l.now())
	if p.Relink {
		// The dead entry goes; its tokens are not revoked (they no longer work).
		if err := p.l.Store.Remove(ctx, r.Name, false); err != nil && !errors.Is(err, accounts.ErrNotFound) {
			return accounts.Account{}, err
		}
	}
	if err := p.l.Store.Add(ctx, a, sec); err != nil {
		return accounts.Account{}, err
	}
	return a, nil
}

func (p *Plan) result(prov flow.Provider, tok *flow.Token) (*Result, error) {
	if tok == nil || tok.AccessToken == "" {
		return nil, fmt.Errorf("%w: the provider answered without an access token", flow.ErrBadResponse)
	}
	return &Result{Name: p.Name, Provider: prov, Token: *tok, secrets: p.secrets}, nil
}

package link

import (
	"context"
	"sync"
	"time"

	"github.com/tokenring/tokenring/flow"
)

// Step is what an attempt asks of the user: *Authorize, *Device or, when
// the tokens came without the user (client credentials), *Issued.
type Step interface{ isStep() }

// Authorize: open URL in a browser, approve, and paste back the code or
// the address the browser lands on; with a loopback redirect URI the
// listener may catch the redirect first.
type Authorize struct {
	URL         string
	RedirectURI string
	// OOB: the provider shows the code on its own page (an out-of-band
	// redirect URI) rather than redirecting to an address.
	OOB bool
	// Listening is the loopback URI the listener answers on ("" when none);
	// ListenErr says why none could start (pasting still works).
	Listening string
	ListenErr error

	plan    *Plan
	req     *flow.AuthRequest
	capture flow.Capture

	mu    sync.Mutex
	spent bool
}

// Device: open VerificationURI on any device and enter UserCode.
type Device struct {
	UserCode                string
	VerificationURI         string
	VerificationURIComplete string // carries the code, when the provider gives one
	Expiry                  time.Time

	plan *Plan
	auth *flow.DeviceAuth
}

// Issued: the provider issued the tokens without the user (client credentials).
type Issued struct{ Result *Result }

func (*Authorize) isStep() {}
func (*Device) isStep()    {}
func (*Issued) isStep()    {}

// Start begins a new attempt (a fresh state, PKCE verifier and nonce; a new
// device code; or the client-credentials request itself). Ready must have
// succeeded. Close an *Authorize when done with it (its listener).
func (p *Plan) Start(ctx context.Context) (Step, error) {
	if !p.ready {
		return nil, ErrNotReady
	}
	ex, prov := p.l.Exchanger, p.Provider
	switch prov.Grant {
	case flow.GrantClientCredentials:
		p.l.progress(EventClientCredentials, prov.Label())
		tok, err := ex.ClientCredentials(ctx, prov, p.secrets)
		if err != nil {
			return nil, err
		}
		r, err := p.result(prov, tok)
		if err != nil {
			return nil, err
		}
		return &Issued{Result: r}, nil
	case flow.GrantDeviceCode:
		p.l.progress(EventDevice, prov.Label())
		d, err := ex.StartDevice(ctx, prov, p.secrets)
		if err != nil {
			return nil, err
		}
		return &Device{UserCode: d.UserCode, VerificationURI: d.VerificationURI,
			VerificationURIComplete: d.VerificationURIComplete, Expiry: d.Expiry, plan: p, auth: d}, nil
	}
	req, err := flow.StartAuth(prov)
	if err != nil {
		return nil, err
	}
	a := &Authorize{plan: p}
	if !p.noListen && flow.IsLoopbackRedirect(req.RedirectURI) {
		c, lerr := ex.ListenLoopback(req)
		if lerr != nil {
			a.ListenErr = lerr
		} else {
			a.capture, a.Listening = c, c.RedirectURI()
			if c.RedirectURI() != req.RedirectURI { // the listener chose the port
				if req, err = req.WithRedirectURI(c.RedirectURI()); err != nil {
					c.Close()
					return nil, err
				}
			}
		}
	}
	a.req, a.URL, a.RedirectURI = req, req.URL, req.RedirectURI
	a.OOB = req.RedirectURI == flow.OOBRedirectURI || req.RedirectURI == flow.DressipiRedirectURI
	return a, nil
}

// Captured delivers what the loopback listener caught (nil when there is
// no listener; closed when it stops).
func (a *Authorize) Captured() <-chan flow.CaptureResult {
	if a.capture == nil {
		return nil
	}
	return a.capture.Result()
}

// Code reads what the user pasted: a code for this attempt, or an error
// (flow.ErrNotACode, flow.ErrStateMismatch: nothing was sent; try another
// paste; a *flow.OAuthError from an error=... redirect: the provider
// refused, start again). It sends nothing.
func (a *Authorize) Code(pasted string) (string, error) { return a.req.ReadPaste(pasted) }

// Redeem exchanges code, exactly once per attempt: a second call gives
// ErrSpent whatever the first one's outcome (a failed exchange is never
// retried: the provider may have spent the code). The listener stops.
func (a *Authorize) Redeem(ctx context.Context, code string) (*Result, error) {
	a.mu.Lock()
	if a.spent {
		a.mu.Unlock()
		return nil, ErrSpent
	}
	a.spent = true
	a.mu.Unlock()
	a.Close()
	p := a.plan
	p.l.progress(EventExchange, p.Provider.Label())
	tok, err := p.l.Exchanger.Exchange(ctx, a.req, p.secrets, code)
	if err != nil {
		return nil, err
	}
	return p.result(a.req.Provider, tok)
}

// Spent says whether this attempt's code was sent.
func (a *Authorize) Spent() bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.spent
}

// Close stops the loopback listener (safe to call more than once).
func (a *Authorize) Close() {
	if a.capture != nil {
		_ = a.capture.Close()
	}
}

// Wait polls until the user approves or denies, the code expires (a few
// seconds of grace after Expiry) or ctx ends.
func (d *Device) Wait(ctx context.Context) (*Result, error) {
	if !d.Expiry.IsZero() {
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, d.Expiry.Add(5*time.Second))
		defer cancel()
	}
	p := d.plan
	tok, err := p.l.Exchanger.PollDevice(ctx, p.Provider, p.secrets, d.auth)
	if err != nil {
		return nil, err
	}
	return p.result(p.Provider, tok)
}

// URL is the address to open: the one carrying the code when there is one.
func (d *Device) URL() string {
	if d.VerificationURIComplete != "" {
		return d.VerificationURIComplete
	}
	return d.VerificationURI
}

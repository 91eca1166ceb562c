package wizard

// The seam between the wizard and the link sequence: every call the wizard
// makes to resolve a provider, to the Exchanger (the network) and to the
// Store (the keyring) is in this file, each I/O in a tea.Cmd that answers
// with a message tagged with its attempt. When internal/link takes the
// sequence over, this file is what changes; the steps and the view stay.

import (
	"context"
	"errors"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/tokenring/tokenring/accounts"
	"github.com/tokenring/tokenring/flow"
)

// Store is what the wizard needs of the account store (*accounts.Store).
type Store interface {
	Add(ctx context.Context, a accounts.Account, sec accounts.Secret) error
	Remove(ctx context.Context, name string, revoke bool) error
}

// Results of the link sequence's steps; attempt says which attempt each is for.
type (
	discoveredMsg struct {
		attempt int
		p       flow.Provider
		err     error
	}
	listenMsg struct {
		attempt int
		cap     flow.Capture
		err     error
	}
	captureMsg struct {
		attempt int
		res     flow.CaptureResult
		ok      bool
	}
	tokenMsg struct {
		attempt int
		tok     *flow.Token
		err     error
	}
	deviceMsg struct {
		attempt int
		d       *flow.DeviceAuth
		err     error
	}
	savedMsg struct {
		attempt int
		name    string
		err     error
	}
)

// resolve builds the provider of choice ch with what the user typed.
func resolve(ch choice, o flow.Overrides) (flow.Provider, error) {
	if ch.base != nil {
		return ch.base.With(o), nil
	}
	p, err := flow.Preset(ch.preset, o)
	if err != nil {
		return p, err
	}
	if ch.preset == flow.PresetGeneric {
		p.DisplayName = hostOf(p.Issuer, p.AuthURL, p.TokenURL)
	}
	return p, nil
}

// needsDiscovery: the provider names an issuer but lacks an endpoint that
// the issuer's OpenID Connect configuration gives.
func needsDiscovery(p flow.Provider) bool {
	return p.Issuer != "" && (p.TokenURL == "" || (p.WithDefaults().Grant == flow.GrantDeviceCode && p.DeviceAuthURL == ""))
}

func (w *Model) discover(p flow.Provider) tea.Cmd {
	attempt, ex, issuer := w.attempt, w.cfg.Exchanger, p.Issuer
	return w.c.IO(func(ctx context.Context) tea.Msg {
		q, err := ex.Discover(ctx, issuer, p)
		return discoveredMsg{attempt, q, err}
	})
}

func (w *Model) clientCredentials(p flow.Provider) tea.Cmd {
	attempt, ex, sec := w.attempt, w.cfg.Exchanger, w.secrets
	return w.c.IO(func(ctx context.Context) tea.Msg {
		tok, err := ex.ClientCredentials(ctx, p, sec)
		return tokenMsg{attempt, tok, err}
	})
}

func (w *Model) startDevice(p flow.Provider) tea.Cmd {
	attempt, ex, sec := w.attempt, w.cfg.Exchanger, w.secrets
	return w.c.IO(func(ctx context.Context) tea.Msg {
		d, err := ex.StartDevice(ctx, p, sec)
		return deviceMsg{attempt, d, err}
	})
}

// pollDevice waits for the user's approval until the device code expires
// (and a little more), or until the wizard closes (w.cancel).
func (w *Model) pollDevice(d *flow.DeviceAuth) tea.Cmd {
	ctx, cancel := context.WithCancel(w.c.Context())
	if !d.Expiry.IsZero() {
		ctx, cancel = context.WithDeadline(w.c.Context(), d.Expiry.Add(5*time.Second))
	}
	w.cancel = cancel
	attempt, ex, p, sec := w.attempt, w.cfg.Exchanger, w.prov, w.secrets
	return func() tea.Msg {
		tok, err := ex.PollDevice(ctx, p, sec, d)
		return tokenMsg{attempt, tok, err}
	}
}

// startAuth begins an authorization: a fresh request (new state, PKCE
// verifier and nonce).
func startAuth(p flow.Provider) (*flow.AuthRequest, error) { return flow.StartAuth(p) }

// listen starts the one-shot loopback listener of a loopback redirect URI
// (it only binds a local port: no deadline needed).
func (w *Model) listen(req *flow.AuthRequest) tea.Cmd {
	attempt, ex := w.attempt, w.cfg.Exchanger
	return func() tea.Msg {
		c, err := ex.ListenLoopback(req)
		return listenMsg{attempt, c, err}
	}
}

// waitCapture waits for the browser to come back to the listener; it ends
// when the listener is closed.
func waitCapture(attempt int, c flow.Capture) tea.Cmd {
	return func() tea.Msg {
		r, ok := <-c.Result()
		return captureMsg{attempt, r, ok}
	}
}

// redeem trades the code for tokens: exactly one token request, never retried.
func (w *Model) redeem(req *flow.AuthRequest, code string) tea.Cmd {
	attempt, ex, sec := w.attempt, w.cfg.Exchanger, w.secrets
	return w.c.IO(func(ctx context.Context) tea.Msg {
		tok, err := ex.Exchange(ctx, req, sec, code)
		return tokenMsg{attempt, tok, err}
	})
}

// saveJob is a linked account waiting to be stored.
type saveJob struct {
	a   accounts.Account
	sec accounts.Secret
}

func newSaveJob(name string, p flow.Provider, s flow.Secrets, tok flow.Token, now time.Time) *saveJob {
	a, sec := accounts.Linked(name, p, s, tok, now)
	return &saveJob{a: a, sec: sec}
}

// store saves the job; linking an account again replaces its dead entry
// first (its tokens are not revoked: they no longer work).
func (w *Model) store(job *saveJob) tea.Cmd {
	attempt, st, replace := w.attempt, w.cfg.Store, w.relink == job.a.Name
	return w.c.IO(func(ctx context.Context) tea.Msg {
		if replace {
			if err := st.Remove(ctx, job.a.Name, false); err != nil && !errors.Is(err, accounts.ErrNotFound) {
				return savedMsg{attempt, job.a.Name, err}
			}
		}
		return savedMsg{attempt, job.a.Name, st.Add(ctx, job.a, job.sec)}
	})
}

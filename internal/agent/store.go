package agent

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/tokenring/tokenring/accounts"
	"github.com/tokenring/tokenring/flow"
)

// Local is what the command line and the TUI use of the account store
// (*accounts.Store).
type Local interface {
	Backend() accounts.BackendInfo
	Accounts() ([]accounts.Account, error)
	Account(name string) (accounts.Account, error)
	Writable(ctx context.Context) error
	Add(ctx context.Context, a accounts.Account, sec accounts.Secret) error
	Secret(ctx context.Context, name string) (accounts.Secret, error)
	Token(ctx context.Context, name string) (flow.Token, error)
	// TokenFor is Token with a minimum validity (accounts.Store.TokenFor).
	TokenFor(ctx context.Context, name string, minValid time.Duration) (flow.Token, error)
	Refresh(ctx context.Context, name string) (accounts.Account, error)
	RefreshIfDue(ctx context.Context, name string) (accounts.Account, error)
	Remove(ctx context.Context, name string, revoke bool) error
	Unlock(ctx context.Context, passphrase string) error
	Policy() accounts.Policy
	Close() error
}

var _ Local = (*accounts.Store)(nil)

// Store is a Local that asks the running, unlocked agent for everything
// that needs a secret (so nothing prompts for the passphrase), and its own
// store for the rest (the account files need no secret). With no agent, or
// a locked one, or one that stopped, every call is the local store's, as
// if there were no agent. What the agent hands out to show never holds the
// refresh token, client secret or API key (Secret).
type Store struct {
	Local
	c *Client

	mu  sync.Mutex
	st  *Status // nil: no agent
	at  time.Time
	err error
}

// Wrap asks the agent once for its state and returns the store that uses
// it while it is unlocked.
func Wrap(ctx context.Context, local Local, c *Client) *Store {
	s := &Store{Local: local, c: c}
	s.refreshStatus(ctx)
	return s
}

func (s *Store) refreshStatus(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	st, err := s.c.Status(ctx)
	s.mu.Lock()
	s.st, s.err, s.at = st, err, time.Now()
	s.mu.Unlock()
}

// Agent is the agent's state as last asked (refreshed when older than
// maxAge); nil when no agent answers.
func (s *Store) Agent(ctx context.Context, maxAge time.Duration) *Status {
	s.mu.Lock()
	stale := time.Since(s.at) > maxAge
	s.mu.Unlock()
	if stale {
		s.refreshStatus(ctx)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.st == nil {
		return nil
	}
	st := *s.st
	return &st
}

// Up says whether calls go to the agent: it answered and is unlocked.
func (s *Store) Up() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.st != nil && s.st.Unlocked
}

// local says whether err means the call should be made locally instead:
// nothing reached an agent, or the agent is locked (then the local store
// asks for the passphrase as it would without an agent). The agent is then
// taken as down until its state is asked again.
func (s *Store) local(err error) bool {
	if !errors.Is(err, ErrNoAgent) && !errors.Is(err, accounts.ErrLocked) {
		return false
	}
	s.mu.Lock()
	if s.st != nil {
		st := *s.st
		st.Unlocked = false
		s.st = &st
		if errors.Is(err, ErrNoAgent) {
			s.st = nil
		}
	}
	s.mu.Unlock()
	return true
}

// AccountsSince is the local store's (the account files need no agent):
// accounts.Store.AccountsSince, or Accounts for a store without it.
func (s *Store) AccountsSince(since accounts.Stamp) ([]accounts.Account, accounts.Stamp, bool, error) {
	if l, ok := s.Local.(interface {
		AccountsSince(accounts.Stamp) ([]accounts.Account, accounts.Stamp, bool, error)
	}); ok {
		return l.AccountsSince(since)
	}
	a, err := s.Local.Accounts()
	return a, accounts.Stamp{}, true, err
}

// Backend is the local store's, unlocked while the agent is.
func (s *Store) Backend() accounts.BackendInfo {
	info := s.Local.Backend()
	if s.Up() {
		info.Locked, info.New = false, false
	}
	return info
}

// Writable: the unlocked agent can store secrets (and reserves room for
// the next one, as the local store would).
func (s *Store) Writable(ctx context.Context) error {
	if s.Up() {
		if err := s.c.Writable(ctx); err == nil || !s.local(err) {
			return err
		}
	}
	return s.Local.Writable(ctx)
}

// Token is the agent's token. A warning beside it is returned as a
// *Warning error with the token, except "needs linking again", which the
// command line says itself from the account's file.
func (s *Store) Token(ctx context.Context, name string) (flow.Token, error) {
	if s.Up() {
		return s.TokenFor(ctx, name, 0)
	}
	return s.Local.Token(ctx, name)
}

// TokenFor is the agent's token valid for at least minValid (the agent's
// store refreshes first otherwise, accounts.Store.TokenFor), with its
// warnings as Token's.
func (s *Store) TokenFor(ctx context.Context, name string, minValid time.Duration) (flow.Token, error) {
	if s.Up() {
		t, err := s.c.Token(ctx, name, minValid, false)
		var w *Warning
		switch {
		case err == nil:
			return t.Flow(), nil
		case errors.As(err, &w) && t != nil:
			if w.Kind == WarnNeedsRelink {
				return t.Flow(), nil
			}
			return t.Flow(), w
		case !s.local(err):
			return flow.Token{}, err
		}
	}
	return s.Local.TokenFor(ctx, name, minValid)
}

// Secret is what there is to show of name's secret: through the agent, its
// tokens without the refresh token, and its API key (sent beside the token
// to the provider's API), never its client secret.
func (s *Store) Secret(ctx context.Context, name string) (accounts.Secret, error) {
	if s.Up() {
		t, err := s.c.Show(ctx, name)
		if err == nil {
			return accounts.Secret{Token: t.Flow(), APIKey: t.APIKey}, nil
		}
		if !s.local(err) {
			return accounts.Secret{}, err
		}
	}
	return s.Local.Secret(ctx, name)
}

func (s *Store) Refresh(ctx context.Context, name string) (accounts.Account, error) {
	return s.refresh(ctx, name, false)
}

func (s *Store) RefreshIfDue(ctx context.Context, name string) (accounts.Account, error) {
	return s.refresh(ctx, name, true)
}

func (s *Store) refresh(ctx context.Context, name string, ifDue bool) (accounts.Account, error) {
	if s.Up() {
		a, err := s.c.Refresh(ctx, name, ifDue)
		if err == nil || !s.local(err) {
			return a, err
		}
	}
	if ifDue {
		return s.Local.RefreshIfDue(ctx, name)
	}
	return s.Local.Refresh(ctx, name)
}

func (s *Store) Add(ctx context.Context, a accounts.Account, sec accounts.Secret) error {
	if s.Up() {
		if err := s.c.Add(ctx, a, sec); err == nil || !s.local(err) {
			return err
		}
	}
	return s.Local.Add(ctx, a, sec)
}

func (s *Store) Remove(ctx context.Context, name string, revoke bool) error {
	if s.Up() {
		if err := s.c.Remove(ctx, name, revoke); err == nil || !s.local(err) {
			return err
		}
	}
	return s.Local.Remove(ctx, name, revoke)
}

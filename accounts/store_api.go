package accounts

// This file fixes the Store API that ui/ and main.go code against while the
// implementation is written. TODO(accounts helper): replace every stub body
// (and this comment) with the real implementation; keep the signatures, or
// change them together with their callers.

import (
	"context"
	"errors"
	"time"

	"github.com/tokenring/tokenring/flow"
)

// Errors a caller can test with errors.Is to pick a message or exit code.
var (
	ErrNotFound      = errors.New("no such account")
	ErrExists        = errors.New("an account with that name already exists")
	ErrLocked        = errors.New("the keyring is locked: a passphrase is needed")
	ErrBadPassphrase = errors.New("wrong passphrase")
	ErrEmptyPass     = errors.New("the passphrase must not be empty")
	ErrNeedsRelink   = errors.New("the account must be linked again")
	ErrKeyring       = errors.New("the keyring did not answer")
	ErrBadName       = errors.New("account names use letters, digits, '.', '_' and '-' (at most 64)")
)

// Config opens a Store.
type Config struct {
	Dir     string // config directory ($TOKENRING_HOME, else $XDG_CONFIG_HOME/tokenring)
	Backend string // keyring backend name; "" = TOKENRING_KEYRING, config.toml, then auto
	// Passphrase is asked for the file backend's passphrase when none is
	// known yet (TUI prompt or terminal prompt). nil: only TOKENRING_PASSPHRASE
	// or Unlock can supply it, else operations needing secrets fail with ErrLocked.
	Passphrase func(prompt string) (string, error)
	Exchanger  flow.Exchanger
	Now        func() time.Time // nil: time.Now
	Policy     Policy           // zero: DefaultPolicy()
	Timeout    time.Duration    // deadline of one keyring call; zero: 10s
}

// Policy decides when a token is refreshed ahead of its expiry.
type Policy struct {
	Fraction float64       // of the token's lifetime (default 0.10)
	Min      time.Duration // at least (default 30s)
	Max      time.Duration // at most (default 5m)
}

// BackendInfo says which keyring backend is in use and why.
type BackendInfo struct {
	Name   string // keyring backend name: "file", "secret-service", "keyctl", ...
	Reason string // "chosen by TOKENRING_KEYRING", "no OS keyring answered: <real reason>", ...
	Locked bool   // the file backend has no passphrase yet
}

// Store is the account store. Safe for concurrent use.
type Store struct{}

func Open(cfg Config) (*Store, error) { return nil, errors.New("not implemented") }

func (s *Store) Backend() BackendInfo { return BackendInfo{} }

// Accounts lists the index; it never touches the keyring.
func (s *Store) Accounts() ([]Account, error) { return nil, errors.New("not implemented") }

// Account returns one account from the index.
func (s *Store) Account(name string) (Account, error) { return Account{}, ErrNotFound }

// Add stores a newly linked account and its secret (secret first, then index).
func (s *Store) Add(ctx context.Context, a Account, sec Secret) error {
	return errors.New("not implemented")
}

// Secret reads an account's keyring item (may need the passphrase).
func (s *Store) Secret(ctx context.Context, name string) (Secret, error) {
	return Secret{}, errors.New("not implemented")
}

// Token returns a valid access token, refreshing first when the policy says so.
func (s *Store) Token(ctx context.Context, name string) (flow.Token, error) {
	return flow.Token{}, errors.New("not implemented")
}

// Refresh refreshes now, whatever the expiry says, and returns the updated account.
func (s *Store) Refresh(ctx context.Context, name string) (Account, error) {
	return Account{}, errors.New("not implemented")
}

// Remove revokes (where the provider can and revoke is true), then deletes
// the keyring item and the index entry.
func (s *Store) Remove(ctx context.Context, name string, revoke bool) error {
	return errors.New("not implemented")
}

// Unlock checks a passphrase for the file backend and keeps it for this process.
func (s *Store) Unlock(ctx context.Context, passphrase string) error {
	return errors.New("not implemented")
}

// Status derives an account's status at now under the store's policy.
func (s *Store) Status(a Account, now time.Time) Status { return StatusError }

// RefreshDue reports when the policy wants a's token refreshed (zero: never).
func (s *Store) RefreshDue(a Account) time.Time { return time.Time{} }

// Close releases the keyring.
func (s *Store) Close() error { return nil }

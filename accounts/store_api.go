package accounts

// The Store API that ui/ and main.go code against: errors, Config, Policy,
// BackendInfo. The Store itself is in store.go.

import (
	"errors"
	"path/filepath"
	"time"

	"github.com/tokenring/tokenring/flow"
	"github.com/tokenring/tokenring/internal/termtext"
)

// Errors a caller can test with errors.Is to pick a message or exit code.
var (
	ErrNotFound      = errors.New("no such account")
	ErrExists        = errors.New("an account with that name already exists")
	ErrLocked        = errors.New("the keyring is locked: a passphrase is needed")
	ErrBadPassphrase = errors.New("wrong passphrase")
	ErrEmptyPass     = errors.New("the passphrase must not be empty")
	ErrNeedsRelink   = errors.New("the account must be linked again")
	ErrKeyring       = errors.New("keyring") // the backend failed, did not answer in time, or cannot be used here
	ErrBadName       = errors.New("account names use letters, digits, '.', '_' and '-' (at most 64, starting with a letter or digit)")
	// ErrDamaged is wrapped by the *DamagedError of an account file (or an
	// old accounts.json being migrated) that cannot be used.
	ErrDamaged = errors.New("damaged account file")
	// ErrRevokeFailed is wrapped by the *RevokeError Remove returns when the
	// account was removed locally but revoking its tokens at the provider
	// failed: a warning to show, not a failed removal.
	ErrRevokeFailed = errors.New("revoking the tokens at the provider failed")
)

// Config opens a Store.
type Config struct {
	Dir     string // config directory (config.Env.Dir)
	Backend string // keyring backend name (config.Env.Backend); "" = automatic
	// BackendSource says who chose Backend, for BackendInfo.Reason
	// ("TOKENRING_KEYRING", "config.toml", "tokenring demo").
	BackendSource string
	// Passphrase is asked for the file backend's passphrase when none is
	// known yet (TUI prompt or terminal prompt). The prompt of a keyring
	// that has no passphrase yet contains "new" (see also BackendInfo.New):
	// ask twice. nil: only EnvPassphrase or Unlock can supply it, else
	// operations needing secrets fail with ErrLocked.
	Passphrase func(prompt string) (string, error)
	Exchanger  flow.Exchanger
	Now        func() time.Time // nil: time.Now
	Policy     Policy           // zero fields: DefaultPolicy()'s
	Timeout    time.Duration    // deadline of one keyring call; zero: 10s
	// TokenWait bounds how long Token waits for an early refresh while the
	// stored token is still valid (lock waits, retries, and the request of
	// a provider known not to rotate refresh tokens); then the stored token
	// is handed out. Zero: 5 s.
	TokenWait time.Duration
	// EnvPassphrase is the file keyring's passphrase from the environment
	// (TOKENRING_PASSPHRASE), used before asking Passphrase.
	EnvPassphrase string
	// Collection is the Secret Service collection (default "login").
	Collection string
}

// Policy decides when a token is refreshed ahead of its expiry: Fraction of
// its lifetime (AccessIssued to AccessExpiry) before it expires, clamped to
// [Min, Max] and to at most half the lifetime.
type Policy struct {
	Fraction float64       // of the token's lifetime (default 0.10)
	Min      time.Duration // at least (default 30s)
	Max      time.Duration // at most (default 5m)
}

// DefaultPolicy is 10% of the lifetime, at least 30 s, at most 5 min.
func DefaultPolicy() Policy {
	return Policy{Fraction: 0.10, Min: 30 * time.Second, Max: 5 * time.Minute}
}

// BackendInfo says which keyring backend is in use and why.
type BackendInfo struct {
	Name   string // keyring backend name: "file", "secret-service", "keyctl", ...
	Reason string // "chosen by TOKENRING_KEYRING", "no OS keyring answered: <real reason>", ...
	Locked bool   // the file backend has no passphrase yet
	// New: the file keyring holds nothing yet, so the first passphrase given
	// becomes its passphrase (ask for it twice).
	New bool
	// Path is the file backend's directory ("" for other backends).
	Path string
}

// DamagedError is the answer for an account whose file cannot be used
// (truncated, not JSON, holding another account's name, named after no
// valid account name, or written by a newer tokenring): Account, Token,
// Refresh and Secret of that name return it, and Accounts lists the name
// with it in Account.Damaged. errors.Is(err, ErrDamaged) is true.
type DamagedError struct {
	Name   string // the account the file is named after (made printable)
	Path   string // the file
	Reason string // what is wrong with it
	Fix    string // what to do
}

func damaged(name, path, reason string) *DamagedError {
	e := &DamagedError{Name: termtext.Clean(name), Path: path, Reason: reason}
	if ValidName(name) == nil {
		e.Fix = "repair it, or remove the account ('tokenring remove " + name + "', which also deletes its secret) and link it again"
	} else {
		e.Fix = "move it out of " + filepath.Dir(path)
	}
	return e
}

func (e *DamagedError) Error() string {
	return termtext.Clean("the account file " + e.Path + " cannot be used (" + e.Reason + "): " + e.Fix)
}

// Unwrap lets errors.Is find ErrDamaged.
func (e *DamagedError) Unwrap() error { return ErrDamaged }

// RevokeError is returned by Remove when the account was removed but
// revoking its tokens failed. errors.Is(err, ErrRevokeFailed) is true.
type RevokeError struct {
	Name string
	Err  error // cleaned, secret-free
}

func (e *RevokeError) Error() string {
	return "removed " + e.Name + " here, but " + ErrRevokeFailed.Error() + ": " + termtext.Clean(e.Err.Error())
}

// Unwrap lets errors.Is find ErrRevokeFailed and the cause.
func (e *RevokeError) Unwrap() []error { return []error{ErrRevokeFailed, e.Err} }

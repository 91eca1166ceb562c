package accounts

import (
	"strings"
	"time"

	"github.com/tokenring/tokenring/flow"
)

// Account is one linked account as its file (accounts/NAME.json) stores it. It holds no
// secret: listing accounts and counting down never needs the keyring.
type Account struct {
	Name          string            `json:"name"`
	Provider      flow.Provider     `json:"provider"` // the provider with its overrides, as linked
	Scopes        []string          `json:"scopes,omitempty"`
	LinkedAt      time.Time         `json:"linked_at"`
	AccessExpiry  time.Time         `json:"access_expiry,omitzero"` // zero: does not expire
	ExpirySource  flow.ExpirySource `json:"expiry_source,omitempty"`
	AccessIssued  time.Time         `json:"access_issued,omitzero"` // when the current access token was issued
	RefreshExpiry time.Time         `json:"refresh_expiry,omitzero"`
	HasRefresh    bool              `json:"has_refresh_token"`
	HasIDToken    bool              `json:"has_id_token,omitempty"`
	LastRefresh   time.Time         `json:"last_refresh,omitzero"`
	LastError     string            `json:"last_error,omitempty"`   // cleaned, secret-free
	NeedsRelink   bool              `json:"needs_relink,omitempty"` // refresh answered invalid_grant
	// RefreshKeeps: a refresh answered with the same refresh token (or none),
	// so this provider does not rotate them and losing a refresh's answer
	// costs nothing; unknown (false) counts as rotating.
	RefreshKeeps bool `json:"refresh_keeps,omitempty"`
	// Backend is the keyring backend that holds the account's secret
	// ("file", "secret-service", ...), set by Add. A store opened on another
	// backend says so instead of reporting the secret missing.
	Backend string `json:"backend,omitempty"`
	// Damaged is set, in a list only, on an account whose file cannot be
	// used: then Name is the name the file is named after and LastError says
	// what is wrong and what to do; every other field is zero.
	Damaged *DamagedError `json:"-"`
}

// Secret is the one keyring item of an account.
type Secret struct {
	Token        flow.Token `json:"token"`
	ClientSecret string     `json:"client_secret,omitempty"`
	APIKey       string     `json:"api_key,omitempty"`
}

// Secrets returns what the Exchanger needs.
func (s Secret) Secrets() flow.Secrets {
	return flow.Secrets{ClientSecret: s.ClientSecret, APIKey: s.APIKey}
}

// String never shows a secret.
func (s Secret) String() string { return "accounts.Secret{redacted}" }

// GoString keeps %#v from leaking as well.
func (s Secret) GoString() string { return s.String() }

// Status is an account's state at a given moment.
type Status int

const (
	StatusValid        Status = iota // has a token that is not near expiry
	StatusExpiringSoon               // inside the refresh window
	StatusExpired                    // past expiry
	StatusNoExpiry                   // the token does not expire
	StatusRefreshing                 // a refresh is running in this process
	StatusNeedsRelink                // refresh answered invalid_grant
	StatusError                      // the last refresh failed for another reason
	StatusDamaged                    // the account's file cannot be used (Account.Damaged)
)

// Linked builds the metadata and the keyring item of an account that has
// just been linked with tok. It is the one place that turns a fresh token set
// into an Account, for the CLI, the TUI wizard and the demo alike.
func Linked(name string, p flow.Provider, s flow.Secrets, tok flow.Token, now time.Time) (Account, Secret) {
	scopes := p.Scopes
	if tok.Scope != "" {
		scopes = strings.Fields(tok.Scope)
	}
	if tok.IssuedAt.IsZero() {
		tok.IssuedAt = now
	}
	a := Account{
		Name:          name,
		Provider:      p,
		Scopes:        scopes,
		LinkedAt:      now,
		AccessExpiry:  tok.Expiry,
		ExpirySource:  tok.ExpirySource,
		AccessIssued:  tok.IssuedAt,
		RefreshExpiry: tok.RefreshExpiry,
		HasRefresh:    tok.RefreshToken != "",
		HasIDToken:    tok.IDToken != "",
	}
	return a, Secret{Token: tok, ClientSecret: s.ClientSecret, APIKey: s.APIKey}
}

// ValidName reports whether name can be an account name (it becomes part of
// the names of the account's file, its lock file and its keyring item).
func ValidName(name string) error {
	if !flow.IsName(name) {
		return ErrBadName
	}
	return nil
}

package flow

import (
	"errors"
	"time"
)

// AuthRequest is one authorization-code attempt: the URL the user opens and
// what is needed to check and redeem what comes back. Verifier and Nonce are
// secrets of this attempt; a new attempt (start over) needs a new request.
type AuthRequest struct {
	Provider    Provider
	URL         string // the authorization URL to open
	State       string
	Verifier    string // PKCE code_verifier; empty when PKCE is off
	Nonce       string // set when the scopes include openid
	RedirectURI string
	Created     time.Time
}

// StartAuth builds an authorization URL with a fresh random state, a PKCE
// S256 challenge when the provider uses PKCE, and a nonce when openid is
// among the scopes. TODO(flow helper): implement.
func StartAuth(p Provider) (*AuthRequest, error) {
	return nil, errors.New("not implemented")
}

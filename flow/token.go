package flow

import "time"

// ExpirySource tells where a token's expiry came from.
type ExpirySource string

const (
	ExpiryFromExpiresIn ExpirySource = "expires_in" // the token response's expires_in
	ExpiryFromJWT       ExpirySource = "jwt"        // the access token's own exp claim
	ExpiryNone          ExpirySource = "none"       // neither: the token does not expire (Warhorn)
)

// Token is one token set as a provider issued it. Expiry is zero when the
// token does not expire.
type Token struct {
	AccessToken   string       `json:"access_token"`
	TokenType     string       `json:"token_type,omitempty"` // as the server sent it ("bearer", "Bearer")
	RefreshToken  string       `json:"refresh_token,omitempty"`
	IDToken       string       `json:"id_token,omitempty"`
	Scope         string       `json:"scope,omitempty"`
	Expiry        time.Time    `json:"expiry,omitempty"`
	ExpirySource  ExpirySource `json:"expiry_source,omitempty"`
	RefreshExpiry time.Time    `json:"refresh_expiry,omitempty"` // from refresh_expires_in, when a provider sends it
	IssuedAt      time.Time    `json:"issued_at"`
}

// Expires reports whether the token has an expiry at all.
func (t Token) Expires() bool { return !t.Expiry.IsZero() }

// String never shows a secret.
func (t Token) String() string { return "flow.Token{redacted}" }

// GoString keeps %#v from leaking as well.
func (t Token) GoString() string { return t.String() }

package flow

import (
	"errors"
	"fmt"
)

// Kinds of failure other than an OAuth error response. Errors returned by
// flow and flow/exchange wrap one of these (test with errors.Is) or are an
// *OAuthError (test with errors.As), so callers such as the CLI can map them
// to exit codes without reading strings.
var (
	ErrTimeout       = errors.New("the provider did not answer in time")
	ErrUnreachable   = errors.New("the provider cannot be reached")
	ErrTLS           = errors.New("the provider's TLS certificate was not accepted")
	ErrBadResponse   = errors.New("the provider sent a reply tokenring cannot read")
	ErrServer        = errors.New("the provider had an internal error")
	ErrInsecure      = errors.New("endpoint must use https (http is allowed only on 127.0.0.1, ::1 and localhost)")
	ErrStateMismatch = errors.New("the pasted redirect belongs to a different authorization request (state does not match)")
	ErrNotACode      = errors.New("the pasted text is not an authorization code or a redirect URL")
	ErrNonceMismatch = errors.New("the ID token's nonce does not match this authorization request")
	ErrConfig        = errors.New("provider configuration is incomplete")
	// ErrNotSent is wrapped (besides ErrTimeout, ErrUnreachable, ErrTLS)
	// when the request provably never reached the provider: the connection
	// could not be made or the request not written. Only then, or when the
	// provider answered 5xx, may a refresh be sent again with the same
	// refresh token: after a lost answer the provider may have rotated it,
	// and a replay of the spent one revokes the whole grant on strict servers.
	ErrNotSent = errors.New("the request did not reach the provider")
)

// OAuthError is an error response defined by RFC 6749 §4.1.2.1 / §5.2 (and
// RFC 8628 §3.5), already stripped of control characters.
type OAuthError struct {
	Op          string // what was attempted: "code exchange", "refresh", ...
	Code        string // "invalid_grant", "invalid_client", ...
	Description string // error_description, cleaned
	URI         string // error_uri, cleaned
	Status      int    // HTTP status, 0 when the error came in a redirect
	// APIKeyHeader names the header the request carried an API key in ("":
	// none); ClientSecret says it carried a client secret. They let Advice
	// say which credential a provider refused.
	APIKeyHeader string
	ClientSecret bool
}

func (e *OAuthError) Error() string {
	msg := fmt.Sprintf("%s failed: the provider answered %s", e.opOr("request"), e.Code)
	if e.Description != "" {
		msg += " (" + e.Description + ")"
	}
	if a := e.Advice(); a != "" {
		msg += ": " + a
	}
	return msg
}

func (e *OAuthError) opOr(d string) string {
	if e.Op == "" {
		return d
	}
	return e.Op
}

// Advice is a sentence a person can act on.
func (e *OAuthError) Advice() string {
	switch e.Code {
	case "invalid_grant":
		if e.Op == "client credentials" {
			return "the provider refused to issue an application token for this client; check the client id and secret"
		}
		return "the code or refresh token is invalid, expired or already used; link the account again"
	case "invalid_client", "unauthorized_client":
		if e.APIKeyHeader != "" && !e.ClientSecret {
			return "the provider did not accept the API key (sent as " + e.APIKeyHeader + ") or the client id; check the API key first"
		}
		return "the client id or client secret was not accepted; check them in the provider's app settings"
	case "invalid_request":
		return "the provider rejected the request as malformed; check the redirect URI and client id"
	case "invalid_scope":
		return "the provider does not allow the requested scopes"
	case "access_denied":
		return "the authorization was denied"
	case "unsupported_grant_type":
		return "the provider does not support this grant for this client"
	case "temporarily_unavailable", "server_error":
		return "the provider has a problem; try again later"
	case "expired_token":
		return "the device code expired; start again"
	}
	return ""
}

// IsInvalidGrant reports whether err is an invalid_grant answer: the refresh
// token (or code) is dead and only linking again helps.
func IsInvalidGrant(err error) bool {
	var oe *OAuthError
	return errors.As(err, &oe) && oe.Code == "invalid_grant"
}

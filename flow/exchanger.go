package flow

import (
	"context"
	"time"
)

// Exchanger talks to a provider over HTTP. flow/exchange implements it; the
// UI and the account store receive one, so neither imports net/http and
// tests can put a fake in its place.
type Exchanger interface {
	// Exchange trades an authorization code for tokens. It sends exactly one
	// HTTP request and never retries, also when that request fails.
	Exchange(ctx context.Context, req *AuthRequest, s Secrets, code string) (*Token, error)
	// Refresh uses a refresh token. The returned token carries the new
	// refresh token when the server rotated it, else the one passed in.
	Refresh(ctx context.Context, p Provider, s Secrets, refreshToken string) (*Token, error)
	// ClientCredentials gets an application token (RFC 6749 §4.4).
	ClientCredentials(ctx context.Context, p Provider, s Secrets) (*Token, error)
	// StartDevice begins a device authorization (RFC 8628 §3.1).
	StartDevice(ctx context.Context, p Provider, s Secrets) (*DeviceAuth, error)
	// PollDevice polls until the user approves, denies, the code expires or
	// ctx ends, honouring interval and slow_down (RFC 8628 §3.5).
	PollDevice(ctx context.Context, p Provider, s Secrets, d *DeviceAuth) (*Token, error)
	// Revoke revokes a token (RFC 7009). hint is "access_token" or "refresh_token".
	Revoke(ctx context.Context, p Provider, s Secrets, token, hint string) error
	// Discover reads an OpenID Connect discovery document and returns base
	// with the endpoints it lists filled in.
	Discover(ctx context.Context, issuer string, base Provider) (Provider, error)
	// ListenLoopback starts a one-shot RFC 8252 listener on the request's
	// loopback redirect URI. Pasting keeps working alongside it.
	ListenLoopback(req *AuthRequest) (Capture, error)
}

// DeviceAuth is a device authorization in progress. DeviceCode is a secret.
type DeviceAuth struct {
	DeviceCode              string
	UserCode                string
	VerificationURI         string
	VerificationURIComplete string
	Expiry                  time.Time
	Interval                time.Duration
}

// Capture is a running loopback listener.
type Capture interface {
	// Result delivers one code (or error) when the browser comes back.
	Result() <-chan CaptureResult
	// RedirectURI is the URI the listener answers on.
	RedirectURI() string
	Close() error
}

// CaptureResult is what a loopback listener caught.
type CaptureResult struct {
	Code string
	Err  error
}

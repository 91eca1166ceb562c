// Package localoauth runs strict, in-process OAuth 2.0 provider emulations
// over real HTTP on 127.0.0.1: Warhorn, Dressipi and a generic OpenID Connect
// provider (discovery, device flow, revocation). Tests of every package and
// `tokenring demo` use them. Every request the servers refuse gets an RFC 6749
// §5.2 JSON error (400, or 401 invalid_client); no error description ever
// carries a secret. Every request is recorded (Requests, Count).
//
// Common to all token endpoints: POST only (405 otherwise), an
// application/x-www-form-urlencoded body (not JSON, nothing in the query
// string), no repeated parameter, grant_type matched exactly (case matters),
// a body over 1 MiB refused. An authorization code is single-use and is spent
// by ANY token request that presents it, failed or not; presenting it again
// also revokes the tokens it produced (RFC 6749 §4.1.2). A code_verifier sent
// for a code whose authorization request had no code_challenge is refused
// (RFC 9700 §2.1.1).
//
// Warhorn: /oauth/authorize (response_type=code, client_id, exact redirect_uri,
// state and scope required; scopes openid email profile; optional PKCE S256),
// /oauth/token (client_secret_post only, Basic refused; code expires 60 s
// after issue; response access_token + token_type "bearer" + id_token only
// with openid, no expires_in, no refresh_token, Cache-Control: private,
// no-store; client_credentials with the app's id/secret).
//
// Dressipi: x-api-key on every request (401 without); PKCE S256 mandatory;
// redirect_uri exactly urn:ietf:wg:oauth:2.0:oob:auto at authorize and in
// BOTH token grants (x/oauth2's refresh does not send it); client_id in the
// body; HS256 JWT access tokens; refresh tokens rotate and each works once.
//
// OIDC: discovery, /authorize, /token, /revoke (RFC 7009), /device and
// /device/verify (RFC 8628), /jwks, /userinfo; see OIDCOptions.
package localoauth

import (
	"net/http"
	"net/url"
	"time"
)

// OOB redirect URIs.
const (
	OOB     = "urn:ietf:wg:oauth:2.0:oob"
	OOBAuto = "urn:ietf:wg:oauth:2.0:oob:auto"
)

// Recorded is one HTTP request a Server received.
type Recorded struct {
	Time   time.Time
	Method string
	Path   string
	Query  url.Values  // copy of the URL query
	Header http.Header // copy
	Form   url.Values  // copy of the form body (only for application/x-www-form-urlencoded bodies)
	Body   string      // raw body (capped at 1 MiB)
	Status int         // status the server answered with
	Error  string      // the RFC 6749 "error" code, when the server refused the request
}

// Failure makes the next Count requests to Path fail (or stall).
//
// Status 0 with an empty Body means "only delay, then handle normally" (a
// stall); Status 0 with a Body means 500. An empty ContentType lets net/http
// sniff one. Count 0 means 1. Path "" means the token endpoint. A failed token
// request that presented an authorization code burns that code, as a real
// provider would.
//
// Late (with Delay, Status 0 and no Body) handles the request at once — a
// code is spent, a refresh token rotated — and holds the answer for Delay:
// a client that gives up in between has lost it.
type Failure struct {
	Status      int
	Body        string
	ContentType string
	Delay       time.Duration
	Late        bool
	Count       int
	Path        string
}

// WarhornOptions configures NewWarhorn.
type WarhornOptions struct {
	ClientID     string
	ClientSecret string // "" = public app
	RedirectURI  string // registered https callback (default https://app.example/oauth/callback)
	// AppClientID/AppClientSecret authenticate client_credentials (application
	// tokens); "" means ClientID/ClientSecret.
	AppClientID, AppClientSecret string
	Subject                      string // id_token sub (default "0000000001")
	Addr                         string // listen address, default 127.0.0.1:0 (loopback only)
}

// DressipiOptions configures NewDressipi.
type DressipiOptions struct {
	ClientID, APIKey string
	AccessTTL        time.Duration // default 86400 s
	Subject          string        // JWT sub (default "94173")
	Addr             string        // listen address, default 127.0.0.1:0 (loopback only)
}

// OIDCOptions configures NewOIDC.
type OIDCOptions struct {
	ClientID, ClientSecret string   // ClientSecret "" = public client
	RedirectURIs           []string // registered redirect URIs (exact; loopback IPs match any port, RFC 8252 §7.3)
	AccessTTL, RefreshTTL  time.Duration
	RotateRefresh          bool
	JWTAccessTokens        bool
	Device                 bool
	Revocation             bool
	ClientCredentials      bool
	BasicAuth              bool // require client_secret_basic instead of client_secret_post
	PKCE                   bool // require S256
	Demo                   bool // serve the friendly human authorize page
	// OfflineAccess makes refresh tokens strict as on a certified OpenID
	// provider: issued only when the scope keeps offline_access, which the
	// server drops unless the authorization request says prompt=consent.
	OfflineAccess bool

	CodeTTL        time.Duration // authorization code lifetime, default 10 min
	DeviceInterval int           // device polling interval in seconds, default 5
	DeviceTTL      time.Duration // device code lifetime, default 10 min
	Subject        string        // sub of the user (default "user-1")
	Addr           string        // listen address, default 127.0.0.1:0 (loopback only)
}

// Tokens are tokens minted directly (MintTokens), for seeding accounts.
type Tokens struct {
	AccessToken  string
	TokenType    string
	RefreshToken string
	IDToken      string
	ExpiresIn    int // seconds, 0 = none
	Expiry       time.Time
	Scope        string
}

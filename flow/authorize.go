package flow

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"net/url"
	"slices"
	"strings"
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
	Challenge   string // PKCE code_challenge (S256) sent in URL; empty when PKCE is off
	Nonce       string // set when the scopes include openid
	RedirectURI string
	Created     time.Time
}

// String never shows the verifier or nonce.
func (r AuthRequest) String() string { return "flow.AuthRequest{redacted}" }

// GoString keeps %#v from leaking as well.
func (r AuthRequest) GoString() string { return r.String() }

// StartAuth builds an authorization URL (RFC 6749 §4.1.1) for p: it runs
// p.Validate, then adds response_type=code, client_id, redirect_uri, scope
// (space separated, when there are scopes), a fresh state (32 random bytes,
// base64url), a PKCE S256 code_challenge (RFC 7636 §4.2) unless p.PKCE is
// off (the verifier is 32 random bytes, base64url: 43 unreserved characters),
// a nonce (16 random bytes) when the scopes include openid, prompt=consent
// when they include offline_access (OpenID Connect Core §11), and
// p.AuthParams (an empty value removes that parameter).
// A query string already in p.AuthURL is kept. The request's Provider is
// p with defaults filled in (WithDefaults).
func StartAuth(p Provider) (*AuthRequest, error) {
	p = p.WithDefaults()
	if p.Grant != GrantAuthorizationCode {
		return nil, fmt.Errorf("%w: %s uses the %s grant, which has no authorization URL", ErrConfig, p.Label(), p.Grant)
	}
	if err := p.Validate(); err != nil {
		return nil, err
	}
	u, err := url.Parse(p.AuthURL)
	if err != nil { // Validate parsed it already
		return nil, fmt.Errorf("%w: the authorization URL cannot be parsed", ErrConfig)
	}
	r := &AuthRequest{Provider: p, RedirectURI: p.RedirectURI, Created: time.Now()}
	if r.State, err = randomString(32); err != nil {
		return nil, err
	}
	q := u.Query()
	if slices.Contains(p.Scopes, "offline_access") {
		// OpenID Connect Core §11: a request for offline access MUST carry
		// prompt=consent, else certified servers drop offline_access and
		// issue no refresh token. auth_params may say otherwise.
		q.Set("prompt", "consent")
	}
	for k, v := range p.AuthParams {
		if v == "" { // auth_params = { prompt = "" }: send no such parameter
			q.Del(k)
			continue
		}
		q.Set(k, v)
	}
	q.Set("response_type", "code")
	q.Set("client_id", p.ClientID)
	q.Set("redirect_uri", p.RedirectURI)
	if len(p.Scopes) > 0 {
		q.Set("scope", strings.Join(p.Scopes, " "))
	}
	q.Set("state", r.State)
	if p.PKCE != PKCEOff {
		if r.Verifier, err = randomString(32); err != nil {
			return nil, err
		}
		r.Challenge = PKCEChallenge(r.Verifier)
		q.Set("code_challenge", r.Challenge)
		q.Set("code_challenge_method", "S256")
	}
	if slices.Contains(p.Scopes, "openid") {
		if r.Nonce, err = randomString(16); err != nil {
			return nil, err
		}
		q.Set("nonce", r.Nonce)
	}
	u.RawQuery = q.Encode()
	r.URL = u.String()
	return r, nil
}

// PKCEChallenge is the S256 code_challenge of verifier:
// BASE64URL-ENCODE(SHA256(ASCII(verifier))), without padding (RFC 7636 §4.2).
func PKCEChallenge(verifier string) string {
	sum := sha256.Sum256([]byte(verifier))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

func randomString(n int) (string, error) {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("no randomness available: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// IsLoopbackRedirect reports whether uri is an http redirect URI on
// 127.0.0.1, [::1] or localhost: the kind a one-shot loopback listener can
// serve (RFC 8252 §7.3).
func IsLoopbackRedirect(uri string) bool {
	u, err := url.Parse(uri)
	return err == nil && u.Scheme == "http" && u.Host != "" && IsLoopbackHost(u.Hostname()) && u.User == nil
}

// WithRedirectURI returns a copy of r whose RedirectURI, and the
// redirect_uri parameter of whose URL, are redirectURI: for a loopback
// listener that chose its own port (the redirect URI of the authorization
// request and of the code exchange must be identical).
func (r *AuthRequest) WithRedirectURI(redirectURI string) (*AuthRequest, error) {
	if r == nil {
		return nil, fmt.Errorf("%w: no authorization request", ErrConfig)
	}
	q := *r
	q.RedirectURI = redirectURI
	q.Provider.RedirectURI = redirectURI
	if r.URL != "" {
		u, err := url.Parse(r.URL)
		if err != nil {
			return nil, fmt.Errorf("%w: the authorization URL cannot be parsed", ErrConfig)
		}
		v := u.Query()
		v.Set("redirect_uri", redirectURI)
		u.RawQuery = v.Encode()
		q.URL = u.String()
	}
	return &q, nil
}

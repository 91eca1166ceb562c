package flow

import (
	"errors"
	"fmt"
	"net/netip"
	"net/url"
	"strings"

	"github.com/tokenring/tokenring/internal/termtext"
)

// reservedAuthParams are set by StartAuth and may not come from AuthParams.
var reservedAuthParams = []string{"response_type", "client_id", "redirect_uri", "scope", "state",
	"code_challenge", "code_challenge_method", "nonce"}

// Validate reports what is missing or unsafe in p, for the grant it uses
// (p.Grant, default authorization_code). All problems are joined into one
// error; each wraps ErrConfig, or ErrInsecure for an http endpoint or
// redirect URI off loopback (errors.Is works on the joined error).
//
// Endpoints (auth, token, revocation, device, issuer, base URL) must be
// absolute https URLs without a fragment; http is allowed only on loopback
// (localhost, 127.0.0.0/8, ::1). The redirect URI may be https, http on
// loopback, a private-use scheme (com.example.app:/cb, RFC 8252 §7.1) or
// the out-of-band URNs urn:ietf:wg:oauth:2.0:oob[:auto].
func (p Provider) Validate() error {
	p = p.WithDefaults()
	var errs []error
	bad := func(format string, a ...any) {
		errs = append(errs, fmt.Errorf("%w: "+format, append([]any{ErrConfig}, a...)...))
	}
	name := p.ID
	if name == "" {
		name = "provider"
	}

	switch p.PKCE {
	case PKCEOff, PKCEOptional, PKCERequired:
	default:
		bad("pkce must be off, optional or required, not %q", termtext.Snippet(string(p.PKCE), 40))
	}
	switch p.ClientAuth {
	case ClientAuthBody, ClientAuthBasic, ClientAuthStandard:
	default:
		bad("client_auth must be body, basic or standard, not %q", termtext.Snippet(string(p.ClientAuth), 40))
	}
	switch p.ClientSecret {
	case NeedNone, NeedOptional, NeedRequired:
	default:
		bad("client_secret must be none, optional or required, not %q", termtext.Snippet(string(p.ClientSecret), 40))
	}
	if strings.TrimSpace(p.ClientID) == "" {
		bad("%s needs a client id: give --client-id (from the app registered with the provider)", name)
	} else if !isVSChars(p.ClientID, false) {
		bad("the client id contains characters a client id cannot have")
	}

	need := func(field, flag, v string) {
		if strings.TrimSpace(v) == "" {
			hint := "give " + flag
			if p.Issuer != "" {
				hint = "OpenID Connect discovery of the issuer fills it in"
			} else if p.NeedsBaseURL {
				hint = "give --base-url"
			}
			bad("%s needs a %s (%s)", name, field, hint)
		}
	}
	noBase := p.NeedsBaseURL && strings.TrimSpace(p.BaseURL) == ""
	if noBase {
		bad("%s needs the customer's API base URL: give --base-url", name)
	}
	switch p.Grant {
	case GrantAuthorizationCode:
		need("authorization URL", "--auth-url", p.AuthURL)
		need("token URL", "--token-url", p.TokenURL)
		if strings.TrimSpace(p.RedirectURI) == "" {
			if p.ID == PresetWarhorn {
				bad("warhorn needs --redirect-uri: the https callback URL registered in your Warhorn application's settings (after authorizing, you paste the URL the browser lands on)")
			} else {
				bad("%s needs --redirect-uri: the redirect URI registered with the provider (http://127.0.0.1:PORT/callback lets tokenring catch the code itself)", name)
			}
		}
	case GrantClientCredentials:
		need("token URL", "--token-url", p.TokenURL)
		if p.ClientSecret == NeedNone {
			bad("the client_credentials grant needs a client secret, but %s is set to take none", name)
		}
	case GrantDeviceCode:
		need("device authorization URL", "--device-auth-url", p.DeviceAuthURL)
		need("token URL", "--token-url", p.TokenURL)
	default:
		bad("grant must be authorization_code, client_credentials or device_code, not %q", termtext.Snippet(string(p.Grant), 40))
	}

	for _, ep := range []struct{ what, v string }{
		{"authorization URL", p.AuthURL}, {"token URL", p.TokenURL},
		{"revocation URL", p.RevocationURL}, {"device authorization URL", p.DeviceAuthURL},
		{"issuer", p.Issuer}, {"base URL", p.BaseURL},
	} {
		if strings.TrimSpace(ep.v) == "" || noBase && strings.HasPrefix(ep.v, "/") {
			continue
		}
		if err := checkEndpoint(ep.what, ep.v); err != nil {
			errs = append(errs, err)
		}
	}
	if p.RedirectURI != "" {
		if err := CheckRedirectURI(p.RedirectURI); err != nil {
			errs = append(errs, err)
		}
	}
	for _, s := range p.Scopes {
		if s == "" || !isScopeToken(s) {
			bad("scope %q is not a valid scope token (RFC 6749 §3.3: no spaces, quotes or backslashes)", termtext.Snippet(s, 40))
		}
	}
	for _, h := range []struct{ what, v string }{{"api_key_header", p.APIKeyHeader}, {"token_header", p.TokenHeader}} {
		if h.v != "" && !isHeaderName(h.v) {
			bad("%s %q is not a valid HTTP header name", h.what, termtext.Snippet(h.v, 40))
		}
	}
	for k, v := range p.Headers {
		if !isHeaderName(k) {
			bad("header name %q is not valid", termtext.Snippet(k, 40))
		}
		if strings.ContainsFunc(v, func(r rune) bool { return r < 0x20 && r != '\t' || r == 0x7f }) {
			bad("header %q has control characters in its value", termtext.Snippet(k, 40))
		}
	}
	for k := range p.AuthParams {
		for _, r := range reservedAuthParams {
			if strings.EqualFold(k, r) {
				bad("auth_params may not set %q: tokenring sets it itself", r)
			}
		}
	}
	return errors.Join(errs...)
}

// IsLoopbackHost reports whether host (no port; brackets allowed) names the
// loopback interface: localhost, 127.0.0.0/8 or ::1.
func IsLoopbackHost(host string) bool {
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	if strings.EqualFold(host, "localhost") {
		return true
	}
	a, err := netip.ParseAddr(host)
	if err != nil || a.Zone() != "" {
		return false
	}
	return a.Unmap().IsLoopback()
}

// checkEndpoint: absolute, https (or http on loopback), no fragment, no user info.
func checkEndpoint(what, raw string) error {
	shown := termtext.Snippet(raw, 120)
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || u.Scheme == "" || u.Host == "" || u.Opaque != "" {
		return fmt.Errorf("%w: the %s %q is not an absolute URL", ErrConfig, what, shown)
	}
	if u.Fragment != "" || strings.Contains(raw, "#") {
		return fmt.Errorf("%w: the %s %q must not have a #fragment", ErrConfig, what, shown)
	}
	if u.User != nil {
		return fmt.Errorf("%w: the %s must not carry a user name or password", ErrConfig, what)
	}
	switch strings.ToLower(u.Scheme) {
	case "https":
		return nil
	case "http":
		if IsLoopbackHost(u.Hostname()) {
			return nil
		}
		return fmt.Errorf("%w: the %s %q uses http on a host that is not loopback", ErrInsecure, what, shown)
	}
	return fmt.Errorf("%w: the %s %q must be an https URL", ErrInsecure, what, shown)
}

// CheckRedirectURI accepts an https URL, http on loopback (RFC 8252 §7.3),
// a private-use URI scheme (RFC 8252 §7.1, e.g. com.example.app:/callback)
// or an out-of-band URN.
func CheckRedirectURI(raw string) error {
	shown := termtext.Snippet(raw, 120)
	if raw == OOBRedirectURI || raw == DressipiRedirectURI {
		return nil
	}
	u, err := url.Parse(raw)
	if err != nil || u.Scheme == "" || strings.TrimSpace(raw) != raw {
		return fmt.Errorf("%w: the redirect URI %q is not an absolute URI", ErrConfig, shown)
	}
	if u.Fragment != "" || strings.Contains(raw, "#") {
		return fmt.Errorf("%w: the redirect URI %q must not have a #fragment (RFC 6749 §3.1.2)", ErrConfig, shown)
	}
	switch s := strings.ToLower(u.Scheme); s {
	case "https":
		if u.Host == "" {
			return fmt.Errorf("%w: the redirect URI %q has no host", ErrConfig, shown)
		}
		return nil
	case "http":
		if IsLoopbackHost(u.Hostname()) {
			return nil
		}
		return fmt.Errorf("%w: the redirect URI %q uses http on a host that is not loopback; use https or http://127.0.0.1:PORT/...", ErrInsecure, shown)
	case "urn":
		return fmt.Errorf("%w: the redirect URI %q is not a known out-of-band URN (%s or %s)", ErrConfig, shown, OOBRedirectURI, DressipiRedirectURI)
	case "javascript", "data", "file", "vbscript", "about", "blob", "ftp", "ws", "wss":
		return fmt.Errorf("%w: the redirect URI %q uses a scheme that cannot be a redirect URI", ErrConfig, shown)
	}
	if u.Opaque == "" && u.Path == "" && u.Host == "" {
		return fmt.Errorf("%w: the redirect URI %q has nothing after the scheme", ErrConfig, shown)
	}
	return nil
}

// isVSChars: every byte is VSCHAR (%x20-7E); space only when allowSpace.
func isVSChars(s string, allowSpace bool) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c > 0x7e || (c == ' ' && !allowSpace) {
			return false
		}
	}
	return true
}

// isScopeToken: NQCHAR = %x21 / %x23-5B / %x5D-7E.
func isScopeToken(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x21 || c > 0x7e || c == '"' || c == '\\' {
			return false
		}
	}
	return true
}

// isHeaderName: RFC 9110 token.
func isHeaderName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0:
		default:
			return false
		}
	}
	return true
}

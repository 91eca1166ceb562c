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
// (p.Grant, default authorization_code). Every problem is a *FieldError
// naming its field; they are joined into one error (FieldErrors splits it).
// errors.Is(err, ErrConfig) holds, and errors.Is(err, ErrInsecure) for an
// http endpoint or redirect URI off loopback.
//
// Endpoints (auth, token, revocation, device, issuer, base URL) must be
// absolute https URLs without a fragment; http is allowed only on loopback
// (localhost, 127.0.0.0/8, ::1). The redirect URI may be https, http on
// loopback, a private-use scheme (com.example.app:/cb, RFC 8252 §7.1) or
// the out-of-band URNs urn:ietf:wg:oauth:2.0:oob[:auto].
func (p Provider) Validate() error {
	p = p.WithDefaults()
	var errs []error
	bad := func(f Field, problem, hint string) {
		errs = append(errs, &FieldError{Field: f, Problem: problem, Hint: hint, Kind: ErrConfig})
	}
	notOneOf := func(f Field, v, choices string) {
		bad(f, fmt.Sprintf("must be %s, not %q", choices, termtext.Snippet(v, 40)), "")
	}

	switch p.PKCE {
	case PKCEOff, PKCEOptional, PKCERequired:
	default:
		notOneOf(FieldPKCE, string(p.PKCE), "off, optional or required")
	}
	switch p.ClientAuth {
	case ClientAuthBody, ClientAuthBasic, ClientAuthStandard:
	default:
		notOneOf(FieldClientAuth, string(p.ClientAuth), "body, basic or standard")
	}
	switch p.ClientSecret {
	case NeedNone, NeedOptional, NeedRequired:
	default:
		notOneOf(FieldClientSecret, string(p.ClientSecret), "none, optional or required")
	}
	if strings.TrimSpace(p.ClientID) == "" {
		bad(FieldClientID, problemMissing, "the client id of the app registered with the provider")
	} else if !isVSChars(p.ClientID, false) {
		bad(FieldClientID, "contains characters a client id cannot have", "")
	}

	need := func(f Field, v string) {
		if strings.TrimSpace(v) == "" {
			hint := ""
			if p.Issuer != "" {
				hint = "OpenID Connect discovery of the issuer fills it in"
			}
			bad(f, problemMissing, hint)
		}
	}
	noBase := p.NeedsBaseURL && strings.TrimSpace(p.BaseURL) == ""
	if noBase {
		bad(FieldBaseURL, problemMissing, "the customer's API base URL, like https://api.example.dressipi.com")
	}
	switch p.Grant {
	case GrantAuthorizationCode:
		need(FieldAuthURL, p.AuthURL)
		need(FieldTokenURL, p.TokenURL)
		if strings.TrimSpace(p.RedirectURI) == "" {
			if p.ID == PresetWarhorn {
				bad(FieldRedirectURI, problemMissing, "the https callback URL registered in your Warhorn application's settings; after authorizing, you paste the URL the browser lands on")
			} else {
				bad(FieldRedirectURI, problemMissing, "the redirect URI registered with the provider; http://127.0.0.1:PORT/callback lets tokenring catch the code itself")
			}
		}
	case GrantClientCredentials:
		need(FieldTokenURL, p.TokenURL)
		if p.ClientSecret == NeedNone {
			bad(FieldClientSecret, "is set to none, but the client_credentials grant needs a client secret", "")
		}
	case GrantDeviceCode:
		need(FieldDeviceAuthURL, p.DeviceAuthURL)
		need(FieldTokenURL, p.TokenURL)
	default:
		notOneOf(FieldGrant, string(p.Grant), "authorization_code, client_credentials or device_code")
	}

	for _, ep := range []struct {
		f Field
		v string
	}{
		{FieldAuthURL, p.AuthURL}, {FieldTokenURL, p.TokenURL},
		{FieldRevocationURL, p.RevocationURL}, {FieldDeviceAuthURL, p.DeviceAuthURL},
		{FieldIssuer, p.Issuer}, {FieldBaseURL, p.BaseURL},
	} {
		if strings.TrimSpace(ep.v) == "" || noBase && strings.HasPrefix(ep.v, "/") {
			continue
		}
		if err := CheckEndpoint(ep.f, ep.v); err != nil {
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
			bad(FieldScopes, fmt.Sprintf("has %q, which is not a valid scope (RFC 6749 §3.3: no spaces, quotes or backslashes)", termtext.Snippet(s, 40)), "")
		}
	}
	for _, h := range []struct {
		f Field
		v string
	}{{FieldAPIKeyHeader, p.APIKeyHeader}, {FieldTokenHeader, p.TokenHeader}} {
		if h.v != "" && !IsHeaderName(h.v) {
			bad(h.f, fmt.Sprintf("%q is not a valid HTTP header name", termtext.Snippet(h.v, 40)), "")
		}
	}
	for k, v := range p.Headers {
		if !IsHeaderName(k) {
			bad(FieldHeaders, fmt.Sprintf("has %q, which is not a valid header name", termtext.Snippet(k, 40)), "")
		}
		if strings.ContainsFunc(v, func(r rune) bool { return r < 0x20 && r != '\t' || r == 0x7f }) {
			bad(FieldHeaders, fmt.Sprintf("has control characters in the value of %q", termtext.Snippet(k, 40)), "")
		}
	}
	for k := range p.AuthParams {
		for _, r := range reservedAuthParams {
			if strings.EqualFold(k, r) {
				bad(FieldAuthParams, fmt.Sprintf("may not set %q: tokenring sets it itself", r), "")
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

// CheckEndpoint is the one endpoint check (Validate and flow/exchange
// both use it): an absolute https URL, or http on loopback (127.0.0.0/8,
// ::1, localhost), without a #fragment or user info. The error is a
// *FieldError for f.
func CheckEndpoint(f Field, raw string) error {
	shown := termtext.Snippet(raw, 120)
	bad := func(kind error, problem string) error {
		return &FieldError{Field: f, Problem: problem, Kind: kind}
	}
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || u.Scheme == "" || u.Host == "" || u.Opaque != "" {
		return bad(ErrConfig, fmt.Sprintf("is not an absolute URL: %q", shown))
	}
	if u.Fragment != "" || strings.Contains(raw, "#") {
		return bad(ErrConfig, fmt.Sprintf("must not have a #fragment: %q", shown))
	}
	if u.User != nil {
		return bad(ErrConfig, "must not carry a user name or password")
	}
	switch strings.ToLower(u.Scheme) {
	case "https":
		return nil
	case "http":
		if IsLoopbackHost(u.Hostname()) {
			return nil
		}
		return bad(ErrInsecure, fmt.Sprintf("uses http on a host that is not loopback: %q (use https; http is allowed only on 127.0.0.1, ::1 and localhost)", shown))
	}
	return bad(ErrInsecure, fmt.Sprintf("must be an https URL: %q", shown))
}

// CheckRedirectURI accepts an https URL, http on loopback (RFC 8252 §7.3),
// a private-use URI scheme (RFC 8252 §7.1, e.g. com.example.app:/callback)
// or an out-of-band URN. The error is a *FieldError for FieldRedirectURI.
func CheckRedirectURI(raw string) error {
	shown := termtext.Snippet(raw, 120)
	bad := func(kind error, problem string) error {
		return &FieldError{Field: FieldRedirectURI, Problem: fmt.Sprintf(problem, shown), Kind: kind}
	}
	if raw == OOBRedirectURI || raw == DressipiRedirectURI {
		return nil
	}
	u, err := url.Parse(raw)
	if err != nil || u.Scheme == "" || strings.TrimSpace(raw) != raw {
		return bad(ErrConfig, "is not an absolute URI: %q")
	}
	if u.Fragment != "" || strings.Contains(raw, "#") {
		return bad(ErrConfig, "must not have a #fragment (RFC 6749 §3.1.2): %q")
	}
	switch s := strings.ToLower(u.Scheme); s {
	case "https":
		if u.Host == "" {
			return bad(ErrConfig, "has no host: %q")
		}
		return nil
	case "http":
		if IsLoopbackHost(u.Hostname()) {
			return nil
		}
		return bad(ErrInsecure, "uses http on a host that is not loopback: %q (use https, or http://127.0.0.1:PORT/...)")
	case "urn":
		return bad(ErrConfig, "is not a known out-of-band URN: %q (known: "+OOBRedirectURI+", "+DressipiRedirectURI+")")
	case "javascript", "data", "file", "vbscript", "about", "blob", "ftp", "ws", "wss":
		return bad(ErrConfig, "uses a scheme that cannot be a redirect URI: %q")
	}
	if u.Opaque == "" && u.Path == "" && u.Host == "" {
		return bad(ErrConfig, "has nothing after the scheme: %q")
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

// IsHeaderName says whether s is an HTTP field name (an RFC 9110 token).
func IsHeaderName(s string) bool {
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

package flow

import (
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/tokenring/tokenring/internal/termtext"
)

// Preset identifiers.
const (
	PresetWarhorn  = "warhorn"
	PresetDressipi = "dressipi"
	PresetGeneric  = "generic" // also accepted as "custom" and "oidc"
)

// Fixed values from the provider documents in shared/seeds.
const (
	WarhornAuthURL  = "https://warhorn.net/oauth/authorize"
	WarhornTokenURL = "https://warhorn.net/oauth/token"
	// DressipiRedirectURI is the only redirect URI Dressipi's token endpoint accepts.
	DressipiRedirectURI = "urn:ietf:wg:oauth:2.0:oob:auto"
	// OOBRedirectURI is the classic out-of-band redirect URI.
	OOBRedirectURI = "urn:ietf:wg:oauth:2.0:oob"
)

func warhorn() Provider {
	return Provider{
		ID:          PresetWarhorn,
		DisplayName: "Warhorn",
		Description: "Warhorn (warhorn.net) GraphQL API: user tokens by authorization code " +
			"(paste the https redirect URL), or application tokens by client credentials; tokens do not expire",
		AuthURL:      WarhornAuthURL,
		TokenURL:     WarhornTokenURL,
		Scopes:       []string{"openid", "email", "profile"},
		PKCE:         PKCEOff,
		ClientAuth:   ClientAuthBody,
		Grant:        GrantAuthorizationCode,
		ClientSecret: NeedOptional,
		TokenHeader:  "Authorization",
	}
}

func dressipi() Provider {
	return Provider{
		ID:          PresetDressipi,
		DisplayName: "Dressipi",
		Description: "Dressipi API (per-customer --base-url, x-api-key): authorization code with PKCE, " +
			"out-of-band code, rotating refresh tokens",
		NeedsBaseURL: true,
		// Relative until a base URL is given; With rebases them.
		AuthURL:      "/oauth/authorize",
		TokenURL:     "/oauth/token",
		RedirectURI:  DressipiRedirectURI,
		PKCE:         PKCERequired,
		ClientAuth:   ClientAuthBody,
		Grant:        GrantAuthorizationCode,
		ClientSecret: NeedNone,
		APIKeyHeader: "x-api-key",
		TokenHeader:  "x-dressipi-jwt",
	}
}

func generic() Provider {
	return Provider{
		ID:          PresetGeneric,
		DisplayName: "Generic OAuth 2.0 / OpenID Connect",
		Description: "any OAuth 2.0 provider: --issuer for OpenID Connect discovery, " +
			"or --auth-url and --token-url; PKCE S256 when the server supports it",
		PKCE:  PKCEOptional,
		Grant: GrantAuthorizationCode,
		// ClientAuth stays empty so that discovery can choose from
		// token_endpoint_auth_methods_supported; WithDefaults then makes it
		// ClientAuthStandard.
		ClientSecret: NeedOptional,
		TokenHeader:  "Authorization",
	}
}

// Presets lists the built-in providers, for `tokenring providers` and the
// link wizard. The values are templates: Dressipi's endpoints are relative
// until a base URL is given (use Preset), and no client id is set.
func Presets() []Provider {
	return []Provider{warhorn(), dressipi(), generic()}
}

// Preset returns the built-in provider id with o applied on top.
//
//   - "warhorn": fixed endpoints; o.RedirectURI is needed later (Validate).
//     o.Grant = GrantClientCredentials switches to application tokens.
//   - "dressipi": o.BaseURL is required (the customer's API base URL).
//   - "generic" (or "custom", "oidc"): needs o.Issuer (discovery happens in
//     flow/exchange; when no scopes are given, "openid" is asked for) or
//     o.TokenURL (plus o.AuthURL for the authorization-code grant).
//
// Errors wrap ErrConfig (or ErrInsecure for an http base URL off loopback).
// Preset does not run Validate: the client id may still be missing.
func Preset(id string, o Overrides) (Provider, error) {
	switch strings.ToLower(strings.TrimSpace(id)) {
	case PresetWarhorn:
		return warhorn().With(o), nil
	case PresetDressipi:
		if strings.TrimSpace(o.BaseURL) == "" {
			return Provider{}, &FieldError{Field: FieldBaseURL, Problem: problemMissing, Hint: "Dressipi: the customer's API base URL, like https://api.example.dressipi.com", Kind: ErrConfig}
		}
		if err := checkBaseURL(o.BaseURL); err != nil {
			return Provider{}, err
		}
		return dressipi().With(o), nil
	case PresetGeneric, "custom", "oidc":
		if strings.TrimSpace(o.Issuer) == "" && strings.TrimSpace(o.TokenURL) == "" {
			return Provider{}, &FieldError{Field: FieldIssuer, Problem: problemMissing, Hint: "for OpenID Connect discovery; or give the authorization and token URLs instead", Kind: ErrConfig}
		}
		p := generic().With(o)
		if p.Issuer != "" && o.Scopes == nil && len(p.Scopes) == 0 {
			p.Scopes = []string{"openid"}
		}
		return p, nil
	}
	names := make([]string, 0, 3)
	for _, p := range Presets() {
		names = append(names, p.ID)
	}
	return Provider{}, fmt.Errorf("%w: unknown provider %q (built in: %s)", ErrConfig, termtext.Snippet(id, 40), strings.Join(names, ", "))
}

func checkBaseURL(raw string) error {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err == nil && (u.RawQuery != "" || u.Fragment != "") {
		return &FieldError{Field: FieldBaseURL, Problem: fmt.Sprintf("must not have a query or fragment: %q", termtext.Snippet(raw, 80)), Kind: ErrConfig}
	}
	return CheckEndpoint(FieldBaseURL, raw)
}

// With returns a copy of p with the non-empty fields of o applied. A new
// BaseURL rebases the endpoints that were built from the old one (or were
// relative), unless o gives those endpoints explicitly. Switching to the
// client-credentials grant makes the client secret required. p itself is not
// modified (slices and maps are copied).
func (p Provider) With(o Overrides) Provider {
	q := p.clone()
	if b := strings.TrimRight(strings.TrimSpace(o.BaseURL), "/"); b != "" {
		old := q.BaseURL
		rebase := func(ep string) string {
			switch {
			case old != "" && strings.HasPrefix(ep, old):
				return b + strings.TrimPrefix(ep, old)
			case strings.HasPrefix(ep, "/"):
				return b + ep
			}
			return ep
		}
		q.AuthURL = rebase(q.AuthURL)
		q.TokenURL = rebase(q.TokenURL)
		q.RevocationURL = rebase(q.RevocationURL)
		q.DeviceAuthURL = rebase(q.DeviceAuthURL)
		q.BaseURL = b
	}
	set := func(dst *string, v string) {
		if v = strings.TrimSpace(v); v != "" {
			*dst = v
		}
	}
	set(&q.Issuer, o.Issuer)
	set(&q.ClientID, o.ClientID)
	set(&q.RedirectURI, o.RedirectURI)
	set(&q.AuthURL, o.AuthURL)
	set(&q.TokenURL, o.TokenURL)
	set(&q.RevocationURL, o.RevocationURL)
	set(&q.DeviceAuthURL, o.DeviceAuthURL)
	if o.Scopes != nil {
		q.Scopes = splitScopes(o.Scopes)
	}
	if o.Grant != "" {
		q.Grant = o.Grant
		if o.Grant == GrantClientCredentials {
			q.ClientSecret = NeedRequired
			// Warhorn's application tokens carry no user: no id_token to ask for.
			if q.ID == PresetWarhorn && o.Scopes == nil {
				q.Scopes = nil
			}
		}
	}
	return q
}

// splitScopes accepts scopes given one per element or space/comma separated
// in one element ("openid email,profile").
func splitScopes(in []string) []string {
	out := []string{}
	for _, s := range in {
		for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ' ' || r == ',' || r == '\t' }) {
			if !slices.Contains(out, f) {
				out = append(out, f)
			}
		}
	}
	return out
}

// WithDefaults fills the fields a config file may leave empty: PKCE
// optional, standard client auth (Basic with a secret, else client_id in the body), the authorization-code grant, an
// optional client secret, the Authorization header. StartAuth and Validate
// work on this view; flow/exchange should use it too, so that the client
// auth style is never left to auto-detection.
func (p Provider) WithDefaults() Provider {
	q := p.clone()
	if q.PKCE == "" {
		q.PKCE = PKCEOptional
	}
	if q.ClientAuth == "" {
		q.ClientAuth = ClientAuthStandard
	}
	if q.Grant == "" {
		q.Grant = GrantAuthorizationCode
	}
	if q.ClientSecret == "" {
		q.ClientSecret = NeedOptional
	}
	if q.TokenHeader == "" {
		q.TokenHeader = "Authorization"
	}
	return q
}

func (p Provider) clone() Provider {
	q := p
	q.Scopes = slices.Clone(p.Scopes)
	q.Headers = cloneMap(p.Headers)
	q.AuthParams = cloneMap(p.AuthParams)
	q.TokenParams = cloneMap(p.TokenParams)
	return q
}

func cloneMap(m map[string]string) map[string]string {
	if m == nil {
		return nil
	}
	c := make(map[string]string, len(m))
	for k, v := range m {
		c[k] = v
	}
	return c
}

// AuthHeader says how to present an access token to the provider's API:
// ("Authorization", "Bearer X") by default, or the bare token in a custom
// header such as Dressipi's ("x-dressipi-jwt", "X").
func (p Provider) AuthHeader(accessToken string) (name, value string) {
	h := strings.TrimSpace(p.TokenHeader)
	if h == "" || strings.EqualFold(h, "Authorization") {
		return "Authorization", "Bearer " + accessToken
	}
	return h, accessToken
}

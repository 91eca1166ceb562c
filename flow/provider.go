package flow

import "github.com/tokenring/tokenring/internal/termtext"

// PKCE says whether a provider uses Proof Key for Code Exchange (RFC 7636).
type PKCE string

const (
	PKCEOff      PKCE = "off"      // never send a code_challenge
	PKCEOptional PKCE = "optional" // send S256; the server may ignore it (the default)
	PKCERequired PKCE = "required" // the server refuses a code without it (Dressipi)
)

// ClientAuth is how the client authenticates at the token endpoint.
// There is deliberately no "auto-detect": x/oauth2's auto mode re-sends a
// failed request, which spends a single-use authorization code twice.
type ClientAuth string

const (
	ClientAuthBody  ClientAuth = "body"  // client_id (+ client_secret) in the form body
	ClientAuthBasic ClientAuth = "basic" // HTTP Basic with client_id:client_secret
	// ClientAuthStandard decides per request, the same way every time: HTTP
	// Basic when a client secret is given (RFC 6749 §2.3.1: every server
	// must support it for clients with a password), else client_id alone in
	// the body (a public client). The default for generic providers.
	ClientAuthStandard ClientAuth = "standard"
)

// Grant is how an account gets its first token.
type Grant string

const (
	GrantAuthorizationCode Grant = "authorization_code"
	GrantClientCredentials Grant = "client_credentials"
	GrantDeviceCode        Grant = "device_code" // RFC 8628
)

// Need says whether a secret is needed.
type Need string

const (
	NeedNone     Need = "none"
	NeedOptional Need = "optional"
	NeedRequired Need = "required"
)

// Provider is everything tokenring knows about an OAuth 2.0 provider. It is
// plain data: presets build one, config.toml declares one, OIDC discovery
// fills one in. It holds no secret.
type Provider struct {
	ID          string `json:"id" toml:"id"` // "warhorn", "dressipi", or a config name
	DisplayName string `json:"display_name,omitempty" toml:"display_name"`
	Description string `json:"description,omitempty" toml:"description"` // one line for `tokenring providers` and the wizard
	// NeedsBaseURL says the endpoints hang off a per-customer BaseURL that the
	// user must give (--base-url); Dressipi. Set on presets only.
	NeedsBaseURL  bool   `json:"needs_base_url,omitempty" toml:"needs_base_url"`
	Issuer        string `json:"issuer,omitempty" toml:"issuer"`     // OIDC issuer, when known
	BaseURL       string `json:"base_url,omitempty" toml:"base_url"` // per-customer base URL (Dressipi)
	AuthURL       string `json:"auth_url,omitempty" toml:"auth_url"`
	TokenURL      string `json:"token_url,omitempty" toml:"token_url"`
	RevocationURL string `json:"revocation_url,omitempty" toml:"revocation_url"`   // RFC 7009
	DeviceAuthURL string `json:"device_auth_url,omitempty" toml:"device_auth_url"` // RFC 8628

	ClientID    string   `json:"client_id,omitempty" toml:"client_id"`
	RedirectURI string   `json:"redirect_uri,omitempty" toml:"redirect_uri"`
	Scopes      []string `json:"scopes,omitempty" toml:"scopes"`

	PKCE         PKCE       `json:"pkce,omitempty" toml:"pkce"`
	ClientAuth   ClientAuth `json:"client_auth,omitempty" toml:"client_auth"`
	Grant        Grant      `json:"grant,omitempty" toml:"grant"`
	ClientSecret Need       `json:"client_secret,omitempty" toml:"client_secret"` // whether a client secret is asked for
	// APIKeyHeader names the header that carries the API key on every call
	// (Dressipi: "x-api-key"); empty means the provider has no API key.
	APIKeyHeader string `json:"api_key_header,omitempty" toml:"api_key_header"`
	// TokenHeader names the header an API expects the access token in:
	// "Authorization" (sent as "Bearer <token>", the default) or a custom one
	// such as Dressipi's "x-dressipi-jwt" (sent bare).
	TokenHeader string `json:"token_header,omitempty" toml:"token_header"`

	Headers     map[string]string `json:"headers,omitempty" toml:"headers"`           // extra non-secret headers on every call
	AuthParams  map[string]string `json:"auth_params,omitempty" toml:"auth_params"`   // extra authorization URL parameters
	TokenParams map[string]string `json:"token_params,omitempty" toml:"token_params"` // extra token request parameters
}

// Label names the provider for people: its display name, else its id,
// else "custom"; cleaned for the terminal (a display name may come from
// config.toml or a discovery document).
func (p Provider) Label() string {
	switch {
	case p.DisplayName != "":
		return termtext.Clean(p.DisplayName)
	case p.ID != "":
		return termtext.Clean(p.ID)
	}
	return "custom"
}

// Overrides are the non-secret settings a user may give on the command line
// or in config.toml on top of a preset. Empty fields change nothing.
type Overrides struct {
	BaseURL       string
	Issuer        string
	ClientID      string
	RedirectURI   string
	AuthURL       string
	TokenURL      string
	RevocationURL string
	DeviceAuthURL string
	Scopes        []string // nil: keep the preset's; non-nil (even empty): replace them
	// Grant switches how the first token is obtained, e.g. Warhorn's
	// application tokens by client_credentials. Empty keeps the preset's.
	Grant Grant
}

// Secrets are what a provider may need that must stay in the keyring.
type Secrets struct {
	ClientSecret string `json:"client_secret,omitempty"`
	APIKey       string `json:"api_key,omitempty"`
}

// String never shows a secret, so a Secrets value printed by mistake leaks nothing.
func (s Secrets) String() string { return "flow.Secrets{redacted}" }

// GoString keeps %#v from leaking as well.
func (s Secrets) GoString() string { return s.String() }

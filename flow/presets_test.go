package flow

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
)

func TestPresetsList(t *testing.T) {
	ps := Presets()
	var ids []string
	for _, p := range ps {
		ids = append(ids, p.ID)
		if p.DisplayName == "" || p.Description == "" {
			t.Errorf("%s has no display name or description", p.ID)
		}
	}
	if !slices.Equal(ids, []string{"warhorn", "dressipi", "generic"}) {
		t.Fatalf("ids %v", ids)
	}
	// Changing a returned value must not change the next call's.
	ps[0].Scopes[0] = "changed"
	if Presets()[0].Scopes[0] != "openid" {
		t.Fatal("Presets shares its slices")
	}
}

func TestPresetWarhorn(t *testing.T) {
	p, err := Preset("warhorn", Overrides{ClientID: "Lw897vn3R7y6M2NfsA2BxJGM", RedirectURI: "https://app.example.com/oauth"})
	if err != nil {
		t.Fatal(err)
	}
	if p.AuthURL != "https://warhorn.net/oauth/authorize" || p.TokenURL != "https://warhorn.net/oauth/token" {
		t.Fatalf("endpoints %s %s", p.AuthURL, p.TokenURL)
	}
	if !slices.Equal(p.Scopes, []string{"openid", "email", "profile"}) {
		t.Fatalf("scopes %v", p.Scopes)
	}
	if p.ClientAuth != ClientAuthBody || p.ClientSecret != NeedOptional || p.PKCE != PKCEOff || p.Grant != GrantAuthorizationCode {
		t.Fatalf("settings %+v", p)
	}
	if err := p.Validate(); err != nil {
		t.Fatal(err)
	}
	if n, v := p.AuthHeader("tok"); n != "Authorization" || v != "Bearer tok" {
		t.Fatalf("header %s: %s", n, v)
	}

	// No redirect URI: Validate says what to give.
	p, _ = Preset("warhorn", Overrides{ClientID: "id"})
	err = p.Validate()
	if err == nil || !errors.Is(err, ErrConfig) || !hasField(err, FieldRedirectURI) || !strings.Contains(err.Error(), "https callback") {
		t.Fatalf("missing redirect: %v", err)
	}

	// Application tokens.
	p, _ = Preset("warhorn", Overrides{ClientID: "id", Grant: GrantClientCredentials})
	if p.Grant != GrantClientCredentials || p.ClientSecret != NeedRequired || len(p.Scopes) != 0 {
		t.Fatalf("client credentials: %+v", p)
	}
	if err := p.Validate(); err != nil {
		t.Fatalf("client credentials need no redirect URI: %v", err)
	}
	if _, err := StartAuth(p); !errors.Is(err, ErrConfig) {
		t.Fatalf("StartAuth with client credentials: %v", err)
	}
}

func TestPresetDressipi(t *testing.T) {
	if _, err := Preset("dressipi", Overrides{ClientID: "id"}); !errors.Is(err, ErrConfig) || !hasField(err, FieldBaseURL) {
		t.Fatalf("no base URL: %v", err)
	}
	if _, err := Preset("dressipi", Overrides{BaseURL: "http://api.example.com"}); !errors.Is(err, ErrInsecure) {
		t.Fatalf("http base URL: %v", err)
	}
	if _, err := Preset("dressipi", Overrides{BaseURL: "api.example.com"}); !errors.Is(err, ErrConfig) {
		t.Fatalf("relative base URL: %v", err)
	}
	p, err := Preset("dressipi", Overrides{BaseURL: "https://api.example.com/", ClientID: "id"})
	if err != nil {
		t.Fatal(err)
	}
	if p.AuthURL != "https://api.example.com/oauth/authorize" || p.TokenURL != "https://api.example.com/oauth/token" || p.BaseURL != "https://api.example.com" {
		t.Fatalf("endpoints %q %q base %q", p.AuthURL, p.TokenURL, p.BaseURL)
	}
	if p.RedirectURI != "urn:ietf:wg:oauth:2.0:oob:auto" || p.PKCE != PKCERequired || p.APIKeyHeader != "x-api-key" ||
		p.ClientSecret != NeedNone || p.ClientAuth != ClientAuthBody {
		t.Fatalf("settings %+v", p)
	}
	if err := p.Validate(); err != nil {
		t.Fatal(err)
	}
	if n, v := p.AuthHeader("jwt"); n != "x-dressipi-jwt" || v != "jwt" {
		t.Fatalf("header %s: %s", n, v)
	}
	// Loopback http (tests, local servers) is fine, and rebasing follows the base URL.
	q := p.With(Overrides{BaseURL: "http://127.0.0.1:9000/api"})
	if q.TokenURL != "http://127.0.0.1:9000/api/oauth/token" || q.AuthURL != "http://127.0.0.1:9000/api/oauth/authorize" {
		t.Fatalf("rebased %q %q", q.AuthURL, q.TokenURL)
	}
	if p.TokenURL != "https://api.example.com/oauth/token" {
		t.Fatal("With changed its receiver")
	}
	// An explicit token URL wins over the rebase.
	q = p.With(Overrides{BaseURL: "https://b.example", TokenURL: "https://t.example/token"})
	if q.TokenURL != "https://t.example/token" || q.AuthURL != "https://b.example/oauth/authorize" {
		t.Fatalf("override %q %q", q.AuthURL, q.TokenURL)
	}
	// The template from Presets() fails Validate on its base URL.
	for _, tp := range Presets() {
		if tp.ID == "dressipi" {
			tp.ClientID = "id"
			if err := tp.Validate(); err == nil || !hasField(err, FieldBaseURL) {
				t.Fatalf("template: %v", err)
			}
		}
	}
}

func TestPresetGeneric(t *testing.T) {
	if _, err := Preset("generic", Overrides{ClientID: "id"}); !errors.Is(err, ErrConfig) || !hasField(err, FieldIssuer) {
		t.Fatalf("empty generic: %v", err)
	}
	p, err := Preset("oidc", Overrides{Issuer: "https://id.example.com", ClientID: "id"})
	if err != nil {
		t.Fatal(err)
	}
	if p.Issuer != "https://id.example.com" || !slices.Equal(p.Scopes, []string{"openid"}) || p.PKCE != PKCEOptional {
		t.Fatalf("issuer provider %+v", p)
	}
	// Before discovery the endpoints are missing and Validate says discovery fills them.
	if err := p.WithDefaults().With(Overrides{RedirectURI: "http://127.0.0.1:1/cb"}).Validate(); err == nil || !strings.Contains(err.Error(), "discovery") {
		t.Fatalf("pre-discovery: %v", err)
	}
	p, err = Preset("custom", Overrides{AuthURL: "https://a.example/auth?tenant=t", TokenURL: "https://a.example/token",
		ClientID: "id", RedirectURI: "com.example.app:/cb", Scopes: []string{"read write", "admin,read"}})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(p.Scopes, []string{"read", "write", "admin"}) {
		t.Fatalf("scopes %v", p.Scopes)
	}
	if err := p.Validate(); err != nil {
		t.Fatal(err)
	}
	if _, err := Preset("nope", Overrides{}); !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), "warhorn") {
		t.Fatalf("unknown: %v", err)
	}
	// Device grant needs a device endpoint.
	p, _ = Preset("generic", Overrides{TokenURL: "https://a.example/token", ClientID: "id", Grant: GrantDeviceCode})
	if err := p.Validate(); !hasField(err, FieldDeviceAuthURL) {
		t.Fatalf("device without endpoint: %v", err)
	}
	if err := p.With(Overrides{DeviceAuthURL: "https://a.example/device"}).Validate(); err != nil {
		t.Fatal(err)
	}
}

func TestValidateEndpoints(t *testing.T) {
	base := Provider{ID: "t", ClientID: "id", AuthURL: "https://a.example/auth", TokenURL: "https://a.example/token", RedirectURI: "https://app.example/cb"}
	tests := []struct {
		name    string
		mod     func(*Provider)
		wantErr error // nil: valid
		mention string
	}{
		{"valid", func(*Provider) {}, nil, ""},
		{"http token URL off loopback", func(p *Provider) { p.TokenURL = "http://a.example/token" }, ErrInsecure, "http://a.example/token"},
		{"http auth URL on a LAN address", func(p *Provider) { p.AuthURL = "http://192.168.1.2/auth" }, ErrInsecure, "192.168.1.2"},
		{"http on a name that starts with localhost", func(p *Provider) { p.TokenURL = "http://localhost.evil.example/t" }, ErrInsecure, "localhost.evil"},
		{"http on 127.0.0.1", func(p *Provider) { p.TokenURL = "http://127.0.0.1:8080/token" }, nil, ""},
		{"http on 127.1.2.3", func(p *Provider) { p.TokenURL = "http://127.1.2.3/token" }, nil, ""},
		{"http on ::1", func(p *Provider) { p.TokenURL = "http://[::1]:9/token" }, nil, ""},
		{"http on localhost", func(p *Provider) { p.TokenURL = "http://LOCALHOST:9/token" }, nil, ""},
		{"ftp revocation URL", func(p *Provider) { p.RevocationURL = "ftp://a.example/revoke" }, ErrInsecure, "revocation"},
		{"http device URL", func(p *Provider) { p.DeviceAuthURL = "http://a.example/device" }, ErrInsecure, "device"},
		{"http issuer", func(p *Provider) { p.Issuer = "http://id.example" }, ErrInsecure, "issuer"},
		{"relative token URL", func(p *Provider) { p.TokenURL = "/token" }, ErrConfig, "absolute"},
		{"fragment in auth URL", func(p *Provider) { p.AuthURL = "https://a.example/auth#x" }, ErrConfig, "fragment"},
		{"userinfo", func(p *Provider) { p.TokenURL = "https://u:p@a.example/token" }, ErrConfig, "user name"},
		{"missing token URL", func(p *Provider) { p.TokenURL = "" }, ErrConfig, "token_url"},
		{"missing client id", func(p *Provider) { p.ClientID = "" }, ErrConfig, "client_id"},
		{"redirect custom scheme", func(p *Provider) { p.RedirectURI = "com.example.app:/oauth2redirect" }, nil, ""},
		{"redirect OOB", func(p *Provider) { p.RedirectURI = "urn:ietf:wg:oauth:2.0:oob" }, nil, ""},
		{"redirect loopback http", func(p *Provider) { p.RedirectURI = "http://127.0.0.1:8765/callback" }, nil, ""},
		{"redirect http off loopback", func(p *Provider) { p.RedirectURI = "http://app.example/cb" }, ErrInsecure, "redirect_uri"},
		{"redirect other urn", func(p *Provider) { p.RedirectURI = "urn:example:foo" }, ErrConfig, "out-of-band"},
		{"redirect javascript", func(p *Provider) { p.RedirectURI = "javascript:alert(1)" }, ErrConfig, "scheme"},
		{"redirect relative", func(p *Provider) { p.RedirectURI = "/cb" }, ErrConfig, "absolute"},
		{"redirect with fragment", func(p *Provider) { p.RedirectURI = "https://app.example/cb#x" }, ErrConfig, "fragment"},
		{"bad pkce", func(p *Provider) { p.PKCE = "sometimes" }, ErrConfig, "pkce"},
		{"bad client auth", func(p *Provider) { p.ClientAuth = "auto" }, ErrConfig, "client_auth"},
		{"bad grant", func(p *Provider) { p.Grant = "password" }, ErrConfig, "grant"},
		{"scope with quote", func(p *Provider) { p.Scopes = []string{`a"b`} }, ErrConfig, "scope"},
		{"bad header name", func(p *Provider) { p.APIKeyHeader = "x api key" }, ErrConfig, "api_key_header"},
		{"reserved auth param", func(p *Provider) { p.AuthParams = map[string]string{"State": "x"} }, ErrConfig, "state"},
		{"client credentials without secret", func(p *Provider) { p.Grant = GrantClientCredentials; p.ClientSecret = NeedNone }, ErrConfig, "client secret"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := base.clone()
			tt.mod(&p)
			err := p.Validate()
			if tt.wantErr == nil {
				if err != nil {
					t.Fatalf("unexpected: %v", err)
				}
				return
			}
			if !errors.Is(err, tt.wantErr) || !strings.Contains(err.Error(), tt.mention) {
				t.Fatalf("got %v; want %v mentioning %q", err, tt.wantErr, tt.mention)
			}
		})
	}
}

func TestIsLoopbackHost(t *testing.T) {
	for h, want := range map[string]bool{
		"localhost": true, "127.0.0.1": true, "127.255.0.9": true, "::1": true, "[::1]": true, "::ffff:127.0.0.1": true,
		"128.0.0.1": false, "0.0.0.0": false, "::": false, "localhost.example": false, "example.com": false, "": false, "fe80::1%lo": false,
	} {
		if got := IsLoopbackHost(h); got != want {
			t.Errorf("IsLoopbackHost(%q) = %v", h, got)
		}
	}
}

func TestAuthHeader(t *testing.T) {
	for _, tt := range []struct{ header, name, value string }{
		{"", "Authorization", "Bearer T"},
		{"authorization", "Authorization", "Bearer T"},
		{"x-dressipi-jwt", "x-dressipi-jwt", "T"},
	} {
		n, v := Provider{TokenHeader: tt.header}.AuthHeader("T")
		if n != tt.name || v != tt.value {
			t.Errorf("%q: got %s: %s", tt.header, n, v)
		}
	}
}

func hasField(err error, f Field) bool {
	for _, fe := range FieldErrors(err) {
		if fe.Field == f {
			return true
		}
	}
	return false
}

// Validation errors name their field, so each front end names it its own
// way: the CLI by its flag, the wizard by its label.
func TestFieldErrorsRender(t *testing.T) {
	p := Provider{ID: "acme", AuthURL: "http://evil.example/a", TokenURL: "https://a.example/t"}
	err := p.Validate()
	if !errors.Is(err, ErrConfig) || !errors.Is(err, ErrInsecure) {
		t.Fatalf("kinds lost in %v", err)
	}
	fields := map[Field]bool{}
	for _, fe := range FieldErrors(err) {
		fields[fe.Field] = true
	}
	if !fields[FieldClientID] || !fields[FieldRedirectURI] || !fields[FieldAuthURL] || len(fields) != 3 {
		t.Fatalf("fields %v in %v", fields, err)
	}
	flags := map[Field]string{FieldClientID: "--client-id", FieldAuthURL: "--auth-url"}
	out := RenderFields(fmt.Errorf("wrapped: %w", err), func(f Field) string { return flags[f] })
	for _, want := range []string{"--client-id is needed (the client id", "--auth-url uses http on a host that is not loopback", "redirect_uri is needed"} {
		if !strings.Contains(out, want) {
			t.Errorf("rendered %q lacks %q", out, want)
		}
	}
	if strings.Contains(out, "wrapped") {
		t.Errorf("rendered %q keeps the wrapper's text instead of the field errors", out)
	}
}

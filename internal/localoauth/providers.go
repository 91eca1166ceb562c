package localoauth

import "time"

// NewWarhorn starts a Warhorn emulation (/oauth/authorize, /oauth/token) as
// the seed document describes it. It panics when it cannot listen; use
// StartWarhorn for an error instead.
func NewWarhorn(o WarhornOptions) *Server { return must(StartWarhorn(o)) }

// StartWarhorn is NewWarhorn returning an error.
func StartWarhorn(o WarhornOptions) (*Server, error) {
	if o.RedirectURI == "" {
		o.RedirectURI = "https://app.example/oauth/callback"
	}
	if o.AppClientID == "" {
		o.AppClientID = o.ClientID
	}
	if o.AppClientSecret == "" {
		o.AppClientSecret = o.ClientSecret
	}
	if o.Subject == "" {
		o.Subject = "0000000001"
	}
	return newServer(config{
		kind: kindWarhorn, name: "Warhorn (local emulation)",
		authorizePath: "/oauth/authorize", tokenPath: "/oauth/token",
		clientID: o.ClientID, clientSecret: o.ClientSecret,
		appClientID: o.AppClientID, appClientSecret: o.AppClientSecret,
		redirectURIs: []string{o.RedirectURI},
		requireState: true, requireScope: true,
		allowedScopes:     map[string]bool{"openid": true, "email": true, "profile": true},
		auth:              authPost,
		codeTTL:           60 * time.Second,
		tokenType:         "bearer",
		cacheControl:      "private, no-store",
		clientCredentials: true,
		subject:           o.Subject,
	}, o.Addr)
}

// NewDressipi starts a Dressipi emulation; its base URL is s.URL
// (/oauth/authorize, /oauth/token). It panics when it cannot listen; use
// StartDressipi for an error instead.
func NewDressipi(o DressipiOptions) *Server { return must(StartDressipi(o)) }

// StartDressipi is NewDressipi returning an error.
func StartDressipi(o DressipiOptions) (*Server, error) {
	if o.AccessTTL <= 0 {
		o.AccessTTL = 86400 * time.Second
	}
	if o.Subject == "" {
		o.Subject = "94173"
	}
	return newServer(config{
		kind: kindDressipi, name: "Dressipi (local emulation)",
		authorizePath: "/oauth/authorize", tokenPath: "/oauth/token",
		clientID: o.ClientID, apiKey: o.APIKey,
		redirectURIs: []string{OOBAuto},
		pkceRequired: true,
		auth:         authNone,
		codeTTL:      10 * time.Minute, accessTTL: o.AccessTTL,
		issueRefresh: true, rotate: true,
		tokenType: "Bearer", accessJWT: "HS256", expiresIn: true,
		subject: o.Subject,
	}, o.Addr)
}

// NewOIDC starts a generic OpenID Connect provider: /.well-known/openid-configuration,
// /authorize, /token, /revoke, /device, /device/verify, /jwks, /userinfo. It
// panics when it cannot listen; use StartOIDC for an error instead.
func NewOIDC(o OIDCOptions) *Server { return must(StartOIDC(o)) }

// StartOIDC is NewOIDC returning an error.
func StartOIDC(o OIDCOptions) (*Server, error) {
	if o.AccessTTL <= 0 {
		o.AccessTTL = time.Hour
	}
	if o.CodeTTL <= 0 {
		o.CodeTTL = 10 * time.Minute
	}
	if o.DeviceInterval <= 0 {
		o.DeviceInterval = 5
	}
	if o.DeviceTTL <= 0 {
		o.DeviceTTL = 10 * time.Minute
	}
	if o.Subject == "" {
		o.Subject = "user-1"
	}
	auth := authPost
	if o.BasicAuth {
		auth = authBasic
	}
	jwt := ""
	if o.JWTAccessTokens {
		jwt = "RS256"
	}
	name := "OpenID Connect provider (local)"
	if o.Demo {
		name = "tokenring demo provider"
	}
	return newServer(config{
		kind: kindOIDC, name: name,
		authorizePath: "/authorize", tokenPath: "/token",
		clientID: o.ClientID, clientSecret: o.ClientSecret,
		redirectURIs: append([]string(nil), o.RedirectURIs...), loopbackAnyPort: true,
		pkceRequired: o.PKCE,
		auth:         auth,
		codeTTL:      o.CodeTTL, accessTTL: o.AccessTTL, refreshTTL: o.RefreshTTL,
		issueRefresh: true, rotate: o.RotateRefresh, offlineNeedsConsent: o.OfflineAccess,
		tokenType: "Bearer", accessJWT: jwt, expiresIn: true,
		clientCredentials: o.ClientCredentials,
		revocation:        o.Revocation, device: o.Device, demo: o.Demo,
		deviceInterval: o.DeviceInterval, deviceTTL: o.DeviceTTL,
		subject: o.Subject,
	}, o.Addr)
}

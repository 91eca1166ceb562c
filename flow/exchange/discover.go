package exchange

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/tokenring/tokenring/flow"
	"github.com/tokenring/tokenring/internal/termtext"
)

// discoveryDoc is the part of an OpenID Provider Metadata document
// (OIDC Discovery §3, RFC 8414 §2) tokenring uses.
type discoveryDoc struct {
	Issuer                 string   `json:"issuer"`
	AuthorizationEndpoint  string   `json:"authorization_endpoint"`
	TokenEndpoint          string   `json:"token_endpoint"`
	RevocationEndpoint     string   `json:"revocation_endpoint"`
	DeviceEndpoint         string   `json:"device_authorization_endpoint"`
	CodeChallengeMethods   []string `json:"code_challenge_methods_supported"`
	TokenEndpointAuthMeths []string `json:"token_endpoint_auth_methods_supported"`
}

// DiscoveryURL is where the discovery document of issuer lives
// (OIDC Discovery §4.1: issuer without a trailing slash, then
// /.well-known/openid-configuration).
func DiscoveryURL(issuer string) string {
	return strings.TrimSuffix(issuer, "/") + "/.well-known/openid-configuration"
}

// Discover fetches issuer's OpenID Connect discovery document with one GET
// and returns base with Issuer set and, where base leaves them empty (so
// explicit overrides win), AuthURL, TokenURL, RevocationURL and
// DeviceAuthURL filled in. The document's issuer must equal issuer exactly
// (OIDC Discovery §4.3, RFC 8414 §3.3); every endpoint must be https, or
// http on loopback (else flow.ErrInsecure). When base does not say:
// PKCE becomes optional (S256) if code_challenge_methods_supported lists
// S256, off if the list is given without it; ClientAuth comes from
// token_endpoint_auth_methods_supported (see clientAuthFor).
func (c *Client) Discover(ctx context.Context, issuer string, base flow.Provider) (flow.Provider, error) {
	if issuer == "" {
		return base, fmt.Errorf("%s failed: %w: no issuer given", opDiscover, flow.ErrConfig)
	}
	docURL := DiscoveryURL(issuer)
	st, hc, err := c.prepare(ctx, opDiscover, docURL, base, flow.Secrets{})
	if err != nil {
		return base, err
	}
	cctx, cancel := c.withTimeout(ctx)
	defer cancel()
	hreq, err := http.NewRequestWithContext(cctx, http.MethodGet, docURL, nil)
	if err != nil {
		return base, st.fail(flow.ErrConfig, nil, "the issuer URL on %s is not valid", st.host)
	}
	_, status, body, err := c.do(ctx, st, hc, hreq)
	if err != nil {
		return base, err
	}
	if status != http.StatusOK {
		return base, c.classify(ctx, st, errors.New("unexpected status"), nil)
	}
	var doc discoveryDoc
	if err := json.Unmarshal(body, &doc); err != nil {
		if st.firstByte == '{' {
			return base, st.fail(flow.ErrBadResponse, nil, "%s sent a discovery document tokenring cannot read", st.host)
		}
		return base, c.classify(ctx, st, err, nil)
	}
	if doc.Issuer != issuer {
		return base, st.fail(flow.ErrBadResponse, nil, "the discovery document of %s names the issuer %q, not %q; use exactly the issuer it names",
			st.host, cut(termtext.Clean(doc.Issuer), maxURILen), cut(termtext.Clean(issuer), maxURILen))
	}
	if doc.TokenEndpoint == "" {
		return base, st.fail(flow.ErrBadResponse, nil, "the discovery document of %s has no token_endpoint", st.host)
	}
	for _, ep := range []struct{ name, v string }{
		{"authorization_endpoint", doc.AuthorizationEndpoint},
		{"token_endpoint", doc.TokenEndpoint},
		{"revocation_endpoint", doc.RevocationEndpoint},
		{"device_authorization_endpoint", doc.DeviceEndpoint},
	} {
		if ep.v == "" {
			continue
		}
		if _, err := checkEndpoint(opDiscover, ep.v); err != nil {
			if errors.Is(err, flow.ErrInsecure) {
				return base, st.fail(flow.ErrInsecure, nil, "the discovery document of %s lists a %s that is not https (or http on loopback)", st.host, ep.name)
			}
			return base, st.fail(flow.ErrBadResponse, nil, "the discovery document of %s lists a %s that is not an absolute URL", st.host, ep.name)
		}
	}

	p := base
	p.Issuer = issuer
	fill := func(dst *string, v string) {
		if *dst == "" {
			*dst = v
		}
	}
	fill(&p.AuthURL, doc.AuthorizationEndpoint)
	fill(&p.TokenURL, doc.TokenEndpoint)
	fill(&p.RevocationURL, doc.RevocationEndpoint)
	fill(&p.DeviceAuthURL, doc.DeviceEndpoint)
	if p.PKCE == "" && doc.CodeChallengeMethods != nil {
		if slices.Contains(doc.CodeChallengeMethods, "S256") {
			p.PKCE = flow.PKCEOptional
		} else {
			p.PKCE = flow.PKCEOff
		}
	}
	if p.ClientAuth == "" {
		p.ClientAuth = clientAuthFor(doc.TokenEndpointAuthMeths, p.ClientSecret)
	}
	return p, nil
}

// clientAuthFor picks the client authentication for a token endpoint from
// token_endpoint_auth_methods_supported. When client_secret_basic is listed,
// or the list is absent (its default per OIDC Discovery §3), the standard
// rule applies: Basic when a client secret is given, client_id alone in the
// body for a public client (RFC 6749 §2.3.1 makes Basic the method every
// server supports). Only client_secret_basic listed: Basic; only
// client_secret_post (or other methods): the body.
func clientAuthFor(methods []string, secret flow.Need) flow.ClientAuth {
	basic, post := slices.Contains(methods, "client_secret_basic"), slices.Contains(methods, "client_secret_post")
	switch {
	case secret == flow.NeedNone:
		return flow.ClientAuthBody
	case basic && !post:
		return flow.ClientAuthBasic
	case len(methods) == 0 || basic:
		return flow.ClientAuthStandard
	}
	return flow.ClientAuthBody
}

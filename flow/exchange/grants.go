package exchange

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/tokenring/tokenring/flow"
)

// Operation names used in errors (flow.OAuthError.Op and messages).
const (
	opExchange   = "code exchange"
	opRefresh    = "refresh"
	opClientCred = "client credentials"
	opDevice     = "device authorization"
	opDevicePoll = "device authorization polling"
	opRevoke     = "revocation"
	opDiscover   = "discovery"
)

// maxTokenReply is x/oauth2's own cap on token replies.
const maxTokenReply = 1 << 20

const grantDeviceCode = "urn:ietf:params:oauth:grant-type:device_code"

// reservedTokenParams are set by tokenring; flow.Provider.TokenParams may not
// replace them.
var reservedTokenParams = map[string]bool{
	"grant_type": true, "code": true, "redirect_uri": true, "code_verifier": true,
	"client_id": true, "client_secret": true, "refresh_token": true, "device_code": true,
	"scope": true, "client_assertion": true, "client_assertion_type": true,
}

// authStyle is the client authentication of one request; it is always
// explicit (x/oauth2's auto-detection re-sends a failed request).
func authStyle(p flow.Provider, s flow.Secrets) oauth2.AuthStyle {
	switch p.ClientAuth {
	case flow.ClientAuthBasic:
		return oauth2.AuthStyleInHeader
	case flow.ClientAuthStandard, "":
		// The empty value is flow.Provider.WithDefaults' standard.
		if s.ClientSecret != "" {
			return oauth2.AuthStyleInHeader
		}
	}
	return oauth2.AuthStyleInParams
}

// extraParams returns p.TokenParams without the reserved names.
func extraParams(p flow.Provider) url.Values {
	v := url.Values{}
	for k, val := range p.TokenParams {
		if !reservedTokenParams[strings.ToLower(k)] {
			v.Set(k, val)
		}
	}
	return v
}

// Exchange trades an authorization code for tokens (RFC 6749 §4.1.3) with
// exactly one HTTP request, never retried. It sends grant_type, code,
// redirect_uri, code_verifier (when req has one), client_id and, per
// ClientAuth, client_secret in the body or HTTP Basic, plus TokenParams.
// When req has a nonce and the reply an id_token, the id_token's nonce must
// match (flow.ErrNonceMismatch; the tokens are dropped).
func (c *Client) Exchange(ctx context.Context, req *flow.AuthRequest, s flow.Secrets, code string) (*flow.Token, error) {
	if req == nil {
		return nil, fmt.Errorf("%s failed: %w: no authorization request", opExchange, flow.ErrConfig)
	}
	if code == "" {
		return nil, fmt.Errorf("%s failed: %w", opExchange, flow.ErrNotACode)
	}
	p := req.Provider
	redirect := req.RedirectURI
	if redirect == "" {
		redirect = p.RedirectURI
	}
	conf := &oauth2.Config{
		ClientID:     p.ClientID,
		ClientSecret: s.ClientSecret,
		Endpoint:     oauth2.Endpoint{TokenURL: p.TokenURL, AuthStyle: authStyle(p, s)},
		RedirectURL:  redirect,
	}
	var opts []oauth2.AuthCodeOption
	if req.Verifier != "" {
		opts = append(opts, oauth2.VerifierOption(req.Verifier))
	}
	for k, vs := range extraParams(p) {
		opts = append(opts, oauth2.SetAuthURLParam(k, vs[0]))
	}
	tok, err := c.tokenCall(ctx, opExchange, p, s, secretsOf(p, s, code, req.Verifier),
		func(ctx context.Context) (*oauth2.Token, error) { return conf.Exchange(ctx, code, opts...) })
	if err != nil {
		return nil, err
	}
	if err := flow.CheckNonce(tok.IDToken, req.Nonce); err != nil {
		return nil, fmt.Errorf("%s failed: %w; start the authorization again", opExchange, err)
	}
	return tok, nil
}

// Refresh uses a refresh token (RFC 6749 §6) with one request. The result
// carries the new refresh token when the server rotated it, else
// refreshToken. redirect_uri is sent too when the provider has one
// (Dressipi requires it; RFC 6749 §3.2 servers ignore unknown parameters).
func (c *Client) Refresh(ctx context.Context, p flow.Provider, s flow.Secrets, refreshToken string) (*flow.Token, error) {
	if refreshToken == "" {
		return nil, fmt.Errorf("%s failed: %w: the account has no refresh token; link it again", opRefresh, flow.ErrConfig)
	}
	params := extraParams(p)
	params.Set("grant_type", "refresh_token")
	params.Set("refresh_token", refreshToken)
	if p.RedirectURI != "" {
		params.Set("redirect_uri", p.RedirectURI)
	}
	tok, err := c.grant(ctx, opRefresh, p, s, params, nil, []string{refreshToken})
	if err != nil {
		return nil, err
	}
	if tok.RefreshToken == "" {
		tok.RefreshToken = refreshToken
	}
	return tok, nil
}

// ClientCredentials gets an application token (RFC 6749 §4.4), e.g.
// Warhorn's application tokens. Scopes are the provider's.
func (c *Client) ClientCredentials(ctx context.Context, p flow.Provider, s flow.Secrets) (*flow.Token, error) {
	return c.grant(ctx, opClientCred, p, s, extraParams(p), p.Scopes, nil)
}

// grant runs one token request with the given form parameters through
// x/oauth2's clientcredentials machinery (which lets grant_type be set),
// so every grant shares x/oauth2's reply parsing and explicit AuthStyle.
func (c *Client) grant(ctx context.Context, op string, p flow.Provider, s flow.Secrets, params url.Values, scopes []string, secrets []string) (*flow.Token, error) {
	conf := &clientcredentials.Config{
		ClientID:       p.ClientID,
		ClientSecret:   s.ClientSecret,
		TokenURL:       p.TokenURL,
		Scopes:         scopes,
		EndpointParams: params,
		AuthStyle:      authStyle(p, s),
	}
	return c.tokenCall(ctx, op, p, s, secretsOf(p, s, secrets...), conf.Token)
}

// tokenCall runs do (one x/oauth2 token request) under the timeout with our
// transport, and reads or classifies the outcome. secrets are redacted from
// any text the server sends back.
func (c *Client) tokenCall(ctx context.Context, op string, p flow.Provider, s flow.Secrets, secrets []string, do func(context.Context) (*oauth2.Token, error)) (*flow.Token, error) {
	st, hc, err := c.prepare(ctx, op, p.TokenURL, p, s)
	if err != nil {
		return nil, err
	}
	// x/oauth2 silently truncates token replies at 1 MiB; refuse larger
	// ones here instead of parsing a truncated (form-encoded) reply.
	t := hc.Transport.(*transport)
	if t.max > maxTokenReply {
		t.max, st.max = maxTokenReply, maxTokenReply
	}
	t.tokenReply = true
	cctx, cancel := c.withTimeout(ctx)
	defer cancel()
	cctx = context.WithValue(cctx, oauth2.HTTPClient, hc)
	tok, err := do(cctx)
	if err != nil {
		return nil, c.classify(ctx, st, err, oauthError(err, secrets))
	}
	ft, err := readToken(tok, tok.Extra, c.now())
	if err != nil {
		return nil, st.fail(flow.ErrBadResponse, nil, "%s: %v", st.host, err)
	}
	return ft, nil
}

// Revoke revokes token at the provider's revocation endpoint (RFC 7009):
// a POST with token, token_type_hint (when hint is not empty) and client
// authentication per ClientAuth. HTTP 200 means done (also for a token the
// server did not know, §2.2). 503 is an error wrapping flow.ErrServer that
// says to try later; an RFC 6749 error is a *flow.OAuthError. A provider
// without RevocationURL gives an error wrapping flow.ErrConfig.
func (c *Client) Revoke(ctx context.Context, p flow.Provider, s flow.Secrets, token, hint string) error {
	if p.RevocationURL == "" {
		return fmt.Errorf("%s failed: %w: %s has no revocation endpoint; the token stays valid until it expires (remove the app's access in the provider's settings)",
			opRevoke, flow.ErrConfig, p.Label())
	}
	if token == "" {
		return fmt.Errorf("%s failed: %w: no token to revoke", opRevoke, flow.ErrConfig)
	}
	form := url.Values{"token": {token}}
	if hint != "" {
		form.Set("token_type_hint", hint)
	}
	st, status, body, err := c.postForm(ctx, opRevoke, p.RevocationURL, p, s, form)
	if err != nil {
		return err
	}
	switch {
	case status >= 200 && status < 300:
		return nil
	case status == http.StatusServiceUnavailable:
		return st.fail(flow.ErrServer, nil, "%s answered 503: the revocation service is unavailable; try again later", st.host)
	}
	if oe := readOAuthError(body, status, secretsOf(p, s, token)); oe != nil {
		return st.oauth(oe)
	}
	return c.classify(ctx, st, errors.New("unexpected status"), nil)
}

// postForm sends one form POST with client authentication per p.ClientAuth
// and returns the status and (capped) body.
func (c *Client) postForm(ctx context.Context, op, endpoint string, p flow.Provider, s flow.Secrets, form url.Values) (*call, int, []byte, error) {
	st, hc, err := c.prepare(ctx, op, endpoint, p, s)
	if err != nil {
		return nil, 0, nil, err
	}
	if authStyle(p, s) == oauth2.AuthStyleInParams {
		if p.ClientID != "" {
			form.Set("client_id", p.ClientID)
		}
		if s.ClientSecret != "" {
			form.Set("client_secret", s.ClientSecret)
		}
	}
	cctx, cancel := c.withTimeout(ctx)
	defer cancel()
	hreq, err := http.NewRequestWithContext(cctx, http.MethodPost, endpoint, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, 0, nil, st.fail(flow.ErrConfig, nil, "the endpoint on %s is not a valid URL", st.host)
	}
	hreq.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if authStyle(p, s) == oauth2.AuthStyleInHeader {
		// As x/oauth2 does (RFC 6749 §2.3.1: form-encode, then Basic).
		hreq.SetBasicAuth(url.QueryEscape(p.ClientID), url.QueryEscape(s.ClientSecret))
	}
	return c.do(ctx, st, hc, hreq)
}

// do sends hreq and returns the buffered body; any failure is classified.
func (c *Client) do(ctx context.Context, st *call, hc *http.Client, hreq *http.Request) (*call, int, []byte, error) {
	resp, err := hc.Do(hreq)
	if err != nil {
		return st, 0, nil, c.classify(ctx, st, err, nil)
	}
	defer resp.Body.Close()
	buf, err := io.ReadAll(resp.Body) // already buffered and capped by transport
	if err != nil {
		return st, 0, nil, c.classify(ctx, st, err, nil)
	}
	return st, resp.StatusCode, buf, nil
}

// readOAuthError parses an RFC 6749 §5.2 JSON (or form) error body.
func readOAuthError(body []byte, status int, secrets []string) *flow.OAuthError {
	var e struct {
		Error            string `json:"error"`
		ErrorDescription string `json:"error_description"`
		ErrorURI         string `json:"error_uri"`
	}
	if json.Unmarshal(body, &e) != nil || e.Error == "" {
		vals, err := url.ParseQuery(string(body))
		if err != nil || vals.Get("error") == "" || strings.ContainsAny(string(body), "{<") {
			return nil
		}
		e.Error, e.ErrorDescription, e.ErrorURI = vals.Get("error"), vals.Get("error_description"), vals.Get("error_uri")
	}
	return newOAuthError(e.Error, e.ErrorDescription, e.ErrorURI, status, secrets)
}

package localoauth

import (
	"crypto/sha256"
	"crypto/subtle"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"
)

const deviceGrantType = "urn:ietf:params:oauth:grant-type:device_code"

var verifierRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z0-9._~-]{43,128}$`) }) // compiled on first use, not at start-up

func (s *Server) handleToken(c *call) {
	if !s.checkAPIKey(c) || !s.postForm(c) {
		return
	}
	f := c.form
	// Any attempt that presents a code spends it, whatever happens next
	// (Warhorn: a failed token request must not be retried).
	var cg *codeGrant
	reused := false
	if code := f.Get("code"); code != "" {
		s.mu.Lock()
		if g, ok := s.codes[code]; ok {
			cg, reused = g, g.used
			g.used = true
			if reused { // RFC 6749 §4.1.2: revoke what the code produced
				for _, t := range s.tokens {
					if t.family == g.family {
						t.revoked = true
					}
				}
			}
		}
		s.mu.Unlock()
	}
	switch gt := f.Get("grant_type"); {
	case gt == "":
		s.oauthError(c, http.StatusBadRequest, "invalid_request", "grant_type is missing")
	case gt == "authorization_code":
		s.grantCode(c, cg, reused)
	case gt == "refresh_token" && s.cfg.issueRefresh:
		s.grantRefresh(c)
	case gt == "client_credentials" && s.cfg.clientCredentials:
		s.grantClientCredentials(c)
	case gt == deviceGrantType && s.cfg.device:
		s.grantDevice(c)
	default:
		s.oauthError(c, http.StatusBadRequest, "unsupported_grant_type", "this server does not support that grant_type")
	}
}

func secretEqual(a, b string) bool { return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1 }

// authenticate checks client authentication as the server's method demands.
// app selects Warhorn's application credentials (client_credentials).
// It returns the client's secret ("" for a public client).
func (s *Server) authenticate(c *call, app bool) (string, bool) {
	id, secret := s.cfg.clientID, s.cfg.clientSecret
	if app {
		id, secret = s.cfg.appClientID, s.cfg.appClientSecret
	}
	f := c.form
	fail := func(desc string) (string, bool) {
		s.oauthError(c, http.StatusUnauthorized, "invalid_client", desc)
		return "", false
	}
	hasAuthz := c.r.Header.Get("Authorization") != ""
	if s.cfg.auth == authBasic && secret != "" {
		if f.Has("client_secret") {
			return fail("send the client secret only in the Authorization header (client_secret_basic); a client must not use more than one authentication method")
		}
		user, pass, ok := c.r.BasicAuth()
		if !ok {
			return fail("client authentication (HTTP Basic) is missing")
		}
		u, err1 := url.QueryUnescape(user)
		p, err2 := url.QueryUnescape(pass)
		if err1 != nil || err2 != nil {
			return fail("the Basic credentials are not form-urlencoded (RFC 6749 §2.3.1)")
		}
		if u != id || !secretEqual(p, secret) {
			return fail("client authentication failed")
		}
		if f.Has("client_id") && f.Get("client_id") != id {
			return fail("client_id in the body does not match the authenticated client")
		}
		return secret, true
	}
	// client_id in the body; public clients, Warhorn, Dressipi, client_secret_post.
	if hasAuthz {
		if s.cfg.auth == authNone || secret == "" {
			return fail("this client authenticates by client_id in the request body only; do not send an Authorization header")
		}
		return fail("this server accepts client credentials only in the request body (client_secret_post), not in an Authorization header")
	}
	switch {
	case f.Get("client_id") == "":
		return fail("client_id is missing")
	case f.Get("client_id") != id:
		return fail("unknown client_id")
	}
	if s.cfg.auth == authNone || secret == "" {
		if f.Has("client_secret") {
			return fail("this client is public and has no client secret")
		}
		return "", true
	}
	switch {
	case f.Get("client_secret") == "":
		return fail("client_secret is missing (this is a confidential client)")
	case !secretEqual(f.Get("client_secret"), secret):
		return fail("client authentication failed")
	}
	return secret, true
}

func s256(verifier string) string {
	sum := sha256.Sum256([]byte(verifier))
	return b64(sum[:])
}

func (s *Server) grantCode(c *call, cg *codeGrant, reused bool) {
	if _, ok := s.authenticate(c, false); !ok {
		return
	}
	f := c.form
	bad := func(code, desc string) { s.oauthError(c, http.StatusBadRequest, code, desc) }
	s.mu.Lock()
	now := s.now()
	s.mu.Unlock()
	switch {
	case f.Get("code") == "":
		bad("invalid_request", "code is missing")
	case cg == nil:
		bad("invalid_grant", "the authorization code is invalid")
	case reused:
		bad("invalid_grant", "the authorization code was already used; start the authorization over")
	case !now.Before(cg.issued.Add(s.cfg.codeTTL)):
		bad("invalid_grant", "the authorization code has expired; start the authorization over")
	case f.Get("redirect_uri") == "":
		bad("invalid_request", "redirect_uri is missing")
	case f.Get("redirect_uri") != cg.redirectURI:
		bad("invalid_grant", "redirect_uri does not match the one in the authorization request")
	case cg.challenge == "" && f.Has("code_verifier"):
		bad("invalid_request", "code_verifier sent, but the authorization request had no code_challenge")
	case cg.challenge != "" && f.Get("code_verifier") == "":
		bad("invalid_request", "code_verifier is missing (PKCE)")
	case cg.challenge != "" && !verifierRE().MatchString(f.Get("code_verifier")):
		bad("invalid_grant", "code_verifier is malformed (43-128 unreserved characters)")
	case cg.challenge != "" && s256(f.Get("code_verifier")) != cg.challenge:
		bad("invalid_grant", "code_verifier does not match the code_challenge")
	default:
		s.mu.Lock()
		refresh := s.cfg.issueRefresh && (!s.cfg.offlineNeedsConsent || slices.Contains(strings.Fields(cg.scope), "offline_access"))
		m := s.issueLocked(cg.clientID, cg.scope, cg.nonce, cg.family, refresh, s.cfg.kind != kindDressipi, 0)
		s.mu.Unlock()
		s.respondToken(c, m)
	}
}

func (s *Server) grantRefresh(c *call) {
	if _, ok := s.authenticate(c, false); !ok {
		return
	}
	f := c.form
	bad := func(code, desc string) { s.oauthError(c, http.StatusBadRequest, code, desc) }
	if f.Get("refresh_token") == "" {
		bad("invalid_request", "refresh_token is missing")
		return
	}
	if s.cfg.kind == kindDressipi {
		switch f.Get("redirect_uri") {
		case "":
			bad("invalid_request", "redirect_uri is missing (it must be "+OOBAuto+")")
			return
		case OOBAuto:
		default:
			bad("invalid_request", "redirect_uri must be "+OOBAuto)
			return
		}
	}
	m, code, desc := s.refreshLocked(f)
	if code != "" {
		bad(code, desc)
		return
	}
	s.respondToken(c, m)
}

func (s *Server) refreshLocked(f url.Values) (map[string]any, string, string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.tokens[f.Get("refresh_token")]
	now := s.now()
	switch {
	case !ok || !t.refresh:
		return nil, "invalid_grant", "the refresh token is invalid"
	case t.revoked:
		return nil, "invalid_grant", "the refresh token was revoked"
	case t.used:
		return nil, "invalid_grant", "the refresh token was already used (refresh tokens rotate)"
	case !t.expires.IsZero() && !now.Before(t.expires):
		return nil, "invalid_grant", "the refresh token has expired"
	case t.clientID != s.cfg.clientID:
		return nil, "invalid_grant", "the refresh token was issued to another client"
	}
	scope := t.scope
	if f.Has("scope") {
		if !subset(f.Get("scope"), t.scope) {
			return nil, "invalid_scope", "the requested scope exceeds the scope originally granted"
		}
		scope = f.Get("scope")
	}
	if s.cfg.rotate {
		t.used = true
	}
	return s.issueLocked(t.clientID, scope, "", t.family, s.cfg.rotate, s.cfg.kind == kindOIDC, 0), "", ""
}

func subset(req, granted string) bool {
	have := map[string]bool{}
	for _, p := range strings.Fields(granted) {
		have[p] = true
	}
	for _, p := range strings.Split(req, " ") {
		if p == "" || !have[p] {
			return false
		}
	}
	return true
}

func (s *Server) grantClientCredentials(c *call) {
	app := s.cfg.kind == kindWarhorn
	secret, ok := s.authenticate(c, app)
	if !ok {
		return
	}
	if secret == "" {
		s.oauthError(c, http.StatusBadRequest, "unauthorized_client", "client_credentials needs a confidential client")
		return
	}
	scope := c.form.Get("scope")
	if msg, ok := s.validateScope(scope); !ok {
		s.oauthError(c, http.StatusBadRequest, "invalid_scope", msg)
		return
	}
	id := s.cfg.clientID
	if app {
		id = s.cfg.appClientID
	}
	s.mu.Lock()
	m := s.issueLocked(id, scope, "", s.newFamilyLocked(), false, false, 0)
	s.mu.Unlock()
	s.respondToken(c, m)
}

func hasScope(scope, want string) bool {
	for _, p := range strings.Fields(scope) {
		if p == want {
			return true
		}
	}
	return false
}

// issueLocked mints tokens; s.mu must be held.
func (s *Server) issueLocked(clientID, scope, nonce, family string, withRefresh, withID bool, ttl time.Duration) map[string]any {
	now := s.now()
	if ttl <= 0 {
		ttl = s.cfg.accessTTL
	}
	var expires time.Time
	if ttl > 0 {
		expires = now.Add(ttl)
	}
	var access string
	switch s.cfg.accessJWT {
	case "HS256":
		access = signHS256(s.hsKey, map[string]any{"exp": expires.Unix(), "iat": now.Unix(), "sub": s.cfg.subject, "jti": randToken(9)})
	case "RS256":
		access = signRS256(map[string]any{
			"iss": s.URL, "sub": s.cfg.subject, "aud": clientID, "client_id": clientID,
			"exp": expires.Unix(), "iat": now.Unix(), "scope": scope, "jti": randToken(9),
		})
	default:
		access = randToken(24)
	}
	s.tokens[access] = &tokenInfo{clientID: clientID, scope: scope, expires: expires, family: family}
	m := map[string]any{"access_token": access, "token_type": s.cfg.tokenType}
	if s.cfg.expiresIn && ttl > 0 {
		m["expires_in"] = int(ttl / time.Second)
	}
	if withRefresh {
		rt := randToken(32)
		var rexp time.Time
		if s.cfg.refreshTTL > 0 {
			rexp = now.Add(s.cfg.refreshTTL)
		}
		s.tokens[rt] = &tokenInfo{refresh: true, clientID: clientID, scope: scope, expires: rexp, family: family}
		m["refresh_token"] = rt
	}
	if withID && hasScope(scope, "openid") {
		claims := map[string]any{"iss": s.URL, "sub": s.cfg.subject, "aud": clientID, "exp": now.Add(time.Hour).Unix(), "iat": now.Unix()}
		if nonce != "" {
			claims["nonce"] = nonce
		}
		m["id_token"] = signRS256(claims)
	}
	if s.cfg.kind == kindOIDC && scope != "" {
		m["scope"] = scope
	}
	return m
}

func (s *Server) respondToken(c *call, m map[string]any) {
	s.mu.Lock()
	edit := s.edit
	s.mu.Unlock()
	if edit != nil {
		edit(m)
	}
	s.writeJSON(c, http.StatusOK, m, true)
}

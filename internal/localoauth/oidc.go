package localoauth

import (
	"crypto/rand"
	"errors"
	"math/big"
	"net/http"
	"strings"
	"time"
)

func (s *Server) getOnly(c *call) bool {
	if c.r.Method != http.MethodGet && c.r.Method != http.MethodHead {
		c.w.Header().Set("Allow", "GET, HEAD")
		s.oauthError(c, http.StatusMethodNotAllowed, "invalid_request", "this endpoint accepts only GET")
		return false
	}
	return true
}

func (s *Server) authMethod() string {
	switch {
	case s.cfg.clientSecret == "":
		return "none"
	case s.cfg.auth == authBasic:
		return "client_secret_basic"
	default:
		return "client_secret_post"
	}
}

func (s *Server) handleDiscovery(c *call) {
	if !s.getOnly(c) {
		return
	}
	grants := []string{"authorization_code", "refresh_token"}
	if s.cfg.clientCredentials {
		grants = append(grants, "client_credentials")
	}
	if s.cfg.device {
		grants = append(grants, deviceGrantType)
	}
	doc := map[string]any{
		"issuer":                                s.URL,
		"authorization_endpoint":                s.URL + "/authorize",
		"token_endpoint":                        s.URL + "/token",
		"jwks_uri":                              s.URL + "/jwks",
		"userinfo_endpoint":                     s.URL + "/userinfo",
		"response_types_supported":              []string{"code"},
		"response_modes_supported":              []string{"query"},
		"grant_types_supported":                 grants,
		"subject_types_supported":               []string{"public"},
		"id_token_signing_alg_values_supported": []string{"RS256"},
		"code_challenge_methods_supported":      []string{"S256"},
		"token_endpoint_auth_methods_supported": []string{s.authMethod()},
		"scopes_supported":                      []string{"openid", "profile", "email", "offline_access"},
		"claims_supported":                      []string{"iss", "sub", "aud", "exp", "iat", "nonce"},
	}
	if s.cfg.revocation {
		doc["revocation_endpoint"] = s.URL + "/revoke"
		doc["revocation_endpoint_auth_methods_supported"] = []string{s.authMethod()}
	}
	if s.cfg.device {
		doc["device_authorization_endpoint"] = s.URL + "/device"
	}
	s.writeJSON(c, http.StatusOK, doc, false)
}

func (s *Server) handleJWKS(c *call) {
	if s.getOnly(c) {
		s.writeJSON(c, http.StatusOK, jwks(), false)
	}
}

func (s *Server) handleUserinfo(c *call) {
	tok, ok := strings.CutPrefix(c.r.Header.Get("Authorization"), "Bearer ")
	if !ok || !s.ValidAccessToken(tok) {
		c.w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
		s.oauthError(c, http.StatusUnauthorized, "invalid_token", "the access token is missing, invalid, expired or revoked")
		return
	}
	s.writeJSON(c, http.StatusOK, map[string]any{"sub": s.cfg.subject, "name": "Demo User", "email": "demo@example.invalid"}, true)
}

// handleRevoke implements RFC 7009.
func (s *Server) handleRevoke(c *call) {
	if !s.postForm(c) {
		return
	}
	if _, ok := s.authenticate(c, false); !ok {
		return
	}
	tok := c.form.Get("token")
	if tok == "" {
		s.oauthError(c, http.StatusBadRequest, "invalid_request", "token is missing")
		return
	}
	switch c.form.Get("token_type_hint") {
	case "", "access_token", "refresh_token":
	default:
		s.oauthError(c, http.StatusBadRequest, "unsupported_token_type", "token_type_hint must be access_token or refresh_token")
		return
	}
	s.mu.Lock()
	if t, ok := s.tokens[tok]; ok && t.clientID == s.cfg.clientID {
		s.revokeLocked(tok)
	}
	s.mu.Unlock()
	c.status = http.StatusOK
	c.w.Header().Set("Cache-Control", "no-store")
	c.w.WriteHeader(http.StatusOK)
}

const userCodeAlphabet = "BCDFGHJKLMNPQRSTVWXZ"

func newUserCode() string {
	var b strings.Builder
	for i := 0; i < 8; i++ {
		if i == 4 {
			b.WriteByte('-')
		}
		n, _ := rand.Int(rand.Reader, big.NewInt(int64(len(userCodeAlphabet))))
		b.WriteByte(userCodeAlphabet[n.Int64()])
	}
	return b.String()
}

func normUserCode(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '-' || r == ' ' {
			return -1
		}
		if r >= 'a' && r <= 'z' {
			return r - 'a' + 'A'
		}
		return r
	}, s)
}

// handleDeviceAuth implements RFC 8628 §3.1-3.2.
func (s *Server) handleDeviceAuth(c *call) {
	if !s.postForm(c) {
		return
	}
	if _, ok := s.authenticate(c, false); !ok {
		return
	}
	scope := c.form.Get("scope")
	if msg, ok := s.validateScope(scope); !ok {
		s.oauthError(c, http.StatusBadRequest, "invalid_scope", msg)
		return
	}
	s.mu.Lock()
	d := &deviceGrant{
		deviceCode: randToken(32), userCode: newUserCode(), clientID: s.cfg.clientID, scope: scope,
		expires: s.now().Add(s.cfg.deviceTTL), interval: time.Duration(s.cfg.deviceInterval) * time.Second,
	}
	s.devices[d.deviceCode] = d
	s.users[normUserCode(d.userCode)] = d.deviceCode
	s.mu.Unlock()
	s.writeJSON(c, http.StatusOK, map[string]any{
		"device_code":               d.deviceCode,
		"user_code":                 d.userCode,
		"verification_uri":          s.URL + "/device/verify",
		"verification_uri_complete": s.URL + "/device/verify?user_code=" + d.userCode,
		"expires_in":                int(s.cfg.deviceTTL / time.Second),
		"interval":                  s.cfg.deviceInterval,
	}, true)
}

// grantDevice implements RFC 8628 §3.4-3.5.
func (s *Server) grantDevice(c *call) {
	if _, ok := s.authenticate(c, false); !ok {
		return
	}
	dc := c.form.Get("device_code")
	if dc == "" {
		s.oauthError(c, http.StatusBadRequest, "invalid_request", "device_code is missing")
		return
	}
	m, code, desc := s.pollLocked(dc)
	if code != "" {
		s.oauthError(c, http.StatusBadRequest, code, desc)
		return
	}
	s.respondToken(c, m)
}

func (s *Server) pollLocked(dc string) (map[string]any, string, string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	d, ok := s.devices[dc]
	now := s.now()
	switch {
	case !ok || d.clientID != s.cfg.clientID:
		return nil, "invalid_grant", "the device code is invalid"
	case d.status == devDone:
		return nil, "invalid_grant", "the device code was already used"
	case !now.Before(d.expires):
		return nil, "expired_token", "the device code has expired; start over"
	}
	last := d.lastPoll
	d.lastPoll = now
	if !last.IsZero() && now.Sub(last) < d.interval {
		d.interval += 5 * time.Second
		return nil, "slow_down", "polling too fast; wait the interval (now increased by 5 s) between requests"
	}
	switch d.status {
	case devPending:
		return nil, "authorization_pending", "the user has not approved yet"
	case devDenied:
		d.status = devDone
		return nil, "access_denied", "the user denied the request"
	}
	d.status = devDone
	return s.issueLocked(d.clientID, d.scope, "", s.newFamilyLocked(), true, true, 0), "", ""
}

// ErrUnknownUserCode is returned by ApproveDevice/DenyDevice for a user code
// that does not exist, has expired or was already decided.
var ErrUnknownUserCode = errors.New("localoauth: unknown, expired or already used user code")

func (s *Server) decideDevice(userCode string, approve bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	d, ok := s.devices[s.users[normUserCode(userCode)]]
	if !ok || d.status != devPending || !s.now().Before(d.expires) {
		return ErrUnknownUserCode
	}
	if approve {
		d.status = devApproved
	} else {
		d.status = devDenied
	}
	return nil
}

// ApproveDevice is the user entering userCode on another device and
// approving (case and dashes do not matter, RFC 8628 §6.1).
func (s *Server) ApproveDevice(userCode string) error { return s.decideDevice(userCode, true) }

// DenyDevice is the user entering userCode and denying.
func (s *Server) DenyDevice(userCode string) error { return s.decideDevice(userCode, false) }

// LastUserCode returns the user code of the most recent device authorization
// ("" if none), for tests and the demo.
func (s *Server) LastUserCode() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var last *deviceGrant
	for _, d := range s.devices {
		if last == nil || d.expires.After(last.expires) {
			last = d
		}
	}
	if last == nil {
		return ""
	}
	return last.userCode
}

func (s *Server) handleDeviceVerify(c *call) {
	page := func(status int, title, msg string, form bool, code string) {
		s.html(c, status, devicePage, map[string]any{"Name": s.cfg.name, "Title": title, "Message": msg, "Form": form, "UserCode": code})
	}
	switch c.r.Method {
	case http.MethodGet:
		q := c.r.URL.Query()
		if !s.noRepeats(c, q) {
			return
		}
		page(http.StatusOK, "Connect a device", "", true, q.Get("user_code"))
	case http.MethodPost:
		if !s.postForm(c) {
			return
		}
		dec := c.form.Get("decision")
		if dec != "approve" && dec != "deny" {
			s.oauthError(c, http.StatusBadRequest, "invalid_request", "decision must be approve or deny")
			return
		}
		if err := s.decideDevice(c.form.Get("user_code"), dec == "approve"); err != nil {
			if s.cfg.demo {
				page(http.StatusBadRequest, "That code did not work", "The code is unknown, expired or already used. Check it and try again.", true, "")
				c.errc = "invalid_request"
				return
			}
			s.oauthError(c, http.StatusBadRequest, "invalid_request", "unknown, expired or already used user code")
			return
		}
		if dec == "approve" {
			page(http.StatusOK, "Device connected", "You can return to your device.", false, "")
		} else {
			page(http.StatusOK, "Request denied", "The device was not given access.", false, "")
		}
	default:
		c.w.Header().Set("Allow", "GET, POST")
		s.oauthError(c, http.StatusMethodNotAllowed, "invalid_request", "use GET or POST")
	}
}

package localoauth

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"time"
)

type authReq struct {
	clientID, redirectURI, scope, state, nonce, challenge string
}

var challengeRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z0-9_-]{43}$`) }) // compiled on first use, not at start-up

// redirectAllowed is exact string matching, except that a registered
// loopback-IP http URI matches any port (RFC 8252 §7.3) on OIDC servers.
func (s *Server) redirectAllowed(uri string) bool {
	for _, r := range s.cfg.redirectURIs {
		if uri == r {
			return true
		}
		if !s.cfg.loopbackAnyPort {
			continue
		}
		a, err1 := url.Parse(r)
		b, err2 := url.Parse(uri)
		if err1 != nil || err2 != nil || a.Scheme != "http" || b.Scheme != "http" {
			continue
		}
		ip := net.ParseIP(a.Hostname())
		if ip == nil || !ip.IsLoopback() || a.Hostname() != b.Hostname() {
			continue
		}
		if a.Path == b.Path && a.RawQuery == b.RawQuery && a.Fragment == "" && b.Fragment == "" && a.User == nil && b.User == nil {
			return true
		}
	}
	return false
}

func withoutScope(scope, drop string) string {
	var keep []string
	for _, p := range strings.Fields(scope) {
		if p != drop {
			keep = append(keep, p)
		}
	}
	return strings.Join(keep, " ")
}

// validateScope checks a space-delimited scope list.
func (s *Server) validateScope(scope string) (string, bool) {
	if scope == "" {
		return "", true
	}
	for _, p := range strings.Split(scope, " ") {
		if p == "" {
			return "the scope is malformed (empty element)", false
		}
		if s.cfg.allowedScopes != nil && !s.cfg.allowedScopes[p] {
			return fmt.Sprintf("unknown scope %q", p), false
		}
	}
	return "", true
}

func (s *Server) validateAuthorize(c *call, p url.Values) (*authReq, bool) {
	if !s.noRepeats(c, p) {
		return nil, false
	}
	bad := func(code, desc string) (*authReq, bool) {
		s.oauthError(c, http.StatusBadRequest, code, desc)
		return nil, false
	}
	a := &authReq{
		clientID: p.Get("client_id"), redirectURI: p.Get("redirect_uri"), scope: p.Get("scope"),
		state: p.Get("state"), nonce: p.Get("nonce"), challenge: p.Get("code_challenge"),
	}
	switch {
	case a.clientID == "":
		return bad("invalid_request", "client_id is missing")
	case a.clientID != s.cfg.clientID:
		return bad("invalid_request", "unknown client_id")
	case a.redirectURI == "":
		return bad("invalid_request", "redirect_uri is missing")
	case !s.redirectAllowed(a.redirectURI):
		return bad("invalid_request", "redirect_uri is not registered for this client")
	case p.Get("response_type") == "":
		return bad("invalid_request", "response_type is missing")
	case p.Get("response_type") != "code":
		return bad("unsupported_response_type", "only response_type=code is supported")
	case s.cfg.requireScope && a.scope == "":
		return bad("invalid_request", "scope is missing")
	}
	if msg, ok := s.validateScope(a.scope); !ok {
		return bad("invalid_scope", msg)
	}
	if s.cfg.offlineNeedsConsent && p.Get("prompt") != "consent" {
		// OpenID Connect Core §11: without prompt=consent the server
		// ignores offline_access (and issues no refresh token).
		a.scope = withoutScope(a.scope, "offline_access")
	}
	if s.cfg.requireState && a.state == "" {
		return bad("invalid_request", "state is required")
	}
	method := p.Get("code_challenge_method")
	switch {
	case a.challenge == "" && method != "":
		return bad("invalid_request", "code_challenge_method without code_challenge")
	case a.challenge == "" && s.cfg.pkceRequired:
		return bad("invalid_request", "PKCE is required: send code_challenge and code_challenge_method=S256")
	case a.challenge != "" && method != "S256":
		return bad("invalid_request", "code_challenge_method must be S256")
	case a.challenge != "" && !challengeRE().MatchString(a.challenge):
		return bad("invalid_request", "code_challenge must be 43 characters of base64url without padding")
	}
	return a, true
}

func (s *Server) handleAuthorize(c *call) {
	if !s.checkAPIKey(c) {
		return
	}
	switch c.r.Method {
	case http.MethodGet:
		a, ok := s.validateAuthorize(c, c.r.URL.Query())
		if !ok {
			return
		}
		s.renderConsent(c, a, c.r.URL.Query())
	case http.MethodPost:
		if c.r.URL.RawQuery != "" || !c.isForm {
			s.oauthError(c, http.StatusBadRequest, "invalid_request", "the consent form must be posted as application/x-www-form-urlencoded")
			return
		}
		decision := c.form.Get("decision")
		p := cloneValues(c.form)
		p.Del("decision")
		a, ok := s.validateAuthorize(c, p)
		if !ok {
			return
		}
		switch decision {
		case "approve":
			code := s.issueCode(a)
			if isOOB(a.redirectURI) {
				s.renderResult(c, "Authorization code", code, "")
				return
			}
			s.redirect(c, a.redirectURI, "code", code, "state", a.state)
		case "deny":
			desc := "The user denied the request."
			if isOOB(a.redirectURI) {
				s.renderResult(c, "Authorization denied", "access_denied", desc)
				return
			}
			s.redirect(c, a.redirectURI, "error", "access_denied", "error_description", desc, "state", a.state)
		default:
			s.oauthError(c, http.StatusBadRequest, "invalid_request", "decision must be approve or deny")
		}
	default:
		c.w.Header().Set("Allow", "GET, POST")
		s.oauthError(c, http.StatusMethodNotAllowed, "invalid_request", "use GET (or POST from the consent page)")
	}
}

func isOOB(uri string) bool { return uri == OOB || uri == OOBAuto }

func (s *Server) redirect(c *call, base string, kv ...string) {
	u, err := url.Parse(base)
	if err != nil {
		s.oauthError(c, http.StatusBadRequest, "invalid_request", "redirect_uri does not parse")
		return
	}
	q := u.Query()
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] != "" {
			q.Set(kv[i], kv[i+1])
		}
	}
	u.RawQuery = q.Encode()
	c.w.Header().Set("Location", u.String())
	c.w.Header().Set("Cache-Control", "no-store")
	c.status = http.StatusFound
	c.w.WriteHeader(http.StatusFound)
}

func (s *Server) issueCode(a *authReq) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	code := randToken(18)
	s.codes[code] = &codeGrant{
		clientID: a.clientID, redirectURI: a.redirectURI, scope: a.scope, nonce: a.nonce,
		challenge: a.challenge, issued: s.now(), family: s.newFamilyLocked(),
	}
	return code
}

func (s *Server) newFamilyLocked() string {
	s.families++
	return fmt.Sprintf("grant-%d", s.families)
}

// Approve plays the user's browser and consent over real HTTP: it GETs
// authURL (which must point at this server's authorization endpoint; the
// server validates it exactly as the provider would, sending x-api-key on
// Dressipi as the customer's page does), then posts "Approve". It returns what
// the user would paste: the URL the browser lands on (code and state in the
// query, not followed), or for an OOB redirect URI the page text
// "Authorization code: <code>". A refused request returns an error carrying
// the server's error code and description.
func (s *Server) Approve(authURL string) (string, error) { return s.browse(authURL, "approve") }

// Deny is Approve with the user pressing "Deny": the redirect URL carries
// error=access_denied&error_description=...&state=...; for an OOB redirect
// URI it returns the page text "Authorization denied: access_denied".
func (s *Server) Deny(authURL string) (string, error) { return s.browse(authURL, "deny") }

// AuthorizeError is returned by Approve/Deny when the server refused the
// authorization request.
type AuthorizeError struct {
	Status      int
	Code        string
	Description string
}

func (e *AuthorizeError) Error() string {
	return fmt.Sprintf("localoauth: authorization request refused (%d %s): %s", e.Status, e.Code, e.Description)
}

func (s *Server) browse(authURL, decision string) (string, error) {
	u, err := url.Parse(authURL)
	if err != nil || u.Scheme+"://"+u.Host != s.URL || u.Path != s.cfg.authorizePath {
		return "", errNotHere
	}
	client := &http.Client{
		Timeout:       10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	do := func(req *http.Request) (*http.Response, []byte, error) {
		if s.cfg.apiKey != "" {
			req.Header.Set("x-api-key", s.cfg.apiKey)
		}
		resp, err := client.Do(req)
		if err != nil {
			return nil, nil, err
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
		return resp, b, err
	}
	refused := func(resp *http.Response, b []byte) error {
		var e struct {
			Error       string `json:"error"`
			Description string `json:"error_description"`
		}
		json.Unmarshal(b, &e)
		return &AuthorizeError{Status: resp.StatusCode, Code: e.Error, Description: e.Description}
	}
	req, _ := http.NewRequest(http.MethodGet, authURL, nil)
	resp, body, err := do(req)
	if err != nil {
		return "", err
	}
	if resp.StatusCode != http.StatusOK {
		return "", refused(resp, body)
	}
	form := u.Query()
	form.Set("decision", decision)
	req, _ = http.NewRequest(http.MethodPost, s.URL+s.cfg.authorizePath, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, body, err = do(req)
	if err != nil {
		return "", err
	}
	switch resp.StatusCode {
	case http.StatusFound:
		return resp.Header.Get("Location"), nil
	case http.StatusOK:
		if v, ok := between(string(body), `<code id="result">`, `</code>`); ok {
			label, _ := between(string(body), `<h1>`, `</h1>`)
			return label + ": " + v, nil
		}
		return "", fmt.Errorf("localoauth: unexpected consent result page")
	default:
		return "", refused(resp, body)
	}
}

func between(s, a, b string) (string, bool) {
	i := strings.Index(s, a)
	if i < 0 {
		return "", false
	}
	s = s[i+len(a):]
	j := strings.Index(s, b)
	if j < 0 {
		return "", false
	}
	return s[:j], true
}

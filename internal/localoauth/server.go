package localoauth

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"sync"
	"time"
)

const maxBody = 1 << 20

type kind int

const (
	kindWarhorn kind = iota
	kindDressipi
	kindOIDC
)

// clientAuth is how a server wants clients to authenticate at the token endpoint.
type clientAuth int

const (
	authPost  clientAuth = iota // client_id (+ client_secret) in the body; Basic refused
	authBasic                   // client_secret_basic; a secret in the body is refused
	authNone                    // client_id only (Dressipi)
)

type config struct {
	kind          kind
	name          string
	authorizePath string
	tokenPath     string

	clientID, clientSecret       string
	appClientID, appClientSecret string // Warhorn client_credentials
	redirectURIs                 []string
	loopbackAnyPort              bool
	requireState                 bool
	requireScope                 bool
	allowedScopes                map[string]bool // nil = any
	pkceRequired                 bool
	apiKey                       string
	auth                         clientAuth

	codeTTL, accessTTL, refreshTTL time.Duration
	issueRefresh, rotate           bool
	// offlineNeedsConsent: a refresh token only for a grant whose scope
	// kept offline_access, which needs prompt=consent (OIDC Core §11).
	offlineNeedsConsent      bool
	tokenType                string
	accessJWT                string // "", "HS256", "RS256"
	expiresIn                bool
	cacheControl             string
	clientCredentials        bool
	revocation, device, demo bool
	deviceInterval           int
	deviceTTL                time.Duration
	subject                  string
}

type codeGrant struct {
	clientID, redirectURI, scope, nonce, challenge string
	issued                                         time.Time
	used                                           bool
	family                                         string
}

type tokenInfo struct {
	refresh  bool
	clientID string
	scope    string
	nonce    string
	expires  time.Time // zero = never
	revoked  bool
	used     bool // a rotated refresh token
	family   string
}

const (
	devPending = iota
	devApproved
	devDenied
	devDone
)

type deviceGrant struct {
	deviceCode, userCode, clientID, scope string
	expires                               time.Time
	interval                              time.Duration
	lastPoll                              time.Time
	status                                int
}

// Server is one running provider emulation on 127.0.0.1.
type Server struct {
	URL string // http://127.0.0.1:PORT, no trailing slash

	cfg     config
	srv     *http.Server
	ln      net.Listener
	closing chan struct{}
	once    sync.Once
	hsKey   []byte
	control bool

	mu       sync.Mutex
	now      func() time.Time
	reqs     []Recorded
	fail     *Failure
	codes    map[string]*codeGrant
	tokens   map[string]*tokenInfo
	devices  map[string]*deviceGrant // by device code
	users    map[string]string       // normalised user code -> device code
	edit     func(map[string]any)
	families int
}

func newServer(cfg config, addr string) (*Server, error) {
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("localoauth: bad listen address %q: %v", addr, err)
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return nil, fmt.Errorf("localoauth: listen address %q is not a loopback IP", addr)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("localoauth: %v", err)
	}
	s := &Server{
		URL:     "http://" + ln.Addr().String(),
		cfg:     cfg,
		ln:      ln,
		closing: make(chan struct{}),
		hsKey:   []byte(randToken(32)),
		now:     time.Now,
		codes:   map[string]*codeGrant{},
		tokens:  map[string]*tokenInfo{},
		devices: map[string]*deviceGrant{},
		users:   map[string]string{},
	}
	if _, err := signingKey(); err != nil {
		ln.Close()
		return nil, err
	}
	s.srv = &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	go s.srv.Serve(ln)
	return s, nil
}

func must(s *Server, err error) *Server {
	if err != nil {
		panic(err)
	}
	return s
}

// Close stops the server, also cutting stalled (Failure.Delay) requests short.
func (s *Server) Close() {
	s.once.Do(func() {
		close(s.closing)
		s.srv.Close()
		// http.Server.Close misses a listener that Serve (started in its
		// own goroutine) has not registered yet: close it too, so the port
		// is free when Close returns.
		s.ln.Close()
	})
}

// Count is how many HTTP requests arrived at path (e.g. "/oauth/token").
func (s *Server) Count(path string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, r := range s.reqs {
		if r.Path == path {
			n++
		}
	}
	return n
}

// Requests returns a copy of every request received so far.
func (s *Server) Requests() []Recorded {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Recorded, len(s.reqs))
	for i, r := range s.reqs {
		r.Header = r.Header.Clone()
		r.Query = cloneValues(r.Query)
		r.Form = cloneValues(r.Form)
		out[i] = r
	}
	return out
}

// SetNow sets the clock used for expiry of codes, tokens and device codes
// and for the device flow's polling interval (default time.Now).
func (s *Server) SetNow(f func() time.Time) {
	if f == nil {
		f = time.Now
	}
	s.mu.Lock()
	s.now = f
	s.mu.Unlock()
}

// RevokeAll invalidates every refresh and access token issued so far, so the
// next refresh fails with invalid_grant.
func (s *Server) RevokeAll() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, t := range s.tokens {
		t.revoked = true
	}
}

// Revoke invalidates one token (access or refresh); revoking a refresh token
// also revokes the access tokens of its grant.
func (s *Server) Revoke(token string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.revokeLocked(token)
}

func (s *Server) revokeLocked(token string) {
	t, ok := s.tokens[token]
	if !ok {
		return
	}
	t.revoked = true
	if t.refresh {
		for _, o := range s.tokens {
			if o.family == t.family && !o.refresh {
				o.revoked = true
			}
		}
	}
}

// SetFail makes the next f.Count requests to f.Path (default: the token
// endpoint) fail or stall; see Failure.
func (s *Server) SetFail(f Failure) {
	if f.Count <= 0 {
		f.Count = 1
	}
	if f.Path == "" {
		f.Path = s.cfg.tokenPath
	}
	s.mu.Lock()
	s.fail = &f
	s.mu.Unlock()
}

// EditTokenResponse installs a hook that may change every successful token
// response's JSON object before it is sent (e.g. m["expires_in"] = "3600").
// nil removes it.
func (s *Server) EditTokenResponse(f func(m map[string]any)) {
	s.mu.Lock()
	s.edit = f
	s.mu.Unlock()
}

// ValidAccessToken says whether tok is an access token this server issued
// that is neither revoked nor expired.
func (s *Server) ValidAccessToken(tok string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.tokens[tok]
	return ok && !t.refresh && !t.revoked && (t.expires.IsZero() || s.now().Before(t.expires))
}

// ValidRefreshToken says whether tok is a refresh token that would be accepted now.
func (s *Server) ValidRefreshToken(tok string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.tokens[tok]
	return ok && t.refresh && !t.revoked && !t.used && (t.expires.IsZero() || s.now().Before(t.expires))
}

// MintTokens issues tokens for the configured user client directly, as a
// successful authorization-code exchange with scope would (no HTTP), for
// seeding sample accounts. accessTTL 0 means the server's default.
func (s *Server) MintTokens(scope string, accessTTL time.Duration) (Tokens, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.issueLocked(s.cfg.clientID, scope, "", s.newFamilyLocked(), s.cfg.issueRefresh, s.cfg.kind != kindDressipi, accessTTL)
	t := Tokens{TokenType: s.cfg.tokenType, Scope: scope}
	t.AccessToken, _ = m["access_token"].(string)
	t.RefreshToken, _ = m["refresh_token"].(string)
	t.IDToken, _ = m["id_token"].(string)
	if n, ok := m["expires_in"].(int); ok {
		t.ExpiresIn = n
		t.Expiry = s.now().Add(time.Duration(n) * time.Second)
	}
	return t, nil
}

func cloneValues(v url.Values) url.Values {
	if v == nil {
		return nil
	}
	out := make(url.Values, len(v))
	for k, vs := range v {
		out[k] = append([]string(nil), vs...)
	}
	return out
}

func randToken(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// call is one request being handled.
type call struct {
	w      http.ResponseWriter
	r      *http.Request
	form   url.Values // body form (nil unless the body is form-encoded and parses)
	isForm bool
	// badForm: form-encoded but does not parse; tooBig: body over 1 MiB
	badForm, tooBig bool
	idx             int // index in s.reqs
	status          int
	errc            string
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	c := &call{w: w, r: r, status: http.StatusOK}
	if len(body) > maxBody {
		body, c.tooBig = body[:maxBody], true
	}
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt == "application/x-www-form-urlencoded" && !c.tooBig {
		f, err := url.ParseQuery(string(body))
		c.form, c.isForm, c.badForm = f, err == nil, err != nil
		if err != nil {
			c.form = nil
		}
	}
	if strings.HasPrefix(r.URL.Path, "/_localoauth/") && s.control {
		s.handleControl(c)
		return
	}
	s.mu.Lock()
	c.idx = len(s.reqs)
	s.reqs = append(s.reqs, Recorded{
		Time: s.now(), Method: r.Method, Path: r.URL.Path, Query: cloneValues(r.URL.Query()),
		Header: r.Header.Clone(), Form: cloneValues(c.form), Body: string(body),
	})
	var fail *Failure
	if s.fail != nil && s.fail.Path == r.URL.Path {
		f := *s.fail
		fail = &f
		if s.fail.Count--; s.fail.Count <= 0 {
			s.fail = nil
		}
		if r.URL.Path == s.cfg.tokenPath && c.form != nil && c.form.Get("code") != "" {
			if cg, ok := s.codes[c.form.Get("code")]; ok {
				cg.used = true // a failed attempt burns the code
			}
		}
	}
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.reqs[c.idx].Status, s.reqs[c.idx].Error = c.status, c.errc
		s.mu.Unlock()
	}()

	if fail != nil && fail.Late {
		s.answerLate(c, fail.Delay)
		return
	}
	if fail != nil {
		if fail.Delay > 0 {
			t := time.NewTimer(fail.Delay)
			select {
			case <-t.C:
			case <-r.Context().Done():
				t.Stop()
				return
			case <-s.closing:
				t.Stop()
				return
			}
		}
		if fail.Status != 0 || fail.Body != "" {
			st := fail.Status
			if st == 0 {
				st = http.StatusInternalServerError
			}
			if fail.ContentType != "" {
				w.Header().Set("Content-Type", fail.ContentType)
			}
			c.status = st
			w.WriteHeader(st)
			io.WriteString(w, fail.Body)
			return
		}
	}
	s.route(c)
}

// answerLate handles c now and holds the answer for d (Failure.Late).
func (s *Server) answerLate(c *call, d time.Duration) {
	w, held := c.w, &heldAnswer{h: http.Header{}, code: http.StatusOK}
	c.w = held
	s.route(c)
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-c.r.Context().Done():
		return
	case <-s.closing:
		return
	}
	for k, v := range held.h {
		w.Header()[k] = v
	}
	w.WriteHeader(held.code)
	w.Write(held.body.Bytes())
}

// heldAnswer is an answer written but not sent yet (answerLate).
type heldAnswer struct {
	h    http.Header
	code int
	body bytes.Buffer
}

func (a *heldAnswer) Header() http.Header         { return a.h }
func (a *heldAnswer) WriteHeader(code int)        { a.code = code }
func (a *heldAnswer) Write(b []byte) (int, error) { return a.body.Write(b) }

func (s *Server) route(c *call) {
	p := c.r.URL.Path
	switch {
	case p == s.cfg.authorizePath:
		s.handleAuthorize(c)
	case p == s.cfg.tokenPath:
		s.handleToken(c)
	case s.cfg.kind == kindOIDC && p == "/.well-known/openid-configuration":
		s.handleDiscovery(c)
	case s.cfg.kind == kindOIDC && p == "/jwks":
		s.handleJWKS(c)
	case s.cfg.kind == kindOIDC && p == "/userinfo":
		s.handleUserinfo(c)
	case s.cfg.kind == kindOIDC && s.cfg.revocation && p == "/revoke":
		s.handleRevoke(c)
	case s.cfg.kind == kindOIDC && s.cfg.device && p == "/device":
		s.handleDeviceAuth(c)
	case s.cfg.kind == kindOIDC && s.cfg.device && p == "/device/verify":
		s.handleDeviceVerify(c)
	default:
		s.oauthError(c, http.StatusNotFound, "invalid_request", "no such endpoint")
	}
}

// oauthError answers with an RFC 6749 §5.2 JSON error.
func (s *Server) oauthError(c *call, status int, code, desc string) {
	h := c.w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Pragma", "no-cache")
	if status == http.StatusUnauthorized {
		if strings.HasPrefix(c.r.Header.Get("Authorization"), "Basic ") || s.cfg.auth == authBasic {
			h.Set("WWW-Authenticate", `Basic realm="localoauth"`)
		}
	}
	c.status, c.errc = status, code
	c.w.WriteHeader(status)
	json.NewEncoder(c.w).Encode(map[string]string{"error": code, "error_description": desc})
}

func (s *Server) writeJSON(c *call, status int, v any, noStore bool) {
	h := c.w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	if noStore {
		cc := s.cfg.cacheControl
		if cc == "" {
			cc = "no-store"
		}
		h.Set("Cache-Control", cc)
		h.Set("Pragma", "no-cache")
	}
	c.status = status
	c.w.WriteHeader(status)
	json.NewEncoder(c.w).Encode(v)
}

// checkAPIKey enforces Dressipi's x-api-key on every call.
func (s *Server) checkAPIKey(c *call) bool {
	if s.cfg.apiKey == "" {
		return true
	}
	if c.r.Header.Get("x-api-key") != s.cfg.apiKey || len(c.r.Header.Values("x-api-key")) != 1 {
		s.oauthError(c, http.StatusUnauthorized, "invalid_client", "missing or wrong x-api-key header")
		return false
	}
	return true
}

// postForm checks what every form endpoint needs: POST, a form body, no
// query string, no repeated parameter.
func (s *Server) postForm(c *call) bool {
	if c.r.Method != http.MethodPost {
		c.w.Header().Set("Allow", "POST")
		s.oauthError(c, http.StatusMethodNotAllowed, "invalid_request", "this endpoint accepts only POST")
		return false
	}
	if c.r.URL.RawQuery != "" {
		s.oauthError(c, http.StatusBadRequest, "invalid_request", "parameters must be sent in the request body, not the query string")
		return false
	}
	if c.tooBig {
		s.oauthError(c, http.StatusRequestEntityTooLarge, "invalid_request", "the request body is larger than 1 MiB")
		return false
	}
	if c.badForm {
		s.oauthError(c, http.StatusBadRequest, "invalid_request", "the form body does not parse (bad percent-encoding)")
		return false
	}
	if !c.isForm {
		s.oauthError(c, http.StatusBadRequest, "invalid_request", "the request body must be application/x-www-form-urlencoded")
		return false
	}
	return s.noRepeats(c, c.form)
}

func (s *Server) noRepeats(c *call, v url.Values) bool {
	keys := make([]string, 0, len(v))
	for k := range v {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if len(v[k]) > 1 {
			s.oauthError(c, http.StatusBadRequest, "invalid_request", fmt.Sprintf("parameter %q was sent more than once", k))
			return false
		}
	}
	return true
}

// Serve blocks until ctx ends, then closes s. With the Addr option of the
// constructors (or the Start* variants) it runs a provider on a fixed
// 127.0.0.1 port, e.g. for `tokenring demo`.
func Serve(ctx context.Context, s *Server) error {
	select {
	case <-ctx.Done():
	case <-s.closing:
	}
	s.Close()
	return nil
}

var errNotHere = errors.New("localoauth: the authorization URL does not point at this server's authorization endpoint")

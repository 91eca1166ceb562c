package localoauth

import (
	"encoding/base64"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

const (
	oID     = "oidc-client"
	oSecret = "s3cr:t/+&=%"
	oCB     = "http://127.0.0.1/callback"
)

type clock struct{ t atomic.Int64 }

func newClock(s *Server) *clock {
	c := &clock{}
	c.t.Store(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).UnixNano())
	s.SetNow(func() time.Time { return time.Unix(0, c.t.Load()) })
	return c
}
func (c *clock) add(d time.Duration) { c.t.Add(int64(d)) }

func newO(t *testing.T, o OIDCOptions) *Server {
	if o.ClientID == "" {
		o.ClientID = oID
	}
	if o.RedirectURIs == nil {
		o.RedirectURIs = []string{oCB, OOB}
	}
	s := NewOIDC(o)
	t.Cleanup(s.Close)
	return s
}

func oAuth(s *Server, extra ...string) string {
	v := vals("response_type", "code", "client_id", oID, "redirect_uri", oCB, "scope", "openid profile offline_access",
		"state", "xyz", "nonce", "nn", "code_challenge", challenge(testVerifier), "code_challenge_method", "S256")
	for i := 0; i+1 < len(extra); i += 2 {
		if extra[i+1] == "" {
			v.Del(extra[i])
		} else {
			v.Set(extra[i], extra[i+1])
		}
	}
	return authURL(s, "/authorize", v)
}

func oCode(t *testing.T, s *Server, extra ...string) string {
	t.Helper()
	got, err := s.Approve(oAuth(s, extra...))
	if err != nil {
		t.Fatal(err)
	}
	return codeFrom(t, got)
}

// oForm builds a token request with client_secret_post credentials when secret != "".
func oForm(secret string, kv ...string) url.Values {
	v := vals("client_id", oID)
	if secret != "" {
		v.Set("client_secret", secret)
	}
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] == "" {
			v.Del(kv[i])
		} else {
			v.Set(kv[i], kv[i+1])
		}
	}
	return v
}

func codeForm(secret, code string, kv ...string) url.Values {
	return oForm(secret, append([]string{"grant_type", "authorization_code", "code", code, "redirect_uri", oCB, "code_verifier", testVerifier}, kv...)...)
}

func TestOIDCDiscovery(t *testing.T) {
	s := newO(t, OIDCOptions{ClientSecret: oSecret, Device: true, Revocation: true, ClientCredentials: true, BasicAuth: true})
	r := get(t, s.URL+"/.well-known/openid-configuration")
	if r.status != 200 || r.str("issuer") != s.URL || strings.HasSuffix(s.URL, "/") {
		t.Fatalf("%d %s", r.status, r.raw)
	}
	for k, want := range map[string]string{
		"authorization_endpoint": "/authorize", "token_endpoint": "/token", "jwks_uri": "/jwks",
		"revocation_endpoint": "/revoke", "device_authorization_endpoint": "/device",
	} {
		if r.str(k) != s.URL+want {
			t.Errorf("%s = %q", k, r.str(k))
		}
	}
	list := func(k string) string {
		var out []string
		for _, x := range r.json[k].([]any) {
			out = append(out, x.(string))
		}
		return strings.Join(out, ",")
	}
	if list("code_challenge_methods_supported") != "S256" || list("token_endpoint_auth_methods_supported") != "client_secret_basic" ||
		list("response_types_supported") != "code" ||
		list("grant_types_supported") != "authorization_code,refresh_token,client_credentials,"+deviceGrantType {
		t.Errorf("lists: %s", r.raw)
	}
	// the JWKS verifies the id_token (claims() checks with PublicKey, here we check the JWKS matches it)
	j := get(t, s.URL+"/jwks")
	keys, _ := j.json["keys"].([]any)
	if len(keys) != 1 || keys[0].(map[string]any)["n"] != base64.RawURLEncoding.EncodeToString(PublicKey().N.Bytes()) {
		t.Errorf("jwks %s", j.raw)
	}

	bare := newO(t, OIDCOptions{})
	r = get(t, bare.URL+"/.well-known/openid-configuration")
	if _, ok := r.json["revocation_endpoint"]; ok || r.json["device_authorization_endpoint"] != nil {
		t.Errorf("disabled endpoints advertised: %s", r.raw)
	}
	if r.json["token_endpoint_auth_methods_supported"].([]any)[0] != "none" {
		t.Errorf("public client auth method: %s", r.raw)
	}
	wantErr(t, post(t, bare.URL+"/revoke", vals("token", "x")), 404, "invalid_request")
	wantErr(t, post(t, bare.URL+"/device", vals("client_id", oID)), 404, "invalid_request")
	wantErr(t, post(t, bare.URL+"/token", oForm("", "grant_type", "client_credentials")), 400, "unsupported_grant_type")
	wantErr(t, post(t, bare.URL+"/token", oForm("", "grant_type", deviceGrantType, "device_code", "x")), 400, "unsupported_grant_type")
}

func TestOIDCPublicPKCEAndKeptRefresh(t *testing.T) {
	s := newO(t, OIDCOptions{PKCE: true, JWTAccessTokens: true, AccessTTL: 2 * time.Minute})
	if _, err := s.Approve(oAuth(s, "code_challenge", "", "code_challenge_method", "")); err == nil {
		t.Fatal("PKCE not required")
	}
	r := post(t, s.URL+"/token", codeForm("", oCode(t, s)))
	wantOK(t, r)
	if r.str("token_type") != "Bearer" || r.json["expires_in"] != float64(120) || r.str("scope") != "openid profile offline_access" {
		t.Fatalf("%s", r.raw)
	}
	_, idc := claims(t, r.str("id_token"))
	if idc["nonce"] != "nn" || idc["aud"] != oID || idc["iss"] != s.URL {
		t.Fatalf("id_token claims %v", idc)
	}
	h, ac := claims(t, r.str("access_token"))
	if h["alg"] != "RS256" || ac["exp"].(float64)-ac["iat"].(float64) != 120 {
		t.Fatalf("access JWT %v %v", h, ac)
	}
	// userinfo accepts it
	if u := get(t, s.URL+"/userinfo", "Authorization", "Bearer "+r.str("access_token")); u.status != 200 || u.str("sub") != "user-1" {
		t.Fatalf("userinfo %d %s", u.status, u.raw)
	}
	wantErr(t, get(t, s.URL+"/userinfo", "Authorization", "Bearer nope"), 401, "invalid_token")
	// non-rotating: the response carries no refresh token and the old one keeps working
	rt := r.str("refresh_token")
	for i := 0; i < 2; i++ {
		rr := post(t, s.URL+"/token", oForm("", "grant_type", "refresh_token", "refresh_token", rt))
		wantOK(t, rr)
		if _, ok := rr.json["refresh_token"]; ok {
			t.Fatalf("non-rotating server returned a refresh token: %s", rr.raw)
		}
	}
	// narrowing the scope is fine, widening is not
	rr := post(t, s.URL+"/token", oForm("", "grant_type", "refresh_token", "refresh_token", rt, "scope", "openid"))
	if rr.str("scope") != "openid" {
		t.Fatalf("narrowed scope: %s", rr.raw)
	}
	wantErr(t, post(t, s.URL+"/token", oForm("", "grant_type", "refresh_token", "refresh_token", rt, "scope", "openid email")), 400, "invalid_scope")
	// a public client must not send a secret or Basic
	wantErr(t, post(t, s.URL+"/token", oForm("x", "grant_type", "refresh_token", "refresh_token", rt)), 401, "invalid_client")
	req, _ := http.NewRequest("POST", s.URL+"/token", strings.NewReader(oForm("", "grant_type", "refresh_token", "refresh_token", rt).Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(oID, "")
	wantErr(t, do(t, req), 401, "invalid_client")
}

func TestOIDCCodeRules(t *testing.T) {
	s := newO(t, OIDCOptions{})
	c := newClock(s)
	tok := s.URL + "/token"
	wantErr(t, post(t, tok, codeForm("", oCode(t, s), "code_verifier", "")), 400, "invalid_request")
	wantErr(t, post(t, tok, codeForm("", oCode(t, s), "redirect_uri", "http://127.0.0.1:9/callback")), 400, "invalid_grant")
	code := oCode(t, s)
	c.add(10 * time.Minute)
	wantErr(t, post(t, tok, codeForm("", code)), 400, "invalid_grant")
	// optional PKCE: without a challenge there must be no verifier (RFC 9700 §2.1.1)
	code = oCode(t, s, "code_challenge", "", "code_challenge_method", "")
	wantErr(t, post(t, tok, codeForm("", code)), 400, "invalid_request")
	wantOK(t, post(t, tok, codeForm("", oCode(t, s, "code_challenge", "", "code_challenge_method", ""), "code_verifier", "")))
	// no openid: no id_token
	r := post(t, tok, codeForm("", oCode(t, s, "scope", "profile")))
	if _, ok := r.json["id_token"]; ok {
		t.Fatal("id_token without openid")
	}
}

func TestOIDCLoopbackRedirectAnyPort(t *testing.T) {
	s := newO(t, OIDCOptions{})
	got, err := s.Approve(oAuth(s, "redirect_uri", "http://127.0.0.1:53124/callback"))
	if err != nil || !strings.HasPrefix(got, "http://127.0.0.1:53124/callback?") {
		t.Fatalf("%q %v", got, err)
	}
	wantOK(t, post(t, s.URL+"/token", codeForm("", codeFrom(t, got), "redirect_uri", "http://127.0.0.1:53124/callback")))
	for _, bad := range []string{"http://localhost:53124/callback", "http://127.0.0.1:53124/other", "https://127.0.0.1:53124/callback", "http://127.0.0.1:53124/callback?x=1"} {
		if _, err := s.Approve(oAuth(s, "redirect_uri", bad)); err == nil {
			t.Errorf("accepted %s", bad)
		}
	}
}

func TestOIDCRotation(t *testing.T) {
	s := newO(t, OIDCOptions{RotateRefresh: true, RefreshTTL: time.Hour})
	c := newClock(s)
	r := post(t, s.URL+"/token", codeForm("", oCode(t, s)))
	rt := r.str("refresh_token")
	r2 := post(t, s.URL+"/token", oForm("", "grant_type", "refresh_token", "refresh_token", rt))
	wantOK(t, r2)
	if r2.str("refresh_token") == "" || r2.str("refresh_token") == rt {
		t.Fatalf("no rotation: %s", r2.raw)
	}
	wantErr(t, post(t, s.URL+"/token", oForm("", "grant_type", "refresh_token", "refresh_token", rt)), 400, "invalid_grant")
	c.add(time.Hour)
	wantErr(t, post(t, s.URL+"/token", oForm("", "grant_type", "refresh_token", "refresh_token", r2.str("refresh_token"))), 400, "invalid_grant")
}

func TestOIDCClientAuthentication(t *testing.T) {
	basic := newO(t, OIDCOptions{ClientSecret: oSecret, BasicAuth: true, ClientCredentials: true})
	postBasic := func(s *Server, v url.Values, user, pass string) resp {
		req, _ := http.NewRequest("POST", s.URL+"/token", strings.NewReader(v.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.SetBasicAuth(user, pass)
		return do(t, req)
	}
	cc := vals("grant_type", "client_credentials")
	// RFC 6749 §2.3.1: id and secret are form-urlencoded before Basic
	r := postBasic(basic, cc, url.QueryEscape(oID), url.QueryEscape(oSecret))
	wantOK(t, r)
	if _, ok := r.json["refresh_token"]; ok || r.json["id_token"] != nil {
		t.Fatalf("client_credentials %s", r.raw)
	}
	var all []resp
	for _, x := range []resp{
		postBasic(basic, cc, oID, "wrong"),
		post(t, basic.URL+"/token", oForm(oSecret, "grant_type", "client_credentials")),                     // post on a basic server
		postBasic(basic, oForm(oSecret, "grant_type", "client_credentials"), oID, url.QueryEscape(oSecret)), // both methods
		postBasic(basic, oForm("", "grant_type", "client_credentials", "client_id", "other"), oID, url.QueryEscape(oSecret)),
	} {
		wantErr(t, x, 401, "invalid_client")
		if x.header.Get("WWW-Authenticate") == "" {
			t.Error("401 without WWW-Authenticate")
		}
		all = append(all, x)
	}
	code := oCode(t, basic)
	wantOK(t, postBasic(basic, vals("grant_type", "authorization_code", "code", code, "redirect_uri", oCB, "code_verifier", testVerifier), oID, url.QueryEscape(oSecret)))

	postSrv := newO(t, OIDCOptions{ClientSecret: oSecret, ClientCredentials: true})
	wantOK(t, post(t, postSrv.URL+"/token", oForm(oSecret, "grant_type", "client_credentials")))
	for _, x := range []resp{
		postBasic(postSrv, cc, oID, url.QueryEscape(oSecret)),
		post(t, postSrv.URL+"/token", oForm("", "grant_type", "client_credentials")),
		post(t, postSrv.URL+"/token", oForm("nope", "grant_type", "client_credentials")),
		post(t, postSrv.URL+"/token", oForm(oSecret, "grant_type", "client_credentials", "client_id", "")),
	} {
		wantErr(t, x, 401, "invalid_client")
		all = append(all, x)
	}
	noLeak(t, all, oSecret, url.QueryEscape(oSecret))

	public := newO(t, OIDCOptions{ClientCredentials: true})
	wantErr(t, post(t, public.URL+"/token", oForm("", "grant_type", "client_credentials")), 400, "unauthorized_client")
}

func startDevice(t *testing.T, s *Server) resp {
	t.Helper()
	r := post(t, s.URL+"/device", oForm("", "scope", "openid"))
	if r.status != 200 || r.str("device_code") == "" || r.str("user_code") == "" || r.str("verification_uri") != s.URL+"/device/verify" ||
		!strings.HasPrefix(r.str("verification_uri_complete"), s.URL+"/device/verify?user_code=") || r.json["interval"] != float64(5) || r.json["expires_in"] != float64(600) {
		t.Fatalf("device authorization %d %s", r.status, r.raw)
	}
	return r
}

func TestOIDCDeviceFlow(t *testing.T) {
	s := newO(t, OIDCOptions{Device: true})
	c := newClock(s)
	d := startDevice(t, s)
	poll := func() resp {
		return post(t, s.URL+"/token", oForm("", "grant_type", deviceGrantType, "device_code", d.str("device_code")))
	}
	wantErr(t, poll(), 400, "authorization_pending")
	c.add(4 * time.Second)
	wantErr(t, poll(), 400, "slow_down") // interval is now 10 s
	c.add(5 * time.Second)
	wantErr(t, poll(), 400, "slow_down") // 5 s < 10 s; interval now 15 s
	c.add(15 * time.Second)
	wantErr(t, poll(), 400, "authorization_pending")
	if err := s.ApproveDevice(strings.ToLower(strings.ReplaceAll(d.str("user_code"), "-", ""))); err != nil {
		t.Fatal(err)
	}
	if err := s.ApproveDevice("BCDF-GHJK"); !errors.Is(err, ErrUnknownUserCode) {
		t.Fatalf("unknown user code: %v", err)
	}
	c.add(15 * time.Second)
	r := poll()
	wantOK(t, r)
	if r.str("refresh_token") == "" || r.str("id_token") == "" {
		t.Fatalf("device tokens %s", r.raw)
	}
	c.add(15 * time.Second)
	wantErr(t, poll(), 400, "invalid_grant")
	wantErr(t, post(t, s.URL+"/token", oForm("", "grant_type", deviceGrantType)), 400, "invalid_request")

	// denied
	d = startDevice(t, s)
	if err := s.DenyDevice(s.LastUserCode()); err != nil {
		t.Fatal(err)
	}
	c.add(time.Minute)
	wantErr(t, poll(), 400, "access_denied")
	// expired
	d = startDevice(t, s)
	c.add(10 * time.Minute)
	wantErr(t, poll(), 400, "expired_token")
	if err := s.ApproveDevice(d.str("user_code")); err == nil {
		t.Fatal("approved an expired user code")
	}
}

func TestOIDCDeviceVerifyPage(t *testing.T) {
	s := newO(t, OIDCOptions{Device: true, Demo: true})
	d := startDevice(t, s)
	p := get(t, d.str("verification_uri_complete"))
	if p.status != 200 || !strings.Contains(p.raw, d.str("user_code")) || !strings.Contains(p.raw, "tokenring demo provider") {
		t.Fatalf("verify page %d %s", p.status, p.raw)
	}
	if r := post(t, s.URL+"/device/verify", vals("user_code", "ZZZZ-ZZZZ", "decision", "approve")); r.status != 400 {
		t.Fatalf("bad code accepted: %d", r.status)
	}
	if r := post(t, s.URL+"/device/verify", vals("user_code", d.str("user_code"), "decision", "approve")); r.status != 200 || !strings.Contains(r.raw, "Device connected") {
		t.Fatalf("approve via page: %d %s", r.status, r.raw)
	}
	wantOK(t, post(t, s.URL+"/token", oForm("", "grant_type", deviceGrantType, "device_code", d.str("device_code"))))
}

func TestOIDCRevocation(t *testing.T) {
	s := newO(t, OIDCOptions{ClientSecret: oSecret, Revocation: true})
	r := post(t, s.URL+"/token", codeForm(oSecret, oCode(t, s)))
	wantOK(t, r)
	rt, at := r.str("refresh_token"), r.str("access_token")
	wantErr(t, post(t, s.URL+"/revoke", vals("client_id", oID, "token", rt)), 401, "invalid_client")
	wantErr(t, post(t, s.URL+"/revoke", oForm(oSecret, "token", rt, "token_type_hint", "id_token")), 400, "unsupported_token_type")
	wantErr(t, post(t, s.URL+"/revoke", oForm(oSecret)), 400, "invalid_request")
	if !s.ValidRefreshToken(rt) {
		t.Fatal("refused revocations revoked")
	}
	for _, tok := range []string{"never-issued", rt, rt} {
		if x := post(t, s.URL+"/revoke", oForm(oSecret, "token", tok, "token_type_hint", "refresh_token")); x.status != 200 {
			t.Fatalf("revoke %d %s", x.status, x.raw)
		}
	}
	wantErr(t, post(t, s.URL+"/token", oForm(oSecret, "grant_type", "refresh_token", "refresh_token", rt)), 400, "invalid_grant")
	if s.ValidAccessToken(at) {
		t.Fatal("revoking the refresh token left its access token valid")
	}
	// revoking an access token only
	r = post(t, s.URL+"/token", codeForm(oSecret, oCode(t, s)))
	if x := post(t, s.URL+"/revoke", oForm(oSecret, "token", r.str("access_token"))); x.status != 200 {
		t.Fatal(x.raw)
	}
	if s.ValidAccessToken(r.str("access_token")) || !s.ValidRefreshToken(r.str("refresh_token")) {
		t.Fatal("access-token revocation")
	}
	if s.Count("/revoke") != 7 {
		t.Fatalf("revoke count %d", s.Count("/revoke"))
	}
}

func TestOIDCDemoPages(t *testing.T) {
	s := newO(t, OIDCOptions{Demo: true})
	p := get(t, oAuth(s, "redirect_uri", OOB))
	if p.status != 200 || !strings.HasPrefix(p.header.Get("Content-Type"), "text/html") {
		t.Fatalf("%d %s", p.status, p.raw)
	}
	for _, want := range []string{"tokenring demo provider", `value="approve"`, `value="deny"`, `method="post"`, `name="state" value="xyz"`} {
		if !strings.Contains(p.raw, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	// the Approve button: a POST form with the same parameters
	u, _ := url.Parse(oAuth(s, "redirect_uri", OOB))
	form := u.Query()
	form.Set("decision", "approve")
	r := post(t, s.URL+"/authorize", form)
	code, ok := between(r.raw, `<code id="result">`, `</code>`)
	if r.status != 200 || !ok || len(code) < 20 {
		t.Fatalf("OOB result page %d %s", r.status, r.raw)
	}
	wantOK(t, post(t, s.URL+"/token", codeForm("", code, "redirect_uri", OOB)))
	// a tampered form is validated again
	form.Set("redirect_uri", "http://evil.example/cb")
	wantErr(t, post(t, s.URL+"/authorize", form), 400, "invalid_request")
	form.Set("redirect_uri", OOB)
	form.Set("decision", "maybe")
	wantErr(t, post(t, s.URL+"/authorize", form), 400, "invalid_request")
}

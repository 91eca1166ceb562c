package localoauth

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

const (
	whID     = "Lw897vn3R7y6M2NfsA2BxJGM"
	whSecret = "wh-secret-9f8e7d"
	whCB     = "https://app.example/oauth/callback"
)

func newWH(t *testing.T, secret string) *Server {
	s := NewWarhorn(WarhornOptions{ClientID: whID, ClientSecret: secret, RedirectURI: whCB})
	t.Cleanup(s.Close)
	return s
}

func whAuth(s *Server, scope string, extra ...string) string {
	v := vals("response_type", "code", "client_id", whID, "redirect_uri", whCB, "scope", scope, "state", "st-123", "nonce", "n-0S6")
	for i := 0; i+1 < len(extra); i += 2 {
		if extra[i+1] == "" {
			v.Del(extra[i])
		} else {
			v.Set(extra[i], extra[i+1])
		}
	}
	return authURL(s, "/oauth/authorize", v)
}

func whCode(t *testing.T, s *Server, scope string) string {
	t.Helper()
	landed, err := s.Approve(whAuth(s, scope))
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(landed)
	if u.Scheme+"://"+u.Host+u.Path != whCB || u.Query().Get("state") != "st-123" {
		t.Fatalf("landed on %q", landed)
	}
	return codeFrom(t, landed)
}

func whExchange(s *Server, code string, extra ...string) url.Values {
	v := vals("grant_type", "authorization_code", "client_id", whID, "client_secret", whSecret, "redirect_uri", whCB, "code", code)
	for i := 0; i+1 < len(extra); i += 2 {
		if extra[i+1] == "" {
			v.Del(extra[i])
		} else {
			v.Set(extra[i], extra[i+1])
		}
	}
	return v
}

func TestWarhornCodeExchange(t *testing.T) {
	s := newWH(t, whSecret)
	code := whCode(t, s, "openid email profile")
	r := post(t, s.URL+"/oauth/token", whExchange(s, code))
	wantOK(t, r)
	if r.str("token_type") != "bearer" {
		t.Errorf("token_type %q, want lower-case bearer", r.str("token_type"))
	}
	for _, k := range []string{"expires_in", "refresh_token", "scope"} {
		if _, ok := r.json[k]; ok {
			t.Errorf("Warhorn response carries %s: %s", k, r.raw)
		}
	}
	if got := r.header.Get("Cache-Control"); got != "private, no-store" {
		t.Errorf("Cache-Control %q", got)
	}
	if r.header.Get("Pragma") != "no-cache" || r.header.Get("Content-Type") != "application/json; charset=utf-8" {
		t.Errorf("headers %v", r.header)
	}
	h, c := claims(t, r.str("id_token"))
	if h["alg"] != "RS256" || c["iss"] != s.URL || c["aud"] != whID || c["nonce"] != "n-0S6" || c["sub"] != "0000000001" {
		t.Errorf("id_token %v %v", h, c)
	}
	exp, _ := c["exp"].(float64)
	iat, _ := c["iat"].(float64)
	if exp <= iat || iat == 0 {
		t.Errorf("exp %v iat %v", exp, iat)
	}
	if !s.ValidAccessToken(r.str("access_token")) {
		t.Error("issued access token not valid")
	}
	if n := s.Count("/oauth/token"); n != 1 {
		t.Errorf("token requests %d", n)
	}
	if n := s.Count("/oauth/authorize"); n != 2 { // consent page GET + POST
		t.Errorf("authorize requests %d", n)
	}
	// Single use: the second exchange fails.
	wantErr(t, post(t, s.URL+"/oauth/token", whExchange(s, code)), 400, "invalid_grant")
	// ... and reuse revokes what the code produced.
	if s.ValidAccessToken(r.str("access_token")) {
		t.Error("code reuse did not revoke the token it produced")
	}
	reqs := s.Requests()
	if last := reqs[len(reqs)-1]; last.Error != "invalid_grant" || last.Status != 400 || last.Form.Get("code") != code || last.Method != "POST" {
		t.Errorf("recorded %+v", last)
	}
}

func TestWarhornIDTokenOnlyWithOpenID(t *testing.T) {
	s := newWH(t, whSecret)
	r := post(t, s.URL+"/oauth/token", whExchange(s, whCode(t, s, "email profile")))
	wantOK(t, r)
	if _, ok := r.json["id_token"]; ok {
		t.Fatalf("id_token without openid: %s", r.raw)
	}
}

func TestWarhornPublicApp(t *testing.T) {
	s := newWH(t, "")
	code := whCode(t, s, "openid")
	wantErr(t, post(t, s.URL+"/oauth/token", whExchange(s, code, "client_secret", "anything")), 401, "invalid_client")
	// that failed attempt burned the code
	wantErr(t, post(t, s.URL+"/oauth/token", whExchange(s, code, "client_secret", "")), 400, "invalid_grant")
	wantOK(t, post(t, s.URL+"/oauth/token", whExchange(s, whCode(t, s, "openid"), "client_secret", "")))
	// no app secret: no application tokens
	wantErr(t, post(t, s.URL+"/oauth/token", vals("grant_type", "client_credentials", "client_id", whID)), 400, "unauthorized_client")
}

func TestWarhornFailedAttemptBurnsCode(t *testing.T) {
	cases := map[string][]string{
		"wrong secret":        {"client_secret", "nope"},
		"missing secret":      {"client_secret", ""},
		"wrong redirect":      {"redirect_uri", "https://app.example/other"},
		"missing redirect":    {"redirect_uri", ""},
		"wrong client":        {"client_id", "someone-else"},
		"verifier without cc": {"code_verifier", testVerifier},
	}
	for name, extra := range cases {
		t.Run(name, func(t *testing.T) {
			s := newWH(t, whSecret)
			code := whCode(t, s, "openid")
			r := post(t, s.URL+"/oauth/token", whExchange(s, code, extra...))
			if r.status == 200 {
				t.Fatalf("accepted: %s", r.raw)
			}
			if r.str("error") == "" {
				t.Fatalf("not a JSON error: %s", r.raw)
			}
			wantErr(t, post(t, s.URL+"/oauth/token", whExchange(s, code)), 400, "invalid_grant")
			noLeak(t, []resp{r}, whSecret, code)
		})
	}
}

func TestWarhornCodeExpiresAfterAMinute(t *testing.T) {
	s := newWH(t, whSecret)
	var now atomic.Int64
	now.Store(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).Unix())
	s.SetNow(func() time.Time { return time.Unix(now.Load(), 0) })
	code := whCode(t, s, "openid")
	now.Add(59)
	wantOK(t, post(t, s.URL+"/oauth/token", whExchange(s, code)))
	code = whCode(t, s, "openid")
	now.Add(60)
	wantErr(t, post(t, s.URL+"/oauth/token", whExchange(s, code)), 400, "invalid_grant")
}

func TestWarhornTokenRequestStrictness(t *testing.T) {
	s := newWH(t, whSecret)
	tok := s.URL + "/oauth/token"
	var all []resp
	check := func(r resp, status int, code string) {
		t.Helper()
		all = append(all, r)
		wantErr(t, r, status, code)
	}
	// JSON body
	req, _ := http.NewRequest("POST", tok, strings.NewReader(`{"grant_type":"authorization_code"}`))
	req.Header.Set("Content-Type", "application/json")
	check(do(t, req), 400, "invalid_request")
	// parameters in the query string
	req, _ = http.NewRequest("POST", tok+"?"+whExchange(s, "x").Encode(), nil)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	check(do(t, req), 400, "invalid_request")
	// GET
	check(get(t, tok+"?"+whExchange(s, "x").Encode()), 405, "invalid_request")
	// form body without a Content-Type
	req, _ = http.NewRequest("POST", tok, strings.NewReader(whExchange(s, "x").Encode()))
	check(do(t, req), 400, "invalid_request")
	// HTTP Basic is not accepted
	v := whExchange(s, whCode(t, s, "openid"), "client_secret", "")
	req, _ = http.NewRequest("POST", tok, strings.NewReader(v.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(whID, whSecret)
	r := do(t, req)
	check(r, 401, "invalid_client")
	if r.header.Get("WWW-Authenticate") == "" {
		t.Error("401 after Basic without WWW-Authenticate")
	}
	// grant_type is case-sensitive; parameter names too; repeated parameters
	check(post(t, tok, whExchange(s, whCode(t, s, "openid"), "grant_type", "Authorization_Code")), 400, "unsupported_grant_type")
	check(post(t, tok, whExchange(s, "", "Code", whCode(t, s, "openid"))), 400, "invalid_request")
	v = whExchange(s, whCode(t, s, "openid"))
	v.Add("redirect_uri", whCB)
	check(post(t, tok, v), 400, "invalid_request")
	check(post(t, tok, whExchange(s, "", "grant_type", "")), 400, "invalid_request")
	check(post(t, tok, whExchange(s, "made-up-code")), 400, "invalid_grant")
	check(post(t, tok, whExchange(s, "", "grant_type", "refresh_token", "refresh_token", "x")), 400, "unsupported_grant_type")
	// Content-Type with a charset parameter is still a form.
	req, _ = http.NewRequest("POST", tok, strings.NewReader(whExchange(s, whCode(t, s, "openid")).Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	wantOK(t, do(t, req))
	noLeak(t, all, whSecret)
}

func TestWarhornAuthorizeStrictness(t *testing.T) {
	s := newWH(t, whSecret)
	cases := []struct {
		extra []string
		code  string
	}{
		{[]string{"state", ""}, "invalid_request"},
		{[]string{"scope", ""}, "invalid_request"},
		{[]string{"scope", "openid admin"}, "invalid_scope"},
		{[]string{"scope", "openid  email"}, "invalid_scope"},
		{[]string{"redirect_uri", "https://app.example/oauth/callback/"}, "invalid_request"},
		{[]string{"redirect_uri", "http://app.example/oauth/callback"}, "invalid_request"},
		{[]string{"redirect_uri", ""}, "invalid_request"},
		{[]string{"client_id", "other"}, "invalid_request"},
		{[]string{"client_id", ""}, "invalid_request"},
		{[]string{"response_type", "token"}, "unsupported_response_type"},
		{[]string{"response_type", "CODE"}, "unsupported_response_type"},
		{[]string{"response_type", ""}, "invalid_request"},
		{[]string{"code_challenge", challenge(testVerifier), "code_challenge_method", "plain"}, "invalid_request"},
		{[]string{"code_challenge", challenge(testVerifier)}, "invalid_request"},
		{[]string{"code_challenge_method", "S256"}, "invalid_request"},
	}
	for _, c := range cases {
		_, err := s.Approve(whAuth(s, "openid", c.extra...))
		var ae *AuthorizeError
		if !errors.As(err, &ae) || ae.Code != c.code || ae.Status != 400 {
			t.Errorf("%v: got %v, want %s", c.extra, err, c.code)
		}
	}
	// a repeated parameter
	u := whAuth(s, "openid") + "&state=again"
	if _, err := s.Approve(u); err == nil {
		t.Error("repeated state accepted")
	}
	// not this server
	if _, err := s.Approve("https://warhorn.net/oauth/authorize?client_id=x"); !errors.Is(err, errNotHere) {
		t.Errorf("foreign URL: %v", err)
	}
	if n := s.Count("/oauth/token"); n != 0 {
		t.Errorf("token requests %d", n)
	}
}

func TestWarhornPKCEWhenOffered(t *testing.T) {
	s := newWH(t, whSecret)
	au := whAuth(s, "openid", "code_challenge", challenge(testVerifier), "code_challenge_method", "S256")
	landed, err := s.Approve(au)
	if err != nil {
		t.Fatal(err)
	}
	wantErr(t, post(t, s.URL+"/oauth/token", whExchange(s, codeFrom(t, landed))), 400, "invalid_request")
	landed, _ = s.Approve(au)
	wantOK(t, post(t, s.URL+"/oauth/token", whExchange(s, codeFrom(t, landed), "code_verifier", testVerifier)))
}

func TestWarhornDeny(t *testing.T) {
	s := newWH(t, whSecret)
	landed, err := s.Deny(whAuth(s, "openid"))
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(landed)
	q := u.Query()
	if !strings.HasPrefix(landed, whCB+"?") || q.Get("error") != "access_denied" || q.Get("state") != "st-123" || q.Get("error_description") == "" || q.Get("code") != "" {
		t.Fatalf("deny landed on %q", landed)
	}
}

func TestWarhornApplicationToken(t *testing.T) {
	s := NewWarhorn(WarhornOptions{ClientID: whID, ClientSecret: whSecret, RedirectURI: whCB, AppClientID: "app-1", AppClientSecret: "app-secret"})
	defer s.Close()
	tok := s.URL + "/oauth/token"
	r := post(t, tok, vals("grant_type", "client_credentials", "client_id", "app-1", "client_secret", "app-secret"))
	wantOK(t, r)
	if r.str("token_type") != "bearer" || r.json["id_token"] != nil || r.json["expires_in"] != nil {
		t.Fatalf("application token %s", r.raw)
	}
	wantErr(t, post(t, tok, vals("grant_type", "client_credentials", "client_id", "app-1", "client_secret", "wrong")), 401, "invalid_client")
	wantErr(t, post(t, tok, vals("grant_type", "client_credentials", "client_id", whID, "client_secret", whSecret)), 401, "invalid_client")
}

func TestWarhornInjectedFailures(t *testing.T) {
	s := newWH(t, whSecret)
	tok := s.URL + "/oauth/token"
	s.SetFail(Failure{Status: 500, Body: "<html><body>Internal error</body></html>", ContentType: "text/html"})
	code := whCode(t, s, "openid")
	r := post(t, tok, whExchange(s, code))
	if r.status != 500 || !strings.Contains(r.raw, "<html>") || r.header.Get("Content-Type") != "text/html" {
		t.Fatalf("injected failure: %d %q", r.status, r.raw)
	}
	// the failure was one-shot and burned the code
	wantErr(t, post(t, tok, whExchange(s, code)), 400, "invalid_grant")
	wantOK(t, post(t, tok, whExchange(s, whCode(t, s, "openid"))))

	// a stall: the client gives up at its timeout, Close does not hang
	s.SetFail(Failure{Delay: time.Minute, Count: 2})
	c := &http.Client{Timeout: 100 * time.Millisecond}
	_, err := c.PostForm(tok, whExchange(s, whCode(t, s, "openid")))
	if err == nil {
		t.Fatal("stalled request answered")
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		req, _ := http.NewRequestWithContext(ctx, "POST", tok, strings.NewReader("x=1"))
		_, err := http.DefaultClient.Do(req)
		done <- err
	}()
	for s.Count("/oauth/token") < 5 {
		time.Sleep(time.Millisecond)
	}
	s.Close() // must cut the stalled handler short
	cancel()
	<-done
	if n := s.Count("/oauth/token"); n != 5 {
		t.Errorf("token requests %d", n)
	}
}

func TestEditTokenResponse(t *testing.T) {
	s := newWH(t, whSecret)
	s.EditTokenResponse(func(m map[string]any) { m["expires_in"] = "3600" })
	r := post(t, s.URL+"/oauth/token", whExchange(s, whCode(t, s, "openid")))
	if r.json["expires_in"] != "3600" {
		t.Fatalf("edit not applied: %s", r.raw)
	}
}

func TestMalformedBodies(t *testing.T) {
	s := newWH(t, whSecret)
	tok := s.URL + "/oauth/token"
	for _, body := range []string{"grant_type=authorization_code&code=%zz", "a=" + strings.Repeat("x", 1<<20)} {
		req, _ := http.NewRequest("POST", tok, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		r := do(t, req)
		if r.str("error") != "invalid_request" || r.status < 400 {
			t.Fatalf("%d %s", r.status, r.raw)
		}
	}
	if got := s.Requests()[1].Body; len(got) != 1<<20 {
		t.Fatalf("recorded body length %d (cap 1 MiB)", len(got))
	}
}

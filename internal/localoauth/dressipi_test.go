package localoauth

import (
	"errors"
	"net/url"
	"sync/atomic"
	"testing"
	"time"
)

const (
	dpID  = "dressipi-client"
	dpKey = "dp-api-key-42"
)

func newDP(t *testing.T, ttl time.Duration) *Server {
	s := NewDressipi(DressipiOptions{ClientID: dpID, APIKey: dpKey, AccessTTL: ttl})
	t.Cleanup(s.Close)
	return s
}

func dpAuth(s *Server, extra ...string) string {
	v := vals("response_type", "code", "client_id", dpID, "redirect_uri", OOBAuto, "state", "s1",
		"code_challenge", challenge(testVerifier), "code_challenge_method", "S256")
	for i := 0; i+1 < len(extra); i += 2 {
		if extra[i+1] == "" {
			v.Del(extra[i])
		} else {
			v.Set(extra[i], extra[i+1])
		}
	}
	return authURL(s, "/oauth/authorize", v)
}

func dpCode(t *testing.T, s *Server) string {
	t.Helper()
	pasted, err := s.Approve(dpAuth(s))
	if err != nil {
		t.Fatal(err)
	}
	return codeFrom(t, pasted)
}

func dpForm(grant string, kv ...string) url.Values {
	v := vals("grant_type", grant, "client_id", dpID, "redirect_uri", OOBAuto)
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] == "" {
			v.Del(kv[i])
		} else {
			v.Set(kv[i], kv[i+1])
		}
	}
	return v
}

func dpPost(t *testing.T, s *Server, v url.Values) resp {
	t.Helper()
	return post(t, s.URL+"/oauth/token", v, "x-api-key", dpKey)
}

func TestDressipiCodeExchange(t *testing.T) {
	s := newDP(t, 0)
	pasted, err := s.Approve(dpAuth(s))
	if err != nil {
		t.Fatal(err)
	}
	if len(pasted) < len("Authorization code: ")+10 || pasted[:20] != "Authorization code: " {
		t.Fatalf("OOB page text %q", pasted)
	}
	code := codeFrom(t, pasted)
	r := dpPost(t, s, dpForm("authorization_code", "code", code, "code_verifier", testVerifier))
	wantOK(t, r)
	if r.str("token_type") != "Bearer" || r.str("refresh_token") == "" {
		t.Fatalf("response %s", r.raw)
	}
	if n, ok := r.json["expires_in"].(float64); !ok || n != 86400 {
		t.Fatalf("expires_in %v (want the integer 86400)", r.json["expires_in"])
	}
	h, c := claims(t, r.str("access_token"))
	if h["alg"] != "HS256" || c["sub"] != "94173" || c["exp"].(float64)-c["iat"].(float64) != 86400 {
		t.Fatalf("access JWT %v %v", h, c)
	}
	wantErr(t, dpPost(t, s, dpForm("authorization_code", "code", code, "code_verifier", testVerifier)), 400, "invalid_grant")
	if s.Count("/oauth/token") != 2 {
		t.Fatal(s.Count("/oauth/token"))
	}
}

func TestDressipiAPIKeyOnEveryCall(t *testing.T) {
	s := newDP(t, 0)
	// the authorize page
	wantErr(t, get(t, dpAuth(s)), 401, "invalid_client")
	wantErr(t, get(t, dpAuth(s), "x-api-key", "wrong"), 401, "invalid_client")
	if r := get(t, dpAuth(s), "x-api-key", dpKey); r.status != 200 {
		t.Fatalf("authorize page with key: %d", r.status)
	}
	// the token endpoint, for both grants
	code := dpCode(t, s)
	v := dpForm("authorization_code", "code", code, "code_verifier", testVerifier)
	r := post(t, s.URL+"/oauth/token", v)
	wantErr(t, r, 401, "invalid_client")
	noLeak(t, []resp{r}, dpKey, code, testVerifier)
	wantErr(t, post(t, s.URL+"/oauth/token", v, "X-Api-Key", "wrong"), 401, "invalid_client")
	wantOK(t, dpPost(t, s, dpForm("authorization_code", "code", dpCode(t, s), "code_verifier", testVerifier)))
	rt := dpPost(t, s, dpForm("authorization_code", "code", dpCode(t, s), "code_verifier", testVerifier)).str("refresh_token")
	wantErr(t, post(t, s.URL+"/oauth/token", dpForm("refresh_token", "refresh_token", rt)), 401, "invalid_client")
	wantOK(t, dpPost(t, s, dpForm("refresh_token", "refresh_token", rt)))
}

func TestDressipiPKCE(t *testing.T) {
	s := newDP(t, 0)
	for _, extra := range [][]string{
		{"code_challenge", "", "code_challenge_method", ""},
		{"code_challenge_method", ""},
		{"code_challenge_method", "plain"},
		{"code_challenge_method", "s256"},
		{"code_challenge", "short"},
		{"code_challenge", challenge(testVerifier) + "="},
	} {
		var ae *AuthorizeError
		if _, err := s.Approve(dpAuth(s, extra...)); !errors.As(err, &ae) || ae.Code != "invalid_request" {
			t.Errorf("%v: %v", extra, err)
		}
	}
	wantErr(t, dpPost(t, s, dpForm("authorization_code", "code", dpCode(t, s))), 400, "invalid_request")
	wantErr(t, dpPost(t, s, dpForm("authorization_code", "code", dpCode(t, s), "code_verifier", testVerifier[1:]+"A")), 400, "invalid_grant")
	wantErr(t, dpPost(t, s, dpForm("authorization_code", "code", dpCode(t, s), "code_verifier", "too-short")), 400, "invalid_grant")
	// plain (verifier == challenge) is not S256
	wantErr(t, dpPost(t, s, dpForm("authorization_code", "code", dpCode(t, s), "code_verifier", challenge(testVerifier))), 400, "invalid_grant")
}

func TestDressipiRedirectURI(t *testing.T) {
	s := newDP(t, 0)
	for _, uri := range []string{"urn:ietf:wg:oauth:2.0:oob", "http://127.0.0.1/cb", OOBAuto + " "} {
		if _, err := s.Approve(dpAuth(s, "redirect_uri", uri)); err == nil {
			t.Errorf("authorize accepted redirect_uri %q", uri)
		}
	}
	wantErr(t, dpPost(t, s, dpForm("authorization_code", "code", dpCode(t, s), "code_verifier", testVerifier, "redirect_uri", "")), 400, "invalid_request")
	wantErr(t, dpPost(t, s, dpForm("authorization_code", "code", dpCode(t, s), "code_verifier", testVerifier, "redirect_uri", OOB)), 400, "invalid_grant")
	rt := dpPost(t, s, dpForm("authorization_code", "code", dpCode(t, s), "code_verifier", testVerifier)).str("refresh_token")
	wantErr(t, dpPost(t, s, dpForm("refresh_token", "refresh_token", rt, "redirect_uri", "")), 400, "invalid_request")
	wantErr(t, dpPost(t, s, dpForm("refresh_token", "refresh_token", rt, "redirect_uri", OOB)), 400, "invalid_request")
	// those failures did not spend the refresh token
	wantOK(t, dpPost(t, s, dpForm("refresh_token", "refresh_token", rt)))
}

func TestDressipiRotatingRefreshTokens(t *testing.T) {
	s := newDP(t, 0)
	first := dpPost(t, s, dpForm("authorization_code", "code", dpCode(t, s), "code_verifier", testVerifier))
	rt := first.str("refresh_token")
	seen := map[string]bool{rt: true, first.str("access_token"): true}
	for i := 0; i < 3; i++ {
		r := dpPost(t, s, dpForm("refresh_token", "refresh_token", rt))
		wantOK(t, r)
		next := r.str("refresh_token")
		if next == "" || seen[next] || seen[r.str("access_token")] {
			t.Fatalf("refresh %d did not rotate: %s", i, r.raw)
		}
		seen[next], seen[r.str("access_token")] = true, true
		// the old one is rejected, now and later
		wantErr(t, dpPost(t, s, dpForm("refresh_token", "refresh_token", rt)), 400, "invalid_grant")
		if s.ValidRefreshToken(rt) || !s.ValidRefreshToken(next) {
			t.Fatal("ValidRefreshToken disagrees")
		}
		rt = next
	}
	wantErr(t, dpPost(t, s, dpForm("refresh_token", "refresh_token", "")), 400, "invalid_request")
	wantErr(t, dpPost(t, s, dpForm("refresh_token", "refresh_token", "unknown")), 400, "invalid_grant")
	wantErr(t, dpPost(t, s, dpForm("client_credentials")), 400, "unsupported_grant_type")
	wantErr(t, dpPost(t, s, dpForm("refresh_token", "refresh_token", rt, "client_id", "other")), 401, "invalid_client")
	s.RevokeAll()
	wantErr(t, dpPost(t, s, dpForm("refresh_token", "refresh_token", rt)), 400, "invalid_grant")
}

func TestDressipiAccessTTL(t *testing.T) {
	s := newDP(t, 90*time.Second)
	var now atomic.Int64
	now.Store(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).Unix())
	s.SetNow(func() time.Time { return time.Unix(now.Load(), 0) })
	r := dpPost(t, s, dpForm("authorization_code", "code", dpCode(t, s), "code_verifier", testVerifier))
	if r.json["expires_in"] != float64(90) {
		t.Fatalf("expires_in %v", r.json["expires_in"])
	}
	_, c := claims(t, r.str("access_token"))
	if c["exp"] != float64(now.Load()+90) {
		t.Fatalf("exp %v", c["exp"])
	}
	now.Add(89)
	if !s.ValidAccessToken(r.str("access_token")) {
		t.Fatal("expired early")
	}
	now.Add(1)
	if s.ValidAccessToken(r.str("access_token")) {
		t.Fatal("not expired at exp")
	}
}

func TestDressipiDenyOOB(t *testing.T) {
	s := newDP(t, 0)
	got, err := s.Deny(dpAuth(s))
	if err != nil || got != "Authorization denied: access_denied" {
		t.Fatalf("%q %v", got, err)
	}
}

func TestMintTokens(t *testing.T) {
	s := newDP(t, 0)
	tk, err := s.MintTokens("", 30*time.Second)
	if err != nil || tk.ExpiresIn != 30 || tk.RefreshToken == "" || tk.TokenType != "Bearer" {
		t.Fatalf("%+v %v", tk, err)
	}
	wantOK(t, dpPost(t, s, dpForm("refresh_token", "refresh_token", tk.RefreshToken)))
	tk, _ = s.MintTokens("", 0)
	s.Revoke(tk.RefreshToken)
	wantErr(t, dpPost(t, s, dpForm("refresh_token", "refresh_token", tk.RefreshToken)), 400, "invalid_grant")
}

package localoauth

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"
)

// TestStandaloneProcess runs Main in a child process (the test binary itself,
// see TestMain) and drives it through the control endpoints, as an
// end-to-end test of the tokenring binary would.
func TestStandaloneProcess(t *testing.T) {
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), "LOCALOAUTH_HELPER_PROCESS=1",
		"LOCALOAUTH_HELPER_ARGS=-provider dressipi -client-id cid -stdin", "LOCALOAUTH_API_KEY=k-123")
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		t.Fatalf("no banner: %v %s", err, stderr.String())
	}
	var banner map[string]string
	if err := json.Unmarshal([]byte(line), &banner); err != nil || !strings.HasPrefix(banner["url"], "http://127.0.0.1:") || banner["token_url"] != banner["url"]+"/oauth/token" {
		t.Fatalf("banner %q", line)
	}
	base := banner["url"]
	au := base + "/oauth/authorize?" + vals("response_type", "code", "client_id", "cid", "redirect_uri", OOBAuto,
		"code_challenge", challenge(testVerifier), "code_challenge_method", "S256").Encode()
	r := post(t, base+"/_localoauth/approve", vals("url", au))
	code, ok := strings.CutPrefix(r.raw, "Authorization code: ")
	if r.status != 200 || !ok {
		t.Fatalf("approve via control: %d %q", r.status, r.raw)
	}
	tok := post(t, base+"/oauth/token", vals("grant_type", "authorization_code", "client_id", "cid", "redirect_uri", OOBAuto,
		"code", code, "code_verifier", testVerifier), "x-api-key", "k-123")
	wantOK(t, tok)
	if c := get(t, base+"/_localoauth/count?path=/oauth/token"); c.raw != "1" {
		t.Fatalf("count %q", c.raw)
	}
	if x := post(t, base+"/_localoauth/revoke-all", nil); x.status != 204 {
		t.Fatal(x.status)
	}
	wantErr(t, post(t, base+"/oauth/token", vals("grant_type", "refresh_token", "client_id", "cid", "redirect_uri", OOBAuto,
		"refresh_token", tok.str("refresh_token")), "x-api-key", "k-123"), 400, "invalid_grant")
	if x := post(t, base+"/_localoauth/fail", vals("status", "503", "body", "down")); x.status != 204 {
		t.Fatal(x.status)
	}
	if x := post(t, base+"/oauth/token", nil); x.status != 503 || x.raw != "down" {
		t.Fatalf("injected %d %q", x.status, x.raw)
	}
	stdin.Close()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("exit: %v %s", err, stderr.String())
		}
	case <-time.After(5 * time.Second):
		t.Fatal("standalone server did not exit when stdin closed")
	}
	if strings.Contains(stderr.String(), "k-123") {
		t.Fatal("API key on stderr")
	}
}

func TestMainRefusesBadInput(t *testing.T) {
	var out, errb bytes.Buffer
	if Main([]string{"-provider", "nope"}, &out, &errb) != 2 || out.Len() != 0 {
		t.Fatal("unknown provider accepted")
	}
	if Main([]string{"-addr", "0.0.0.0:0"}, &out, &errb) != 1 || !strings.Contains(errb.String(), "loopback") {
		t.Fatalf("non-loopback address: %s", errb.String())
	}
	if _, err := StartOIDC(OIDCOptions{Addr: "192.0.2.1:80"}); err == nil {
		t.Fatal("non-loopback listen")
	}
}

func TestControlEndpointsOffByDefault(t *testing.T) {
	s := newWH(t, whSecret)
	wantErr(t, post(t, s.URL+"/_localoauth/revoke-all", nil), 404, "invalid_request")
}

func TestServeOnFixedAddress(t *testing.T) {
	s, err := StartOIDC(OIDCOptions{ClientID: oID, RedirectURIs: []string{OOB}})
	if err != nil {
		t.Fatal(err)
	}
	addr := strings.TrimPrefix(s.URL, "http://")
	s.Close()
	s2, err := StartOIDC(OIDCOptions{ClientID: oID, RedirectURIs: []string{OOB}, Addr: addr})
	if err != nil {
		t.Fatalf("port %s is not free after Close: %v", addr, err)
	}
	if s2.URL != "http://"+addr {
		t.Fatalf("URL %s", s2.URL)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Serve(ctx, s2) }()
	if r := get(t, s2.URL+"/.well-known/openid-configuration"); r.str("issuer") != s2.URL {
		t.Fatal(r.raw)
	}
	cancel()
	<-done
	if _, err := http.Get(s2.URL + "/jwks"); err == nil {
		t.Fatal("still serving after Serve returned")
	}
}

// apiKeyTransport adds Dressipi's header, as flow/exchange must.
type apiKeyTransport struct{ key string }

func (a apiKeyTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("x-api-key", a.key)
	return http.DefaultTransport.RoundTrip(r)
}

// TestXOAuth2Interop checks that a standard golang.org/x/oauth2 client, set
// up as DESIGN.md says (explicit AuthStyle, own http.Client), satisfies each
// server, and that Warhorn's code is spent by exactly one request.
func TestXOAuth2Interop(t *testing.T) {
	t.Run("warhorn", func(t *testing.T) {
		s := newWH(t, whSecret)
		conf := &oauth2.Config{ClientID: whID, ClientSecret: whSecret, RedirectURL: whCB, Scopes: []string{"openid", "email"},
			Endpoint: oauth2.Endpoint{AuthURL: s.URL + "/oauth/authorize", TokenURL: s.URL + "/oauth/token", AuthStyle: oauth2.AuthStyleInParams}}
		ctx := context.WithValue(context.Background(), oauth2.HTTPClient, &http.Client{Timeout: 5 * time.Second})
		landed, err := s.Approve(conf.AuthCodeURL("st", oauth2.SetAuthURLParam("nonce", "n1")))
		if err != nil {
			t.Fatal(err)
		}
		u, _ := url.Parse(landed)
		tk, err := conf.Exchange(ctx, u.Query().Get("code"))
		if err != nil || tk.Type() != "Bearer" || !tk.Expiry.IsZero() || tk.Extra("id_token") == nil {
			t.Fatalf("%v %+v", err, tk)
		}
		if _, err := conf.Exchange(ctx, u.Query().Get("code")); err == nil {
			t.Fatal("code reused")
		}
		if n := s.Count("/oauth/token"); n != 2 {
			t.Fatalf("token requests %d (want exactly one per exchange)", n)
		}
	})
	t.Run("dressipi", func(t *testing.T) {
		s := newDP(t, 0)
		conf := &oauth2.Config{ClientID: dpID, RedirectURL: OOBAuto,
			Endpoint: oauth2.Endpoint{AuthURL: s.URL + "/oauth/authorize", TokenURL: s.URL + "/oauth/token", AuthStyle: oauth2.AuthStyleInParams}}
		ctx := context.WithValue(context.Background(), oauth2.HTTPClient, &http.Client{Timeout: 5 * time.Second, Transport: apiKeyTransport{dpKey}})
		v := oauth2.GenerateVerifier()
		pasted, err := s.Approve(conf.AuthCodeURL("st", oauth2.S256ChallengeOption(v)))
		if err != nil {
			t.Fatal(err)
		}
		tk, err := conf.Exchange(ctx, codeFrom(t, pasted), oauth2.VerifierOption(v))
		if err != nil || tk.RefreshToken == "" {
			t.Fatalf("%v %+v", err, tk)
		}
		// x/oauth2's refresh sends no redirect_uri; Dressipi requires it, so
		// the client must add it (flow/exchange does its own refresh request).
		tk.Expiry = time.Now().Add(-time.Hour)
		if _, err := conf.TokenSource(ctx, tk).Token(); err == nil || !strings.Contains(err.Error(), "invalid_request") {
			t.Fatalf("refresh without redirect_uri: %v", err)
		}
	})
	t.Run("oidc-basic-rotating", func(t *testing.T) {
		s := newO(t, OIDCOptions{ClientSecret: oSecret, BasicAuth: true, RotateRefresh: true, PKCE: true})
		conf := &oauth2.Config{ClientID: oID, ClientSecret: oSecret, RedirectURL: oCB, Scopes: []string{"openid"},
			Endpoint: oauth2.Endpoint{AuthURL: s.URL + "/authorize", TokenURL: s.URL + "/token", AuthStyle: oauth2.AuthStyleInHeader}}
		ctx := context.WithValue(context.Background(), oauth2.HTTPClient, &http.Client{Timeout: 5 * time.Second})
		v := oauth2.GenerateVerifier()
		landed, err := s.Approve(conf.AuthCodeURL("st", oauth2.S256ChallengeOption(v)))
		if err != nil {
			t.Fatal(err)
		}
		u, _ := url.Parse(landed)
		tk, err := conf.Exchange(ctx, u.Query().Get("code"), oauth2.VerifierOption(v))
		if err != nil {
			t.Fatal(err)
		}
		old := tk.RefreshToken
		tk.Expiry = time.Now().Add(-time.Hour)
		nt, err := conf.TokenSource(ctx, tk).Token()
		if err != nil || nt.RefreshToken == old || nt.RefreshToken == "" {
			t.Fatalf("rotation: %v", err)
		}
		if s.ValidRefreshToken(old) {
			t.Fatal("old refresh token still valid")
		}
	})
}

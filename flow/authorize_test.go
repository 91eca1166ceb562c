package flow

import (
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/url"
	"strings"
	"testing"
)

func TestStartAuthDressipi(t *testing.T) {
	p, err := Preset("dressipi", Overrides{BaseURL: "https://api.example.com", ClientID: "client-1"})
	if err != nil {
		t.Fatal(err)
	}
	r, err := StartAuth(p)
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(r.URL)
	if err != nil {
		t.Fatal(err)
	}
	if u.Scheme+"://"+u.Host+u.Path != "https://api.example.com/oauth/authorize" {
		t.Fatalf("URL %s", r.URL)
	}
	q := u.Query()
	want := map[string]string{
		"response_type": "code", "client_id": "client-1", "redirect_uri": "urn:ietf:wg:oauth:2.0:oob:auto",
		"state": r.State, "code_challenge": r.Challenge, "code_challenge_method": "S256",
	}
	for k, v := range want {
		if q.Get(k) != v {
			t.Errorf("%s = %q, want %q", k, q.Get(k), v)
		}
	}
	if q.Has("nonce") || q.Has("scope") || q.Has("code_verifier") {
		t.Errorf("unexpected parameters in %v", q)
	}
	// RFC 7636 §4.1: 43–128 characters of [A-Za-z0-9-._~].
	if n := len(r.Verifier); n < 43 || n > 128 {
		t.Fatalf("verifier length %d", n)
	}
	if strings.Trim(r.Verifier, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~") != "" {
		t.Fatalf("verifier has characters outside the unreserved set")
	}
	sum := sha256.Sum256([]byte(r.Verifier))
	if r.Challenge != base64.RawURLEncoding.EncodeToString(sum[:]) || strings.Contains(r.Challenge, "=") || len(r.Challenge) != 43 {
		t.Fatalf("challenge %q is not base64url(sha256(verifier)) without padding", r.Challenge)
	}
	if strings.Contains(r.URL, r.Verifier) {
		t.Fatal("the verifier is in the URL")
	}
	// State: 32 random bytes, base64url.
	b, err := base64.RawURLEncoding.DecodeString(r.State)
	if err != nil || len(b) != 32 {
		t.Fatalf("state %q: %d bytes, %v", r.State, len(b), err)
	}
	if r.RedirectURI != DressipiRedirectURI || r.Created.IsZero() || r.Provider.ID != "dressipi" {
		t.Fatalf("request %+v", r.Provider)
	}
}

func TestPKCEChallengeRFC7636(t *testing.T) {
	// RFC 7636 Appendix B.
	if got := PKCEChallenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"); got != "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM" {
		t.Fatalf("got %s", got)
	}
}

func TestStartAuthWarhorn(t *testing.T) {
	p, _ := Preset("warhorn", Overrides{ClientID: "Lw897vn3R7y6M2NfsA2BxJGM", RedirectURI: "https://app.example.com/oauth"})
	r, err := StartAuth(p)
	if err != nil {
		t.Fatal(err)
	}
	q, _ := url.ParseQuery(strings.SplitN(r.URL, "?", 2)[1])
	if q.Get("scope") != "openid email profile" {
		t.Fatalf("scope %q", q.Get("scope"))
	}
	if !strings.Contains(r.URL, "scope=openid+email+profile") && !strings.Contains(r.URL, "scope=openid%20email%20profile") {
		t.Fatalf("scope not space separated in %s", r.URL)
	}
	if r.Nonce == "" || q.Get("nonce") != r.Nonce {
		t.Fatalf("nonce %q vs %q", r.Nonce, q.Get("nonce"))
	}
	if q.Has("code_challenge") || r.Verifier != "" || r.Challenge != "" {
		t.Fatal("PKCE sent although Warhorn's preset has it off")
	}
	if q.Get("redirect_uri") != "https://app.example.com/oauth" || q.Get("state") == "" {
		t.Fatalf("query %v", q)
	}
	// Fresh values every time.
	r2, _ := StartAuth(p)
	if r2.State == r.State || r2.Nonce == r.Nonce {
		t.Fatal("state or nonce reused")
	}
}

func TestStartAuthKeepsQueryAndParams(t *testing.T) {
	p := Provider{ID: "x", ClientID: "id", AuthURL: "https://a.example/auth?tenant=t1&response_type=token",
		TokenURL: "https://a.example/token", RedirectURI: "http://127.0.0.1:8765/cb",
		AuthParams: map[string]string{"prompt": "consent", "access_type": "offline"}}
	r, err := StartAuth(p)
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(r.URL)
	q := u.Query()
	if q.Get("tenant") != "t1" || q.Get("prompt") != "consent" || q.Get("access_type") != "offline" {
		t.Fatalf("lost parameters: %v", q)
	}
	if q["response_type"][0] != "code" || len(q["response_type"]) != 1 {
		t.Fatalf("response_type %v", q["response_type"])
	}
	// default PKCE is optional: a challenge is sent
	if q.Get("code_challenge_method") != "S256" || r.Verifier == "" {
		t.Fatal("no PKCE by default")
	}
}

// OpenID Connect Core §11: offline_access goes with prompt=consent, unless
// auth_params says otherwise (another prompt, or none: an empty value).
func TestStartAuthOfflineAccessAsksForConsent(t *testing.T) {
	base := Provider{ID: "x", ClientID: "id", AuthURL: "https://a.example/auth", TokenURL: "https://a.example/token",
		RedirectURI: "http://127.0.0.1:8765/cb"}
	prompt := func(p Provider) (string, bool) {
		t.Helper()
		r, err := StartAuth(p)
		if err != nil {
			t.Fatal(err)
		}
		u, _ := url.Parse(r.URL)
		v, ok := u.Query()["prompt"]
		if !ok {
			return "", false
		}
		return v[0], true
	}
	p := base
	p.Scopes = []string{"openid", "offline_access"}
	if v, ok := prompt(p); !ok || v != "consent" {
		t.Errorf("offline_access: prompt %q %v, want consent", v, ok)
	}
	p.Scopes = []string{"openid", "email"}
	if _, ok := prompt(p); ok {
		t.Error("prompt sent without offline_access")
	}
	p.Scopes = []string{"offline_access"}
	p.AuthParams = map[string]string{"prompt": "login"}
	if v, _ := prompt(p); v != "login" {
		t.Errorf("auth_params prompt = login: got %q", v)
	}
	p.AuthParams = map[string]string{"prompt": ""}
	if v, ok := prompt(p); ok {
		t.Errorf("auth_params prompt = \"\": sent prompt=%q", v)
	}
}

func TestStartAuthRefusesInvalid(t *testing.T) {
	p := Provider{ID: "x", ClientID: "id", AuthURL: "http://a.example/auth", TokenURL: "https://a.example/token", RedirectURI: "https://app/cb"}
	if _, err := StartAuth(p); !errors.Is(err, ErrInsecure) {
		t.Fatalf("http auth URL: %v", err)
	}
	p.AuthURL = "https://a.example/auth"
	p.RedirectURI = ""
	if _, err := StartAuth(p); !errors.Is(err, ErrConfig) {
		t.Fatalf("no redirect: %v", err)
	}
}

func TestAuthRequestDoesNotPrintSecrets(t *testing.T) {
	p, _ := Preset("dressipi", Overrides{BaseURL: "https://api.example.com", ClientID: "client-1"})
	r, _ := StartAuth(p)
	for _, s := range []string{r.String(), r.GoString()} {
		if strings.Contains(s, r.Verifier) {
			t.Fatal("verifier printed")
		}
	}
}

func TestIsLoopbackRedirect(t *testing.T) {
	for uri, want := range map[string]bool{
		"http://127.0.0.1:8765/callback": true,
		"http://127.0.0.1/cb":            true,
		"http://[::1]:9/cb":              true,
		"http://localhost:3000/oauth":    true,
		"https://127.0.0.1/cb":           false, // a listener cannot serve TLS
		"http://example.com/cb":          false,
		"http://localhost.evil.example/": false,
		"http://user@127.0.0.1/cb":       false,
		"urn:ietf:wg:oauth:2.0:oob:auto": false,
		"com.example.app:/cb":            false,
		"":                               false,
	} {
		if got := IsLoopbackRedirect(uri); got != want {
			t.Errorf("IsLoopbackRedirect(%q) = %v, want %v", uri, got, want)
		}
	}
}

func TestWithRedirectURI(t *testing.T) {
	p := Provider{ID: "x", AuthURL: "https://id.example/auth?tenant=a", TokenURL: "https://id.example/token",
		ClientID: "c", RedirectURI: "http://127.0.0.1/cb"}
	req, err := StartAuth(p)
	if err != nil {
		t.Fatal(err)
	}
	got, err := req.WithRedirectURI("http://127.0.0.1:40191/cb")
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(got.URL)
	q := u.Query()
	if got.RedirectURI != "http://127.0.0.1:40191/cb" || got.Provider.RedirectURI != got.RedirectURI ||
		q.Get("redirect_uri") != got.RedirectURI || q.Get("tenant") != "a" || q.Get("state") != req.State {
		t.Fatalf("WithRedirectURI: %q (redirect %q)", got.URL, got.RedirectURI)
	}
	if req.RedirectURI != "http://127.0.0.1/cb" {
		t.Fatal("WithRedirectURI changed the original request")
	}
}

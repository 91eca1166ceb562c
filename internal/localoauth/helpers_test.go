package localoauth

import (
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
)

func TestMain(m *testing.M) {
	if os.Getenv("LOCALOAUTH_HELPER_PROCESS") == "1" {
		os.Exit(Main(strings.Fields(os.Getenv("LOCALOAUTH_HELPER_ARGS")), os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

type resp struct {
	status int
	header http.Header
	raw    string
	json   map[string]any
}

func (r resp) str(k string) string { s, _ := r.json[k].(string); return s }

func do(t *testing.T, req *http.Request) resp {
	t.Helper()
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	r := resp{status: res.StatusCode, header: res.Header, raw: string(b)}
	json.Unmarshal(b, &r.json)
	return r
}

// post sends a form body; hdr are extra headers ("k", "v", ...).
func post(t *testing.T, u string, form url.Values, hdr ...string) resp {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, u, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	return do(t, req)
}

func get(t *testing.T, u string, hdr ...string) resp {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, u, nil)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	return do(t, req)
}

// wantErr asserts an RFC 6749 §5.2 JSON error.
func wantErr(t *testing.T, r resp, status int, code string) {
	t.Helper()
	if r.status != status || r.str("error") != code {
		t.Fatalf("want %d %s, got %d %s", status, code, r.status, r.raw)
	}
	if !strings.HasPrefix(r.header.Get("Content-Type"), "application/json") {
		t.Fatalf("error Content-Type %q", r.header.Get("Content-Type"))
	}
	if r.str("error_description") == "" {
		t.Fatalf("error without description: %s", r.raw)
	}
}

func wantOK(t *testing.T, r resp) {
	t.Helper()
	if r.status != http.StatusOK || r.str("access_token") == "" {
		t.Fatalf("want 200 with access_token, got %d %s", r.status, r.raw)
	}
}

func vals(kv ...string) url.Values {
	v := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Add(kv[i], kv[i+1])
	}
	return v
}

func authURL(s *Server, path string, v url.Values) string { return s.URL + path + "?" + v.Encode() }

const testVerifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk" // RFC 7636 appendix B

func challenge(v string) string {
	sum := sha256.Sum256([]byte(v))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// codeFrom pulls the code out of what Approve returned.
func codeFrom(t *testing.T, pasted string) string {
	t.Helper()
	if c, ok := strings.CutPrefix(pasted, "Authorization code: "); ok {
		return c
	}
	u, err := url.Parse(pasted)
	if err != nil || u.Query().Get("code") == "" {
		t.Fatalf("no code in %q", pasted)
	}
	return u.Query().Get("code")
}

// claims verifies a JWT's signature (RS256 with PublicKey, or HS256 not
// verified here) and returns its header and claims.
func claims(t *testing.T, jwt string) (map[string]any, map[string]any) {
	t.Helper()
	parts := strings.Split(jwt, ".")
	if len(parts) != 3 {
		t.Fatalf("not a JWT: %q", jwt)
	}
	var h, c map[string]any
	hb, err1 := base64.RawURLEncoding.DecodeString(parts[0])
	cb, err2 := base64.RawURLEncoding.DecodeString(parts[1])
	if err1 != nil || err2 != nil || json.Unmarshal(hb, &h) != nil || json.Unmarshal(cb, &c) != nil {
		t.Fatalf("JWT does not decode: %q", jwt)
	}
	if h["alg"] == "RS256" {
		sig, _ := base64.RawURLEncoding.DecodeString(parts[2])
		sum := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
		if err := rsa.VerifyPKCS1v15(PublicKey(), crypto.SHA256, sum[:], sig); err != nil {
			t.Fatalf("RS256 signature does not verify: %v", err)
		}
	}
	return h, c
}

// noLeak asserts that no response the server sent contains any of secrets.
func noLeak(t *testing.T, rs []resp, secrets ...string) {
	t.Helper()
	for _, r := range rs {
		for _, s := range secrets {
			if s != "" && r.json["error"] != nil && strings.Contains(r.raw, s) {
				t.Fatalf("error response leaks a secret: %s", r.raw)
			}
		}
	}
}

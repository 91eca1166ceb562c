package flow

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/tokenring/tokenring/internal/termtext"
)

func FuzzParsePaste(f *testing.F) {
	for _, s := range []string{
		"muCvSdwVv4UiSWM2QHn3W64J",
		"https://app.example.com/oauth/callback?code=muCvSdwVv4UiSWM2QHn3W64J&state=S1",
		"http://localhost:3000/oauth?code=abc&state=S",
		"http://[::1]:8765/cb#code=abc&state=S",
		"com.example.app:/cb?code=a%2Fb&state=x",
		"urn:ietf:wg:oauth:2.0:oob:auto?code=abc",
		"Authorization code:\n\nabc123\n\nCopy this code",
		"Success state=S&code=abc",
		"  \"<code=abc>\"  ",
		"https://x/cb?error=access_denied&error_description=%1B%5B31mno",
		"https://x/cb?code=a&code=b",
		"https://warhorn.net/oauth/authorize?response_type=code&client_id=x",
		"\x1b[200~abc\x1b[201~",
		"code: a b",
		"abc\x00",
		"“abc”",
		"?code=%zz",
		"",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ParsePaste(s)
		if err != nil {
			var oe *OAuthError
			if !errors.Is(err, ErrNotACode) && !errors.As(err, &oe) {
				t.Fatalf("error of unknown kind: %v", err)
			}
			if oe != nil && (oe.Code == "" || oe.Code != termtext.Clean(oe.Code) || oe.Description != termtext.Clean(oe.Description)) {
				t.Fatalf("uncleaned OAuth error: %+v", oe)
			}
			if p.Code != "" {
				t.Fatalf("code %q returned with an error", p.Code)
			}
			if len(err.Error()) > 600 {
				t.Fatalf("error too long: %d bytes", len(err.Error()))
			}
			if oe == nil && len(s) >= 12 && !strings.Contains(s, "://") && strings.Contains(err.Error(), s) {
				t.Fatalf("error repeats the input: %v", err)
			}
			return
		}
		if p.Code == "" || len(p.Code) > MaxPaste {
			t.Fatalf("bad code length %d", len(p.Code))
		}
		for i := 0; i < len(p.Code); i++ {
			if c := p.Code[i]; c < 0x20 || c > 0x7e {
				t.Fatalf("code has non-VSCHAR byte %#x", c)
			}
		}
		// Reading the code back alone gives the same code, unless it is a URL-decoded one with spaces.
		if !strings.ContainsAny(p.Code, " \"'`<>=?#&:") {
			q, err := ParsePaste(p.Code)
			if err != nil || q.Code != p.Code {
				t.Fatalf("code %q read back as %q, %v", p.Code, q.Code, err)
			}
		}
		r := &AuthRequest{State: p.State}
		if c, err := r.ReadPaste(s); err != nil || c != p.Code {
			t.Fatalf("ReadPaste with its own state: %q %v", c, err)
		}
	})
}

func FuzzDecodeJWT(f *testing.F) {
	for _, s := range []string{
		warhornIDToken, dressipiAccessToken,
		makeJWT(`{"alg":"none"}`, `{"exp":"1700000000","aud":["a",1,null],"nonce":"n"}`),
		makeJWT(`{}`, `{"exp":1e999}`),
		makeJWT(`{}`, `{"exp":-0.5,"iat":9999999999999,"nbf":"NaN"}`),
		"a.b.c", "..", "a.b.c.d.e", "eyJ9.eyJ9.", "",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		j, err := DecodeJWT(s)
		if err != nil {
			if !errors.Is(err, ErrBadResponse) {
				t.Fatalf("error of unknown kind: %v", err)
			}
			return
		}
		if j.Header == nil || j.Claims == nil {
			t.Fatal("nil maps without an error")
		}
		for _, tm := range []time.Time{j.Exp, j.Iat, j.Nbf} {
			if y := tm.Year(); !tm.IsZero() && (y < 1970 || y > 9999) {
				t.Fatalf("date out of range: %v", tm)
			}
		}
		for _, s := range append([]string{j.Iss, j.Sub}, j.Aud...) {
			if termtext.Clean(s) != s {
				t.Fatalf("uncleaned claim %q", s)
			}
		}
		for _, c := range append(j.DisplayClaims(), j.DisplayHeader()...) {
			if termtext.Clean(c.Value) != c.Value || termtext.Clean(c.Name) != c.Name {
				t.Fatalf("uncleaned display %q", c)
			}
		}
		_ = CheckNonce(s, "n")
		tok := &Token{AccessToken: s}
		ResolveExpiry(tok, 0, false, j.Iat)
	})
}

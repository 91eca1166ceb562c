package flow

import (
	"errors"
	"strings"
	"testing"
)

func TestParsePasteAccepts(t *testing.T) {
	tests := []struct {
		name, in string
		code     string
		state    string
		hasState bool
	}{
		{"bare code", "muCvSdwVv4UiSWM2QHn3W64J", "muCvSdwVv4UiSWM2QHn3W64J", "", false},
		{"bare code with whitespace and newline", "  \tmuCvSdwVv4UiSWM2QHn3W64J\r\n", "muCvSdwVv4UiSWM2QHn3W64J", "", false},
		{"double quotes", `"abc123"`, "abc123", "", false},
		{"single quotes", `'abc123'`, "abc123", "", false},
		{"angle brackets", `<abc123>`, "abc123", "", false},
		{"nested quotes and brackets", ` "<'abc123'>" `, "abc123", "", false},
		{"typographic quotes", "“abc123”", "abc123", "", false},
		{"backticks", "`abc123`", "abc123", "", false},
		{"bracketed paste markers", "\x1b[200~abc123\x1b[201~", "abc123", "", false},
		{"zero-width space", "abc\u200b123", "abc123", "", false},
		{"base64 padding is not a query", "YWJjZA==", "YWJjZA==", "", false},
		{"code with colon is not a URL", "4/0Ad:xyz", "4/0Ad:xyz", "", false},
		{"leading code=", "code=abc123", "abc123", "", false},
		{"query with state", "code=abc&state=xyz", "abc", "xyz", true},
		{"query with leading ?", "?state=xyz&code=abc", "abc", "xyz", true},
		{"https callback", "https://app.example.com/oauth/callback?code=muCvSdwVv4UiSWM2QHn3W64J&state=S1", "muCvSdwVv4UiSWM2QHn3W64J", "S1", true},
		{"https callback, no state", "https://app.example.com/cb?code=abc", "abc", "", false},
		{"https callback, empty state", "https://app.example.com/cb?code=abc&state=", "abc", "", true},
		{"localhost with port", "http://localhost:3000/oauth?code=abc&state=S", "abc", "S", true},
		{"127.0.0.1", "http://127.0.0.1:8765/callback?state=S&code=abc", "abc", "S", true},
		{"ipv6 loopback", "http://[::1]:8765/callback?state=S&code=abc", "abc", "S", true},
		{"custom scheme", "com.example.app:/oauth2redirect?code=abc&state=S", "abc", "S", true},
		{"custom scheme with //", "myapp://cb?code=abc&state=S", "abc", "S", true},
		{"code in fragment", "https://app.example.com/cb#code=abc&state=S", "abc", "S", true},
		{"query wins over fragment", "https://app.example.com/cb?code=q&state=S#code=f", "q", "S", true},
		{"percent-encoded code", "https://x.example/cb?code=a%2Fb%3D&state=S", "a/b=", "S", true},
		{"plus is a space in form encoding", "https://x.example/cb?code=a+b", "a b", "", false},
		{"OOB URN with query", "urn:ietf:wg:oauth:2.0:oob:auto?code=abc", "abc", "", false},
		{"URL in angle brackets", "<https://x.example/cb?code=abc&state=S>", "abc", "S", true},
		{"URL in quotes with spaces", `  "https://x.example/cb?code=abc&state=S"  `, "abc", "S", true},
		{"uppercase key", "https://x.example/cb?CODE=abc", "abc", "", false},
		{"same URL twice", "https://x.example/cb?code=abc&state=S https://x.example/cb?code=abc&state=S", "abc", "S", true},
		{"OOB page one line", "Authorization code: abc123", "abc123", "", false},
		{"OOB page label then value", "Authorization code:\n\n  abc123  \n\nCopy this code and paste it into your application.", "abc123", "", false},
		{"OOB page code is", "Your code is: abc123", "abc123", "", false},
		{"OOB title (Google style)", "Success state=S&code=abc123", "abc123", "S", true},
		{"line containing code= among prose", "Please copy:\nhttps://x.example/cb?code=abc&state=S\nthanks", "abc", "S", true},
		{"code label glued", "code:abc123", "abc123", "", false},
		{"Warhorn seed code", "muCvSdwVv4UiSWM2QHn3W64J\n", "muCvSdwVv4UiSWM2QHn3W64J", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := ParsePaste(tt.in)
			if err != nil {
				t.Fatalf("ParsePaste: %v", err)
			}
			if p.Code != tt.code || p.State != tt.state || p.HasState != tt.hasState {
				t.Fatalf("got %+v, want code %q state %q has %v", p, tt.code, tt.state, tt.hasState)
			}
		})
	}
}

func TestParsePasteRejects(t *testing.T) {
	secret := "Sup3rS3cretT0ken"
	tests := []struct {
		name, in, reason string
	}{
		{"empty", "", "empty"},
		{"only whitespace", " \n\t ", "empty"},
		{"only quotes", `""`, "empty"},
		{"two words", "abc " + secret, "spaces"},
		{"sentence", "I could not find the " + secret, "spaces"},
		{"URL without code", "https://app.example.com/cb?state=S&x=" + secret, "no code"},
		{"URL without anything", "https://app.example.com/cb/" + secret, "no code"},
		{"the authorization URL itself", "https://warhorn.net/oauth/authorize?response_type=code&client_id=abc&state=S", "authorization URL itself"},
		{"implicit-flow token", "https://x.example/cb#access_token=" + secret + "&token_type=bearer", "access token"},
		{"empty code in URL", "https://x.example/cb?code=&state=S", "empty"},
		{"two different codes", "https://x.example/cb?code=a&code=b", "more than one code"},
		{"two different URLs", "https://x.example/cb?code=a https://x.example/cb?code=b", "more than one"},
		{"two states", "https://x.example/cb?code=a&state=1&state=2", "more than one state"},
		{"bad escape", "https://x.example/cb?code=%zz&state=S", "%-encoded"},
		{"control character", "abc\x01" + secret, "control"},
		{"escape sequence", "abc\x1b[31m" + secret, "control"},
		{"DEL", "abc\x7f", "control"},
		{"C1 control", "abc\u009b31m", "control"},
		{"NUL", "abc\x00", "control"},
		{"invalid UTF-8", "abc\xff", "UTF-8"},
		{"non-ASCII code", "abcé" + secret, "cannot have"},
		{"non-ASCII code in URL", "https://x.example/cb?code=%C3%A9" + secret, "cannot have"},
		{"control char in decoded code", "https://x.example/cb?code=a%0Ab", "cannot have"},
		{"too long", strings.Repeat("a", MaxPaste+1), "too long"},
		{"label with two words", "Authorization code: abc " + secret, "spaces"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := ParsePaste(tt.in)
			if err == nil {
				t.Fatalf("accepted: %+v", p)
			}
			if !errors.Is(err, ErrNotACode) {
				t.Fatalf("error %v does not wrap ErrNotACode", err)
			}
			if !strings.Contains(err.Error(), tt.reason) {
				t.Fatalf("error %q does not say %q", err, tt.reason)
			}
			if strings.Contains(err.Error(), secret) {
				t.Fatalf("error echoes the pasted text: %q", err)
			}
		})
	}
}

func TestParsePasteOAuthError(t *testing.T) {
	in := "https://app.example.com/cb?error=access_denied&error_description=The+user+said+%1B%5B31mno%1B%5B0m%0Athanks&state=S"
	p, err := ParsePaste(in)
	var oe *OAuthError
	if !errors.As(err, &oe) {
		t.Fatalf("want *OAuthError, got %v", err)
	}
	if oe.Op != "authorization" || oe.Code != "access_denied" || oe.Description != "The user said no thanks" || oe.Status != 0 {
		t.Fatalf("got %+v", oe)
	}
	if !p.HasState || p.State != "S" {
		t.Fatalf("state not kept with the error: %+v", p)
	}
	if errors.Is(err, ErrNotACode) {
		t.Fatal("an error redirect is not 'not a code'")
	}
	// in the fragment, too
	_, err = ParsePaste("myapp://cb#error=invalid_scope")
	if !errors.As(err, &oe) || oe.Code != "invalid_scope" {
		t.Fatalf("fragment error: %v", err)
	}
}

func TestReadPasteState(t *testing.T) {
	r := &AuthRequest{State: "the-state"}
	tests := []struct {
		name, in string
		code     string
		wantErr  error
	}{
		{"matching state", "https://x.example/cb?code=abc&state=the-state", "abc", nil},
		{"other state", "https://x.example/cb?code=abc&state=other", "", ErrStateMismatch},
		{"empty state", "https://x.example/cb?code=abc&state=", "", ErrStateMismatch},
		{"prefix of state", "https://x.example/cb?code=abc&state=the-stat", "", ErrStateMismatch},
		{"no state in URL (provider dropped it): accepted", "https://x.example/cb?code=abc", "abc", nil},
		{"bare code: accepted", "abc", "abc", nil},
		{"error redirect of another attempt", "https://x.example/cb?error=access_denied&state=other", "", ErrStateMismatch},
		{"not a code", "hello world", "", ErrNotACode},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, err := r.ReadPaste(tt.in)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("got %q, %v; want %v", code, err, tt.wantErr)
				}
				if code != "" {
					t.Fatalf("code %q returned with an error", code)
				}
				return
			}
			if err != nil || code != tt.code {
				t.Fatalf("got %q, %v; want %q", code, err, tt.code)
			}
		})
	}
	_, err := r.ReadPaste("https://x.example/cb?error=access_denied&state=the-state")
	var oe *OAuthError
	if !errors.As(err, &oe) || oe.Code != "access_denied" {
		t.Fatalf("error redirect of this attempt: %v", err)
	}
}

// The 4 KiB cap holds for the whole paste on its own: a 5 KB redirect URL
// whose code is short and valid is still refused as too long.
func TestParsePasteCapsTheWholePaste(t *testing.T) {
	u := "https://app.example/oauth/callback?code=abc123&state=xyz&pad=" + strings.Repeat("a", 5000)
	if len(u) <= MaxPaste {
		t.Fatalf("the paste is only %d bytes", len(u))
	}
	if p, err := ParsePaste(u); !errors.Is(err, ErrNotACode) || !strings.Contains(err.Error(), "too long") {
		t.Fatalf("5 KB paste: %+v %v", p, err)
	}
	if p, err := ParsePaste(u[:MaxPaste]); err != nil || p.Code != "abc123" {
		t.Fatalf("the same URL cut to 4 KiB: %+v %v", p, err)
	}
}

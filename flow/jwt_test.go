package flow

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
)

// From shared/seeds/warhorn-user-access-tokens.txt.
const warhornIDToken = "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiIsImtpZCI6ImRlZmF1bHQifQ.eyJpc3MiOiJodHRwczovL3dhcmhvcm4ubmV0Iiwic3ViIjoiMDAwMDAwMDAwMSIsImF1ZCI6Ikx3ODk3dm4zUjd5Nk0yTmZzQTJCeEpHTSIsImV4cCI6NDcxNzQ5ODM2MiwiaWF0IjoxNTYxODIxMTYyLCJub25jZSI6ImU4YjNjZGY3MTU2YjA1Njk4YWQwIn0.CDu2DvDB8Mgc-ptTojCQf0DuN2rHFAuMEL0kW74ZsDXpPb1-2wxtOB1JtxNqHF5QAm1nqYHd0JftUC3wn_migmz0nN99hZJwUJY2df5DDb7RTzMjShnpclfszizQWbXEUI8rJFyxEh5cUaLUml1zZCdM1txNKBzwcwhEKwZIVdgLZ6D4lEJJSiN13ND6nhRWpdKhTqLvrviACEU5Qt5RKsjBkZho6yvGjIfDOLux8KyiL7KzN5ypZFrYOhKq47AhbPCp7-v4QtKWphplUW54OneRX-B-PGxwBW39o9pct_CXT1KAXAomKjWGH0IialwaDaq-1eRGs1lfzKAN5Mi4bQ"

// From shared/seeds/dressipi-oauth-token.txt.
const dressipiAccessToken = "eyJhbGciOiJIUzI1NiJ9.eyJleHAiOjE1NzE5OTQ2NzIsImlhdCI6MTU3MTkwODI3Miwic3ViIjoiOTQxNzMifQ.mb3ur-cCDbApKU1j24SkjgR7AjLNGQ2pHkJdpfKtY28"

func makeJWT(header, claims string) string {
	e := base64.RawURLEncoding.EncodeToString
	return e([]byte(header)) + "." + e([]byte(claims)) + ".sig"
}

func TestDecodeJWTWarhornSeed(t *testing.T) {
	j, err := DecodeJWT(warhornIDToken)
	if err != nil {
		t.Fatal(err)
	}
	if j.Iss != "https://warhorn.net" || j.Sub != "0000000001" || j.Nonce != "e8b3cdf7156b05698ad0" {
		t.Fatalf("iss %q sub %q nonce %q", j.Iss, j.Sub, j.Nonce)
	}
	if !slices.Equal(j.Aud, []string{"Lw897vn3R7y6M2NfsA2BxJGM"}) {
		t.Fatalf("aud %v", j.Aud)
	}
	if !j.Exp.Equal(time.Unix(4717498362, 0)) || !j.Iat.Equal(time.Unix(1561821162, 0)) || !j.Nbf.IsZero() {
		t.Fatalf("exp %v iat %v nbf %v", j.Exp, j.Iat, j.Nbf)
	}
	if j.Header["alg"] != "RS256" || j.Header["kid"] != "default" {
		t.Fatalf("header %v", j.Header)
	}
	if err := CheckNonce(warhornIDToken, "e8b3cdf7156b05698ad0"); err != nil {
		t.Fatal(err)
	}
	if err := CheckNonce(warhornIDToken, "e8b3cdf7156b05698ad1"); !errors.Is(err, ErrNonceMismatch) {
		t.Fatalf("wrong nonce: %v", err)
	}
	dc := j.DisplayClaims()
	if dc[0].Name != "aud" || !strings.Contains(claimValue(dc, "exp"), "2119-") {
		t.Fatalf("display %v", dc)
	}
}

func claimValue(cs []Claim, name string) string {
	for _, c := range cs {
		if c.Name == name {
			return c.Value
		}
	}
	return ""
}

func TestDecodeJWTDressipiSeed(t *testing.T) {
	j, err := DecodeJWT(dressipiAccessToken)
	if err != nil {
		t.Fatal(err)
	}
	if !j.Exp.Equal(time.Unix(1571994672, 0)) || j.Sub != "94173" || j.Exp.Sub(j.Iat) != 86400*time.Second {
		t.Fatalf("exp %v iat %v sub %q", j.Exp, j.Iat, j.Sub)
	}
}

func TestDecodeJWTClaims(t *testing.T) {
	tests := []struct {
		name, claims string
		exp          time.Time
		aud          []string
	}{
		{"numeric string exp", `{"exp":"1700000000"}`, time.Unix(1700000000, 0), nil},
		{"fractional exp", `{"exp":1700000000.5}`, time.Unix(1700000000, 5e8), nil},
		{"aud array", `{"aud":["a","b",3]}`, time.Time{}, []string{"a", "b"}},
		{"exp garbage", `{"exp":"soon"}`, time.Time{}, nil},
		{"exp negative", `{"exp":-5}`, time.Time{}, nil},
		{"exp huge", `{"exp":1e300}`, time.Time{}, nil},
		{"exp bool", `{"exp":true}`, time.Time{}, nil},
		{"aud with escape", `{"aud":"a\u001b[31mb"}`, time.Time{}, []string{"ab"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			j, err := DecodeJWT(makeJWT(`{"alg":"none"}`, tt.claims))
			if err != nil {
				t.Fatal(err)
			}
			if !j.Exp.Equal(tt.exp) || !slices.Equal(j.Aud, tt.aud) {
				t.Fatalf("exp %v aud %q", j.Exp, j.Aud)
			}
		})
	}
}

func TestDecodeJWTRejects(t *testing.T) {
	for name, in := range map[string]string{
		"opaque":        "y1XX8rsAPrEfdk4GBAXZH2TL",
		"two parts":     "eyJhbGciOiJub25lIn0.eyJ9",
		"JWE":           "a.b.c.d.e",
		"bad base64":    "e!!.e!!.x",
		"not JSON":      makeJWT(`{"alg":"none"}`, `not json`),
		"array claims":  makeJWT(`{"alg":"none"}`, `[1,2]`),
		"null claims":   makeJWT(`{"alg":"none"}`, `null`),
		"trailing data": makeJWT(`{"alg":"none"}`, `{} {}`),
		"empty header":  ".e30.x",
		"too long":      makeJWT(`{}`, `{"x":"`+strings.Repeat("a", MaxJWT)+`"}`),
	} {
		if _, err := DecodeJWT(in); !errors.Is(err, ErrBadResponse) {
			t.Errorf("%s: %v", name, err)
		} else if len(in) > 10 && strings.Contains(err.Error(), in[:10]) {
			t.Errorf("%s: error repeats the token: %v", name, err)
		}
	}
}

func TestResolveExpiry(t *testing.T) {
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	jwtExp := time.Unix(1700000000, 0)
	jwtTok := makeJWT(`{"alg":"none"}`, `{"exp":1700000000}`)
	tests := []struct {
		name      string
		access    string
		in        int64
		has       bool
		wantSrc   ExpirySource
		wantExpir time.Time
	}{
		{"expires_in wins", jwtTok, 3600, true, ExpiryFromExpiresIn, now.Add(time.Hour)},
		{"opaque with expires_in", "opaque", 86400, true, ExpiryFromExpiresIn, now.Add(24 * time.Hour)},
		{"no expires_in: JWT exp", jwtTok, 0, false, ExpiryFromJWT, jwtExp},
		{"expires_in 0 counts as absent", jwtTok, 0, true, ExpiryFromJWT, jwtExp},
		{"negative expires_in", "opaque", -1, true, ExpiryNone, time.Time{}},
		{"absurd expires_in", "opaque", 1 << 60, true, ExpiryNone, time.Time{}},
		{"Warhorn: opaque, none", "y1XX8rsAPrEfdk4GBAXZH2TL", 0, false, ExpiryNone, time.Time{}},
		{"JWT without exp", makeJWT(`{}`, `{"sub":"x"}`), 0, false, ExpiryNone, time.Time{}},
		{"Dressipi seed JWT", dressipiAccessToken, 0, false, ExpiryFromJWT, time.Unix(1571994672, 0)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tok := &Token{AccessToken: tt.access, Expiry: now, ExpirySource: "stale"}
			ResolveExpiry(tok, tt.in, tt.has, now)
			if tok.ExpirySource != tt.wantSrc || !tok.Expiry.Equal(tt.wantExpir) || !tok.IssuedAt.Equal(now) {
				t.Fatalf("got %v %v issued %v", tok.ExpirySource, tok.Expiry, tok.IssuedAt)
			}
			if tok.Expires() != !tt.wantExpir.IsZero() {
				t.Fatal("Expires disagrees")
			}
		})
	}
	ResolveExpiry(nil, 1, true, now) // no panic
}

func TestParseExpiresIn(t *testing.T) {
	for raw, want := range map[string]struct {
		n  int64
		ok bool
	}{
		`3600`: {3600, true}, `"3600"`: {3600, true}, `" 60 "`: {60, true}, `3600.9`: {3600, true},
		`null`: {0, false}, ``: {0, false}, `"soon"`: {0, false}, `true`: {0, false}, `1e300`: {0, false}, `"NaN"`: {0, false},
	} {
		n, ok := ParseExpiresIn(json.RawMessage(raw))
		if n != want.n || ok != want.ok {
			t.Errorf("%s: got %d %v", raw, n, ok)
		}
	}
}

func TestCheckNonce(t *testing.T) {
	noNonce := makeJWT(`{"alg":"none"}`, `{"sub":"x"}`)
	tests := []struct {
		name, id, nonce string
		want            error
		says            string // the message says why (the user sees it)
	}{
		{"no id token", "", "n", nil, ""},
		{"no nonce sent", noNonce, "", nil, ""},
		{"nonce missing from token", noNonce, "n", ErrNonceMismatch, "it has none"},
		{"empty nonce in token", makeJWT(`{}`, `{"nonce":""}`), "n", ErrNonceMismatch, "it has none"},
		{"unreadable id token", "garbage", "n", ErrBadResponse, ""},
		{"match", makeJWT(`{}`, `{"nonce":"n1"}`), "n1", nil, ""},
		{"mismatch", makeJWT(`{}`, `{"nonce":"n1"}`), "n2", ErrNonceMismatch, ""},
	}
	for _, tt := range tests {
		err := CheckNonce(tt.id, tt.nonce)
		if tt.want == nil && err != nil || tt.want != nil && !errors.Is(err, tt.want) {
			t.Errorf("%s: got %v, want %v", tt.name, err, tt.want)
		}
		if tt.says != "" && (err == nil || !strings.Contains(err.Error(), tt.says)) {
			t.Errorf("%s: the message %v does not say %q", tt.name, err, tt.says)
		}
	}
}

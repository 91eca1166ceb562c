package flow

import (
	"bytes"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/tokenring/tokenring/internal/termtext"
)

// MaxJWT is the longest token DecodeJWT reads (64 KiB).
const MaxJWT = 64 << 10

// JWT is a decoded JSON Web Token, for display and for reading exp and
// nonce. DecodeJWT does NOT verify the signature: nothing read here may be
// used to decide whom to trust. tokenring only shows the claims, takes the
// access token's exp as a hint of its expiry, and compares the ID token's
// nonce with the one it sent (the token itself came straight from the
// token endpoint over TLS).
//
// Header and Claims are the raw JSON objects (numbers as json.Number);
// their strings are as the server sent them: pass them through Clean, or
// use DisplayClaims. The typed fields are zero when the claim is absent or
// unreadable; Iss, Sub and Aud are cleaned, Nonce is raw.
type JWT struct {
	Header map[string]any
	Claims map[string]any

	Exp, Iat, Nbf time.Time
	Iss, Sub      string
	Nonce         string
	Aud           []string
}

// DecodeJWT decodes a compact JWS (header.payload.signature, base64url).
// Errors wrap ErrBadResponse and never contain the token.
func DecodeJWT(s string) (*JWT, error) {
	s = strings.TrimSpace(s)
	if len(s) > MaxJWT {
		return nil, fmt.Errorf("%w: the JWT is too long (%d bytes)", ErrBadResponse, len(s))
	}
	parts := strings.Split(s, ".")
	switch len(parts) {
	case 3:
	case 5:
		return nil, fmt.Errorf("%w: the token is an encrypted JWT (JWE), which cannot be read", ErrBadResponse)
	default:
		return nil, fmt.Errorf("%w: not a JWT (a JWT has 3 dot-separated parts, this has %d)", ErrBadResponse, len(parts))
	}
	h, err := decodeSegment(parts[0])
	if err != nil {
		return nil, fmt.Errorf("%w: the JWT header %s", ErrBadResponse, err)
	}
	c, err := decodeSegment(parts[1])
	if err != nil {
		return nil, fmt.Errorf("%w: the JWT claims %s", ErrBadResponse, err)
	}
	j := &JWT{Header: h, Claims: c}
	j.Exp = numericDate(c["exp"])
	j.Iat = numericDate(c["iat"])
	j.Nbf = numericDate(c["nbf"])
	if v, ok := c["iss"].(string); ok {
		j.Iss = termtext.Clean(v)
	}
	if v, ok := c["sub"].(string); ok {
		j.Sub = termtext.Clean(v)
	}
	if v, ok := c["nonce"].(string); ok {
		j.Nonce = v
	}
	switch v := c["aud"].(type) {
	case string:
		j.Aud = []string{termtext.Clean(v)}
	case []any:
		for _, a := range v {
			if s, ok := a.(string); ok {
				j.Aud = append(j.Aud, termtext.Clean(s))
			}
		}
	}
	return j, nil
}

func decodeSegment(seg string) (map[string]any, error) {
	seg = strings.TrimRight(seg, "=")
	if seg == "" {
		return nil, fmt.Errorf("is empty")
	}
	b, err := base64.RawURLEncoding.DecodeString(seg)
	if err != nil {
		// Some issuers use the standard alphabet.
		if b, err = base64.RawStdEncoding.DecodeString(seg); err != nil {
			return nil, fmt.Errorf("is not base64url")
		}
	}
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var m map[string]any
	if err := d.Decode(&m); err != nil || m == nil {
		return nil, fmt.Errorf("is not a JSON object")
	}
	if d.More() {
		return nil, fmt.Errorf("has data after the JSON object")
	}
	return m, nil
}

// numericDate reads a NumericDate (RFC 7519 §2): seconds since the epoch,
// as a JSON number or a numeric string, fractions allowed. Anything else,
// or a date outside years 1970–9999, gives the zero time.
func numericDate(v any) time.Time {
	var f float64
	var err error
	switch n := v.(type) {
	case json.Number:
		f, err = strconv.ParseFloat(string(n), 64)
	case string:
		f, err = strconv.ParseFloat(strings.TrimSpace(n), 64)
	case float64:
		f = n
	default:
		return time.Time{}
	}
	if err != nil || math.IsNaN(f) || f <= 0 || f > 253402300799 { // 9999-12-31T23:59:59Z
		return time.Time{}
	}
	sec, frac := math.Modf(f)
	return time.Unix(int64(sec), int64(frac*1e9)).UTC()
}

// Claim is one header field or claim, ready to show.
type Claim struct {
	Name  string
	Value string // cleaned; NumericDates also shown as RFC 3339 UTC
}

// DisplayClaims lists the claims sorted by name with cleaned values.
func (j *JWT) DisplayClaims() []Claim { return display(j.Claims, true) }

// DisplayHeader lists the header fields sorted by name with cleaned values.
func (j *JWT) DisplayHeader() []Claim { return display(j.Header, false) }

func display(m map[string]any, dates bool) []Claim {
	out := make([]Claim, 0, len(m))
	for k, v := range m {
		var s string
		switch x := v.(type) {
		case string:
			s = x
		default:
			b, err := json.Marshal(x)
			if err != nil {
				s = "?"
			} else {
				s = string(b)
			}
		}
		if dates {
			switch k {
			case "exp", "iat", "nbf", "auth_time", "updated_at":
				if t := numericDate(v); !t.IsZero() {
					s += " (" + t.Format(time.RFC3339) + ")"
				}
			}
		}
		out = append(out, Claim{Name: termtext.Clean(k), Value: termtext.Clean(s)})
	}
	sort.Slice(out, func(a, b int) bool { return out[a].Name < out[b].Name })
	return out
}

// ResolveExpiry sets tok.Expiry and tok.ExpirySource, and tok.IssuedAt when
// it is zero:
//   - from expires_in when the response had one (hasExpiresIn) and it is
//     between 1 s and 100 years: now + expiresIn, ExpiryFromExpiresIn;
//   - else from the exp claim when the access token is a JWT: ExpiryFromJWT;
//   - else zero Expiry and ExpiryNone ("does not expire", as Warhorn's).
//
// expires_in of 0, negative or absurd counts as absent (x/oauth2 also reads
// 0 as "no expiry"). flow/exchange calls this for every token response.
func ResolveExpiry(tok *Token, expiresIn int64, hasExpiresIn bool, now time.Time) {
	if tok == nil {
		return
	}
	if tok.IssuedAt.IsZero() {
		tok.IssuedAt = now
	}
	const maxExpiresIn = 100 * 365 * 24 * 3600
	if hasExpiresIn && expiresIn > 0 && expiresIn <= maxExpiresIn {
		tok.Expiry = now.Add(time.Duration(expiresIn) * time.Second)
		tok.ExpirySource = ExpiryFromExpiresIn
		return
	}
	if strings.Count(tok.AccessToken, ".") == 2 {
		if j, err := DecodeJWT(tok.AccessToken); err == nil && !j.Exp.IsZero() {
			tok.Expiry = j.Exp
			tok.ExpirySource = ExpiryFromJWT
			return
		}
	}
	tok.Expiry = time.Time{}
	tok.ExpirySource = ExpiryNone
}

// ParseExpiresIn reads a token response's expires_in given as a JSON number
// or a numeric string ("3600"); fractions are truncated. ok is false when
// raw is absent, null, empty or not a number.
func ParseExpiresIn(raw json.RawMessage) (seconds int64, ok bool) {
	s := strings.TrimSpace(string(raw))
	if s == "" || s == "null" {
		return 0, false
	}
	if len(s) >= 2 && s[0] == '"' && s[len(s)-1] == '"' {
		s = strings.TrimSpace(s[1 : len(s)-1])
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) || f > math.MaxInt32*100.0 || f < -math.MaxInt32*100.0 {
		return 0, false
	}
	return int64(f), true
}

// CheckNonce compares the ID token's nonce claim with the nonce sent in the
// authorization request (OpenID Connect Core §3.1.3.7). No ID token, or no
// nonce sent, passes. A nonce missing from the ID token or a different one
// wraps ErrNonceMismatch; an unreadable ID token wraps ErrBadResponse.
// The signature is not verified (see JWT).
func CheckNonce(idToken, nonce string) error {
	if strings.TrimSpace(idToken) == "" || nonce == "" {
		return nil
	}
	j, err := DecodeJWT(idToken)
	if err != nil {
		return fmt.Errorf("the ID token cannot be read: %w", err)
	}
	if j.Nonce == "" {
		return fmt.Errorf("%w (it has none)", ErrNonceMismatch)
	}
	if subtle.ConstantTimeCompare([]byte(j.Nonce), []byte(nonce)) != 1 {
		return ErrNonceMismatch
	}
	return nil
}

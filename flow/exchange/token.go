package exchange

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"strconv"
	"strings"
	"time"

	"golang.org/x/oauth2"

	"github.com/tokenring/tokenring/flow"
)

// maxExpiresIn caps expires_in as x/oauth2 does (int32 seconds, ~68 years).
const maxExpiresIn = math.MaxInt32

// errNoAccessToken and friends are the reader's own failures; the caller
// wraps them into a sentence naming the provider.
var (
	errNoAccessToken = errors.New("the reply has no access_token")
	errBadTokenChars = errors.New("a token in the reply contains control characters or spaces")
)

// readToken turns a successful token reply into a flow.Token. It is the one
// place that reads token replies: base holds x/oauth2's typed fields (may be
// empty), raw(key) the reply's fields (oauth2.Token.Extra, or a decoded JSON
// map in the fuzz test), now the clock.
//
// Rules: access_token required; token_type kept as sent; refresh_token,
// id_token, scope (a string, or a JSON array of strings); expires_in as a
// number or a numeric string — a positive value sets Expiry = now +
// expires_in (capped at 2^31-1 s); without one, the access token's own JWT
// exp claim; else no expiry (ExpiryNone). refresh_expires_in likewise sets
// RefreshExpiry. Tokens with control characters or whitespace are refused
// (they could never be sent in a header anyway).
func readToken(base *oauth2.Token, raw func(string) any, now time.Time) (*flow.Token, error) {
	if base == nil {
		base = &oauth2.Token{}
	}
	str := func(typed, key string) string {
		if typed != "" {
			return typed
		}
		s, _ := raw(key).(string)
		return s
	}
	t := &flow.Token{
		AccessToken:  str(base.AccessToken, "access_token"),
		TokenType:    flow.Clean(str(base.TokenType, "token_type")),
		RefreshToken: str(base.RefreshToken, "refresh_token"),
		IssuedAt:     now,
	}
	t.IDToken, _ = raw("id_token").(string)
	t.Scope = flow.Clean(scopeString(raw("scope")))
	if t.AccessToken == "" {
		return nil, errNoAccessToken
	}
	for _, s := range []string{t.AccessToken, t.RefreshToken, t.IDToken} {
		if !isTokenChars(s) {
			return nil, errBadTokenChars
		}
	}
	secs, ok := seconds(raw("expires_in"))
	flow.ResolveExpiry(t, secs, ok, now)
	if secs, ok := seconds(raw("refresh_expires_in")); ok && t.RefreshToken != "" {
		t.RefreshExpiry = now.Add(time.Duration(secs) * time.Second)
	}
	return t, nil
}

// normalizeExpiresIn rewrites a JSON token reply whose expires_in x/oauth2
// would choke on. x/oauth2 decodes expires_in into an int32 through
// json.Number.Int64, so 3600.0, 3.6e3, "3600.5", "soon" or true make it
// reject the whole reply — which for a code exchange would waste the
// single-use code on a reply that carried a perfectly good token. Such a
// value becomes its integer part when it is a positive number (as a JSON
// number or numeric string), and is dropped otherwise. Replies whose
// expires_in is absent or an integer are returned unchanged.
func normalizeExpiresIn(body []byte) []byte {
	var probe struct {
		ExpiresIn json.RawMessage `json:"expires_in"`
	}
	if json.Unmarshal(body, &probe) != nil || len(probe.ExpiresIn) == 0 || isJSONInt(probe.ExpiresIn) {
		return body
	}
	d := json.NewDecoder(bytes.NewReader(body))
	d.UseNumber()
	var m map[string]any
	if d.Decode(&m) != nil || m == nil {
		return body
	}
	if secs, ok := seconds(m["expires_in"]); ok {
		m["expires_in"] = secs
	} else {
		delete(m, "expires_in")
	}
	out, err := json.Marshal(m)
	if err != nil {
		return body
	}
	return out
}

// isJSONInt: an integer literal, or a string holding one, that fits int64
// (what json.Number.Int64 accepts), or null.
func isJSONInt(raw json.RawMessage) bool {
	s := strings.TrimSpace(string(raw))
	if s == "null" {
		return true
	}
	if len(s) >= 2 && s[0] == '"' && s[len(s)-1] == '"' {
		s = s[1 : len(s)-1]
	}
	_, err := strconv.ParseInt(s, 10, 64)
	return err == nil
}

// seconds reads a positive lifetime given as a JSON number, an integer (from
// a form-encoded reply) or a numeric string.
func seconds(v any) (int64, bool) {
	var f float64
	switch x := v.(type) {
	case float64:
		f = x
	case int64:
		f = float64(x)
	case int:
		f = float64(x)
	case json.Number:
		g, err := x.Float64()
		if err != nil {
			return 0, false
		}
		f = g
	case string:
		g, err := strconv.ParseFloat(strings.TrimSpace(x), 64)
		if err != nil {
			return 0, false
		}
		f = g
	default:
		return 0, false
	}
	if math.IsNaN(f) || f < 1 {
		return 0, false
	}
	if f > maxExpiresIn {
		f = maxExpiresIn
	}
	return int64(f), true
}

func scopeString(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case []any:
		parts := make([]string, 0, len(x))
		for _, e := range x {
			if s, ok := e.(string); ok && s != "" {
				parts = append(parts, s)
			}
		}
		return strings.Join(parts, " ")
	}
	return ""
}

// isTokenChars: printable ASCII without space (RFC 6749 VSCHAR minus
// space, which covers b64token and JWTs).
func isTokenChars(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c <= 0x20 || c >= 0x7f {
			return false
		}
	}
	return true
}

// oauthError reads an RFC 6749 §5.2 error out of an x/oauth2 error, cleaned
// and with any of secrets the server echoed back redacted.
func oauthError(err error, secrets []string) *flow.OAuthError {
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) || re.ErrorCode == "" {
		return nil
	}
	status := 0
	if re.Response != nil {
		status = re.Response.StatusCode
	}
	return newOAuthError(re.ErrorCode, re.ErrorDescription, re.ErrorURI, status, secrets)
}

// Length caps for text from a server that ends up on screen.
const (
	maxCodeLen = 64
	maxDescLen = 300
	maxURILen  = 200
)

// newOAuthError builds a flow.OAuthError from a server's text: secrets are
// redacted (before and after cleaning, so control characters inside an
// echoed secret do not hide it), control characters removed, lengths capped.
func newOAuthError(code, desc, uri string, status int, secrets []string) *flow.OAuthError {
	text := func(s string, n int) string {
		return cut(redact(flow.Clean(redact(s, secrets)), secrets), n)
	}
	code = text(code, maxCodeLen)
	if code == "" { // nothing printable was left
		code = "unknown_error"
	}
	return &flow.OAuthError{
		Code:        code,
		Description: text(desc, maxDescLen),
		URI:         text(uri, maxURILen),
		Status:      status,
	}
}

// redact replaces every occurrence of a secret (4 bytes or longer) in s.
func redact(s string, secrets []string) string {
	for _, sec := range secrets {
		if len(sec) >= 4 && strings.Contains(s, sec) {
			s = strings.ReplaceAll(s, sec, "[redacted]")
		}
	}
	return s
}

// cut shortens s to at most n bytes on a rune boundary.
func cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n] + "…"
}

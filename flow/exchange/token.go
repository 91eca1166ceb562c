package exchange

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"math"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"golang.org/x/oauth2"

	"github.com/tokenring/tokenring/flow"
	"github.com/tokenring/tokenring/internal/termtext"
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
		TokenType:    termtext.Clean(str(base.TokenType, "token_type")),
		RefreshToken: str(base.RefreshToken, "refresh_token"),
		IssuedAt:     now,
	}
	t.IDToken, _ = raw("id_token").(string)
	t.Scope = termtext.Clean(scopeString(raw("scope")))
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
	if oauth2ReadsExpiresIn(body) {
		return body
	}
	d := json.NewDecoder(bytes.NewReader(body))
	d.UseNumber()
	var m map[string]any
	if d.Decode(&m) != nil || m == nil {
		return body
	}
	// encoding/json matches struct fields case-insensitively (with Unicode
	// folding), so x/oauth2 reads "Expires_In" too: fix every key it would.
	for k, v := range m {
		if !isExpiresInKey(k) {
			continue
		}
		if secs, ok := seconds(v); ok {
			m[k] = secs
		} else {
			delete(m, k)
		}
	}
	out, err := json.Marshal(m)
	if err != nil {
		return body
	}
	return out
}

// isExpiresInKey reports whether encoding/json would decode key into a
// field tagged "expires_in", as x/oauth2 does.
func isExpiresInKey(key string) bool {
	if key == "expires_in" {
		return true
	}
	k, err := json.Marshal(key)
	if err != nil {
		return false
	}
	var probe struct {
		ExpiresIn json.RawMessage `json:"expires_in"`
	}
	return json.Unmarshal(append(append([]byte("{"), k...), ":0}"...), &probe) == nil && probe.ExpiresIn != nil
}

// x2ExpiresIn decodes like x/oauth2's internal expirationTime (v0.37.0):
// null or a json.Number (a number, or a string holding one) whose Int64
// succeeds.
type x2ExpiresIn struct{}

func (*x2ExpiresIn) UnmarshalJSON(b []byte) error {
	if len(b) == 0 || string(b) == "null" {
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(b, &n); err != nil {
		return err
	}
	_, err := n.Int64()
	return err
}

// oauth2ReadsExpiresIn reports whether x/oauth2 would get past expires_in
// in body. (A body that is not a JSON object fails here too, and then
// fails normalizeExpiresIn's own decoding, which leaves it unchanged.)
func oauth2ReadsExpiresIn(body []byte) bool {
	var probe struct {
		ExpiresIn x2ExpiresIn `json:"expires_in"`
	}
	return json.Unmarshal(body, &probe) == nil
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
		return cut(redact(termtext.Clean(redact(s, secrets)), secrets), n)
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
		if len(sec) < 4 {
			continue
		}
		for _, f := range encodings(sec) {
			if strings.Contains(s, f) {
				s = strings.ReplaceAll(s, f, "[redacted]")
			}
		}
	}
	return s
}

// encodings are the forms in which a server may echo a secret back: as
// sent in a form or a URL (percent-encoded), or base64 in any alphabet,
// padded or not (a header, a JWT, a log line).
func encodings(sec string) []string {
	b := []byte(sec)
	out := []string{sec, url.QueryEscape(sec), url.PathEscape(sec),
		base64.StdEncoding.EncodeToString(b), base64.RawStdEncoding.EncodeToString(b),
		base64.URLEncoding.EncodeToString(b), base64.RawURLEncoding.EncodeToString(b)}
	slices.SortFunc(out, func(a, b string) int { return len(b) - len(a) }) // longest first: a form may contain another
	return slices.Compact(out)
}

// secretsOf lists what must never come back in a server's text: the given
// values, the client secret and API key, and the HTTP Basic credentials
// (RFC 6749 §2.3.1: base64 of the form-encoded id, ":" and secret; also
// the raw pair, as lenient clients send it).
func secretsOf(p flow.Provider, s flow.Secrets, more ...string) []string {
	out := append(slices.Clone(more), s.ClientSecret, s.APIKey)
	if s.ClientSecret != "" {
		out = append(out, url.QueryEscape(p.ClientID)+":"+url.QueryEscape(s.ClientSecret), p.ClientID+":"+s.ClientSecret)
	}
	return out
}

// cut shortens server text to at most n terminal cells.
func cut(s string, n int) string { return termtext.Truncate(s, n) }

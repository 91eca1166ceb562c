package flow

import (
	"crypto/subtle"
	"fmt"
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/tokenring/tokenring/internal/termtext"
)

// MaxPaste is the longest text ParsePaste reads (4 KiB).
const MaxPaste = 4096

// Pasted is what ParsePaste found in the text the user pasted.
type Pasted struct {
	Code     string // the authorization code; only VSCHAR (RFC 6749 Appendix A.11)
	State    string // the state parameter, when the text carried one
	HasState bool   // the text carried a state parameter (possibly empty)
}

// ParsePaste reads what the user pasted after authorizing: a bare code; the
// whole redirect URL (https callback, http://localhost:PORT/..., a custom
// scheme, or an OOB URN; the code in the query or, failing that, the
// fragment); a query such as "code=abc&state=xyz"; or the text of an
// out-of-band page ("Authorization code: abc", "Authorization code:\nabc",
// "Success state=xyz&code=abc"). Surrounding whitespace, quotes, angle
// brackets and terminal bracketed-paste markers are ignored.
//
// A redirect carrying error=... becomes an *OAuthError (Op "authorization",
// cleaned text); the returned Pasted still has the state so the caller can
// tell whether the error belongs to its request. Anything else is an error
// wrapping ErrNotACode with the reason. Errors never repeat the pasted text.
//
// ParsePaste does not check the state; AuthRequest.ReadPaste does.
func ParsePaste(s string) (Pasted, error) {
	if len(s) > MaxPaste {
		return Pasted{}, notACode("it is too long (%d bytes; a code or redirect URL is at most 4 KiB)", len(s))
	}
	s = strings.ReplaceAll(s, "\x1b[200~", "")
	s = strings.ReplaceAll(s, "\x1b[201~", "")
	if !utf8.ValidString(s) {
		return Pasted{}, notACode("it is not valid UTF-8 text")
	}
	for _, r := range s {
		if (r < 0x20 && r != '\t' && r != '\n' && r != '\r') || (r >= 0x7f && r <= 0x9f) {
			return Pasted{}, notACode("it contains control characters")
		}
	}
	// Invisible characters that editors and chat tools slip in.
	s = strings.Map(func(r rune) rune {
		if r == 0x200b || r == 0xfeff || r == 0x2060 {
			return -1
		}
		return r
	}, s)
	s = unwrap(strings.TrimSpace(s))
	if s == "" {
		return Pasted{}, notACode("it is empty")
	}

	var lines [][]string
	nfields := 0
	for _, l := range strings.FieldsFunc(s, func(r rune) bool { return r == '\n' || r == '\r' || r == 0x2028 || r == 0x2029 }) {
		f := strings.Fields(l)
		if len(f) > 0 {
			lines = append(lines, f)
			nfields += len(f)
		}
	}

	// 1. A URL or query carrying code= or error=.
	var found []fieldResult
	var noCode string // reason from a URL without a code
	for _, l := range lines {
		for _, f := range l {
			fr := parseField(unwrap(f))
			switch fr.kind {
			case kindCode, kindError, kindBad:
				found = append(found, fr)
			case kindNoCode:
				if noCode == "" {
					noCode = fr.reason
				}
			}
		}
	}
	if len(found) > 0 {
		first := found[0]
		for _, fr := range found[1:] {
			if fr.kind != first.kind || fr.p != first.p {
				return Pasted{}, notACode("it contains more than one code or redirect; paste only one")
			}
		}
		switch first.kind {
		case kindError:
			return first.p, first.oerr
		case kindBad:
			return Pasted{}, notACode("%s", first.reason)
		}
		return first.p, nil
	}

	// 2. The text of an out-of-band page: "... code: VALUE" or "... code:" then VALUE on a later line.
	for i, l := range lines {
		v, ok := labelValue(l)
		if !ok {
			continue
		}
		if v == "" {
			for _, next := range lines[i+1:] {
				if len(next) == 1 {
					v = unwrap(next[0])
				}
				break
			}
		}
		if v == "" {
			continue
		}
		if reason := checkCode(v, false); reason != "" {
			return Pasted{}, notACode("%s", reason)
		}
		return Pasted{Code: v}, nil
	}

	if noCode != "" {
		return Pasted{}, notACode("%s", noCode)
	}
	if nfields != 1 {
		return Pasted{}, notACode("it has spaces or several words; paste only the code, or the whole address the browser landed on")
	}
	v := unwrap(lines[0][0])
	if reason := checkCode(v, false); reason != "" {
		return Pasted{}, notACode("%s", reason)
	}
	return Pasted{Code: v}, nil
}

// ReadPaste parses s (see ParsePaste) and checks it against r: when the
// pasted text carries a state it must equal r.State, else the error wraps
// ErrStateMismatch (also for an error redirect, which then belongs to
// another attempt).
//
// A code without a state (a bare code, or a redirect URL from a provider
// that drops state) is accepted: the user pasted it into this very prompt,
// so the cross-site request forgery that state guards against in a browser
// redirect cannot happen here, and refusing a URL without state would only
// push the user to paste the bare code, which carries none either.
func (r *AuthRequest) ReadPaste(s string) (code string, err error) {
	p, err := ParsePaste(s)
	if p.HasState && subtle.ConstantTimeCompare([]byte(p.State), []byte(r.State)) != 1 {
		return "", fmt.Errorf("%w; start the authorization again and paste the address from that attempt", ErrStateMismatch)
	}
	if err != nil {
		return "", err
	}
	return p.Code, nil
}

type fieldKind int

const (
	kindPlain  fieldKind = iota // not a URL or query
	kindCode                    // a URL or query with a code
	kindError                   // a URL or query with error=
	kindNoCode                  // a URL without a code (reason set)
	kindBad                     // a URL whose code is unusable (reason set)
)

type fieldResult struct {
	kind   fieldKind
	p      Pasted
	oerr   *OAuthError
	reason string
}

func notACode(format string, a ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrNotACode}, a...)...)
}

// unwrap strips matching quotes or brackets around s, repeatedly.
func unwrap(s string) string {
	pairs := [][2]string{{`"`, `"`}, {"'", "'"}, {"`", "`"}, {"<", ">"}, {"“", "”"}, {"‘", "’"}, {"«", "»"}, {"„", "“"}}
	for {
		s = strings.TrimSpace(s)
		done := true
		for _, p := range pairs {
			if len(s) >= len(p[0])+len(p[1]) && strings.HasPrefix(s, p[0]) && strings.HasSuffix(s, p[1]) {
				s = s[len(p[0]) : len(s)-len(p[1])]
				done = false
				break
			}
		}
		if done {
			return s
		}
	}
}

// schemeLen returns the length of a leading URI scheme ("https", "com.example.app") or 0.
func schemeLen(s string) int {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z':
		case i > 0 && (c >= '0' && c <= '9' || c == '+' || c == '-' || c == '.'):
		case c == ':' && i > 0:
			return i
		default:
			return 0
		}
	}
	return 0
}

func parseField(f string) fieldResult {
	isURL := false
	var query, frag string
	rest := f
	if n := schemeLen(f); n > 0 {
		after := f[n+1:]
		if strings.HasPrefix(after, "//") || strings.ContainsAny(after, "?#") {
			isURL = true
		}
	}
	if i := strings.IndexByte(rest, '#'); i >= 0 {
		rest, frag = rest[:i], rest[i+1:]
	}
	if i := strings.IndexByte(rest, '?'); i >= 0 {
		rest, query = rest[:i], rest[i+1:]
	} else if !isURL && strings.Contains(rest, "=") {
		query, rest = rest, ""
	}
	qv, qok := parseParams(query)
	fv, fok := parseParams(frag)
	params, ok := qv, qok
	if !has(qv, "code") && !has(qv, "error") && (has(fv, "code") || has(fv, "error")) {
		params, ok = fv, fok
	}
	if !has(params, "code") && !has(params, "error") {
		if !isURL && !has(params, "state") {
			return fieldResult{kind: kindPlain}
		}
		return fieldResult{kind: kindNoCode, reason: noCodeReason(f, qv, fv)}
	}
	if !ok {
		return fieldResult{kind: kindBad, reason: "the address is damaged (a parameter is not properly %-encoded); copy it again"}
	}
	var p Pasted
	if st, dup := one(params, "state"); dup {
		return fieldResult{kind: kindBad, reason: "the address has more than one state parameter"}
	} else if has(params, "state") {
		p.State, p.HasState = st, true
	}
	if e, dup := one(params, "error"); dup {
		return fieldResult{kind: kindBad, reason: "the address has more than one error parameter"}
	} else if strings.TrimSpace(e) != "" {
		d, _ := one(params, "error_description")
		u, _ := one(params, "error_uri")
		oe := &OAuthError{Op: "authorization", Code: termtext.Snippet(e, 100), Description: termtext.Clean(d), URI: termtext.Snippet(u, 300)}
		if oe.Code == "" { // the error code was only control characters
			oe.Code = "unreadable_error"
		}
		return fieldResult{kind: kindError, p: p, oerr: oe}
	}
	code, dup := one(params, "code")
	if dup {
		return fieldResult{kind: kindBad, reason: "the address has more than one code parameter"}
	}
	if reason := checkCode(code, true); reason != "" {
		return fieldResult{kind: kindBad, reason: "the code in the address: " + reason}
	}
	p.Code = code
	return fieldResult{kind: kindCode, p: p}
}

func noCodeReason(f string, qv, fv map[string][]string) string {
	switch {
	case has(qv, "response_type") || has(qv, "client_id"):
		return "this is the authorization URL itself: open it in a browser, approve, and paste the address you land on"
	case has(fv, "access_token") || has(qv, "access_token"):
		return "the address carries an access token, not an authorization code; tokenring uses the authorization-code flow"
	}
	where := ""
	if u, err := url.Parse(f); err == nil && u.Host != "" && len(u.Scheme)+len(u.Host) <= 100 {
		where = " (" + termtext.Clean(u.Scheme+"://"+u.Host) + ")"
	}
	return "the address" + where + " has no code parameter; paste the address the browser landed on after you approved"
}

// parseParams splits an application/x-www-form-urlencoded string. ok is
// false when a value is not properly %-encoded (the key is still recorded,
// with an empty value).
func parseParams(q string) (map[string][]string, bool) {
	if q == "" {
		return nil, true
	}
	m := map[string][]string{}
	ok := true
	for _, kv := range strings.Split(q, "&") {
		if kv == "" {
			continue
		}
		k, v, _ := strings.Cut(kv, "=")
		k, err := url.QueryUnescape(k)
		if err != nil {
			ok = false
			continue
		}
		k = strings.ToLower(k)
		v, err = url.QueryUnescape(v)
		if err != nil {
			ok = false
			v = ""
		}
		m[k] = append(m[k], v)
	}
	return m, ok
}

func has(m map[string][]string, k string) bool { _, ok := m[k]; return ok }

// one returns the value of k and whether k was given more than once with different values.
func one(m map[string][]string, k string) (string, bool) {
	vs := m[k]
	if len(vs) == 0 {
		return "", false
	}
	for _, v := range vs[1:] {
		if v != vs[0] {
			return "", true
		}
	}
	return vs[0], false
}

// checkCode returns why v cannot be an authorization code, or "". Codes are
// 1*VSCHAR (%x20-7E); a code read from a URL may contain a space (form
// encoding), a bare one cannot (spaces separate words there).
func checkCode(v string, fromURL bool) string {
	switch {
	case v == "":
		return "it is empty"
	case len(v) > MaxPaste:
		return "it is too long"
	case !fromURL && strings.ContainsFunc(v, unicode.IsSpace):
		return "it has spaces"
	case !isVSChars(v, fromURL):
		return "it has characters an authorization code cannot have (only printable ASCII is allowed)"
	}
	return ""
}

// labelValue finds "code:" (as in "Authorization code: abc") in a line of
// fields and returns what follows it when that is exactly one field.
func labelValue(fields []string) (string, bool) {
	for i, f := range fields {
		lf := strings.ToLower(f)
		var after []string
		switch {
		case lf == "code:" || lf == "code":
			if lf == "code" {
				// "code: abc" written as "code : abc" or "code is: abc"
				if i+1 < len(fields) && (fields[i+1] == ":" || strings.EqualFold(fields[i+1], "is:")) {
					after = fields[i+2:]
				} else {
					continue
				}
			} else {
				after = fields[i+1:]
			}
		case strings.HasPrefix(lf, "code:"):
			after = append([]string{f[len("code:"):]}, fields[i+1:]...)
		default:
			continue
		}
		switch len(after) {
		case 0:
			return "", true
		case 1:
			return unwrap(after[0]), true
		}
		return "", false
	}
	return "", false
}

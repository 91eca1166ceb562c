package agentfast

import "unicode/utf8"

// AccessToken takes the access token out of the agent's answer to a token
// request. The agent writes it with encoding/json from agent.Response,
// whose fields come in a fixed order: {"v":1,"ok":true,"token":
// {"access_token":"..."; a failed request is {"v":1,"ok":false,... (and
// is left to the full path). Inside a JSON string every '"' is escaped,
// so the first `"access_token":"` is the field.
func AccessToken(line []byte) (string, bool) {
	const head = `{"v":1,"ok":true,"token":{`
	if len(line) < len(head) || string(line[:len(head)]) != head {
		return "", false
	}
	const key = `"access_token":"`
	i := index(line, key)
	if i < 0 {
		return "", false
	}
	s, ok := jsonString(line[i+len(key):])
	for j := 0; j < len(s); j++ {
		if c := s[j]; c < 0x20 || c == 0x7f {
			return "", false // the full path refuses to hand it out, and says why
		}
	}
	return s, ok && s != ""
}

// IndexByte is bytes.IndexByte (bytes would pull in unicode's tables first).
func IndexByte(b []byte, c byte) int {
	for i := range b {
		if b[i] == c {
			return i
		}
	}
	return -1
}

func index(b []byte, s string) int {
	for i := 0; i+len(s) <= len(b); i++ {
		if string(b[i:i+len(s)]) == s {
			return i
		}
	}
	return -1
}

// jsonString decodes a JSON string's body up to its closing quote.
func jsonString(b []byte) (string, bool) {
	var out []byte
	for i := 0; i < len(b); i++ {
		c := b[i]
		switch {
		case c == '"':
			return string(out), true
		case c < 0x20:
			return "", false
		case c != '\\':
			out = append(out, c)
			continue
		}
		i++
		if i >= len(b) {
			return "", false
		}
		switch b[i] {
		case '"', '\\', '/':
			out = append(out, b[i])
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'u':
			r, ok := hex4(b[i+1:])
			if !ok {
				return "", false
			}
			i += 4
			if r >= 0xD800 && r < 0xDC00 && i+6 < len(b) && b[i+1] == '\\' && b[i+2] == 'u' {
				if lo, ok := hex4(b[i+3:]); ok && lo >= 0xDC00 && lo < 0xE000 {
					r = 0x10000 + (r-0xD800)<<10 + (lo - 0xDC00)
					i += 6
				}
			}
			if r >= 0xD800 && r < 0xE000 {
				r = utf8.RuneError
			}
			out = utf8.AppendRune(out, r)
		default:
			return "", false
		}
	}
	return "", false
}

func hex4(b []byte) (rune, bool) {
	if len(b) < 4 {
		return 0, false
	}
	var r rune
	for _, c := range b[:4] {
		r <<= 4
		switch {
		case c >= '0' && c <= '9':
			r |= rune(c - '0')
		case c >= 'a' && c <= 'f':
			r |= rune(c-'a') + 10
		case c >= 'A' && c <= 'F':
			r |= rune(c-'A') + 10
		default:
			return 0, false
		}
	}
	return r, true
}

package termtext

import (
	"strings"
	"unicode/utf8"
)

// CleanMaxRunes is the longest text Clean returns, "…" included.
const CleanMaxRunes = 500

// Clean makes text that came from a server (or a paste) safe to show in a
// terminal and in logs: it removes terminal escape sequences whole (CSI,
// OSC, DCS, SOS, PM, APC and two-byte ESC sequences, in their 7-bit and
// 8-bit forms), the other C0 and C1 control characters and DEL, and the
// Unicode bidirectional controls (U+061C, U+200E/F, U+202A–E, U+2066–9)
// that can make text read differently from what it is. Tabs, line breaks
// and U+2028/U+2029 become a space; runs of spaces collapse to one and the
// ends are trimmed. Invalid UTF-8 becomes U+FFFD. Other Unicode (accents,
// CJK, emoji with their joiners) is kept. The result has at most
// CleanMaxRunes runes, ending in "…" when cut. Clean is idempotent.
func Clean(s string) string {
	if isPlain(s) {
		return s
	}
	var b strings.Builder
	b.Grow(min(len(s), 4*CleanMaxRunes))
	n := 0           // runes written
	space := true    // last written rune is a space (or nothing written yet)
	pending := false // a space is owed before the next visible rune
	cut := false
	emit := func(r rune) {
		if pending {
			if n >= CleanMaxRunes-1 {
				cut = true
				return
			}
			b.WriteByte(' ')
			n++
			pending = false
		}
		if n >= CleanMaxRunes-1 {
			cut = true
			return
		}
		b.WriteRune(r)
		n++
		space = false
	}
	for i := 0; i < len(s) && !cut; {
		r, w := utf8.DecodeRuneInString(s[i:])
		i += w
		switch {
		case r == utf8.RuneError && w == 1:
			emit(utf8.RuneError)
		case r == 0x1b: // ESC
			i = skipEscape(s, i)
		case r == 0x9b: // 8-bit CSI
			i = skipCSI(s, i)
		case r == 0x9d, r == 0x90, r == 0x98, r == 0x9e, r == 0x9f: // 8-bit OSC, DCS, SOS, PM, APC
			i = skipString(s, i)
		case r == '\t', r == '\n', r == '\r', r == '\v', r == '\f', r == ' ', r == 0x2028, r == 0x2029, r == 0x85:
			if !space {
				pending = true
				space = true
			}
		case r < 0x20, r == 0x7f, r >= 0x80 && r <= 0x9f:
			// other controls: drop
		case isBidiControl(r):
			// drop
		default:
			emit(r)
		}
	}
	out := b.String()
	if cut {
		out = strings.TrimRight(out, " ") + "…"
	}
	return out
}

// isPlain: printable ASCII without leading/trailing/double spaces, short
// enough: Clean would return it unchanged.
func isPlain(s string) bool {
	if len(s) > CleanMaxRunes-1 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c > 0x7e {
			return false
		}
		if c == ' ' && (i == 0 || i == len(s)-1 || s[i-1] == ' ') {
			return false
		}
	}
	return true
}

func isBidiControl(r rune) bool {
	switch {
	case r == 0x061c, r == 0x200e, r == 0x200f:
		return true
	case r >= 0x202a && r <= 0x202e:
		return true
	case r >= 0x2066 && r <= 0x2069:
		return true
	}
	return false
}

// skipEscape skips what follows an ESC at s[i:].
func skipEscape(s string, i int) int {
	if i >= len(s) {
		return i
	}
	switch s[i] {
	case '[':
		return skipCSI(s, i+1)
	case ']', 'P', 'X', '^', '_':
		return skipString(s, i+1)
	}
	// nF: intermediates 0x20-0x2F then one final byte 0x30-0x7E; Fp/Fe/Fs: one byte.
	for i < len(s) && s[i] >= 0x20 && s[i] <= 0x2f {
		i++
	}
	if i < len(s) && s[i] >= 0x30 && s[i] <= 0x7e {
		i++
	}
	return i
}

// skipCSI skips parameter (0x30-0x3F) and intermediate (0x20-0x2F) bytes
// and the final byte (0x40-0x7E). A malformed sequence ends at the first
// byte that does not belong.
func skipCSI(s string, i int) int {
	for i < len(s) && s[i] >= 0x20 && s[i] <= 0x3f {
		i++
	}
	if i < len(s) && s[i] >= 0x40 && s[i] <= 0x7e {
		i++
	}
	return i
}

// skipString skips an OSC/DCS/SOS/PM/APC body up to and including its
// terminator: BEL, ESC \ or the 8-bit ST (U+009C); to the end when unterminated.
func skipString(s string, i int) int {
	for i < len(s) {
		switch {
		case s[i] == 0x07:
			return i + 1
		case s[i] == 0x1b:
			if i+1 < len(s) && s[i+1] == '\\' {
				return i + 2
			}
			return i // a new ESC ends the string; the caller handles that ESC
		case strings.HasPrefix(s[i:], "\u009c"):
			return i + 2
		}
		i++
	}
	return i
}

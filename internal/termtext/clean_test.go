package termtext

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestClean(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"plain", "invalid code", "invalid code"},
		{"unicode kept", "Código inválido – 認証 👩‍💻", "Código inválido – 認証 👩‍💻"},
		{"CSI colour", "\x1b[31mred\x1b[0m text", "red text"},
		{"CSI with params and intermediates", "a\x1b[?1049hb\x1b[2 qc", "abc"},
		{"OSC 52 clipboard write, BEL", "x\x1b]52;c;ZXZpbA==\x07y", "xy"},
		{"OSC title, ST", "x\x1b]0;pwned\x1b\\y", "xy"},
		{"OSC 8 hyperlink", "\x1b]8;;https://evil.example\x1b\\click\x1b]8;;\x1b\\", "click"},
		{"DCS", "a\x1bP1$r0m\x1b\\b", "ab"},
		{"APC", "a\x1b_Gf=100;AAAA\x1b\\b", "ab"},
		{"unterminated OSC", "a\x1b]0;rest of text", "a"},
		{"OSC ended by CSI", "a\x1b]0;t\x1b[31mb", "ab"},
		{"two-byte ESC", "a\x1bcb\x1b(Bc\x1b7d", "abcd"},
		{"lone ESC at end", "abc\x1b", "abc"},
		{"8-bit CSI", "a\u009b31mb", "ab"},
		{"8-bit OSC with 8-bit ST", "a\u009d0;t\u009cb", "ab"},
		{"C0 controls", "a\x00b\x07c\x08d", "abcd"},
		{"DEL", "a\x7fb", "ab"},
		{"C1 controls", "a\u0085b\u008dc", "a bc"},
		{"newlines and tabs become one space", "line one\r\n\tline two\n\n", "line one line two"},
		{"spaces collapse and trim", "  a   b  ", "a b"},
		{"removed control between spaces", "a \x01 b", "a b"},
		{"bidi overrides", "abc\u202edcba\u202c\u2066x\u2069\u200fy\u061c", "abcdcbaxy"},
		{"line separator", "a\u2028b", "a b"},
		{"invalid UTF-8", "a\xffb\xc2", "a\ufffdb\ufffd"},
		{"empty", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Clean(tt.in)
			if got != tt.want {
				t.Fatalf("Clean(%q) = %q, want %q", tt.in, got, tt.want)
			}
			if Clean(got) != got {
				t.Fatalf("not idempotent: %q", got)
			}
		})
	}
}

func TestCleanCaps(t *testing.T) {
	long := strings.Repeat("é", 2000)
	got := Clean(long)
	if n := utf8.RuneCountInString(got); n != CleanMaxRunes || !strings.HasSuffix(got, "…") {
		t.Fatalf("%d runes, suffix %q", n, got[len(got)-5:])
	}
	if Clean(got) != got {
		t.Fatal("not idempotent on a capped string")
	}
	exact := strings.Repeat("a", CleanMaxRunes-1)
	if Clean(exact) != exact {
		t.Fatal("499 runes should stay whole")
	}
	// A space right before the cut is not kept before the ellipsis.
	s := strings.Repeat("a", CleanMaxRunes-2) + " bbbb"
	got = Clean(s)
	if strings.Contains(got, " …") || Clean(got) != got {
		t.Fatalf("got suffix %q", got[len(got)-8:])
	}
}

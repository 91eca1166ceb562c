package termtext

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func FuzzClean(f *testing.F) {
	for _, s := range []string{
		"plain text", "\x1b[31mred\x1b[0m", "\x1b]52;c;ZXZpbA==\x07", "\x1b]8;;u\x1b\\l\x1b]8;;\x1b\\",
		"\x1bP1$r\x1b\\", "\u009b31m", "\u009d0;t\u009c", "a\u202eb", "a\r\nb\tc", "\xff\xc2\x9b",
		strings.Repeat("é ", 300), "  a  ", "\x1b", "\x1b[", "\x1b]", "👩‍💻",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := Clean(s)
		if !utf8.ValidString(out) {
			t.Fatalf("invalid UTF-8 out: %q", out)
		}
		for _, r := range out {
			if r < 0x20 || r == 0x7f || (r >= 0x80 && r <= 0x9f) || isBidiControl(r) || r == 0x2028 || r == 0x2029 {
				t.Fatalf("control %U left in %q", r, out)
			}
		}
		if n := utf8.RuneCountInString(out); n > CleanMaxRunes {
			t.Fatalf("%d runes", n)
		}
		if strings.HasPrefix(out, " ") || strings.HasSuffix(out, " ") || strings.Contains(out, "  ") {
			t.Fatalf("spaces not normalised: %q", out)
		}
		if again := Clean(out); again != out {
			t.Fatalf("not idempotent: %q -> %q", out, again)
		}
	})
}

package termtext

import (
	"fmt"
	"strings"
	"time"

	"github.com/clipperhouse/displaywidth"
)

// Width is the number of terminal cells s takes (East Asian wide characters
// and emoji count two).
func Width(s string) int { return displaywidth.String(s) }

// Truncate cuts s to at most cells terminal cells, ending it in "…" when
// it was cut (the "…" counts). It never splits a character (or a grapheme
// cluster such as an emoji with its joiners). s should be clean text: an
// escape sequence would be counted as printable characters.
func Truncate(s string, cells int) string {
	if cells <= 0 {
		return ""
	}
	if Width(s) <= cells {
		return s
	}
	return displaywidth.TruncateString(s, cells, "…")
}

// StripControls drops control characters (C0, DEL, C1) and leaves the rest
// as it is. Unlike Clean it never shortens or rewraps the text, so a long
// token or URL is shown whole: for values that never legitimately carry a
// control character.
func StripControls(s string) string {
	if !strings.ContainsFunc(s, isControl) {
		return s
	}
	return strings.Map(func(r rune) rune {
		if isControl(r) {
			return -1
		}
		return r
	}, s)
}

func isControl(r rune) bool { return r < 0x20 || (r >= 0x7f && r <= 0x9f) }

// Duration spells a span for people, in whole seconds (cut, not rounded:
// a countdown must not show a second that has not started) and always
// positive: "59s", "4m 12s", "1h 05m", "3d 4h". The same words in the CLI's
// messages and the TUI's countdowns.
func Duration(d time.Duration) string {
	if d < 0 {
		d = -d
	}
	s := int64(d / time.Second)
	switch {
	case s < 60:
		return fmt.Sprintf("%ds", s)
	case s < 3600:
		return fmt.Sprintf("%dm %02ds", s/60, s%60)
	case s < 86400:
		return fmt.Sprintf("%dh %02dm", s/3600, (s%3600)/60)
	}
	return fmt.Sprintf("%dd %dh", s/86400, (s%86400)/3600)
}

// Snippet is untrusted text quoted inside a message: cleaned (Clean), then
// cut to at most cells terminal cells.
func Snippet(s string, cells int) string { return Truncate(Clean(s), cells) }

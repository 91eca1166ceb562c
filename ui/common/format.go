package common

import (
	"fmt"
	"strings"
	"time"

	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/tokenring/tokenring/internal/termtext"
)

// Countdown is the live countdown's text ("4m 12s"); zero below zero.
func Countdown(d time.Duration) string { return termtext.Duration(max(d, 0)) }

// UntilWhole is the time from now to t, with t cut to its whole second.
// The 1 Hz tick fires on whole seconds of the clock, so a countdown to a
// whole second goes down by one at every tick; to a fractional one it would
// show its first value for up to two seconds.
func UntilWhole(t, now time.Time) time.Duration {
	return t.Truncate(time.Second).Sub(now)
}

// Clock formats t relative to now: "15:04" today, "Jan 02" this year, else "2006-01-02".
func Clock(t, now time.Time) string {
	if t.IsZero() {
		return "—"
	}
	t = t.In(now.Location())
	y1, m1, d1 := t.Date()
	y2, m2, d2 := now.Date()
	switch {
	case y1 == y2 && m1 == m2 && d1 == d2:
		return t.Format("15:04")
	case y1 == y2:
		return t.Format("Jan 02")
	}
	return t.Format("2006-01-02")
}

// Stamp is a full timestamp with its distance from now, for the detail view.
func Stamp(t, now time.Time) string {
	if t.IsZero() {
		return "—"
	}
	d := UntilWhole(t, now)
	rel := ""
	switch {
	case d > time.Second:
		rel = "in " + Countdown(d)
	case d < -time.Second:
		rel = Countdown(-d) + " ago"
	default:
		rel = "now"
	}
	return t.In(now.Location()).Format("2006-01-02 15:04:05 MST") + " (" + rel + ")"
}

// Fit truncates s (plain or styled) to w cells and pads it with spaces to exactly w.
func Fit(s string, w int) string {
	if w <= 0 {
		return ""
	}
	n := ansi.StringWidth(s)
	if n > w {
		s = ansi.Truncate(s, w, "…")
		n = ansi.StringWidth(s)
	}
	if n < w {
		s += strings.Repeat(" ", w-n)
	}
	return s
}

// Cut truncates without padding.
func Cut(s string, w int) string {
	if w <= 0 {
		return ""
	}
	if ansi.StringWidth(s) > w {
		return ansi.Truncate(s, w, "…")
	}
	return s
}

// WrapText wraps plain text to w cells at spaces (never at hyphens, so
// names stay whole); a word longer than a line (a URL) is cut into pieces.
func WrapText(s string, w int) string {
	if w < 10 {
		w = 10
	}
	var out []string
	for _, para := range strings.Split(s, "\n") {
		line, lw := "", 0
		flush := func() {
			out = append(out, line)
			line, lw = "", 0
		}
		for _, word := range strings.Fields(para) {
			ww := ansi.StringWidth(word)
			for ww > w { // hard-break a long word
				if lw > 0 {
					flush()
				}
				head := ansi.Truncate(word, w, "")
				out = append(out, head)
				word = word[len(head):]
				ww = ansi.StringWidth(word)
			}
			if ww == 0 {
				continue
			}
			switch {
			case lw == 0:
				line, lw = word, ww
			case lw+1+ww <= w:
				line, lw = line+" "+word, lw+1+ww
			default:
				flush()
				line, lw = word, ww
			}
		}
		if lw > 0 || len(out) == 0 {
			flush()
		}
	}
	return strings.Join(out, "\n")
}

// Mask shows the first few characters of a secret and its length.
func Mask(s string) string {
	if s == "" {
		return "—"
	}
	r := []rune(s)
	show := 6
	if len(r) <= 12 {
		show = min(2, len(r)/3) // a short secret shows almost nothing
	}
	return string(r[:show]) + strings.Repeat("•", 8) + fmt.Sprintf("  (%d chars)", len(r))
}

// Hardwrap breaks s into lines of at most w cells (a token, shown whole).
func Hardwrap(s string, w int) string {
	if w < 10 {
		w = 10
	}
	return ansi.Hardwrap(s, w, false)
}

// WrapIndent wraps s to w cells and indents every line.
func WrapIndent(s string, w int, indent string) string {
	return IndentLines(WrapText(s, w), indent)
}

// IndentLines puts indent before every line of s.
func IndentLines(s, indent string) string {
	lines := strings.Split(s, "\n")
	for i := range lines {
		lines[i] = indent + lines[i]
	}
	return strings.Join(lines, "\n")
}

// LinkLines wraps a URL over lines, each an OSC 8 hyperlink to the whole
// URL, so a click on any line opens it where the terminal supports links.
func LinkLines(st lipgloss.Style, href, text string, w int, indent string) string {
	st = st.Hyperlink(href)
	lines := strings.Split(WrapText(text, w), "\n")
	for i, l := range lines {
		lines[i] = indent + st.Render(l)
	}
	return strings.Join(lines, "\n")
}

// Center places box in the middle of a w-wide area at least h lines high.
func Center(box string, w, h int) string {
	return lipgloss.Place(w, max(h, lipgloss.Height(box)), lipgloss.Center, lipgloss.Center, box)
}

// DialogWidth is the text width of a dialog box in a w-wide window: at
// most max, and narrow enough for the border and padding to fit.
func DialogWidth(w, most int) int { return max(min(most, w-8), 20) }

// Dialog frames body (already wrapped to DialogWidth) in the theme's box
// and centres it in w×h. When the box does not fit, it gets smaller: less
// padding, then no border, then the body's first lines up to the last
// one, which holds what must stay visible (the input, the keys).
func Dialog(box lipgloss.Style, body string, w, h int) string {
	for _, st := range []lipgloss.Style{box, box.Padding(0, 1), lipgloss.NewStyle()} {
		out := st.Render(body)
		if lipgloss.Height(out) <= h && lipgloss.Width(out) <= w {
			return Center(out, w, h)
		}
	}
	lines := strings.Split(body, "\n")
	if len(lines) > h && h > 0 {
		lines = append(lines[:h-1:h-1], lines[len(lines)-1])
	}
	return Center(strings.Join(lines, "\n"), w, h)
}

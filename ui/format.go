package ui

import (
	"fmt"
	"strings"
	"time"

	"github.com/charmbracelet/x/ansi"
	"github.com/tokenring/tokenring/internal/termtext"
)

// countdown is the live countdown's text ("4m 12s"); zero below zero.
func countdown(d time.Duration) string { return termtext.Duration(max(d, 0)) }

// untilWhole is the time from now to t, with t cut to its whole second.
// The 1 Hz tick fires on whole seconds of the clock, so a countdown to a
// whole second goes down by one at every tick; to a fractional one it would
// show its first value for up to two seconds.
func untilWhole(t, now time.Time) time.Duration {
	return t.Truncate(time.Second).Sub(now)
}

// clock formats t relative to now: "15:04" today, "Jan 02" this year, else "2006-01-02".
func clock(t, now time.Time) string {
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

// stamp is a full timestamp with its distance from now, for the detail view.
func stamp(t, now time.Time) string {
	if t.IsZero() {
		return "—"
	}
	d := untilWhole(t, now)
	rel := ""
	switch {
	case d > time.Second:
		rel = "in " + countdown(d)
	case d < -time.Second:
		rel = countdown(-d) + " ago"
	default:
		rel = "now"
	}
	return t.In(now.Location()).Format("2006-01-02 15:04:05 MST") + " (" + rel + ")"
}

// fit truncates s (plain or styled) to w cells and pads it with spaces to exactly w.
func fit(s string, w int) string {
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

// cut truncates without padding.
func cut(s string, w int) string {
	if w <= 0 {
		return ""
	}
	if ansi.StringWidth(s) > w {
		return ansi.Truncate(s, w, "…")
	}
	return s
}

// wrapText wraps plain text to w cells at spaces (never at hyphens, so
// names stay whole); a word longer than a line (a URL) is cut into pieces.
func wrapText(s string, w int) string {
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

// mask shows the first few characters of a secret and its length.
func mask(s string) string {
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

func ansiHardwrap(s string, w int) string {
	if w < 10 {
		w = 10
	}
	return ansi.Hardwrap(s, w, false)
}

package theme

import (
	"regexp"
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"
)

var sgr = regexp.MustCompile(`\x1b\[([0-9;:]*)m`)

// hasColour reports an SGR foreground or background colour parameter.
func hasColour(s string) bool {
	for _, m := range sgr.FindAllStringSubmatch(s, -1) {
		for _, p := range strings.FieldsFunc(m[1], func(r rune) bool { return r == ';' || r == ':' }) {
			switch {
			case len(p) == 2 && (p[0] == '3' || p[0] == '4' || p[0] == '9') && p[1] >= '0' && p[1] <= '8':
				return true
			case len(p) == 3 && p[:2] == "10":
				return true
			}
		}
	}
	return false
}

func TestNoColorEmitsNoColour(t *testing.T) {
	th := New(true, true)
	for name, s := range map[string]string{
		"ok": th.OK.Render("x"), "warn": th.Warn.Render("x"), "danger": th.Danger.Render("x"),
		"selected": th.Selected.Render("x"), "title": th.Title.Render("x"), "box": th.Box.Render("x"),
	} {
		if hasColour(s) {
			t.Errorf("%s: colour under NO_COLOR: %q", name, s)
		}
	}
	if !strings.Contains(th.Selected.Render("x"), "\x1b[7m") {
		t.Error("the selection must still show (reverse video) under NO_COLOR")
	}
}

func TestLightAndDarkDiffer(t *testing.T) {
	d, l := New(true, false), New(false, false)
	if d.OK.Render("x") == l.OK.Render("x") || d.Text.Render("x") == l.Text.Render("x") {
		t.Fatal("light and dark palettes render the same")
	}
	if !hasColour(d.Danger.Render("x")) {
		t.Fatal("no colour with colours allowed")
	}
}

// The 16-colour palette is made of the terminal's named colours only (no
// rounding), keeps amber apart from red, and never uses blue for text.
func TestBasicPaletteUsesNamedColours(t *testing.T) {
	for _, dark := range []bool{true, false} {
		th := Build(Options{Dark: dark, Basic: true})
		p := th.P
		for name, c := range map[string]any{"accent": p.Accent, "muted": p.Muted, "ok": p.OK, "warn": p.Warn,
			"danger": p.Danger, "info": p.Info, "neutral": p.Neutral} {
			if _, ok := c.(ansi.BasicColor); !ok {
				t.Errorf("dark=%v: %s is %T, not one of the 16 named colours", dark, name, c)
			}
		}
		if p.Warn == p.Danger {
			t.Errorf("dark=%v: amber and red are the same colour", dark)
		}
		for name, c := range map[string]any{"muted": p.Muted, "info": p.Info, "neutral": p.Neutral} {
			if c == ansi.Blue || c == ansi.BrightBlue {
				t.Errorf("dark=%v: %s is blue", dark, name)
			}
		}
		if !th.ReverseSelection || !strings.Contains(th.Selected.Render("x"), "\x1b[7m") {
			t.Errorf("dark=%v: the selection is not reverse video", dark)
		}
	}
}

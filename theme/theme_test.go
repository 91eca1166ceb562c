package theme

import (
	"regexp"
	"strings"
	"testing"
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

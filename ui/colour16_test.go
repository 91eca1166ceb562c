package ui

// Issue 12 item 5: a 16-colour terminal (TERM=xterm, no COLORTERM) gets a
// palette of its own, not the 24-bit one rounded to the nearest of 16.

import (
	"bytes"
	"regexp"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/golden"
)

// TERM=xterm without COLORTERM is a 16-colour terminal to colorprofile
// (and so to Bubble Tea and lipgloss): the case this palette is for.
func TestXtermWithoutColortermIs16Colours(t *testing.T) {
	if p := colorprofile.Env([]string{"TERM=xterm"}); p != colorprofile.ANSI {
		t.Fatalf("TERM=xterm: %v", p)
	}
	if p := colorprofile.Env([]string{"TERM=xterm", "COLORTERM=truecolor"}); p != colorprofile.TrueColor {
		t.Fatalf("TERM=xterm COLORTERM=truecolor: %v", p)
	}
}

// as16 is what a 16-colour terminal receives: the renderer downsamples
// every colour to the profile, as colorprofile.Writer does.
func as16(s string) string {
	var b bytes.Buffer
	w := &colorprofile.Writer{Forward: &b, Profile: colorprofile.ANSI}
	_, _ = w.WriteString(s)
	return b.String()
}

var sgrFG = regexp.MustCompile(`\x1b\[([0-9;]*)m`)

// fgOf returns the SGR parameters in force where text starts on line.
func sgrBefore(line, text string) string {
	i := strings.Index(line, text)
	if i < 0 {
		return ""
	}
	ms := sgrFG.FindAllStringSubmatchIndex(line[:i], -1)
	if len(ms) == 0 {
		return ""
	}
	m := ms[len(ms)-1]
	return line[m[2]:m[3]]
}

func hasParam(params string, want ...string) bool {
	for _, p := range strings.Split(params, ";") {
		for _, w := range want {
			if p == w {
				return true
			}
		}
	}
	return false
}

func TestSixteenColourPalette(t *testing.T) {
	s, c, _ := newHarness(t, true)
	m := New(baseOptions(s, c, nil))
	m.Update(tea.WindowSizeMsg{Width: 100, Height: 16})
	m.Update(tea.ColorProfileMsg{Profile: colorprofile.ANSI})
	m.Update(loadedFromStore(t, s))
	m.Update(press("j")) // the selection off the rows under test
	out := as16(m.View().Content)
	lines := strings.Split(out, "\n")
	row := func(name string) string {
		for _, l := range lines {
			if strings.Contains(ansi.Strip(l), name) {
				return l
			}
		}
		t.Fatalf("no row %s", name)
		return ""
	}
	// secondary text: bright black or the default colour, never dark blue
	if p := sgrBefore(row("dressipi-shop"), "Dressipi"); hasParam(p, "34", "94") {
		t.Errorf("the provider (muted) is blue: %q", p)
	}
	if p := sgrBefore(lines[0], "keyring"); hasParam(p, "34", "94") || !hasParam(p, "90", "39", "37") {
		t.Errorf("the header's muted text: %q", p)
	}
	// amber is yellow, not the red of "needs re-link"
	amber := sgrBefore(row("dressipi-shop"), "expires in ") // the words carry the colour; the ticking digits are plain (list.countdownCell)
	red := sgrBefore(row("broken"), "re-link")
	if !hasParam(amber, "33", "93") {
		t.Errorf("the amber countdown is not yellow: %q", amber)
	}
	if hasParam(amber, "31", "91") || amber == red {
		t.Errorf("the amber countdown looks like needs re-link: %q vs %q", amber, red)
	}
	golden.RequireEqual(t, []byte(out))
}

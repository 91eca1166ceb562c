package ui

// Issue 12 item 3: from 40×12 up, every screen keeps its input and the keys
// that get the user out (? q esc) on screen; lists say there is more; full
// help reflows or scrolls; the table shrinks its least useful column first.

import (
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"

	"github.com/tokenring/tokenring/flow"
	"github.com/tokenring/tokenring/ui/list"
)

var smallSizes = [][2]int{{40, 12}, {60, 20}, {80, 24}, {120, 40}, {200, 50}}

// footerHas fails unless the footer (the last line) names every key of want.
func footerHas(t *testing.T, where string, w, h int, v string, want ...string) {
	t.Helper()
	f := footerOf(v)
	for _, k := range want {
		if !strings.Contains(f, k) {
			t.Errorf("%s at %d×%d: the footer lacks %q: %q", where, w, h, k, f)
		}
	}
	if n := len(viewLines(v)); n != h {
		t.Errorf("%s at %d×%d: %d lines", where, w, h, n)
	}
	for i, l := range viewLines(v) {
		if ansi.StringWidth(l) > w {
			t.Errorf("%s at %d×%d: line %d is %d wide", where, w, h, i, ansi.StringWidth(l))
		}
	}
}

func TestEveryScreenKeepsItsWayOutAtAnySize(t *testing.T) {
	for _, sz := range smallSizes {
		w, h := sz[0], sz[1]
		s, c, _ := newHarness(t, true)
		p, tm := start(t, baseOptions(s, c, nil), w, h)
		v := waitText(t, p, "broken")
		footerHas(t, "list", w, h, v, "? keys", "q quit")

		selectRow(t, p, tm, "dressipi-shop")
		tm.Send(press("enter"))
		v = waitText(t, p, "·  dressipi-shop")
		footerHas(t, "detail", w, h, v, "esc back", "? keys", "q quit")
		tm.Send(press("esc"))
		waitText(t, p, "NAME")

		tm.Send(press("d"))
		v = waitText(t, p, "y remove")
		footerHas(t, "confirm", w, h, v, "esc")
		tm.Send(press("esc"))

		s.mu.Lock()
		s.locked, s.passphrase = true, "pw"
		s.mu.Unlock()
		tm.Send(press("c"))
		v = waitText(t, p, "passphrase:")
		footerHas(t, "unlock", w, h, v, "esc")
		tm.Type("pw")
		v = p.sync(t, tm)
		if !strings.Contains(v, "passphrase: ••") {
			t.Errorf("unlock at %d×%d: the typed passphrase is not shown masked:\n%s", w, h, v)
		}
		tm.Send(press("esc"))
		waitView(t, p, "unlock closed", func(v string) bool { return !strings.Contains(v, "passphrase:") })

		tm.Send(press("?"))
		v = waitText(t, p, "Keys")
		footerHas(t, "help", w, h, v, "esc")
		tm.Send(press("esc"))
		waitText(t, p, "NAME")

		tm.Send(press("n"))
		v = waitText(t, p, "Which provider")
		footerHas(t, "picker", w, h, v, "esc")
		tm.Send(press("6")) // Custom OAuth 2.0: seven fields
		v = waitText(t, p, "Account name")
		footerHas(t, "form", w, h, v, "esc")
		for i := 0; i < 6; i++ {
			tm.Send(press("tab"))
		}
		tm.Type("sco")
		v = p.sync(t, tm)
		if !strings.Contains(v, "Scopes") || !strings.Contains(v, "sco") {
			t.Errorf("form at %d×%d: the focused field (Scopes) is off screen:\n%s", w, h, v)
		}
		_ = tm.Quit()
	}
}

func TestAuthorizeStepKeepsThePasteBox(t *testing.T) {
	for _, sz := range smallSizes {
		w, h := sz[0], sz[1]
		env := newWizEnv(t)
		_, prov := warhornServer(t)
		env.o.Providers = []flow.Provider{prov}
		p, tm := start(t, env.o, w, h)
		startWarhornLink(t, env, p, tm)
		waitText(t, p, "ctrl+y") // the authorize step (the step line has a › too)
		tm.Type("typed-code-xyz")
		v := p.sync(t, tm)
		if !strings.Contains(v, "typed-code-xyz") {
			t.Errorf("at %d×%d the paste box (or what was typed) is off screen:\n%s", w, h, v)
		}
		if !strings.Contains(v, "ctrl+y") {
			t.Errorf("at %d×%d nothing says ctrl+y copies the whole URL:\n%s", w, h, v)
		}
		footerHas(t, "authorize", w, h, v, "esc")
		_ = tm.Quit()
	}
}

func TestFullHelpReflowsOrScrolls(t *testing.T) {
	for _, sz := range smallSizes[:3] {
		w, h := sz[0], sz[1]
		s, c, _ := newHarness(t, true)
		p, tm := start(t, baseOptions(s, c, nil), w, h)
		waitText(t, p, "broken")
		tm.Send(press("?"))
		seen := waitText(t, p, "Keys")
		for i := 0; i < 40; i++ {
			tm.Send(press("down"))
			v := p.sync(t, tm)
			if !strings.Contains(footerOf(v), "esc") {
				t.Fatalf("at %d×%d ↓ closed the help:\n%s", w, h, v)
			}
			seen += "\n" + v
		}
		for _, col := range list.FullHelp(p.m.c.Keys) {
			for _, b := range col {
				if !strings.Contains(seen, b.Help().Desc) {
					t.Errorf("at %d×%d the help never shows %q (%s)", w, h, b.Help().Desc, b.Help().Key)
				}
			}
		}
		_ = tm.Quit()
	}
}

func TestPickerSaysThereIsMore(t *testing.T) {
	for _, sz := range smallSizes[:2] {
		w, h := sz[0], sz[1]
		_, _, o := newHarness(t, false)
		o.Providers = []flow.Provider{warhornP()} // seven choices
		p, tm := start(t, o, w, h)
		waitText(t, p, "No accounts yet")
		tm.Send(press("n"))
		v := waitText(t, p, "Which provider")
		if !strings.Contains(v, "Custom OAuth 2.0") && !strings.Contains(v, "more") {
			t.Errorf("at %d×%d the picker hides choices without saying so:\n%s", w, h, v)
		}
		for i := 0; i < 6; i++ {
			tm.Send(press("down"))
		}
		v = waitText(t, p, "Custom OAuth 2.0")
		if !strings.Contains(v, "1 Warhorn") && !strings.Contains(v, "more") {
			t.Errorf("at %d×%d the picker hides the first choices without saying so:\n%s", w, h, v)
		}
		_ = tm.Quit()
	}
}

func TestNarrowTableKeepsTheCountdown(t *testing.T) {
	for _, sz := range smallSizes[:2] {
		w, h := sz[0], sz[1]
		s, c, _ := newHarness(t, true)
		p, tm := start(t, baseOptions(s, c, nil), w, h)
		v := waitText(t, p, "broken")
		for name, left := range map[string]string{"dressipi-shop": "4m 12s", "ci-bot": "45s", "api-errors": "30m 00s"} {
			row := ""
			for _, l := range viewLines(v) {
				if strings.Contains(l, name) {
					row = l
				}
			}
			if !strings.Contains(row, left) {
				t.Errorf("at %d×%d the countdown of %s is cut: %q", w, h, name, row)
			}
		}
		_ = tm.Quit()
	}
}

package ui

import (
	"context"
	"math/rand"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/tokenring/tokenring/accounts"
	"github.com/tokenring/tokenring/flow"
	"github.com/tokenring/tokenring/ui/common"
)

// The one tick runs only while something counts down or a refresh is due.
func TestTickOnlyWhenSomethingCounts(t *testing.T) {
	c := newClock()
	s := newFakeStore(c)
	s.put(accounts.Account{Name: "forever", Provider: warhornP()}, flow.Token{AccessToken: "a"})
	s.put(accounts.Account{Name: "gone", Provider: oidcP(), AccessExpiry: t0.Add(-time.Hour)}, flow.Token{AccessToken: "b"})
	m := New(baseOptions(s, c, nil))
	m.Update(tea.WindowSizeMsg{Width: 80, Height: 24})
	m.Update(loadedFromStore(t, s))
	if m.ticking {
		t.Fatal("idle list (nothing counts down) keeps a tick running")
	}
	// a key press that changes nothing time-related starts nothing either
	m.Update(press("j"))
	if m.ticking {
		t.Fatal("a key press started the tick")
	}

	s.put(accounts.Account{Name: "soon", Provider: oidcP(), AccessExpiry: t0.Add(90 * time.Second)}, flow.Token{AccessToken: "c"})
	_, cmd := m.Update(loadedFromStore(t, s))
	if !m.ticking || cmd == nil {
		t.Fatal("a countdown on screen must start the tick")
	}
	gen := m.tickGen
	// a second reason does not start a second timer
	m.setToast("hello", false)
	m.Update(press("k"))
	if m.tickGen != gen {
		t.Fatal("a second tick was started")
	}
	// once the countdown is over (and the toast gone) the tick stops
	c.Advance(2 * time.Minute)
	m.Update(tickMsg{gen: gen})
	if m.ticking {
		t.Fatal("the tick kept running after every countdown ended")
	}
}

func TestServerTextIsCleaned(t *testing.T) {
	c := newClock()
	s := newFakeStore(c)
	evil := "\x1b]52;c;ZXZpbA==\x07boom\x1b[2J\u202e"
	p := oidcP()
	p.DisplayName = "Evil\x1b[31mCorp"
	s.put(accounts.Account{Name: "acct", Provider: p, AccessExpiry: t0.Add(time.Hour), LastError: evil}, flow.Token{AccessToken: "a"})
	m := New(baseOptions(s, c, nil))
	m.Update(tea.WindowSizeMsg{Width: 80, Height: 24})
	m.Update(loadedFromStore(t, s))
	v := m.View().Content
	for _, bad := range []string{"\x1b]52", "\x07", "\x1b[2J", "\u202e", "\x1b[31m"} {
		if strings.Contains(v, bad) {
			t.Fatalf("view carries %q from the server: %q", bad, v)
		}
	}
	if !strings.Contains(ansi.Strip(v), "boom") {
		t.Fatalf("the error text itself should be shown:\n%s", ansi.Strip(v))
	}
	m.Update(press("enter"))
	v = m.View().Content
	if strings.Contains(v, "\x1b]52") || strings.Contains(v, "\x1b[2J") {
		t.Fatal("detail view carries escapes from the server")
	}
}

func TestResizeKeepsTheViewInBounds(t *testing.T) {
	m := bigModel(t, 50)
	for _, sz := range [][2]int{{80, 24}, {120, 40}, {60, 16}, {200, 10}, {40, 30}} {
		m.Update(tea.WindowSizeMsg{Width: sz[0], Height: sz[1]})
		for _, screen := range []string{"list", "help", "detail", "wizard"} {
			switch screen {
			case "help":
				m.Update(press("?"))
			case "detail":
				m.Update(press("x")) // close help
				m.Update(press("enter"))
			case "wizard":
				m.Update(press("esc"))
				m.Update(press("n"))
			}
			lines := strings.Split(m.View().Content, "\n")
			if len(lines) != sz[1] {
				t.Fatalf("%s at %dx%d: %d lines", screen, sz[0], sz[1], len(lines))
			}
			for i, l := range lines {
				if w := ansi.StringWidth(l); w > sz[0] {
					t.Fatalf("%s at %dx%d: line %d is %d wide: %q", screen, sz[0], sz[1], i, w, ansi.Strip(l))
				}
			}
		}
		m.Update(press("esc"))
	}
}

func TestOSC52Wrapping(t *testing.T) {
	plain := clipper{env: common.NewEnv(func(string) string { return "" })}.osc52("tok")
	if plain != "\x1b]52;c;dG9r\x07" {
		t.Fatalf("plain = %q", plain)
	}
	tmux := clipper{env: common.NewEnv(func(k string) string { return map[string]string{"TMUX": "x"}[k] })}.osc52("tok")
	if tmux != "\x1b]52;c;dG9r\x07\x1bPtmux;\x1b\x1b]52;c;dG9r\x07\x1b\\" {
		t.Fatalf("tmux = %q", tmux)
	}
	screen := clipper{env: common.NewEnv(func(k string) string { return map[string]string{"STY": "x"}[k] })}.osc52("tok")
	if screen != "\x1bP\x1b]52;c;dG9r\x07\x1b\\" {
		t.Fatalf("screen = %q", screen)
	}
}

func TestLongTokenShownWhole(t *testing.T) {
	c := newClock()
	s := newFakeStore(c)
	long := strings.Repeat("abcdefghij", 120) // 1,200 characters, longer than termtext.Clean keeps
	s.put(accounts.Account{Name: "big", Provider: oidcP(), AccessExpiry: t0.Add(time.Hour)}, flow.Token{AccessToken: long})
	m := New(baseOptions(s, c, nil))
	m.Update(tea.WindowSizeMsg{Width: 80, Height: 200})
	m.Update(loadedFromStore(t, s))
	settle(t, m, press("enter")) // the detail view reads the tokens from the keyring
	if v := ansi.Strip(m.View().Content); !strings.Contains(v, "(1200 chars)") {
		t.Fatalf("masked preview miscounts:\n%s", v)
	}
	m.Update(press("v"))
	v := strings.ReplaceAll(ansi.Strip(m.View().Content), " ", "")
	v = strings.ReplaceAll(v, "\n", "")
	if !strings.Contains(v, long) {
		t.Fatal("revealed token is not whole")
	}
}

// clearTmux deletes tmux paste buffers holding the copied secret (and only those).
func TestClearTmuxBuffers(t *testing.T) {
	if _, err := exec.LookPath("tmux"); err != nil {
		t.Skip("no tmux")
	}
	sock := filepath.Join(t.TempDir(), "tmux.sock")
	tm := func(args ...string) string {
		out, err := exec.Command("tmux", append([]string{"-S", sock}, args...)...).CombinedOutput()
		if err != nil {
			t.Fatalf("tmux %v: %v: %s", args, err, out)
		}
		return string(out)
	}
	tm("-f", "/dev/null", "new-session", "-d", "-s", "t", "sleep 60")
	t.Cleanup(func() { _ = exec.Command("tmux", "-S", sock, "kill-server").Run() })
	tm("set-buffer", "-b", "secret", "tok-123")
	tm("set-buffer", "-b", "other", "keep me")
	env := common.NewEnv(func(k string) string { return map[string]string{"TMUX": sock + ",1,0"}[k] })
	if n, err := clearTmux(context.Background(), tmuxSocket(env), map[[32]byte]bool{hashText("tok-123"): true}); n != 1 || err != nil {
		t.Fatalf("deleted %d buffers: %v", n, err)
	}
	bufs := tm("list-buffers", "-F", "#{buffer_name}")
	if strings.Contains(bufs, "secret") || !strings.Contains(bufs, "other") {
		t.Fatalf("buffers after clearing: %q", bufs)
	}
}

// Random keys and pastes in every screen never panic and keep the view in bounds.
func TestRandomInputNoPanic(t *testing.T) {
	keys := []string{"j", "k", "g", "G", "enter", "esc", "tab", "up", "down", "l", "L", "1", "2", "3", "4", "5", "6", "7",
		"/", "?", "v", "c", "i", "h", "r", "d", "x", "y", "n", "u", "e", "backspace", "ctrl+r", "ctrl+y", "a", "-", "é"}
	for seed := int64(0); seed < 10; seed++ {
		m := bigModel(t, 30)
		rng := rand.New(rand.NewSource(seed))
		for i := 0; i < 400; i++ {
			var msg tea.Msg = press(keys[rng.Intn(len(keys))])
			switch rng.Intn(20) {
			case 0:
				msg = tea.PasteMsg{Content: "\x1b[31mjunk\x00\n" + strings.Repeat("z", rng.Intn(5000))}
			case 1:
				msg = tea.WindowSizeMsg{Width: 20 + rng.Intn(150), Height: 6 + rng.Intn(50)}
			case 2:
				msg = tickMsg{}
			}
			m.Update(msg)
			if m.quitting {
				break
			}
			v := m.View().Content
			if n := strings.Count(v, "\n") + 1; n != m.c.Height {
				t.Fatalf("seed %d step %d: %d lines for height %d", seed, i, n, m.c.Height)
			}
		}
	}
}

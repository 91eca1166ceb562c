package ui

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/charmbracelet/x/exp/golden"
	"github.com/charmbracelet/x/exp/teatest/v2"

	"github.com/tokenring/tokenring/accounts"
	"github.com/tokenring/tokenring/flow"
)

type fakeClip struct {
	mu     sync.Mutex
	text   string
	writes []string
}

func (c *fakeClip) WriteAll(s string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.text = s
	c.writes = append(c.writes, s)
	return nil
}

func (c *fakeClip) ReadAll() (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.text, nil
}

func (c *fakeClip) get() (string, int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.text, len(c.writes)
}

func osc52Plain(s string) []byte {
	return []byte("\x1b]52;c;" + base64.StdEncoding.EncodeToString([]byte(s)) + "\x07")
}

// selectRow moves the selection to name with j presses from the top.
func selectRow(t *testing.T, p *probe, tm *teatest.TestModel, name string) {
	t.Helper()
	tm.Send(press("g"))
	for i := 0; i < 50; i++ {
		if strings.Contains(p.sync(t, tm), "▸ "+name) {
			return
		}
		tm.Send(press("j"))
	}
	t.Fatalf("cannot select %s:\n%s", name, p.snapshot())
}

func TestCopyAccessTokenOSC52AndNative(t *testing.T) {
	_, c, o := newHarness(t, true)
	clip := &fakeClip{}
	o.NativeClipboard = clip
	p, tm := start(t, o, 80, 24)
	waitText(t, p, "warhorn-me")
	selectRow(t, p, tm, "dressipi-shop")
	tm.Send(press("c"))
	waitText(t, p, "Copied access token of dressipi-shop (cleared in 30s)")
	teatest.WaitFor(t, tm.Output(), func(b []byte) bool { return bytes.Contains(b, osc52Plain("dr-access")) },
		teatest.WithDuration(5*time.Second))
	waitView(t, p, "native clipboard", func(string) bool { s, _ := clip.get(); return s == "dr-access" })

	// C copies the header the provider expects: Dressipi's x-dressipi-jwt
	tm.Send(press("C"))
	teatest.WaitFor(t, tm.Output(), func(b []byte) bool { return bytes.Contains(b, osc52Plain("x-dressipi-jwt: dr-access")) },
		teatest.WithDuration(5*time.Second))

	// after 30 s the clipboard is cleared (OSC 52 clear + native, which still holds it)
	c.Advance(31 * time.Second)
	tm.Send(tickMsg{})
	waitText(t, p, "Clipboard cleared")
	teatest.WaitFor(t, tm.Output(), func(b []byte) bool { return bytes.Contains(b, []byte("\x1b]52;c;!\x07")) },
		teatest.WithDuration(5*time.Second))
	waitView(t, p, "native cleared", func(string) bool { s, _ := clip.get(); return s == "" })
}

func TestCopyInTmuxSendsPlainAndPassthrough(t *testing.T) {
	s, _, _ := newHarness(t, true)
	c := newClock()
	o := baseOptions(s, c, map[string]string{"TMUX": "/tmp/tmux-0/default,1,0"})
	p, tm := start(t, o, 80, 24)
	waitText(t, p, "warhorn-me")
	selectRow(t, p, tm, "warhorn-me")
	tm.Send(press("C"))
	want := "Authorization: Bearer wh-token-0123456789"
	seq := osc52Plain(want)
	wrapped := append(append([]byte("\x1bPtmux;\x1b"), seq...), "\x1b\\"...)
	teatest.WaitFor(t, tm.Output(), func(b []byte) bool {
		return bytes.Contains(b, seq) && bytes.Contains(b, wrapped)
	}, teatest.WithDuration(5*time.Second))
}

func TestCopyIDTokenMissing(t *testing.T) {
	_, _, o := newHarness(t, true)
	p, tm := start(t, o, 80, 24)
	waitText(t, p, "warhorn-me")
	selectRow(t, p, tm, "dressipi-shop")
	tm.Send(press("i"))
	waitText(t, p, "dressipi-shop has no ID token")
}

func TestUnlockOnDemandWrongThenRight(t *testing.T) {
	s, _, o := newHarness(t, true)
	s.locked, s.passphrase = true, "correct horse"
	p, tm := start(t, o, 80, 24)
	v := waitText(t, p, "warhorn-me")
	if strings.Contains(v, "Unlock the keyring") {
		t.Fatal("the unlock prompt must not show before a secret is needed")
	}
	if !strings.Contains(v, "expires in 4m 12s") {
		t.Fatalf("countdowns must work while locked:\n%s", v)
	}
	selectRow(t, p, tm, "dressipi-shop")
	tm.Send(press("c"))
	waitText(t, p, "Unlock the keyring")
	tm.Type("wrong")
	tm.Send(press("enter"))
	v = waitText(t, p, "Wrong passphrase. Try again.")
	if strings.Contains(v, "wrong") {
		t.Fatalf("the passphrase must be masked:\n%s", v)
	}
	golden.RequireEqual(t, []byte(v))
	tm.Type("correct horse")
	tm.Send(press("enter"))
	// the copy runs again after unlocking
	waitText(t, p, "Copied access token of dressipi-shop")
	teatest.WaitFor(t, tm.Output(), func(b []byte) bool { return bytes.Contains(b, osc52Plain("dr-access")) },
		teatest.WithDuration(5*time.Second))
}

func TestRemoveConfirmsAndRevokes(t *testing.T) {
	s, _, o := newHarness(t, true)
	p, tm := start(t, o, 80, 24)
	waitText(t, p, "warhorn-me")
	selectRow(t, p, tm, "old-app")
	tm.Send(press("d"))
	v := waitText(t, p, "Remove old-app?")
	if !strings.Contains(v, "revoked at Example ID") {
		t.Fatalf("confirm should say it revokes:\n%s", v)
	}
	golden.RequireEqual(t, []byte(v))
	tm.Send(press("n"))
	waitView(t, p, "dialog closed", func(v string) bool { return !strings.Contains(v, "Remove old-app?") })
	tm.Send(press("d"))
	waitText(t, p, "Remove old-app?")
	tm.Send(press("y"))
	waitText(t, p, "Removed old-app")
	v = waitView(t, p, "row gone", func(v string) bool { return !strings.Contains(v, "  old-app") && !strings.Contains(v, "▸ old-app") })
	s.mu.Lock()
	defer s.mu.Unlock()
	if fmt.Sprint(s.removed) != "[old-app]" || fmt.Sprint(s.revoked) != "[old-app]" {
		t.Fatalf("removed %v revoked %v", s.removed, s.revoked)
	}
	_ = v
}

func TestManualRefreshAndFailureOnRow(t *testing.T) {
	s, _, o := newHarness(t, true)
	p, tm := start(t, o, 80, 24)
	waitText(t, p, "warhorn-me")
	selectRow(t, p, tm, "dressipi-shop")
	tm.Send(press("r"))
	waitText(t, p, "Refreshed dressipi-shop")
	waitText(t, p, "expires in 1h 00m")
	if n := s.refreshes("dressipi-shop"); n != 1 {
		t.Fatalf("refreshes = %d", n)
	}
	s.mu.Lock()
	s.refreshErr["dressipi-shop"] = &flow.OAuthError{Op: "refresh", Code: "temporarily_unavailable", Description: "try later"}
	s.mu.Unlock()
	selectRow(t, p, tm, "dressipi-shop")
	tm.Send(press("r"))
	v := waitText(t, p, "Refresh of dressipi-shop failed")
	v = waitView(t, p, "error on row", func(v string) bool {
		return strings.Contains(v, "! error") && strings.Contains(v, "temporarily_unavailable")
	})
	_ = v
}

func TestBackgroundRefreshBoundedConcurrency(t *testing.T) {
	c := newClock()
	s := newFakeStore(c)
	s.block = make(chan struct{})
	for i := 0; i < 10; i++ {
		s.put(accounts.Account{Name: fmt.Sprintf("due-%02d", i), Provider: oidcP(), AccessExpiry: t0.Add(20 * time.Second)},
			flow.Token{AccessToken: "a", RefreshToken: "r"})
	}
	o := baseOptions(s, c, nil)
	p, tm := start(t, o, 80, 24)
	waitText(t, p, "due-00")
	waitView(t, p, "4 refreshing", func(v string) bool { return strings.Count(v, "◌ refreshing") == 4 })
	time.Sleep(50 * time.Millisecond)
	if v := p.snapshot(); strings.Count(v, "◌ refreshing") != 4 {
		t.Fatalf("more than 4 refreshes at once:\n%s", v)
	}
	close(s.block)
	waitView(t, p, "all refreshed", func(v string) bool {
		return strings.Count(v, "expires in 1h 00m") == 10 && !strings.Contains(v, "refreshing")
	})
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.maxFlight > 4 {
		t.Fatalf("max concurrent refreshes %d > 4", s.maxFlight)
	}
	for i := 0; i < 10; i++ {
		if n := s.refreshN[fmt.Sprintf("due-%02d", i)]; n != 1 {
			t.Fatalf("due-%02d refreshed %d times", i, n)
		}
	}
	_ = tm
}

func TestDetailClaimsAndReveal(t *testing.T) {
	_, _, o := newHarness(t, true)
	p, tm := start(t, o, 80, 40)
	waitText(t, p, "warhorn-me")
	selectRow(t, p, tm, "warhorn-me")
	tm.Send(press("enter"))
	v := waitText(t, p, "claims (decoded, signature not verified)")
	for _, want := range []string{"https://warhorn.net/oauth/token", "openid email profile", "user-1", "wh-tok••••••••"} {
		if !strings.Contains(v, want) {
			t.Fatalf("detail lacks %q:\n%s", want, v)
		}
	}
	if strings.Contains(v, "wh-token-0123456789") {
		t.Fatalf("token shown before reveal:\n%s", v)
	}
	tm.Send(press("v"))
	waitText(t, p, "wh-token-0123456789")
	tm.Send(press("v"))
	waitView(t, p, "hidden again", func(v string) bool { return !strings.Contains(v, "wh-token-0123456789") })
	goldenAs(t, "final", finalView(t, tm))
}

func TestDetailLockedThenReveal(t *testing.T) {
	s, _, o := newHarness(t, true)
	s.locked, s.passphrase = true, "pw"
	p, tm := start(t, o, 80, 40)
	waitText(t, p, "warhorn-me")
	selectRow(t, p, tm, "warhorn-me")
	tm.Send(press("enter"))
	waitText(t, p, "The keyring is locked.")
	tm.Send(press("v"))
	waitText(t, p, "Unlock the keyring")
	tm.Type("pw")
	tm.Send(press("enter"))
	waitText(t, p, "wh-token-0123456789")
}

func TestHelpScreen(t *testing.T) {
	_, _, o := newHarness(t, true)
	p, tm := start(t, o, 80, 24)
	waitText(t, p, "warhorn-me")
	tm.Send(press("?"))
	v := waitText(t, p, "copy ID token")
	for _, want := range []string{"copy as HTTP header", "unlock keyring", "Clipboard"} {
		if !strings.Contains(v, want) {
			t.Fatalf("help lacks %q:\n%s", want, v)
		}
	}
	golden.RequireEqual(t, []byte(v))
	tm.Send(press("G")) // it scrolls to the rest
	waitText(t, p, "Keyring")
	tm.Send(press("x"))
	waitText(t, p, "NAME")
}

func TestNoColorAndLightBackground(t *testing.T) {
	s, c, _ := newHarness(t, true)
	o := baseOptions(s, c, map[string]string{"NO_COLOR": "1"})
	m := New(o)
	m.Update(loadedFromStore(t, s))
	out := m.View().Content
	if strings.Contains(out, "\x1b[38;") || strings.Contains(out, "\x1b[48;") {
		t.Fatalf("NO_COLOR view has colours: %q", out)
	}
	o2 := baseOptions(s, c, nil)
	dark := New(o2)
	dark.Update(loadedFromStore(t, s))
	light := New(o2)
	light.Update(loadedFromStore(t, s))
	light.Update(bgMsg(false))
	if dark.View().Content == light.View().Content {
		t.Fatal("light and dark backgrounds render the same")
	}
	if !strings.Contains(dark.View().Content, "\x1b[38;") {
		t.Fatal("no colour at all on a dark background")
	}
}

func TestUnlockNewKeyringAsksTwice(t *testing.T) {
	s, _, o := newHarness(t, true)
	s.locked, s.isNew = true, true
	p, tm := start(t, o, 80, 24)
	waitText(t, p, "warhorn-me")
	selectRow(t, p, tm, "dressipi-shop")
	tm.Send(press("c"))
	waitText(t, p, "Choose a passphrase")
	tm.Type("first")
	tm.Send(press("enter"))
	waitText(t, p, "again:")
	tm.Type("second")
	tm.Send(press("enter"))
	waitText(t, p, "The two passphrases differ")
	tm.Type("same one")
	tm.Send(press("enter"))
	tm.Type("same one")
	tm.Send(press("enter"))
	waitText(t, p, "Copied access token of dressipi-shop")
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.passphrase != "same one" {
		t.Fatalf("passphrase set to %q", s.passphrase)
	}
}

func TestRemoveWhenRevokeFails(t *testing.T) {
	s, _, o := newHarness(t, true)
	s.revokeErr = errBoom
	p, tm := start(t, o, 80, 24)
	waitText(t, p, "warhorn-me")
	selectRow(t, p, tm, "old-app")
	tm.Send(press("d"))
	waitText(t, p, "Remove old-app?")
	tm.Send(press("y"))
	v := waitText(t, p, "revoking the tokens at the provider failed")
	if !strings.Contains(v, "removed old-app here") {
		t.Fatalf("warning should say it was removed here:\n%s", v)
	}
	waitView(t, p, "row gone", func(v string) bool { return !strings.Contains(v, "old-app  ") })
}

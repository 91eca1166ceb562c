package ui

// Issue 12: the TUI tried as a new user would. One test (or more) per item;
// each fails on the code before its fix (the commit says how it was checked).

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/tokenring/tokenring/accounts"
	"github.com/tokenring/tokenring/flow"
	"github.com/tokenring/tokenring/ui/list"
)

// viewLines splits a view; footer, toast and info are its last three lines.
func viewLines(v string) []string { return strings.Split(strings.TrimRight(v, "\n"), "\n") }

func footerOf(v string) string {
	l := viewLines(v)
	return l[len(l)-1]
}

func infoOf(v string) string {
	l := viewLines(v)
	if len(l) < 3 {
		return ""
	}
	return l[len(l)-3]
}

// ---- item 1: Enter never removes ------------------------------------------------

func TestRemoveOnlyWithY(t *testing.T) {
	s, _, o := newHarness(t, true)
	p, tm := start(t, o, 80, 24)
	waitText(t, p, "warhorn-me")
	selectRow(t, p, tm, "old-app")
	for _, k := range []string{"enter", "esc", "n"} {
		tm.Send(press("d"))
		v := waitText(t, p, "Remove old-app?")
		if !strings.Contains(v, "y remove") || !strings.Contains(v, "enter") {
			t.Fatalf("the dialog must say that only y removes and enter keeps:\n%s", v)
		}
		tm.Send(press(k))
		waitView(t, p, "dialog closed by "+k, func(v string) bool { return !strings.Contains(v, "Remove old-app?") })
		v = p.sync(t, tm)
		if !strings.Contains(v, "old-app") {
			t.Fatalf("%s removed the account:\n%s", k, v)
		}
	}
	s.mu.Lock()
	removed := fmt.Sprint(s.removed)
	s.mu.Unlock()
	if removed != "[]" {
		t.Fatalf("enter, esc or n removed %s", removed)
	}
	tm.Send(press("d"))
	waitText(t, p, "Remove old-app?")
	tm.Send(press("y"))
	waitText(t, p, "Removed old-app")
}

// ---- item 2: r on a token that does not expire -----------------------------------

func TestRefreshOfNonExpiringTokenChangesNothing(t *testing.T) {
	s, _, o := newHarness(t, true)
	p, tm := start(t, o, 80, 24)
	waitText(t, p, "warhorn-me")
	selectRow(t, p, tm, "warhorn-me")
	tm.Send(press("r"))
	v := waitText(t, p, "warhorn-me does not expire, nothing to refresh")
	if !regexp.MustCompile(`warhorn-me .*∞ no expiry`).MatchString(v) {
		t.Fatalf("the status must stay as it was:\n%s", v)
	}
	tm.Send(press("enter")) // and from the details
	waitText(t, p, "Expiry")
	tm.Send(press("r"))
	time.Sleep(50 * time.Millisecond)
	v = p.sync(t, tm)
	if !strings.Contains(v, "nothing to refresh") {
		t.Fatalf("r in the details:\n%s", v)
	}
	if n := s.refreshes("warhorn-me"); n != 0 {
		t.Fatalf("a token that does not expire was sent for refreshing %d times", n)
	}
	// an expiring token without a refresh token is not sent either
	selectAfterBack(t, p, tm, "ci-bot")
	tm.Send(press("r"))
	waitText(t, p, "ci-bot has no refresh token")
	if n := s.refreshes("ci-bot"); n != 0 {
		t.Fatalf("ci-bot (no refresh token) was sent for refreshing %d times", n)
	}
}

func selectAfterBack(t *testing.T, p *probe, tm interface{ Send(tea.Msg) }, name string) {
	t.Helper()
	tm.Send(press("esc"))
	waitText(t, p, "NAME")
	tm.Send(press("g"))
	for i := 0; i < 20; i++ {
		time.Sleep(10 * time.Millisecond)
		if strings.Contains(p.snapshot(), "▸ "+name) {
			return
		}
		tm.Send(press("j"))
	}
	t.Fatalf("cannot select %s", name)
}

// ---- item 6: h/l navigate, the header copy needs a deliberate key ----------------

func TestVimKeysNavigateAndNeverCopy(t *testing.T) {
	_, _, o := newHarness(t, true)
	clip := &fakeClip{}
	o.NativeClipboard = clip
	p, tm := start(t, o, 80, 24)
	waitText(t, p, "warhorn-me")
	selectRow(t, p, tm, "dressipi-shop")
	tm.Send(press("h"))
	v := p.sync(t, tm)
	if _, n := clip.get(); n != 0 || strings.Contains(v, "Copied") {
		t.Fatalf("h copied something on the list:\n%s", v)
	}
	tm.Send(press("l"))
	v = waitText(t, p, "Expiry")
	if strings.Contains(v, "Which provider") {
		t.Fatal("l opened the wizard")
	}
	tm.Send(press("h"))
	v = waitText(t, p, "NAME")
	if _, n := clip.get(); n != 0 || strings.Contains(v, "Copied") {
		t.Fatalf("h copied something in the details:\n%s", v)
	}
	tm.Send(press("C"))
	waitText(t, p, "Copied HTTP header of dressipi-shop")
	// the toast is set in Update; the native write runs as a command after it
	waitView(t, p, "the header on the native clipboard", func(string) bool {
		s, _ := clip.get()
		return s == "x-dressipi-jwt: dr-access"
	})
	tm.Send(press("n"))
	waitText(t, p, "Which provider")
}

// The keys the help shows are the keys README.md documents, and the other way round.
func TestKeysDocumentedInReadme(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	readme := string(b)
	i := strings.Index(readme, "### Keys")
	if i < 0 {
		t.Fatal("README.md has no ### Keys section")
	}
	sec := readme[i+len("### Keys"):]
	if j := strings.Index(sec, "\n#"); j >= 0 {
		sec = sec[:j]
	}
	m := New(baseOptions(newFakeStore(newClock()), newClock(), nil))
	for _, col := range list.FullHelp(m.c.Keys) {
		for _, b := range col {
			h := b.Help()
			keys := strings.Split(h.Key, "/")
			if h.Key == "/" {
				keys = []string{"/"}
			}
			for _, k := range keys {
				if !strings.Contains(sec, "`"+k+"`") {
					t.Errorf("README's keys lack `%s` (%s)", k, h.Desc)
				}
			}
		}
	}
	for _, gone := range []string{"`h` copy", "`l` link"} {
		if strings.Contains(sec, gone) {
			t.Errorf("README still documents %s", gone)
		}
	}
}

// ---- item 7: an error said once, short, in the row; whole in the details ---------

func TestErrorSaidOnceShortAndWhole(t *testing.T) {
	c := newClock()
	s := newFakeStore(c)
	oe := &flow.OAuthError{Op: "refresh", Code: "invalid_grant", Description: "Token was revoked by the user on 2026-11-20 at the provider's security page"}
	full := fmt.Errorf("%w: %s: %w", accounts.ErrNeedsRelink, "old-laptop", oe)
	s.put(accounts.Account{Name: "old-laptop", Provider: oidcP(), AccessExpiry: t0.Add(-time.Hour), NeedsRelink: true,
		LastError: full.Error()}, flow.Token{AccessToken: "a", RefreshToken: "dead"})
	for _, w := range []int{200, 80} {
		o := baseOptions(s, c, nil)
		p, tm := start(t, o, w, 30)
		v := waitText(t, p, "old-laptop")
		info := infoOf(v)
		if strings.Count(info, "old-laptop") != 1 || strings.Contains(info, "…") || strings.Count(info, "linked again") > 1 {
			t.Errorf("at %d columns the row's error is repeated or cut: %q", w, info)
		}
		if !strings.Contains(info, "invalid_grant") {
			t.Errorf("at %d columns the row's error does not say why: %q", w, info)
		}
		tm.Send(press("enter"))
		v = waitText(t, p, "last error")
		flat := strings.Join(strings.Fields(v), "")
		whole := strings.TrimPrefix(oe.Error(), "refresh failed: ") // "last error" says it was the refresh
		if !strings.Contains(flat, strings.Join(strings.Fields(whole), "")) {
			t.Errorf("at %d columns the detail view does not show the whole error:\n%s", w, v)
		}
		if strings.Contains(v, "linked again: old-laptop") {
			t.Errorf("at %d columns the detail view repeats the name and the status:\n%s", w, v)
		}
		_ = tm.Quit()
	}
}

// ---- item 8: the small things -------------------------------------------------------

func TestFilterPlaceholderWhole(t *testing.T) {
	_, _, o := newHarness(t, true)
	p, tm := start(t, o, 80, 24)
	waitText(t, p, "warhorn-me")
	tm.Send(press("/"))
	waitText(t, p, "filter: name or provider")
}

func TestToastStaysOnItsScreen(t *testing.T) {
	_, _, o := newHarness(t, true)
	p, tm := start(t, o, 80, 24)
	waitText(t, p, "warhorn-me")
	selectRow(t, p, tm, "dressipi-shop")
	tm.Send(press("c"))
	waitText(t, p, "Copied access token")
	tm.Send(press("enter"))
	v := waitText(t, p, "Expiry")
	if strings.Contains(v, "Copied access token") {
		t.Fatalf("the list's toast followed to the details:\n%s", v)
	}
}

func TestCustomOAuthForm(t *testing.T) {
	_, _, o := newHarness(t, false)
	p, tm := start(t, o, 80, 24)
	waitText(t, p, "No accounts yet")
	tm.Send(press("n"))
	waitText(t, p, "Which provider")
	tm.Send(press("6"))
	v := waitText(t, p, "Custom OAuth 2.0")
	for _, l := range viewLines(v) {
		for _, label := range []string{"Authorization URL", "Token URL", "Client ID", "Redirect URI", "Client secret"} {
			i := strings.Index(l, label)
			if i < 0 {
				continue
			}
			rest := strings.TrimPrefix(l[i+len(label):], " *")
			if !strings.HasPrefix(rest, " ") {
				t.Errorf("the label %q runs into its value: %q", label, l)
			}
			if label == "Redirect URI" && strings.Contains(l, "*") {
				t.Errorf("Redirect URI is marked as needed, but empty works (loopback): %q", l)
			}
		}
	}
}

func TestWizardShowsDone(t *testing.T) {
	w := newWizEnv(t)
	srv, prov := warhornServer(t)
	w.o.Providers = []flow.Provider{prov}
	p, tm := start(t, w.o, 80, 24)
	authURL := startWarhornLink(t, w, p, tm)
	waitText(t, p, "Paste the code")
	landed, err := srv.Approve(authURL)
	if err != nil {
		t.Fatal(err)
	}
	tm.Send(tea.PasteMsg{Content: landed})
	tm.Send(press("enter"))
	v := waitText(t, p, "work-warhorn is linked")
	if !strings.Contains(v, "Done") || !strings.Contains(footerOf(v), "enter") {
		t.Fatalf("the Done step:\n%s", v)
	}
	tm.Send(press("enter"))
	waitText(t, p, "▸ work-warhorn")
}

func TestPasteDoesNotSubmitByItself(t *testing.T) {
	w := newWizEnv(t)
	srv, prov := warhornServer(t)
	w.o.Providers = []flow.Provider{prov}
	p, tm := start(t, w.o, 80, 24)
	authURL := startWarhornLink(t, w, p, tm)
	waitText(t, p, "Paste the code")
	landed, err := srv.Approve(authURL)
	if err != nil {
		t.Fatal(err)
	}
	tm.Send(tea.PasteMsg{Content: landed})
	time.Sleep(200 * time.Millisecond)
	v := p.sync(t, tm)
	if n := srv.Count("/oauth/token"); n != 0 || !strings.Contains(v, "Paste the code") {
		t.Fatalf("the paste was submitted by itself (%d token requests):\n%s", n, v)
	}
	if !strings.Contains(footerOf(v), "enter submit") {
		t.Fatalf("footer: %q", footerOf(v))
	}
	tm.Send(press("enter"))
	waitText(t, p, "work-warhorn is linked")
	if n := srv.Count("/oauth/token"); n != 1 {
		t.Fatalf("%d token requests", n)
	}
}

func TestFullHelpOverSSHHasNoBrowserKey(t *testing.T) {
	s, c, _ := newHarness(t, true)
	for env, want := range map[string]bool{"ssh": false, "desktop": true} {
		e := map[string]string{"SSH_CONNECTION": "10.0.0.1 5 10.0.0.2 22"}
		if env == "desktop" {
			e = map[string]string{"DISPLAY": ":0"}
		}
		p, tm := start(t, baseOptions(s, c, e), 100, 30)
		waitText(t, p, "warhorn-me")
		tm.Send(press("?"))
		v := waitText(t, p, "Keys")
		if got := strings.Contains(v, "ctrl+o"); got != want {
			t.Errorf("%s: the help offers ctrl+o: %v, want %v\n%s", env, got, want, v)
		}
		_ = tm.Quit()
	}
}

// The tmux tip shows only when tmux would drop the copy.
func TestTmuxTipOnlyWhenSetClipboardIsOff(t *testing.T) {
	if _, err := exec.LookPath("tmux"); err != nil {
		t.Skip("no tmux")
	}
	for _, setting := range []string{"on", "off"} {
		sock := filepath.Join(t.TempDir(), "tmux.sock")
		out, err := exec.Command("tmux", "-S", sock, "-f", "/dev/null", "new-session", "-d", "-s", "t", "sleep 60",
			";", "set", "-s", "set-clipboard", setting).CombinedOutput()
		if err != nil {
			t.Fatalf("tmux: %v %s", err, out)
		}
		t.Cleanup(func() { _ = exec.Command("tmux", "-S", sock, "kill-server").Run() })
		s, c, _ := newHarness(t, true)
		p, tm := start(t, baseOptions(s, c, map[string]string{"TMUX": sock + ",1,0"}), 100, 30)
		waitText(t, p, "warhorn-me")
		time.Sleep(300 * time.Millisecond) // tmux answers the question
		tm.Send(press("?"))
		v := waitText(t, p, "Keys")
		tm.Send(press("G"))
		v += p.sync(t, tm)
		v = strings.Join(strings.Fields(v), " ")
		if got := strings.Contains(v, "set-clipboard on"); got != (setting == "off") {
			t.Errorf("set-clipboard %s: the tip shows: %v\n%s", setting, got, v)
		}
		_ = tm.Quit()
	}
}

func TestKeyringReasonReadsPlainly(t *testing.T) {
	s, c, _ := newHarness(t, true)
	s.reason = "no OS keyring answered (secret-service: there is no D-Bus session bus (DBUS_SESSION_BUS_ADDRESS is empty); kwallet: it is not installed); using the encrypted file keyring"
	p, tm := start(t, baseOptions(s, c, nil), 100, 30)
	waitText(t, p, "warhorn-me")
	tm.Send(press("?"))
	waitText(t, p, "Keys")
	tm.Send(press("G")) // the end of the help
	v := waitText(t, p, "session bus")
	kr := v[strings.LastIndex(v, "Keyring"):]
	if strings.ContainsAny(kr, "()") {
		t.Fatalf("the keyring's reason is a nest of parentheses:\n%s", kr)
	}
	if !strings.Contains(strings.Join(strings.Fields(kr), " "), "there is no D-Bus session bus") {
		t.Fatalf("the reason itself is lost:\n%s", kr)
	}
}

// A keyring without a passphrase yet is not "locked": the user is about to choose one.
func TestNewKeyringIsNotCalledLocked(t *testing.T) {
	s, c, _ := newHarness(t, true)
	s.locked, s.isNew = true, true
	s.put(accounts.Account{Name: "due-now", Provider: oidcP(), AccessExpiry: t0.Add(30 * time.Second)},
		flow.Token{AccessToken: "a", RefreshToken: "r"})
	p, tm := start(t, baseOptions(s, c, nil), 100, 30)
	waitText(t, p, "warhorn-me")
	// due-now is due: its background refresh finds the keyring without a passphrase
	v := waitView(t, p, "background refresh paused", func(v string) bool { return strings.Contains(v, "press u") || strings.Contains(v, "Press u") })
	if low := strings.ToLower(v); strings.Contains(low, "locked") || strings.Contains(low, "unlock") {
		t.Fatalf("a new keyring is called locked:\n%s", v)
	}
	tm.Send(press("u"))
	v = waitText(t, p, "Choose a passphrase")
	if low := strings.ToLower(v); strings.Contains(low, "locked") || strings.Contains(low, "unlock") {
		t.Fatalf("the prompt for a new keyring speaks of unlocking:\n%s", v)
	}
}

// A [providers.shop] table with preset = "dressipi" is not a second "Dressipi".
func TestConfigPresetNamedByItsTable(t *testing.T) {
	_, _, o := newHarness(t, false)
	shop, err := flow.Preset("dressipi", flow.Overrides{BaseURL: "https://api.shop.example"})
	if err != nil {
		t.Fatal(err)
	}
	shop.ID = "shop" // as internal/config resolves [providers.shop]
	o.Providers = []flow.Provider{shop}
	p, tm := start(t, o, 100, 30)
	waitText(t, p, "No accounts yet")
	tm.Send(press("n"))
	v := waitText(t, p, "Which provider")
	if !strings.Contains(v, "shop") {
		t.Fatalf("the picker does not name [providers.shop]:\n%s", v)
	}
	if n := len(regexp.MustCompile(`(?m)\d Dressipi\s*$`).FindAllString(v, -1)); n > 1 {
		t.Fatalf("two choices are called just Dressipi:\n%s", v)
	}
}

// An account that must be linked again does not count down in amber with a
// ✓ (nothing will refresh it), and an expiry says its day.
func TestRelinkRowAndExpiryDate(t *testing.T) {
	c := newClock()
	s := newFakeStore(c)
	s.put(accounts.Account{Name: "dead-soon", Provider: oidcP(), AccessExpiry: t0.Add(4 * time.Minute), NeedsRelink: true},
		flow.Token{AccessToken: "a", RefreshToken: "dead"})
	s.put(accounts.Account{Name: "dead-now", Provider: oidcP(), AccessExpiry: t0.Add(-2 * time.Hour), NeedsRelink: true},
		flow.Token{AccessToken: "a", RefreshToken: "dead"})
	s.put(accounts.Account{Name: "last-week", Provider: oidcP(), AccessExpiry: t0.Add(-7 * 24 * time.Hour)},
		flow.Token{AccessToken: "a"})
	m := New(baseOptions(s, c, nil))
	m.Update(tea.WindowSizeMsg{Width: 100, Height: 24})
	m.Update(loadedFromStore(t, s))
	raw := m.View().Content
	r, g, b, _ := m.c.Theme.P.Warn.RGBA()
	warnSGR := fmt.Sprintf("38;2;%d;%d;%d", r>>8, g>>8, b>>8) // amber
	for _, l := range strings.Split(raw, "\n") {
		plain := ansi.Strip(l)
		if strings.Contains(plain, "dead-soon") {
			if strings.Contains(l, warnSGR) || strings.Contains(plain, "✓") || strings.Contains(plain, " auto") {
				t.Errorf("a row that must be linked again looks like it will refresh: %q", l)
			}
		}
	}
	v := ansi.Strip(raw)
	for _, want := range []string{"expired 2h ago", "expired Nov 16"} {
		if !strings.Contains(v, want) {
			t.Errorf("the list lacks %q:\n%s", want, v)
		}
	}
	if regexp.MustCompile(`\bRT\b`).MatchString(v) {
		t.Errorf("RT is jargon:\n%s", v)
	}
}

// NAME is as wide as the names; a wide terminal shows more.
func TestColumnsFitNamesAndUseWideTerminals(t *testing.T) {
	s, c, _ := newHarness(t, true) // longest name: dressipi-shop (13)
	m := New(baseOptions(s, c, nil))
	m.Update(tea.WindowSizeMsg{Width: 80, Height: 24})
	m.Update(loadedFromStore(t, s))
	head := viewLines(ansi.Strip(m.View().Content))[2]
	if i, j := strings.Index(head, "NAME"), strings.Index(head, "PROVIDER"); j-i > len("dressipi-shop")+4 {
		t.Errorf("NAME is %d wide for 13-character names: %q", j-i, head)
	}
	m.Update(tea.WindowSizeMsg{Width: 200, Height: 24})
	head = strings.TrimRight(viewLines(ansi.Strip(m.View().Content))[2], " ")
	if n := ansi.StringWidth(head); n < 120 {
		t.Errorf("at 200 columns the table is %d wide: %q", n, head)
	}
	for _, col := range []string{"REFRESHED", "EXPIRES AT", "LINKED", "SCOPES"} {
		if !strings.Contains(head, col) {
			t.Errorf("at 200 columns the table lacks %s: %q", col, head)
		}
	}
}

// Issue 9 item 5 in the TUI: c on an account that must be linked again
// copies its still-valid token, with a warning that says until when.
func TestCopyOfNeedsRelinkWarns(t *testing.T) {
	c := newClock()
	s := newFakeStore(c)
	s.put(accounts.Account{Name: "dead-soon", Provider: oidcP(), AccessExpiry: t0.Add(3 * time.Hour), NeedsRelink: true},
		flow.Token{AccessToken: "still-good", RefreshToken: "refused", Expiry: t0.Add(3 * time.Hour)})
	p, tm := start(t, baseOptions(s, c, map[string]string{}), 100, 24)
	waitText(t, p, "dead-soon")
	tm.Send(press("c"))
	v := waitText(t, p, "Copied access token of dead-soon")
	if !strings.Contains(v, "works until") || !strings.Contains(v, "then dead-soon must be linked again") {
		t.Fatalf("the copy does not warn:\n%s", v)
	}
}

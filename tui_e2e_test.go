//go:build unix

package main

// The real binary in a real terminal (tmux): plain `tokenring` on an empty
// config directory, `tokenring demo`, and link's masked prompts. The TUI's
// own behaviour is tested in ui/.

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/tokenring/tokenring/internal/localoauth"
)

type tmuxSession struct {
	t    *testing.T
	sock string
}

func startTmux(t *testing.T, env map[string]string, args ...string) (*tmuxSession, string) {
	t.Helper()
	if _, err := exec.LookPath("tmux"); err != nil {
		t.Skip("tmux not installed (.ci/run installs it)")
	}
	dir := t.TempDir()
	s := &tmuxSession{t: t, sock: filepath.Join(dir, "tmux.sock")}
	exitFile := filepath.Join(dir, "exit")
	cmd := []string{"env", "-i"}
	for k, v := range env {
		cmd = append(cmd, k+"="+v)
	}
	cmd = append(cmd, "TERM=xterm-256color")
	cmd = append(cmd, args...)
	quoted := make([]string, len(cmd))
	for i, c := range cmd {
		quoted[i] = "'" + strings.ReplaceAll(c, "'", `'\''`) + "'"
	}
	shell := strings.Join(quoted, " ") + "; echo $? > '" + exitFile + "'; sleep 30"
	out, err := exec.Command("tmux", "-S", s.sock, "-f", "/dev/null", "new-session", "-d", "-x", "100", "-y", "30", "sh", "-c", shell).CombinedOutput()
	if err != nil {
		t.Fatalf("tmux new-session: %v\n%s", err, out)
	}
	t.Cleanup(func() { exec.Command("tmux", "-S", s.sock, "kill-server").Run() })
	return s, exitFile
}

func (s *tmuxSession) capture() string {
	out, _ := exec.Command("tmux", "-S", s.sock, "capture-pane", "-p").Output()
	return string(out)
}

func (s *tmuxSession) waitFor(what string) string {
	s.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if scr := s.capture(); strings.Contains(scr, what) {
			return scr
		}
		time.Sleep(100 * time.Millisecond)
	}
	s.t.Fatalf("the screen never showed %q; it shows:\n%s", what, s.capture())
	return ""
}

func (s *tmuxSession) keys(k ...string) {
	s.t.Helper()
	if out, err := exec.Command("tmux", append([]string{"-S", s.sock, "send-keys"}, k...)...).CombinedOutput(); err != nil {
		s.t.Fatalf("send-keys: %v %s", err, out)
	}
}

func waitExit(t *testing.T, exitFile string) string {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if b, err := os.ReadFile(exitFile); err == nil && len(b) > 0 {
			return strings.TrimSpace(string(b))
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatal("tokenring did not exit")
	return ""
}

func TestE2ETUIEmptyState(t *testing.T) {
	t.Parallel()
	c := newCLI(t)
	s, exitFile := startTmux(t, c.env, c.bin)
	scr := s.waitFor("No accounts yet")
	if !strings.Contains(scr, "Press D to try") {
		t.Errorf("the empty state does not offer the demo:\n%s", scr)
	}
	// D runs the demo in place; quitting it comes back to the own, still
	// empty, list; q there ends tokenring.
	s.keys("D")
	scr = s.waitFor("alice-demo")
	if !strings.Contains(scr, "DEMO") {
		t.Errorf("D did not open the demo:\n%s", scr)
	}
	s.keys("q")
	s.waitFor("No accounts yet")
	s.keys("q")
	if code := waitExit(t, exitFile); code != "0" {
		t.Fatalf("tokenring exited with %s", code)
	}
}

func TestE2ETUIDemo(t *testing.T) {
	t.Parallel()
	c := newCLI(t)
	tmp := t.TempDir()
	env := map[string]string{}
	for k, v := range c.env {
		env[k] = v
	}
	env["TMPDIR"] = tmp
	s, exitFile := startTmux(t, env, c.bin, "demo")
	scr := s.waitFor("alice-demo")
	for _, want := range []string{"shop-dressipi", "events-warhorn", "old-laptop"} {
		if !strings.Contains(scr, want) {
			t.Errorf("the demo list lacks %s:\n%s", want, scr)
		}
	}
	if left, _ := os.ReadDir(tmp); len(left) != 1 {
		t.Errorf("while running, the demo should have one temp dir, has %d", len(left))
	}
	s.keys("q")
	if code := waitExit(t, exitFile); code != "0" {
		t.Fatalf("tokenring demo exited with %s:\n%s", code, s.capture())
	}
	if left, _ := os.ReadDir(tmp); len(left) != 0 {
		t.Errorf("the demo left %d entries in TMPDIR after quitting", len(left))
	}
	if _, err := os.Stat(c.home); err == nil {
		t.Errorf("the demo touched TOKENRING_HOME")
	}
}

func (s *tmuxSession) captureJoined() string {
	out, _ := exec.Command("tmux", "-S", s.sock, "capture-pane", "-p", "-J", "-S", "-100").Output()
	return string(out)
}

func (s *tmuxSession) waitForJoined(what string) string {
	s.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if scr := s.captureJoined(); strings.Contains(scr, what) {
			return scr
		}
		time.Sleep(100 * time.Millisecond)
	}
	s.t.Fatalf("the screen never showed %q; it shows:\n%s", what, s.captureJoined())
	return ""
}

// In a real terminal with no secrets in the environment, link asks for the
// client secret and for a new keyring's passphrase (twice) with echo off,
// then reads the pasted redirect URL from the same terminal.
func TestE2ETerminalPrompts(t *testing.T) {
	t.Parallel()
	c := newCLI(t)
	delete(c.env, "TOKENRING_PASSPHRASE")
	const secret = "typed-client-secret-4e1f"
	const pass = "typed passphrase 9a"
	srv := localoauth.NewWarhorn(localoauth.WarhornOptions{ClientID: "wh-client", ClientSecret: secret, RedirectURI: whRedirect})
	defer srv.Close()

	s, exitFile := startTmux(t, c.env, append([]string{c.bin, "link"}, warhornArgs(srv, "typed")...)...)
	s.waitFor("Client secret for warhorn")
	s.keys("-l", secret)
	s.keys("Enter")
	s.waitFor("Choose a passphrase for the new keyring")
	s.keys("-l", pass)
	s.keys("Enter")
	s.waitFor("Repeat the passphrase")
	s.keys("-l", pass)
	s.keys("Enter")
	scr := s.waitForJoined("Paste that whole address")
	m := regexp.MustCompile(`http://127\.0\.0\.1:\d+/oauth/authorize\?\S+`).FindString(scr)
	if m == "" {
		t.Fatalf("no authorization URL on screen:\n%s", scr)
	}
	landed, err := srv.Approve(m)
	if err != nil {
		t.Fatal(err)
	}
	s.keys("-l", landed)
	s.keys("Enter")
	if code := waitExit(t, exitFile); code != "0" {
		t.Fatalf("link in a terminal exited %s:\n%s", code, s.captureJoined())
	}
	scr = s.captureJoined()
	if strings.Contains(scr, secret) || strings.Contains(scr, pass) {
		t.Fatalf("a secret was echoed:\n%s", scr)
	}
	if !strings.Contains(scr, "Linked typed") {
		t.Fatalf("no confirmation:\n%s", scr)
	}

	// token asks for the passphrase once (the keyring exists now); a pipe
	// on stdout still gets only the token.
	out := filepath.Join(t.TempDir(), "out")
	s2, exit2 := startTmux(t, c.env, "sh", "-c", c.bin+" token typed > "+out)
	s2.waitFor("Keyring passphrase")
	if strings.Contains(s2.capture(), "Repeat") {
		t.Error("an existing keyring's passphrase was asked twice")
	}
	s2.keys("-l", pass)
	s2.keys("Enter")
	if code := waitExit(t, exit2); code != "0" {
		t.Fatalf("token exited %s:\n%s", code, s2.capture())
	}
	b, _ := os.ReadFile(out)
	if tok := strings.TrimSuffix(string(b), "\n"); !srv.ValidAccessToken(tok) || string(b) != tok+"\n" {
		t.Fatalf("token wrote %q", b)
	}
	c.grepHome(map[string]string{"client secret": secret, "passphrase": pass, "token": strings.TrimSpace(string(b))})
}

// Closing the terminal (SIGHUP) while the demo runs still deletes its keyring.
func TestE2EDemoHangup(t *testing.T) {
	t.Parallel()
	c := newCLI(t)
	tmp := t.TempDir()
	env := map[string]string{}
	for k, v := range c.env {
		env[k] = v
	}
	env["TMPDIR"] = tmp
	s, _ := startTmux(t, env, c.bin, "demo")
	s.waitFor("alice-demo")
	if left, _ := os.ReadDir(tmp); len(left) != 1 {
		t.Fatalf("while running, the demo should have one temp dir, has %d", len(left))
	}
	exec.Command("tmux", "-S", s.sock, "kill-server").Run()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if left, _ := os.ReadDir(tmp); len(left) == 0 {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatal("the demo's temp dir is still there after the terminal closed")
}

// Programs tokenring starts (here the browser opener of a local session)
// get no TOKENRING_* secret: the passphrase, client secret and API key are
// read once at start-up and taken out of the environment.
func TestE2EChildrenGetNoSecrets(t *testing.T) {
	t.Parallel()
	c := newCLI(t)
	tmp := t.TempDir()
	bin := filepath.Join(tmp, "bin")
	os.Mkdir(bin, 0o755)
	seen := filepath.Join(tmp, "xdg-open.env")
	script := "#!/bin/sh\nenv > '" + seen + ".tmp' && mv '" + seen + ".tmp' '" + seen + "'\n"
	if err := os.WriteFile(filepath.Join(bin, "xdg-open"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{}
	for k, v := range c.env {
		env[k] = v
	}
	env["TMPDIR"] = tmp
	env["PATH"] = bin + ":" + env["PATH"]
	env["DISPLAY"] = ":0" // a local session: the wizard opens the browser itself
	secrets := map[string]string{
		"TOKENRING_PASSPHRASE":    "pass-e2e-7c1",
		"TOKENRING_CLIENT_SECRET": "cs-e2e-9a2",
		"TOKENRING_API_KEY":       "ak-e2e-4b3",
	}
	for k, v := range secrets {
		env[k] = v
	}
	s, exitFile := startTmux(t, env, c.bin, "demo")
	s.waitFor("alice-demo")
	s.keys("n") // link an account (l opens the details)
	s.waitFor("Which provider")
	s.keys("Enter") // the demo provider comes first
	s.waitFor("Account name")
	s.keys("kid", "Enter")
	s.waitFor("Open this address")
	var got []byte
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if b, err := os.ReadFile(seen); err == nil {
			got = b
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if got == nil {
		t.Fatalf("the browser opener never ran:\n%s", s.capture())
	}
	if !strings.Contains(string(got), "DISPLAY=:0") {
		t.Fatalf("the opener's environment looks wrong:\n%s", got)
	}
	for k, v := range secrets {
		if strings.Contains(string(got), k) || strings.Contains(string(got), v) {
			t.Errorf("the browser opener inherited %s", k)
		}
	}
	s.keys("C-c")
	if code := waitExit(t, exitFile); code != "0" {
		t.Fatalf("tokenring demo exited with %s:\n%s", code, s.capture())
	}
}

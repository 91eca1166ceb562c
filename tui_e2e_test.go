package main

// Smoke tests of the wiring between the command line and the TUI: the real
// binary in a real terminal (tmux), plain `tokenring` on an empty config
// directory and `tokenring demo`. The TUI's own behaviour is tested in ui/.

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
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
	c := newCLI(t)
	s, exitFile := startTmux(t, c.env, c.bin)
	scr := s.waitFor("No accounts yet")
	if !strings.Contains(scr, "tokenring demo") {
		t.Errorf("the empty state does not offer the demo:\n%s", scr)
	}
	s.keys("q")
	if code := waitExit(t, exitFile); code != "0" {
		t.Fatalf("tokenring exited with %s", code)
	}
}

func TestE2ETUIDemo(t *testing.T) {
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

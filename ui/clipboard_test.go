package ui

// Issue 12 item 4 and issue 14 item 8: the clipboard clear clears every
// secret this session copied (tmux's paste buffers included), never what
// the user copied since, and says "cleared" only where tokenring can know.

import (
	"bytes"
	"io"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/exp/teatest/v2"

	"github.com/tokenring/tokenring/flow"
)

// tmuxServer starts a private tmux server; run runs tmux commands on it.
func tmuxServer(t *testing.T, setClipboard string) (sock string, run func(args ...string) string) {
	t.Helper()
	if _, err := exec.LookPath("tmux"); err != nil {
		t.Skip("no tmux")
	}
	sock = filepath.Join(t.TempDir(), "tmux.sock")
	run = func(args ...string) string {
		t.Helper()
		out, err := exec.Command("tmux", append([]string{"-S", sock}, args...)...).CombinedOutput()
		if err != nil {
			t.Fatalf("tmux %v: %v: %s", args, err, out)
		}
		return string(out)
	}
	run("-f", "/dev/null", "new-session", "-d", "-s", "t", "sleep 120", ";", "set", "-s", "set-clipboard", setClipboard)
	t.Cleanup(func() { _ = exec.Command("tmux", "-S", sock, "kill-server").Run() })
	return sock, run
}

// buffers is the content of every tmux paste buffer.
func buffers(t *testing.T, run func(args ...string) string) []string {
	sock := func(*testing.T) string { return strings.TrimSpace(run("display", "-p", "#{socket_path}")) }
	var out []string
	for _, name := range strings.Fields(run("list-buffers", "-F", "#{buffer_name}")) {
		// a buffer deleted between the two commands is gone: skip it
		if b, err := exec.Command("tmux", "-S", sock(t), "show-buffer", "-b", name).Output(); err == nil {
			out = append(out, string(b))
		}
	}
	return out
}

// c, C and i copy three secrets; tmux (set-clipboard on) keeps a paste
// buffer of each. The clear deletes all three and keeps the user's own.
func TestClearRemovesEverySecretCopied(t *testing.T) {
	sock, run := tmuxServer(t, "on")
	t.Setenv("TMUX", sock+",1,0") // where a tmux child would look (the UI is also told through Getenv)
	s, c, _ := newHarness(t, true)
	p, tm := start(t, baseOptions(s, c, map[string]string{"TMUX": sock + ",1,0"}), 100, 30)
	waitText(t, p, "warhorn-me")
	copied := map[string]string{}
	copyAs := func(row, key, want, text string) {
		selectRow(t, p, tm, row)
		tm.Send(press(key))
		waitText(t, p, "Copied "+want)
		run("set-buffer", "--", text) // what tmux does with the OSC 52 it receives
		copied[key] = text
	}
	copyAs("dressipi-shop", "c", "access token of dressipi-shop", "dr-access")
	copyAs("dressipi-shop", "C", "HTTP header of dressipi-shop", "x-dressipi-jwt: dr-access")
	copyAs("warhorn-me", "i", "ID token of warhorn-me", testJWT)
	run("set-buffer", "--", "the user's own text")
	if n := len(buffers(t, run)); n != 4 {
		t.Fatalf("%d buffers before the clear", n)
	}
	c.Advance(31 * time.Second)
	tm.Send(tickMsg{})
	waitView(t, p, "the clear", func(v string) bool { return strings.Contains(v, "lear") })
	deadline := time.Now().Add(5 * time.Second)
	for {
		left := buffers(t, run)
		if len(left) == 1 && left[0] == "the user's own text" {
			break
		}
		if time.Now().After(deadline) {
			for k, text := range copied {
				for _, b := range left {
					if b == text {
						t.Errorf("the secret copied with %s is still in a tmux buffer", k)
					}
				}
			}
			t.Fatalf("buffers after the clear: %d (want only the user's own)", len(left))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Over SSH the clear is an OSC 52 to a terminal tokenring cannot read:
// it says the clear was sent, and how to make it stick.
func TestClearOverSSHSaysSentNotCleared(t *testing.T) {
	s, c, _ := newHarness(t, true)
	p, tm := start(t, baseOptions(s, c, map[string]string{"SSH_CONNECTION": "10.0.0.1 5 10.0.0.2 22"}), 120, 30)
	waitText(t, p, "warhorn-me")
	selectRow(t, p, tm, "dressipi-shop")
	tm.Send(press("c"))
	v := waitText(t, p, "Copied access token")
	if strings.Contains(v, "cleared in") {
		t.Fatalf("the copy promises a clear it cannot check:\n%s", v)
	}
	c.Advance(31 * time.Second)
	tm.Send(tickMsg{})
	v = waitText(t, p, "lear sent")
	if strings.Contains(v, "Clipboard cleared") {
		t.Fatalf("over SSH the UI claims the clipboard was cleared:\n%s", v)
	}
	tm.Send(press("?"))
	v = waitText(t, p, "Keys")
	for i := 0; i < 20 && !strings.Contains(v, "set-clipboard external"); i++ {
		tm.Send(press("down"))
		v = p.sync(t, tm)
	}
	if !strings.Contains(v, "set-clipboard external") {
		t.Fatalf("the help does not say how to make the clear stick in an outer tmux:\n%s", v)
	}
}

// Issue 14 item 8: copy, then the user copies something else; the clear
// leaves that alone (it clears only a clipboard that still holds a secret
// this session copied).
func TestClearKeepsWhatTheUserCopiedSince(t *testing.T) {
	for _, tc := range []struct {
		name  string
		keys  []string
		other string // what the user copies after tokenring ("" nothing)
		want  string
	}{
		{"user copied since", []string{"c"}, "my own text", "my own text"},
		{"two secrets, user copied since", []string{"c", "C"}, "mine", "mine"},
		{"still the first of two secrets", []string{"C", "c"}, "", ""},
		{"still the last secret", []string{"c", "C"}, "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, c, _ := newHarness(t, true)
			clip := &fakeClip{}
			o := baseOptions(s, c, map[string]string{"DISPLAY": ":0"})
			o.NativeClipboard = clip
			p, tm := start(t, o, 100, 30)
			waitText(t, p, "warhorn-me")
			selectRow(t, p, tm, "dressipi-shop")
			for _, k := range tc.keys {
				_, n := clip.get()
				tm.Send(press(k))
				waitView(t, p, "copied", func(string) bool { _, m := clip.get(); return m > n })
			}
			if tc.other != "" {
				_ = clip.WriteAll(tc.other)
			}
			if tc.keys[0] == "C" && tc.other == "" {
				// the first secret is on the clipboard again (pasted back by a clipboard manager)
				_ = clip.WriteAll("x-dressipi-jwt: dr-access")
			}
			_, n := clip.get()
			c.Advance(31 * time.Second)
			tm.Send(tickMsg{})
			waitView(t, p, "the clear", func(v string) bool {
				return !strings.Contains(v, "Copied") && strings.Contains(v, "lipboard")
			})
			time.Sleep(50 * time.Millisecond)
			p.sync(t, tm)
			got, m := clip.get()
			if got != tc.want {
				t.Fatalf("after the clear the clipboard holds %q, want %q", got, tc.want)
			}
			if tc.want != "" && m != n {
				t.Fatalf("the clear wrote the clipboard (%d writes) although it held the user's text", m-n)
			}
			// nor through the terminal: locally OSC 52 sets this same clipboard
			clearSeq := []byte("\x1b]52;c;!\x07")
			if tc.want == "" {
				// the clear goes out as a command after the view says so
				teatest.WaitFor(t, tm.Output(), func(b []byte) bool { return bytes.Contains(b, clearSeq) },
					teatest.WithDuration(5*time.Second))
				return
			}
			if out, _ := io.ReadAll(tm.Output()); bytes.Contains(out, clearSeq) {
				t.Fatalf("OSC 52 clear sent although the clipboard held %q", tc.want)
			}
		})
	}
}

var _ = flow.Token{}

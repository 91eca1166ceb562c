package main

// Issue 4's end-to-end proof: `tokenring demo` in a real terminal (a
// private tmux server, 100×30, `set -s set-clipboard on`). The countdown
// moves on its own, `c` puts the selected account's access token into
// tmux's paste buffer through OSC 52, and the demo provider (still running
// inside tokenring) accepts that token at its userinfo endpoint. `q` ends
// the program and the throwaway keyring directory is gone.

import (
	"encoding/base64"
	"encoding/json"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// txServer is a private tmux server on its own socket.
type txServer struct {
	t    *testing.T
	sock string
}

func (s *txServer) tmux(args ...string) (string, error) {
	out, err := exec.Command("tmux", append([]string{"-S", s.sock}, args...)...).CombinedOutput()
	return string(out), err
}

func (s *txServer) must(args ...string) string {
	s.t.Helper()
	out, err := s.tmux(args...)
	if err != nil {
		s.t.Fatalf("tmux %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

func (s *txServer) screen() string {
	out, _ := s.tmux("capture-pane", "-p", "-t", "demo")
	return out
}

// waitScreen polls the pane until ok accepts it (at most 20 s).
func (s *txServer) waitScreen(what string, ok func(string) bool) string {
	s.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		scr := s.screen()
		if ok(scr) {
			return scr
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("waiting for %s; the screen shows:\n%s", what, scr)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

var countdownRE = regexp.MustCompile(`(?m)^. alice-demo .*expires in (?:(\d+)m )?(\d+)s`)

// aliceCountdown is the seconds left on alice-demo's row, or -1.
func aliceCountdown(scr string) int {
	m := countdownRE.FindStringSubmatch(scr)
	if m == nil {
		return -1
	}
	mins, _ := strconv.Atoi(m[1])
	secs, _ := strconv.Atoi(m[2])
	return mins*60 + secs
}

func TestE2ETmuxDemoCountdownCopyQuit(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("tmux"); err != nil {
		t.Skip("tmux is not installed (.ci/run installs it)")
	}
	bin := tokenringBin(t)
	start := time.Now()
	dir := t.TempDir()
	tmp := filepath.Join(dir, "tmp") // the demo's TMPDIR: its throwaway keyring goes here
	home := filepath.Join(dir, "home")
	for _, d := range []string{tmp, home} {
		if err := os.Mkdir(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	s := &txServer{t: t, sock: filepath.Join(dir, "tmux.sock")}

	// The tmux server's environment is all the program gets (plus TMUX and
	// TMUX_PANE, which tmux sets, so tokenring knows it runs inside tmux).
	// A shell between tmux and tokenring records the exit status (tmux
	// 3.3a sometimes leaves an exited pane process unreaped for many seconds,
	// so #{pane_dead} is no reliable sign that the program ended).
	exitFile := filepath.Join(dir, "exit")
	script := `"$0" demo; echo $? > "$1.tmp"; mv "$1.tmp" "$1"`
	cmd := exec.Command("tmux", "-S", s.sock, "-f", "/dev/null",
		"new-session", "-d", "-s", "demo", "-x", "100", "-y", "30", "sh", "-c", script, bin, exitFile,
		";", "set", "-s", "set-clipboard", "on",
		";", "set", "-g", "remain-on-exit", "on")
	cmd.Env = []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + home,
		"XDG_CONFIG_HOME=" + filepath.Join(home, ".config"),
		"XDG_RUNTIME_DIR=" + home,
		"TOKENRING_HOME=" + filepath.Join(home, "tokenring"),
		"TMPDIR=" + tmp,
		"TERM=xterm-256color",
		"LANG=C.UTF-8",
	}
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("tmux new-session: %v\n%s", err, out)
	}
	t.Cleanup(func() { s.tmux("kill-server") })

	// The list, with alice-demo counting down.
	scr := s.waitScreen("the demo's account list", func(scr string) bool { return aliceCountdown(scr) >= 0 })
	for _, want := range []string{"DEMO", "shop-dressipi", "events-warhorn", "old-laptop"} {
		if !strings.Contains(scr, want) {
			t.Errorf("the demo's list lacks %q:\n%s", want, scr)
		}
	}
	if left, _ := os.ReadDir(tmp); len(left) != 1 || !strings.HasPrefix(left[0].Name(), "tokenring-demo-") {
		t.Errorf("while running, TMPDIR should hold the demo's one directory: %v", left)
	}

	// The countdown moves on its own: it goes down without a key being
	// pressed (the first refresh is due ~30 s before expiry, about 90 s
	// from now). The tick is 1 Hz; a loaded machine (-race on 2 cores) may
	// draw late, so wait up to 5 s for the change instead of comparing two
	// captures a fixed 1.2 s apart.
	first := aliceCountdown(s.screen())
	if first < 0 {
		t.Fatalf("no countdown on the screen:\n%s", s.screen())
	}
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		scr := s.screen()
		if c := aliceCountdown(scr); c >= 0 && c < first {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the countdown stayed at %d s for 5 s:\n%s", first, scr)
		}
	}

	// Select alice-demo (filter) and copy its access token.
	s.must("send-keys", "-t", "demo", "/")
	s.must("send-keys", "-t", "demo", "-l", "alice")
	s.must("send-keys", "-t", "demo", "Enter")
	s.waitScreen("alice-demo alone and selected", func(scr string) bool {
		return strings.Contains(scr, "(1 shown)") && strings.Contains(scr, "▸ alice-demo")
	})
	if out, _ := s.tmux("list-buffers"); strings.TrimSpace(out) != "" {
		t.Fatalf("a paste buffer exists before copying: %s", out)
	}
	s.must("send-keys", "-t", "demo", "c")
	s.waitScreen("the copy confirmation", func(scr string) bool {
		return strings.Contains(scr, "Copied access token of alice-demo")
	})
	var tok string
	deadline := time.Now().Add(5 * time.Second)
	for tok == "" {
		out, err := s.tmux("show-buffer")
		if err == nil && out != "" {
			tok = out
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("with set-clipboard on, `c` put nothing into tmux's paste buffer")
		}
		time.Sleep(50 * time.Millisecond)
	}
	iss := checkDemoToken(t, tok)

	// The demo provider, still running inside tokenring, accepts the token.
	u, err := url.Parse(iss)
	if err != nil || u.Scheme != "http" || u.Hostname() != "127.0.0.1" {
		t.Fatalf("the token's issuer is not the demo's loopback provider: %q", iss)
	}
	req, _ := http.NewRequest("GET", iss+"/userinfo", nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := (&http.Client{Timeout: 5 * time.Second}).Do(req)
	if err != nil {
		t.Fatalf("userinfo at the demo provider: %v", err)
	}
	var info struct{ Sub string }
	err = json.NewDecoder(resp.Body).Decode(&info)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || err != nil || info.Sub != "alice" {
		t.Fatalf("the demo provider refused the copied token: HTTP %d, sub %q, %v", resp.StatusCode, info.Sub, err)
	}

	// q quits: the program exits 0, its provider stops, its keyring directory is gone.
	qAt := time.Now()
	s.must("send-keys", "-t", "demo", "q")
	var status string
	deadline = time.Now().Add(10 * time.Second)
	for {
		if b, err := os.ReadFile(exitFile); err == nil {
			status = strings.TrimSpace(string(b))
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("tokenring demo did not exit within 10 s after q:\n%s", s.screen())
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Logf("tokenring demo exited %s after q", time.Since(qAt).Round(time.Millisecond))
	if status != "0" {
		t.Fatalf("tokenring demo exited with status %s:\n%s", status, s.screen())
	}
	if left, _ := os.ReadDir(tmp); len(left) != 0 {
		t.Errorf("the demo left %d entries in its TMPDIR after quitting", len(left))
	}
	if c, err := net.DialTimeout("tcp", u.Host, time.Second); err == nil {
		c.Close()
		t.Errorf("the demo provider still listens on %s after quitting", u.Host)
	}
	if _, err := os.Stat(filepath.Join(home, "tokenring")); err == nil {
		t.Errorf("the demo touched TOKENRING_HOME")
	}
	t.Logf("demo in tmux: list, countdown, copy, quit in %s", time.Since(start).Round(time.Millisecond))
}

// checkDemoToken checks that tok is a JWT access token the demo provider
// issued for alice-demo and returns its issuer. It never prints the token.
func checkDemoToken(t *testing.T, tok string) string {
	t.Helper()
	parts := strings.Split(tok, ".")
	if len(parts) != 3 || parts[2] == "" {
		t.Fatalf("the paste buffer does not hold a JWT (%d bytes, %d dot-separated parts)", len(tok), len(parts))
	}
	var hdr struct {
		Alg string `json:"alg"`
	}
	var claims struct {
		Iss      string `json:"iss"`
		Sub      string `json:"sub"`
		ClientID string `json:"client_id"`
		Exp      int64  `json:"exp"`
	}
	for i, into := range []any{&hdr, &claims} {
		b, err := base64.RawURLEncoding.DecodeString(parts[i])
		if err == nil {
			err = json.Unmarshal(b, into)
		}
		if err != nil {
			t.Fatalf("JWT part %d does not decode: %v", i, err)
		}
	}
	if hdr.Alg == "" || hdr.Alg == "none" {
		t.Errorf("JWT alg %q", hdr.Alg)
	}
	if claims.Sub != "alice" || claims.ClientID != "tokenring-demo" {
		t.Errorf("the copied token is not alice-demo's: sub %q, client_id %q", claims.Sub, claims.ClientID)
	}
	if left := time.Until(time.Unix(claims.Exp, 0)); left <= 0 || left > 3*time.Minute {
		t.Errorf("the copied token's exp is %s away, want within the demo's 2 min lifetime", left.Round(time.Second))
	}
	if claims.Iss == "" {
		t.Fatal("the copied token has no iss claim")
	}
	return claims.Iss
}

//go:build unix

package main

// `tokenring exec`: the environment the command gets, its status and
// signals, and --token-file while tokens expire under it. The command is
// sh, or this test binary itself (e2eChild).

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	trcli "github.com/tokenring/tokenring/internal/cli"
)

// e2eChildVar makes the test binary act as exec's command (TestMain). It
// is no TOKENRING_* variable, so exec passes it on.
const e2eChildVar = "E2E_EXEC_CHILD"

// execScale multiplies the time the --token-file test takes (token
// lifetime 20 s, run 60 s): E2E_EXEC_SCALE=0.5 halves it.
func execScale() float64 {
	if f, err := strconv.ParseFloat(os.Getenv("E2E_EXEC_SCALE"), 64); err == nil && f > 0 {
		return f
	}
	return 1
}

// childReport is what the child of the --token-file test prints.
type childReport struct {
	Reads    int      `json:"reads"`
	Tokens   int      `json:"tokens"` // distinct tokens read from the file
	HUPs     int      `json:"hups"`
	Problems []string `json:"problems"`
}

// e2eChild is the test binary run by tokenring exec. Mode "tokenfile":
// every 200 ms until E2E_SECONDS have passed, read the token file
// (E2E_FILE) and call the API (E2E_API) with it; once, at the start, call
// it with the variable's token too. Count the SIGHUPs. Print a report.
func e2eChild(mode string) int {
	switch mode {
	case "tokenfile":
	case "sigcount":
		return sigcountChild()
	case "wait":
		return waitChild()
	default:
		fmt.Fprintln(os.Stderr, "unknown child mode", mode)
		return 2
	}
	hups := make(chan os.Signal, 64)
	signal.Notify(hups, syscall.SIGHUP)
	var nhup atomic.Int64
	go func() {
		for range hups {
			nhup.Add(1)
		}
	}()
	secs, _ := strconv.ParseFloat(os.Getenv("E2E_SECONDS"), 64)
	api, file := os.Getenv("E2E_API"), os.Getenv("E2E_FILE")
	rep := childReport{Problems: []string{}}
	call := func(tok, source string) {
		req, _ := http.NewRequest("GET", api+"/"+source, nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			rep.Problems = append(rep.Problems, source+": "+err.Error())
			return
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			rep.Problems = append(rep.Problems, fmt.Sprintf("%s: the API refused the token at %s (%s)", source, time.Now().Format("15:04:05.000"), resp.Status))
		}
	}
	call(os.Getenv("TOKENRING_ACCESS_TOKEN"), "env")
	seen := map[string]bool{}
	for end := time.Now().Add(time.Duration(secs * float64(time.Second))); time.Now().Before(end); time.Sleep(200 * time.Millisecond) {
		fi, err := os.Stat(file)
		if err != nil {
			rep.Problems = append(rep.Problems, "stat: "+err.Error())
			continue
		}
		if fi.Mode().Perm() != 0o600 {
			rep.Problems = append(rep.Problems, "mode "+fi.Mode().String())
		}
		b, err := os.ReadFile(file)
		if err != nil {
			rep.Problems = append(rep.Problems, "read: "+err.Error())
			continue
		}
		tok := string(b)
		if tok == "" || strings.ContainsAny(tok, " \n\r") {
			rep.Problems = append(rep.Problems, fmt.Sprintf("the file holds %q, not one token", tok))
			continue
		}
		rep.Reads++
		seen[tok] = true
		call(tok, "file")
	}
	rep.Tokens, rep.HUPs = len(seen), int(nhup.Load())
	json.NewEncoder(os.Stdout).Encode(rep)
	if len(rep.Problems) > 0 {
		return 1
	}
	return 0
}

// runWait runs the binary and returns its wait status (exit code or signal).
func (c *installation) runWait(extraEnv []string, args ...string) (syscall.WaitStatus, string, string) {
	c.t.Helper()
	cmd := exec.Command(c.bin, args...)
	cmd.Env = c.environ(extraEnv)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	var out, errb strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errb
	cmd.Run()
	if cmd.ProcessState == nil {
		c.t.Fatalf("%v did not run", args)
	}
	return cmd.ProcessState.Sys().(syscall.WaitStatus), out.String(), errb.String()
}

func TestE2EExecEnvironmentAndStatus(t *testing.T) {
	t.Parallel()
	c := newCLI(t)
	srv := newOIDC(time.Hour)
	defer srv.Close()
	linkOIDC(t, c, srv, "work")

	secrets := []string{"TOKENRING_API_KEY=api-key-1", "TOKENRING_CLIENT_SECRET=client-secret-1",
		"TOKENRING_ACCESS_TOKEN=token-of-an-outer-exec", "TOKENRING_OTHER=x", "E2E_KEEP=kept"}
	res := c.run(secrets, "", "exec", "work", "--", "env")
	c.expect(res, 0, "exec env")
	env := map[string]string{}
	for _, l := range strings.Split(res.stdout, "\n") {
		if k, v, ok := strings.Cut(l, "="); ok {
			env[k] = v
		}
	}
	if !srv.ValidAccessToken(env["TOKENRING_ACCESS_TOKEN"]) {
		t.Errorf("TOKENRING_ACCESS_TOKEN is not a valid token: %q", env["TOKENRING_ACCESS_TOKEN"])
	}
	for k := range env {
		if strings.HasPrefix(k, "TOKENRING_") && k != "TOKENRING_ACCESS_TOKEN" && k != "TOKENRING_HOME" && k != "TOKENRING_KEYRING" {
			t.Errorf("the command got %s", k)
		}
	}
	if env["TOKENRING_HOME"] != c.home || env["E2E_KEEP"] != "kept" {
		t.Errorf("the command lost TOKENRING_HOME or another variable: %v", env)
	}

	res = c.run(nil, "", "exec", "work", "--env", "GH_TOKEN", "--", "env")
	c.expect(res, 0, "exec --env")
	if !strings.Contains(res.stdout, "GH_TOKEN=") || strings.Contains(res.stdout, "TOKENRING_ACCESS_TOKEN=") {
		t.Errorf("--env GH_TOKEN: %s", res.stdout)
	}
	res = c.run(nil, "piped to the command\n", "exec", "work", "--", "cat")
	if res.code != 0 || res.stdout != "piped to the command\n" {
		t.Errorf("stdin did not reach the command: %d %q", res.code, res.stdout)
	}
	res = c.run(nil, "", "exec", "work", "--", "sh", "-c", "echo to-stderr >&2; exit 42")
	if res.code != 42 || res.stderr != "to-stderr\n" {
		t.Errorf("exit 42: got %d, stderr %q", res.code, res.stderr)
	}
	// Death by a signal: tokenring dies by it too where it can, and a shell
	// reports 128+N either way.
	ws, _, _ := c.runWait(nil, "exec", "work", "--", "sh", "-c", "kill -TERM $$")
	if !ws.Signaled() || ws.Signal() != syscall.SIGTERM {
		t.Errorf("command killed by SIGTERM: tokenring's wait status %v (signaled %v)", ws, ws.Signaled())
	}
	for sig, want := range map[string]string{"TERM": "143", "INT": "130", "USR1": "138", "KILL": "137"} {
		res = c.shell(nil, `tokenring exec work -- sh -c 'kill -`+sig+` $$'; echo "status=$?"`)
		if strings.TrimSpace(res.stdout) != "status="+want {
			t.Errorf("SIG%s through a shell: %q, want status=%s\n%s", sig, res.stdout, want, res.stderr)
		}
	}

	n := len(srv.Requests())
	res = c.run(nil, "", "exec", "work", "--", "no-such-command-e2e")
	c.expect(res, trcli.ExitNotFound, "exec of a missing command")
	if !strings.Contains(res.stderr, "not found") || len(srv.Requests()) != n {
		t.Errorf("missing command: %q, %d requests", res.stderr, len(srv.Requests())-n)
	}
	notExec := filepath.Join(t.TempDir(), "script")
	os.WriteFile(notExec, []byte("#!/bin/sh\n"), 0o644)
	c.expect(c.run(nil, "", "exec", "work", "--", notExec), trcli.ExitCannotRun, "exec of a file that is not executable")
	c.expect(c.run(nil, "", "exec", "work", "env"), trcli.ExitUsage, "exec without --")
	c.expect(c.run(nil, "", "exec", "work", "--signal", "HUP", "--", "env"), trcli.ExitUsage, "--signal without --token-file")
	c.expect(c.run(nil, "", "exec", "work", "--env", "1BAD", "--", "env"), trcli.ExitUsage, "bad --env")
	c.expect(c.run(nil, "", "exec", "nobody", "--", "env"), trcli.ExitNoAccount, "exec of an unknown account")
	existing := filepath.Join(t.TempDir(), "taken")
	os.WriteFile(existing, []byte("precious"), 0o600)
	res = c.run(nil, "", "exec", "work", "--token-file", existing, "--", "true")
	c.expect(res, trcli.ExitUsage, "--token-file that exists")
	if b, _ := os.ReadFile(existing); string(b) != "precious" {
		t.Errorf("an existing file was overwritten: %q", b)
	}
}

// Signals sent to tokenring reach the command once each (no terminal: each
// is forwarded); the command's exit after TERM is tokenring's.
func TestE2EExecSignals(t *testing.T) {
	t.Parallel()
	c := newCLI(t)
	srv := newOIDC(time.Hour)
	defer srv.Close()
	linkOIDC(t, c, srv, "work")
	log := filepath.Join(t.TempDir(), "log")
	script := `trap 'echo INT >> "$E2E_LOG"' INT; trap 'echo USR1 >> "$E2E_LOG"' USR1; trap 'echo HUP >> "$E2E_LOG"' HUP; ` +
		`trap 'echo TERM >> "$E2E_LOG"; exit 3' TERM; echo ready >> "$E2E_LOG"; while :; do sleep 0.05; done`
	r := c.start([]string{"E2E_LOG=" + log}, "exec", "work", "--", "sh", "-c", script)
	waitLog := func(want string) {
		t.Helper()
		for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(20 * time.Millisecond) {
			b, _ := os.ReadFile(log)
			if string(b) == want {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("the command's log is %q, want %q\nstderr: %s", b, want, r.stderr())
			}
		}
	}
	waitLog("ready\n")
	noTokenInArgv(t, strings.TrimSpace(c.run(nil, "", "token", "work").stdout))
	want := "ready\n"
	names := map[syscall.Signal]string{syscall.SIGUSR1: "USR1", syscall.SIGINT: "INT", syscall.SIGHUP: "HUP"}
	for _, s := range []syscall.Signal{syscall.SIGUSR1, syscall.SIGINT, syscall.SIGHUP, syscall.SIGINT} {
		if err := r.cmd.Process.Signal(s); err != nil {
			t.Fatal(err)
		}
		want += names[s] + "\n"
		waitLog(want)
	}
	r.cmd.Process.Signal(syscall.SIGTERM)
	res := r.waitOpen(t)
	waitLog(want + "TERM\n")
	if res.code != 3 {
		t.Fatalf("the command exited 3 after TERM; tokenring exited %d\n%s", res.code, res.stderr)
	}
}

// --token-file while tokens expire every 20 s for a minute: every read of
// the file gives a token the API accepts, the file is rewritten before
// each expiry (a SIGHUP follows each rewrite), it is 0600, and it is gone
// when the command ends.
func TestE2EExecTokenFile(t *testing.T) {
	t.Parallel()
	scale := execScale()
	ttl := time.Duration(20 * scale * float64(time.Second))
	run := 60 * scale
	c := newCLI(t)
	srv := newOIDC(ttl)
	defer srv.Close()
	linkOIDC(t, c, srv, "work")
	api := newAPIServer(t, bearerCheck(srv))
	file := filepath.Join(t.TempDir(), "work.token")

	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	res := c.run([]string{e2eChildVar + "=tokenfile", "E2E_API=" + api.URL, "E2E_FILE=" + file, fmt.Sprintf("E2E_SECONDS=%g", run)}, "",
		"exec", "work", "--token-file", file, "--signal", "HUP", "--", self)
	took := time.Since(start)
	var rep childReport
	if err := json.Unmarshal([]byte(res.stdout), &rep); err != nil {
		t.Fatalf("no report from the command (exit %d): %v\nstdout: %s\nstderr: %s", res.code, err, res.stdout, res.stderr)
	}
	t.Logf("%.0f s, token lifetime %v: %d reads, %d distinct tokens, %d SIGHUPs, %d refreshes, API: %d accepted, %d refused",
		took.Seconds(), ttl, rep.Reads, rep.Tokens, rep.HUPs, refreshCount(srv, "/token"), api.ok.Load(), api.bad.Load())
	if res.code != 0 || len(rep.Problems) > 0 || api.bad.Load() != 0 {
		t.Fatalf("exit %d; the command saw problems: %v; the API refused: %v\nstderr: %s", res.code, rep.Problems, api.problems(), res.stderr)
	}
	// Refreshed at half of each 20 s lifetime (the policy's window is
	// capped at half): about 5 rewrites in a minute.
	// The child may end between a last rewrite and reading it.
	lifetimes := int(run / (20 * scale))
	refreshes := refreshCount(srv, "/token")
	if rep.Tokens < lifetimes+1 || refreshes < rep.Tokens-1 || refreshes > rep.Tokens || rep.HUPs < rep.Tokens-1 || rep.HUPs > refreshes {
		t.Errorf("%d distinct tokens (want at least %d), %d SIGHUPs, %d refreshes: want one rewrite and one SIGHUP per refresh",
			rep.Tokens, lifetimes+1, rep.HUPs, refreshes)
	}
	if rep.Reads < int(run*4) {
		t.Errorf("only %d reads", rep.Reads)
	}
	if _, err := os.Stat(file); !os.IsNotExist(err) {
		t.Errorf("the token file is still there after the command ended: %v", err)
	}
	if left, _ := filepath.Glob(filepath.Join(filepath.Dir(file), "*")); len(left) != 0 {
		t.Errorf("files left beside the token file: %v", left)
	}
}

// appendLog appends a line to the file E2E_LOG.
func appendLog(line string) {
	f, err := os.OpenFile(os.Getenv("E2E_LOG"), os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err == nil {
		f.WriteString(line + "\n")
		f.Close()
	}
}

// sigcountChild logs its parent's pid, then each INT and QUIT it gets;
// TERM ends it (exit 0).
func sigcountChild() int {
	sigs := make(chan os.Signal, 64)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGQUIT, syscall.SIGTERM)
	appendLog(fmt.Sprintf("ppid=%d", os.Getppid()))
	for s := range sigs {
		switch s {
		case syscall.SIGINT:
			appendLog("INT")
		case syscall.SIGQUIT:
			appendLog("QUIT")
		case syscall.SIGTERM:
			appendLog("TERM")
			return 0
		}
	}
	return 0
}

// waitChild runs its arguments as a command in its own process group's
// place (the terminal's foreground group, shared) and writes how it ended
// ("exit=N" or "signal=N") to E2E_STATUS. It survives ^C itself. The
// command gets E2E_EXEC_CHILD=$E2E_NEXT.
func waitChild() int {
	signal.Notify(make(chan os.Signal, 1), syscall.SIGINT, syscall.SIGQUIT)
	cmd := exec.Command(os.Args[1], os.Args[2:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, e2eChildVar+"=") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	if next := os.Getenv("E2E_NEXT"); next != "" {
		cmd.Env = append(cmd.Env, e2eChildVar+"="+next)
	}
	cmd.Run()
	status := "none"
	if ps := cmd.ProcessState; ps != nil {
		if ws := ps.Sys().(syscall.WaitStatus); ws.Signaled() {
			status = fmt.Sprintf("signal=%d", int(ws.Signal()))
		} else {
			status = fmt.Sprintf("exit=%d", ws.ExitStatus())
		}
	}
	out := os.Getenv("E2E_STATUS")
	os.WriteFile(out+".tmp", []byte(status), 0o600)
	os.Rename(out+".tmp", out)
	return 0
}

// In a real terminal (tmux): ^C reaches the command once (the terminal
// sends it to the command; tokenring, in the same foreground group, does
// not send it again) and tokenring stays until the command ends; a TERM
// sent to tokenring alone is passed on; a command that dies of ^C takes
// tokenring with it, by the same signal.
func TestE2EExecTerminal(t *testing.T) {
	t.Parallel()
	needTool(t, "tmux")
	c := newCLI(t)
	srv := newOIDC(time.Hour)
	defer srv.Close()
	linkOIDC(t, c, srv, "work")
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	s := &txServer{t: t, sock: filepath.Join(dir, "tmux.sock")}
	t.Cleanup(func() { s.tmux("kill-server") })
	logf, statusf := filepath.Join(dir, "log"), filepath.Join(dir, "status")
	start := func(session, next string, argv ...string) {
		t.Helper()
		os.Remove(logf)
		os.Remove(statusf)
		args := append([]string{"-S", s.sock, "-f", "/dev/null", "new-session", "-d", "-s", session, "-x", "80", "-y", "10", self}, argv...)
		cmd := exec.Command("tmux", args...)
		cmd.Env = c.environ([]string{"TERM=xterm", e2eChildVar + "=wait", "E2E_NEXT=" + next, "E2E_LOG=" + logf, "E2E_STATUS=" + statusf})
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("tmux new-session: %v\n%s", err, out)
		}
	}
	readLog := func() string { b, _ := os.ReadFile(logf); return string(b) }
	waitFor := func(what string, ok func() bool) {
		t.Helper()
		for deadline := time.Now().Add(20 * time.Second); !ok(); time.Sleep(20 * time.Millisecond) {
			if time.Now().After(deadline) {
				b, _ := os.ReadFile(statusf)
				t.Fatalf("waiting for %s; log %q, status %q", what, readLog(), b)
			}
		}
	}
	status := func() string { b, _ := os.ReadFile(statusf); return string(b) }

	start("count", "sigcount", "tokenring", "exec", "work", "--", self)
	waitFor("the command to start", func() bool { return strings.HasPrefix(readLog(), "ppid=") })
	ppid, _ := strconv.Atoi(strings.TrimSpace(strings.TrimPrefix(strings.SplitN(readLog(), "\n", 2)[0], "ppid=")))
	for i := 1; i <= 2; i++ {
		s.must("send-keys", "-t", "count", "C-c")
		waitFor("INT", func() bool { return strings.Count(readLog(), "INT") >= i })
		time.Sleep(500 * time.Millisecond) // a second copy would arrive by now
		if n := strings.Count(readLog(), "INT"); n != i || status() != "" {
			t.Fatalf("after ^C #%d the command got %d INTs (want %d), tokenring ended: %q", i, n, i, status())
		}
	}
	if err := syscall.Kill(ppid, syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	waitFor("the end", func() bool { return status() != "" })
	if !strings.HasSuffix(readLog(), "TERM\n") || status() != "exit=0" {
		t.Fatalf("TERM to tokenring: log %q, tokenring %s (want exit=0)", readLog(), status())
	}

	start("die", "", "tokenring", "exec", "work", "--", "sleep", "30")
	time.Sleep(time.Second) // sleep is running
	s.must("send-keys", "-t", "die", "C-c")
	waitFor("the end", func() bool { return status() != "" })
	if status() != "signal=2" {
		t.Fatalf("^C killed the command; tokenring ended with %s, want signal=2", status())
	}
}

// noTokenInArgv fails when any process on the machine has tok in its
// argument list (Linux /proc; skipped elsewhere).
func noTokenInArgv(t *testing.T, tok string) {
	t.Helper()
	if tok == "" {
		t.Fatal("noTokenInArgv: no token")
	}
	files, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	if len(files) == 0 {
		t.Log("no /proc: argument lists not checked")
		return
	}
	for _, f := range files {
		if b, err := os.ReadFile(f); err == nil && strings.Contains(string(b), tok) {
			t.Errorf("the token is in the argument list of %s: %q", f, b)
		}
	}
}

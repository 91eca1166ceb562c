//go:build unix

package main

// End-to-end tests: the real binary, built once, run as a subprocess with
// its own TOKENRING_HOME, the real encrypted file keyring, and the strict
// local Warhorn, Dressipi and OIDC servers of internal/localoauth. The
// browser is played by Server.Approve on the URL the binary prints; what the
// user would paste goes to the binary's stdin.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	trcli "github.com/tokenring/tokenring/internal/cli"

	"github.com/tokenring/tokenring/internal/localoauth"
)

var (
	binOnce sync.Once
	binPath string
	binErr  error
	binDir  string
)

func TestMain(m *testing.M) {
	if mode := os.Getenv(e2eChildVar); mode != "" {
		os.Exit(e2eChild(mode)) // the test binary as the command of tokenring exec
	}
	// The end-to-end tests mostly wait (for tokens to expire, for a child,
	// for the screen): let more of them wait at once than the default
	// -parallel (GOMAXPROCS, 2 here) unless the command line says otherwise.
	flag.Parse()
	set := false
	flag.Visit(func(f *flag.Flag) { set = set || f.Name == "test.parallel" })
	if !set {
		flag.Set("test.parallel", "8")
	}
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// tokenringBin builds the binary once per test run (with -race when the
// tests run with it).
func tokenringBin(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("end-to-end: builds and runs the binary")
	}
	binOnce.Do(func() {
		binDir, binErr = os.MkdirTemp("", "tokenring-e2e-bin-")
		if binErr != nil {
			return
		}
		binPath = filepath.Join(binDir, "tokenring")
		args := []string{"build", "-o", binPath}
		if raceEnabled {
			args = append(args, "-race")
		}
		args = append(args, ".")
		out, err := exec.Command("go", args...).CombinedOutput()
		if err != nil {
			binErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if binErr != nil {
		t.Fatal(binErr)
	}
	return binPath
}

// installation is one isolated tokenring installation.
type installation struct {
	t    *testing.T
	bin  string
	home string // TOKENRING_HOME
	env  map[string]string
	// cheapKDF: before the first run, write a config.toml that gives a new
	// file keyring Argon2id's least costs (the binary derives the key on
	// every command that has TOKENRING_PASSPHRASE; at the default costs,
	// ~0.4 s each and several seconds under the race detector).
	cheapKDF bool
}

// cheapKDFConfig is that config.toml.
const cheapKDFConfig = "[keyring]\nkdf_time = 1\nkdf_memory_mib = 1\nkdf_threads = 1\n"

func (c *installation) writeCheapKDF() {
	c.t.Helper()
	path := filepath.Join(c.home, "config.toml")
	if _, err := os.Stat(path); err == nil {
		return
	}
	if err := os.MkdirAll(c.home, 0o700); err != nil {
		c.t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(cheapKDFConfig), 0o600); err != nil {
		c.t.Fatal(err)
	}
}

// whRedirect is the https callback registered at the Warhorn emulation.
const whRedirect = "https://app.example/oauth/callback"

const e2ePassphrase = "correct horse battery staple 7f3a"

func newCLI(t *testing.T) *installation {
	c := &installation{t: t, bin: tokenringBin(t), home: filepath.Join(t.TempDir(), "home"), cheapKDF: true}
	userHome := t.TempDir()
	c.env = map[string]string{
		"PATH":                 os.Getenv("PATH"),
		"HOME":                 userHome,
		"XDG_CONFIG_HOME":      filepath.Join(userHome, ".config"),
		"XDG_RUNTIME_DIR":      userHome,
		"TOKENRING_HOME":       c.home,
		"TOKENRING_KEYRING":    "file",
		"TOKENRING_PASSPHRASE": e2ePassphrase,
		"TERM":                 "dumb",
	}
	return c
}

type result struct {
	stdout, stderr string
	code           int
}

// start runs the binary with extra env (k=v) and returns it running.
type running struct {
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	stdout bytes.Buffer
	mu     sync.Mutex
	errBuf bytes.Buffer
	lines  chan string
	done   chan struct{}
	cancel context.CancelFunc
}

func (c *installation) start(extraEnv []string, args ...string) *running {
	c.t.Helper()
	if c.cheapKDF {
		c.writeCheapKDF()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	cmd := exec.CommandContext(ctx, c.bin, args...)
	for k, v := range c.env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	cmd.Env = append(cmd.Env, extraEnv...)
	// No controlling terminal: /dev/tty cannot be opened, as in CI or cron.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	r := &running{cmd: cmd, lines: make(chan string, 100), done: make(chan struct{}), cancel: cancel}
	var err error
	if r.stdin, err = cmd.StdinPipe(); err != nil {
		c.t.Fatal(err)
	}
	cmd.Stdout = &r.stdout
	errPipe, err := cmd.StderrPipe()
	if err != nil {
		c.t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		c.t.Fatal(err)
	}
	go func() {
		defer close(r.done)
		sc := bufio.NewScanner(errPipe)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			r.mu.Lock()
			r.errBuf.WriteString(sc.Text() + "\n")
			r.mu.Unlock()
			select {
			case r.lines <- sc.Text():
			default:
			}
		}
		close(r.lines)
	}()
	return r
}

// waitLine returns the first stderr line matching re.
func (r *running) waitLine(t *testing.T, re *regexp.Regexp) string {
	t.Helper()
	timeout := time.After(30 * time.Second)
	for {
		select {
		case l, ok := <-r.lines:
			if !ok {
				t.Fatalf("stderr ended before a line matching %s; stderr:\n%s", re, r.stderr())
			}
			if re.MatchString(l) {
				return l
			}
		case <-timeout:
			t.Fatalf("no stderr line matching %s within 30 s; stderr:\n%s", re, r.stderr())
		}
	}
}

func (r *running) stderr() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.errBuf.String()
}

func (r *running) wait(t *testing.T) result {
	t.Helper()
	r.stdin.Close()
	return r.waitOpen(t)
}

// waitOpen waits for the process without closing its stdin.
func (r *running) waitOpen(t *testing.T) result {
	t.Helper()
	err := r.cmd.Wait()
	<-r.done
	r.cancel()
	res := result{stdout: r.stdout.String(), stderr: r.stderr(), code: r.cmd.ProcessState.ExitCode()}
	if err != nil && res.code < 0 {
		t.Fatalf("tokenring did not finish: %v\nstderr:\n%s", err, res.stderr)
	}
	return res
}

// run runs the binary to completion with stdin.
func (c *installation) run(extraEnv []string, stdin string, args ...string) result {
	c.t.Helper()
	r := c.start(extraEnv, args...)
	io.WriteString(r.stdin, stdin)
	return r.wait(c.t)
}

var authURLLine = regexp.MustCompile(`^\s+http://127\.0\.0\.1:\d+/\S*authorize\?`)

// link runs `tokenring link`, approves the authorization URL it prints on
// srv, and pastes paste(approved) on stdin. It returns the result and what
// the browser gave.
func (c *installation) link(srv *localoauth.Server, extraEnv []string, paste func(approved string) string, args ...string) (result, string) {
	c.t.Helper()
	r := c.start(extraEnv, append([]string{"link"}, args...)...)
	line := r.waitLine(c.t, authURLLine)
	authURL := strings.TrimSpace(line)
	approved, err := srv.Approve(authURL)
	if err != nil {
		r.cancel()
		c.t.Fatalf("approve %s: %v\nstderr:\n%s", authURL, err, r.stderr())
	}
	if paste == nil {
		paste = func(s string) string { return s }
	}
	io.WriteString(r.stdin, paste(approved)+"\n")
	return r.wait(c.t), approved
}

// with returns c bound to a subtest's t.
func (c *installation) with(t *testing.T) *installation {
	d := *c
	d.t = t
	return &d
}

func (c *installation) expect(res result, code int, what string) {
	c.t.Helper()
	if res.code != code {
		c.t.Fatalf("%s: exit code %d, want %d\nstdout:\n%s\nstderr:\n%s", what, res.code, code, res.stdout, res.stderr)
	}
}

// grepHome fails when any file under TOKENRING_HOME contains a secret.
func (c *installation) grepHome(secrets map[string]string) {
	c.t.Helper()
	n := 0
	err := filepath.WalkDir(c.home, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		n++
		for what, s := range secrets {
			if s == "" {
				c.t.Fatalf("grepHome: empty secret %s", what)
			}
			if bytes.Contains(b, []byte(s)) {
				c.t.Errorf("%s found in clear in %s", what, path)
			}
		}
		return nil
	})
	if err != nil {
		c.t.Fatal(err)
	}
	if n == 0 {
		c.t.Fatalf("grepHome: no file under %s (did anything get stored?)", c.home)
	}
}

type listed struct {
	Name             string   `json:"name"`
	Provider         string   `json:"provider"`
	Status           string   `json:"status"`
	ExpiresAt        *string  `json:"expires_at"`
	ExpiresInSeconds *int64   `json:"expires_in_seconds"`
	HasRefreshToken  bool     `json:"has_refresh_token"`
	HasIDToken       bool     `json:"has_id_token"`
	NeedsRelink      bool     `json:"needs_relink"`
	Scopes           []string `json:"scopes"`
}

func (c *installation) list() []listed {
	c.t.Helper()
	res := c.run(nil, "", "list", "--json")
	c.expect(res, 0, "list --json")
	var out []listed
	if err := json.Unmarshal([]byte(res.stdout), &out); err != nil {
		c.t.Fatalf("list --json is not JSON: %v\n%s", err, res.stdout)
	}
	return out
}

func tokenRequests(srv *localoauth.Server, path string) []localoauth.Recorded {
	var out []localoauth.Recorded
	for _, r := range srv.Requests() {
		if r.Path == path && r.Method == http.MethodPost {
			out = append(out, r)
		}
	}
	return out
}

func warhornArgs(srv *localoauth.Server, name string) []string {
	return []string{name, "--provider", "warhorn",
		"--auth-url", srv.URL + "/oauth/authorize", "--token-url", srv.URL + "/oauth/token",
		"--client-id", "wh-client", "--redirect-uri", whRedirect}
}

func TestE2EWarhorn(t *testing.T) {
	t.Parallel()
	c := newCLI(t)
	const clientSecret = "wh-secret-5b1e0c9d"
	srv := localoauth.NewWarhorn(localoauth.WarhornOptions{ClientID: "wh-client", ClientSecret: clientSecret, RedirectURI: whRedirect})
	defer srv.Close()
	secretEnv := []string{"TOKENRING_CLIENT_SECRET=" + clientSecret}

	res, approved := c.link(srv, secretEnv, nil, warhornArgs(srv, "events")...)
	c.expect(res, 0, "link warhorn")
	if !strings.HasPrefix(approved, whRedirect+"?") {
		t.Fatalf("warhorn pasted a redirect URL, got %q", approved)
	}
	if n := srv.Count("/oauth/token"); n != 1 {
		t.Fatalf("link sent %d token requests, want exactly 1", n)
	}
	if res.stdout != "" {
		t.Errorf("link printed on stdout: %q", res.stdout)
	}
	if !strings.Contains(res.stderr, "does not expire") {
		t.Errorf("link should say the Warhorn token does not expire:\n%s", res.stderr)
	}

	res = c.run(nil, "", "token", "events")
	c.expect(res, 0, "token")
	tok := strings.TrimSuffix(res.stdout, "\n")
	if tok == "" || strings.ContainsAny(tok, " \n\t") || res.stdout != tok+"\n" {
		t.Fatalf("token stdout must be exactly the token and a newline, got %q", res.stdout)
	}
	if !srv.ValidAccessToken(tok) {
		t.Fatalf("token printed %q, which the server did not issue", tok)
	}
	if res.stderr != "" {
		t.Errorf("token wrote on stderr: %q", res.stderr)
	}

	// A wrong passphrase for the existing keyring fails before anything is
	// spent: no authorization is started.
	res = c.run(append([]string{"TOKENRING_PASSPHRASE=wrong passphrase"}, secretEnv...), "", append([]string{"link"}, warhornArgs(srv, "events2")...)...)
	c.expect(res, trcli.ExitKeyring, "link with a wrong passphrase")
	if strings.Contains(res.stderr, "/oauth/authorize?") || srv.Count("/oauth/token") != 1 {
		t.Fatalf("an authorization was started with a wrong passphrase:\n%s", res.stderr)
	}

	res = c.run(nil, "", "refresh", "events")
	c.expect(res, trcli.ExitNoRefresh, "refresh of a Warhorn account (no refresh token)")
	if !strings.Contains(res.stderr, "no refresh token") {
		t.Errorf("refresh should say there is no refresh token:\n%s", res.stderr)
	}
	if n := srv.Count("/oauth/token"); n != 1 {
		t.Errorf("refresh without a refresh token sent a request (%d token requests)", n)
	}

	l := c.list()
	if len(l) != 1 || l[0].Name != "events" || l[0].Provider != "warhorn" || l[0].Status != "no_expiry" ||
		l[0].HasRefreshToken || l[0].ExpiresAt != nil || !l[0].HasIDToken {
		t.Fatalf("list --json = %+v", l)
	}

	res = c.run([]string{"TOKENRING_PASSPHRASE=not the passphrase"}, "", "token", "events")
	c.expect(res, trcli.ExitKeyring, "token with a wrong passphrase")
	if res.stdout != "" || strings.Contains(res.stderr, tok) {
		t.Errorf("wrong passphrase leaked output: stdout %q stderr %q", res.stdout, res.stderr)
	}

	// No passphrase and no terminal to ask on: locked, and it says how to unlock.
	res = c.run([]string{"TOKENRING_PASSPHRASE="}, "", "token", "events")
	c.expect(res, trcli.ExitKeyring, "token without a passphrase or terminal")
	if !strings.Contains(res.stderr, "TOKENRING_PASSPHRASE") {
		t.Errorf("a locked keyring should name TOKENRING_PASSPHRASE:\n%s", res.stderr)
	}

	c.grepHome(map[string]string{"client secret": clientSecret, "access token": tok, "passphrase": e2ePassphrase})

	res = c.run(nil, "", "remove", "events")
	c.expect(res, 0, "remove")
	if l := c.list(); len(l) != 0 {
		t.Fatalf("after remove, list = %+v", l)
	}
	c.expect(c.run(nil, "", "token", "events"), trcli.ExitNoAccount, "token after remove")
}

func TestE2EDressipi(t *testing.T) {
	t.Parallel()
	c := newCLI(t)
	const apiKey = "dr-api-key-3c7a91e4"
	srv := localoauth.NewDressipi(localoauth.DressipiOptions{ClientID: "dr-client", APIKey: apiKey, AccessTTL: time.Hour})
	defer srv.Close()
	keyEnv := []string{"TOKENRING_API_KEY=" + apiKey}

	res, approved := c.link(srv, keyEnv, nil, "shop", "--provider", "dressipi", "--base-url", srv.URL, "--client-id", "dr-client")
	c.expect(res, 0, "link dressipi")
	if !strings.HasPrefix(approved, "Authorization code: ") {
		t.Fatalf("dressipi's OOB page text expected, got %q", approved)
	}
	if n := srv.Count("/oauth/token"); n != 1 {
		t.Fatalf("link sent %d token requests, want exactly 1", n)
	}

	res = c.run(nil, "", "token", "shop")
	c.expect(res, 0, "token")
	tok1 := strings.TrimSuffix(res.stdout, "\n")
	if !srv.ValidAccessToken(tok1) || res.stdout != tok1+"\n" {
		t.Fatalf("token printed %q", res.stdout)
	}

	l := c.list()
	if len(l) != 1 || l[0].Status != "valid" || !l[0].HasRefreshToken || l[0].ExpiresInSeconds == nil ||
		*l[0].ExpiresInSeconds < 3500 || *l[0].ExpiresInSeconds > 3600 {
		t.Fatalf("list --json = %+v", l)
	}

	// Two refreshes: Dressipi rotates refresh tokens and each works once, so
	// the second only succeeds if the first stored the rotated one.
	for i := 0; i < 2; i++ {
		res = c.run(nil, "", "refresh", "shop")
		c.expect(res, 0, fmt.Sprintf("refresh #%d", i+1))
		if !strings.Contains(res.stdout, "shop refreshed") {
			t.Errorf("refresh output: %q", res.stdout)
		}
	}
	var refreshTokens []string
	for _, r := range tokenRequests(srv, "/oauth/token") {
		if r.Form.Get("grant_type") == "refresh_token" {
			if r.Status != http.StatusOK {
				t.Errorf("a refresh was refused: %d %s", r.Status, r.Error)
			}
			if r.Header.Get("x-api-key") != apiKey {
				t.Errorf("refresh without x-api-key")
			}
			refreshTokens = append(refreshTokens, r.Form.Get("refresh_token"))
		}
	}
	if len(refreshTokens) != 2 || refreshTokens[0] == refreshTokens[1] {
		t.Fatalf("want two refreshes with two different (rotated) refresh tokens, got %d", len(refreshTokens))
	}

	res = c.run(nil, "", "token", "shop")
	c.expect(res, 0, "token after refresh")
	tok2 := strings.TrimSuffix(res.stdout, "\n")
	if tok2 == tok1 || !srv.ValidAccessToken(tok2) {
		t.Fatalf("after refresh, token should be a new valid one")
	}

	c.grepHome(map[string]string{
		"API key": apiKey, "access token 1": tok1, "access token 2": tok2,
		"refresh token 1": refreshTokens[0], "refresh token 2": refreshTokens[1], "passphrase": e2ePassphrase,
	})

	c.expect(c.run(nil, "", "remove", "shop"), 0, "remove")
	c.expect(c.run(nil, "", "refresh", "shop"), trcli.ExitNoAccount, "refresh after remove")
	if l := c.list(); len(l) != 0 {
		t.Fatalf("after remove, list = %+v", l)
	}
}

func TestE2ELinkFailures(t *testing.T) {
	t.Parallel()
	base := newCLI(t)
	c := base
	const clientSecret = "wh-secret-a0f3"
	srv := localoauth.NewWarhorn(localoauth.WarhornOptions{ClientID: "wh-client", ClientSecret: clientSecret, RedirectURI: whRedirect})
	defer srv.Close()
	env := []string{"TOKENRING_CLIENT_SECRET=" + clientSecret}
	tokenCount := func() int { return srv.Count("/oauth/token") }

	t.Run("pasted garbage", func(t *testing.T) {
		c := base.with(t)
		res, _ := c.link(srv, env, func(string) string { return "hello there, I am not a code" }, warhornArgs(srv, "g1")...)
		c.expect(res, trcli.ExitNotAuthd, "garbage")
		if tokenCount() != 0 {
			t.Fatalf("garbage was sent to the token endpoint")
		}
		if !strings.Contains(res.stderr, "link g1") || !strings.Contains(res.stderr, "again") {
			t.Errorf("no start-over advice:\n%s", res.stderr)
		}
	})
	t.Run("state mismatch", func(t *testing.T) {
		c := base.with(t)
		res, _ := c.link(srv, env, func(s string) string {
			u, _ := url.Parse(s)
			q := u.Query()
			q.Set("state", "forged")
			u.RawQuery = q.Encode()
			return u.String()
		}, warhornArgs(srv, "g2")...)
		c.expect(res, trcli.ExitNotAuthd, "state mismatch")
		if tokenCount() != 0 {
			t.Fatalf("a redirect with the wrong state was exchanged")
		}
	})
	t.Run("denied", func(t *testing.T) {
		c := base.with(t)
		r := c.start(env, append([]string{"link"}, warhornArgs(srv, "g3")...)...)
		denied, err := srv.Deny(strings.TrimSpace(r.waitLine(t, authURLLine)))
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(r.stdin, denied+"\n")
		res := r.wait(t)
		c.expect(res, trcli.ExitNotAuthd, "denied")
		if !strings.Contains(res.stderr, "access_denied") {
			t.Errorf("the provider's error is not shown:\n%s", res.stderr)
		}
	})
	t.Run("nothing pasted", func(t *testing.T) {
		c := base.with(t)
		r := c.start(env, append([]string{"link"}, warhornArgs(srv, "g4")...)...)
		r.waitLine(t, authURLLine)
		c.expect(r.wait(t), trcli.ExitNotAuthd, "stdin closed")
	})

	var firstPaste string
	t.Run("reused code", func(t *testing.T) {
		c := base.with(t)
		res, approved := c.link(srv, env, nil, warhornArgs(srv, "first")...)
		c.expect(res, 0, "first link")
		firstPaste = approved
		if tokenCount() != 1 {
			t.Fatalf("%d token requests after one link", tokenCount())
		}
		u, _ := url.Parse(approved)
		code := u.Query().Get("code")
		res, _ = c.link(srv, env, func(string) string { return code }, warhornArgs(srv, "second")...)
		c.expect(res, trcli.ExitNeedsLink, "reused code")
		if tokenCount() != 2 {
			t.Fatalf("the reused code took %d token requests, want exactly 1 (no retry)", tokenCount()-1)
		}
		if !strings.Contains(res.stderr, "invalid_grant") || !strings.Contains(res.stderr, "link second") {
			t.Errorf("reused code: want the provider's error and start-over advice:\n%s", res.stderr)
		}
		for _, l := range c.list() {
			if l.Name == "second" {
				t.Errorf("a failed link stored an account")
			}
		}
	})
	t.Run("name taken", func(t *testing.T) {
		c := base.with(t)
		res := c.run(env, "", append([]string{"link"}, warhornArgs(srv, "first")...)...)
		c.expect(res, trcli.ExitExists, "link over an existing account")
		if authURLLine.MatchString(res.stderr) || strings.Contains(res.stderr, "/oauth/authorize?") {
			t.Errorf("an authorization was started for a taken name")
		}
	})
	t.Run("secret flags do not exist", func(t *testing.T) {
		c := base.with(t)
		for _, f := range []string{"--client-secret", "--secret", "--api-key", "--passphrase", "--password", "--token"} {
			res := c.run(nil, "", append(append([]string{"link"}, warhornArgs(srv, "x")...), f, clientSecret)...)
			c.expect(res, trcli.ExitUsage, "link "+f)
			if !strings.Contains(res.stderr, "unknown flag") {
				t.Errorf("%s: %s", f, res.stderr)
			}
			if strings.Contains(res.stderr, clientSecret) {
				t.Errorf("%s: the secret was echoed", f)
			}
		}
	})
	t.Run("secret needed, no terminal", func(t *testing.T) {
		c := base.with(t)
		res := c.run(nil, "", "link", "x", "--provider", "dressipi", "--base-url", srv.URL, "--client-id", "c")
		c.expect(res, trcli.ExitUsage, "dressipi without TOKENRING_API_KEY")
		if !strings.Contains(res.stderr, "TOKENRING_API_KEY") {
			t.Errorf("should name TOKENRING_API_KEY:\n%s", res.stderr)
		}
	})
	t.Run("insecure endpoint", func(t *testing.T) {
		c := base.with(t)
		res := c.run(env, "", "link", "x", "--provider", "generic", "--auth-url", "http://sso.example.com/auth",
			"--token-url", "https://sso.example.com/token", "--client-id", "c", "--redirect-uri", "http://127.0.0.1:9/cb")
		c.expect(res, trcli.ExitUsage, "http endpoint off loopback")
	})
	t.Run("bad name", func(t *testing.T) {
		c := base.with(t)
		c.expect(c.run(env, "", append([]string{"link"}, warhornArgs(srv, "../evil")...)...), trcli.ExitUsage, "bad account name")
	})
	t.Run("unknown provider", func(t *testing.T) {
		c := base.with(t)
		c.expect(c.run(env, "", "link", "x", "--provider", "nope"), trcli.ExitUsage, "unknown provider")
	})
	t.Run("provider unreachable", func(t *testing.T) {
		c := base.with(t)
		dead := localoauth.NewWarhorn(localoauth.WarhornOptions{})
		deadURL := dead.URL
		dead.Close()
		args := warhornArgs(srv, "g5")
		for i, a := range args {
			if a == srv.URL+"/oauth/token" {
				args[i] = deadURL + "/oauth/token"
			}
		}
		before := tokenCount()
		res, _ := c.link(srv, env, nil, args...)
		c.expect(res, trcli.ExitUnreachable, "token endpoint unreachable")
		if tokenCount() != before {
			t.Errorf("the live server got a token request")
		}
	})
	t.Run("provider error", func(t *testing.T) {
		c := base.with(t)
		srv.SetFail(localoauth.Failure{Status: 500, Body: "<html>oops</html>", ContentType: "text/html"})
		before := tokenCount()
		res, _ := c.link(srv, env, nil, warhornArgs(srv, "g6")...)
		c.expect(res, trcli.ExitProvider, "server error")
		if tokenCount() != before+1 {
			t.Errorf("a failed exchange sent %d requests, want exactly 1", tokenCount()-before)
		}
	})
	t.Run("unknown account", func(t *testing.T) {
		c := base.with(t)
		for _, cmd := range []string{"token", "refresh", "remove"} {
			res := c.run(nil, "", cmd, "nobody")
			c.expect(res, trcli.ExitNoAccount, cmd+" nobody")
			if res.stdout != "" {
				t.Errorf("%s printed on stdout: %q", cmd, res.stdout)
			}
		}
	})
	t.Run("usage", func(t *testing.T) {
		c := base.with(t)
		c.expect(c.run(nil, "", "token"), trcli.ExitUsage, "token without NAME")
		c.expect(c.run(nil, "", "frobnicate"), trcli.ExitUsage, "unknown command")
		c.expect(c.run(nil, "", "list", "--bogus"), trcli.ExitUsage, "unknown flag")
	})
	t.Run("no terminal for the TUI", func(t *testing.T) {
		c := base.with(t)
		res := c.run(nil, "")
		c.expect(res, trcli.ExitUsage, "plain tokenring without a terminal")
		if !strings.Contains(res.stderr, "terminal") {
			t.Errorf("should say a terminal is needed:\n%s", res.stderr)
		}
	})

	if firstPaste != "" {
		u, _ := url.Parse(firstPaste)
		c.grepHome(map[string]string{"client secret": clientSecret, "code": u.Query().Get("code"), "passphrase": e2ePassphrase})
	}
}

// An OIDC provider by discovery: the loopback listener catches the code
// while stdin stays open (first of paste/capture wins), the device flow
// polls until approved, and remove revokes.
func TestE2EOIDCLoopbackDeviceRevoke(t *testing.T) {
	t.Parallel()
	c := newCLI(t)
	srv := localoauth.NewOIDC(localoauth.OIDCOptions{
		ClientID: "oidc-client", RedirectURIs: []string{"http://127.0.0.1/callback"},
		Device: true, DeviceInterval: 1, Revocation: true, RotateRefresh: true, PKCE: true,
	})
	defer srv.Close()

	r := c.start(nil, "link", "work", "--provider", "oidc", "--issuer", srv.URL, "--client-id", "oidc-client",
		"--redirect-uri", "http://127.0.0.1:0/callback", "--scope", "openid email", "--scope", "profile")
	authURL := strings.TrimSpace(r.waitLine(t, authURLLine))
	au, _ := url.Parse(authURL)
	if got := au.Query().Get("scope"); got != "openid email profile" {
		t.Errorf("scope in the authorization URL = %q", got)
	}
	landed, err := srv.Approve(authURL)
	if err != nil {
		t.Fatal(err)
	}
	// The browser follows the redirect to tokenring's loopback listener.
	resp, err := http.Get(landed)
	if err != nil {
		t.Fatalf("loopback listener: %v\nstderr:\n%s", err, r.stderr())
	}
	resp.Body.Close()
	res := r.waitOpen(t) // stdin stays open: the capture must win on its own
	c.expect(res, 0, "link by loopback capture")
	if !strings.Contains(res.stderr, "from the browser") {
		t.Errorf("the code should have come from the loopback listener:\n%s", res.stderr)
	}

	// Loopback, stdin at its end and no browser coming back: link gives up
	// after --timeout instead of waiting forever, and says how long it waits.
	r = c.start(nil, "link", "late", "--provider", "oidc", "--issuer", srv.URL, "--client-id", "oidc-client",
		"--redirect-uri", "http://127.0.0.1:0/callback", "--timeout", "2s")
	r.waitLine(t, authURLLine)
	res = r.wait(t) // closes stdin
	c.expect(res, trcli.ExitNotAuthd, "loopback link with stdin at its end")
	if !strings.Contains(res.stderr, "waiting up to 2s for the browser") || !strings.Contains(res.stderr, "no code arrived within 2s") {
		t.Errorf("the timeout is not explained:\n%s", res.stderr)
	}

	r = c.start(nil, "link", "tv", "--provider", "oidc", "--issuer", srv.URL, "--client-id", "oidc-client", "--device")
	r.waitLine(t, regexp.MustCompile(`^\s+[A-Z0-9]{4}-?[A-Z0-9]{4}\s*$`))
	if err := srv.ApproveDevice(srv.LastUserCode()); err != nil {
		t.Fatal(err)
	}
	c.expect(r.wait(t), 0, "link by device flow")

	l := c.list()
	if len(l) != 2 {
		t.Fatalf("list = %+v", l)
	}
	before := srv.Count("/revoke")
	res = c.run(nil, "", "remove", "work")
	c.expect(res, 0, "remove with revocation")
	afterFirst := srv.Count("/revoke")
	if afterFirst != before+2 {
		t.Errorf("remove sent %d revocation requests, want 2 (the refresh token, then the access token)", afterFirst-before)
	}
	res = c.run(nil, "", "remove", "tv", "--no-revoke")
	c.expect(res, 0, "remove --no-revoke")
	if n := srv.Count("/revoke"); n != afterFirst {
		t.Errorf("remove --no-revoke sent %d revocation requests", n-afterFirst)
	}
}

// `tokenring demo --list` links the sample accounts through the real flow
// against the built-in provider, shows every status, and leaves nothing
// behind.
func TestE2EDemo(t *testing.T) {
	t.Parallel()
	c := newCLI(t)
	c.cheapKDF = false // no config.toml: the home must stay untouched
	tmp := t.TempDir()
	res := c.run([]string{"TMPDIR=" + tmp}, "", "demo", "--list")
	c.expect(res, 0, "demo --list")
	for _, want := range []string{"alice-demo", "shop-dressipi", "events-warhorn", "old-laptop", "needs relink", "never"} {
		if !strings.Contains(res.stdout, want) {
			t.Errorf("demo list lacks %q:\n%s", want, res.stdout)
		}
	}
	left, _ := os.ReadDir(tmp)
	if len(left) != 0 {
		t.Errorf("demo left %d entries in TMPDIR", len(left))
	}
	if _, err := os.Stat(c.home); err == nil {
		t.Errorf("demo touched TOKENRING_HOME")
	}
}

// With a real Secret Service (gnome-keyring inside dbus-run-session, as
// .ci/run sets up): link, token and remove through TOKENRING_KEYRING=
// secret-service, with nothing secret under TOKENRING_HOME.
func TestE2ESecretService(t *testing.T) {
	t.Parallel()
	if os.Getenv("TOKENRING_TEST_SECRET_SERVICE") == "" || os.Getenv("DBUS_SESSION_BUS_ADDRESS") == "" {
		t.Skip("needs TOKENRING_TEST_SECRET_SERVICE=1 and a D-Bus session with an unlocked gnome-keyring (.ci/run)")
	}
	c := newCLI(t)
	for _, k := range []string{"DBUS_SESSION_BUS_ADDRESS", "HOME", "XDG_RUNTIME_DIR", "GNOME_KEYRING_CONTROL"} {
		if v := os.Getenv(k); v != "" {
			c.env[k] = v
		}
	}
	c.env["TOKENRING_KEYRING"] = "secret-service"
	delete(c.env, "TOKENRING_PASSPHRASE")

	const apiKey = "ss-api-key-7d21"
	srv := localoauth.NewDressipi(localoauth.DressipiOptions{ClientID: "dr-client", APIKey: apiKey, AccessTTL: time.Hour})
	defer srv.Close()
	name := fmt.Sprintf("ss-%d", time.Now().UnixNano())
	res, _ := c.link(srv, []string{"TOKENRING_API_KEY=" + apiKey}, nil, name, "--provider", "dressipi", "--base-url", srv.URL, "--client-id", "dr-client")
	c.expect(res, 0, "link with the Secret Service")
	res = c.run(nil, "", "token", name)
	c.expect(res, 0, "token from the Secret Service")
	tok := strings.TrimSuffix(res.stdout, "\n")
	if !srv.ValidAccessToken(tok) {
		t.Fatalf("token %q is not valid at the server", res.stdout)
	}
	c.expect(c.run(nil, "", "refresh", name), 0, "refresh with the Secret Service")
	c.grepHome(map[string]string{"API key": apiKey, "access token": tok})
	c.expect(c.run(nil, "", "remove", name), 0, "remove from the Secret Service")
	c.expect(c.run(nil, "", "token", name), trcli.ExitNoAccount, "token after remove")
}

// `token` refreshes an expired token first; a refresh token the provider
// no longer accepts turns into exit code 4 and the needs_relink status.
func TestE2ETokenRefreshesAndNeedsRelink(t *testing.T) {
	t.Parallel()
	c := newCLI(t)
	const apiKey = "dr-api-key-short"
	srv := localoauth.NewDressipi(localoauth.DressipiOptions{ClientID: "dr-client", APIKey: apiKey, AccessTTL: time.Second})
	defer srv.Close()
	res, _ := c.link(srv, []string{"TOKENRING_API_KEY=" + apiKey}, nil, "short", "--provider", "dressipi", "--base-url", srv.URL, "--client-id", "dr-client")
	c.expect(res, 0, "link")
	time.Sleep(1500 * time.Millisecond) // past the 1 s expiry (a state to reach, not a speed)
	l := c.list()
	if len(l) != 1 || l[0].Status != "expired" {
		t.Fatalf("after expiry, list = %+v", l)
	}
	refreshes := func() int {
		n := 0
		for _, r := range tokenRequests(srv, "/oauth/token") {
			if r.Form.Get("grant_type") == "refresh_token" {
				n++
			}
		}
		return n
	}
	res = c.run(nil, "", "token", "short")
	c.expect(res, 0, "token of an expired account")
	if refreshes() != 1 {
		t.Fatalf("token did not refresh first (%d refreshes)", refreshes())
	}
	// The new token lives 1 s too; look at it with the server's clock set
	// back so a slow (-race) run does not see it expire.
	srv.SetNow(func() time.Time { return time.Now().Add(-time.Minute) })
	if !srv.ValidAccessToken(strings.TrimSpace(res.stdout)) {
		t.Fatalf("token printed %q, not a token the server issued", res.stdout)
	}
	srv.SetNow(nil)

	srv.RevokeAll()
	res = c.run(nil, "", "refresh", "short")
	c.expect(res, trcli.ExitNeedsLink, "refresh with a revoked refresh token")
	if !strings.Contains(res.stderr, "link") {
		t.Errorf("no advice to link again:\n%s", res.stderr)
	}
	if l := c.list(); len(l) != 1 || l[0].Status != "needs_relink" || !l[0].NeedsRelink {
		t.Fatalf("after invalid_grant, list = %+v", l)
	}
	before := refreshes()
	res = c.run(nil, "", "token", "short")
	c.expect(res, trcli.ExitNeedsLink, "token of an account that needs linking")
	if res.stdout != "" || refreshes() != before {
		t.Errorf("token of a dead account printed %q or retried the refresh", res.stdout)
	}
}

// Ctrl-C while link waits for the paste: exit 130, nothing spent or stored.
func TestE2ELinkInterrupted(t *testing.T) {
	t.Parallel()
	c := newCLI(t)
	srv := localoauth.NewWarhorn(localoauth.WarhornOptions{ClientID: "wh-client", RedirectURI: whRedirect})
	defer srv.Close()
	r := c.start(nil, append([]string{"link"}, warhornArgs(srv, "int")...)...)
	r.waitLine(t, authURLLine)
	if err := r.cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	res := r.waitOpen(t)
	c.expect(res, trcli.ExitInterrupted, "interrupted link")
	if srv.Count("/oauth/token") != 0 {
		t.Errorf("an interrupted link sent a token request")
	}
	if l := c.list(); len(l) != 0 {
		t.Errorf("an interrupted link stored %+v", l)
	}
}

// Ctrl-C while a refresh request is on its way: Dressipi rotates refresh
// tokens, so once the request reached it the old one is spent. The first
// SIGINT must not throw the answer away (the account would need linking
// again): refresh waits for it, stores it and exits 0; the next refresh
// works with the rotated token. Before, it exited 130 and the next refresh
// got invalid_grant.
func TestE2ERefreshInterruptedKeepsTheRotatedToken(t *testing.T) {
	t.Parallel()
	c := newCLI(t)
	const apiKey = "dr-api-key-interrupt"
	srv := localoauth.NewDressipi(localoauth.DressipiOptions{ClientID: "dr-client", APIKey: apiKey})
	defer srv.Close()
	env := []string{"TOKENRING_API_KEY=" + apiKey}
	res, _ := c.link(srv, env, nil, "shop", "--provider", "dressipi", "--base-url", srv.URL, "--client-id", "dr-client")
	c.expect(res, 0, "link")

	srv.SetFail(localoauth.Failure{Path: "/oauth/token", Late: true, Delay: 3 * time.Second})
	r := c.start(nil, "refresh", "shop")
	for deadline := time.Now().Add(20 * time.Second); srv.Count("/oauth/token") < 2; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("refresh sent no request; stderr:\n%s", r.stderr())
		}
	}
	if err := r.cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	res = r.waitOpen(t)
	c.expect(res, 0, "refresh interrupted after its request was sent")
	if !strings.Contains(res.stderr, "the refresh of shop is on its way") || !strings.Contains(res.stderr, "Ctrl-C again") {
		t.Errorf("the interrupted refresh did not say why it waits:\n%s", res.stderr)
	}
	reqs := tokenRequests(srv, "/oauth/token")
	if len(reqs) != 2 {
		t.Fatalf("%d token requests, want 2 (the link's and one refresh)", len(reqs))
	}
	spent := reqs[1].Form.Get("refresh_token")
	if srv.ValidRefreshToken(spent) {
		t.Fatal("the provider did not rotate the refresh token: the test proves nothing")
	}
	res = c.run(nil, "", "refresh", "shop")
	c.expect(res, 0, "the next refresh, with the rotated refresh token")
	res = c.run(nil, "", "token", "shop")
	c.expect(res, 0, "token")
	if !srv.ValidAccessToken(strings.TrimSpace(res.stdout)) {
		t.Fatal("token printed a token the provider does not accept")
	}
}

// Warhorn application tokens: client credentials, no browser, no stdin;
// refresh gets a new application token.
func TestE2EClientCredentials(t *testing.T) {
	t.Parallel()
	c := newCLI(t)
	const appSecret = "wh-app-secret-91c2"
	srv := localoauth.NewWarhorn(localoauth.WarhornOptions{ClientID: "wh-user", ClientSecret: "x", AppClientID: "wh-app", AppClientSecret: appSecret})
	defer srv.Close()
	env := []string{"TOKENRING_CLIENT_SECRET=" + appSecret}
	res := c.run(env, "", "link", "app", "--provider", "warhorn", "--client-credentials",
		"--client-id", "wh-app", "--token-url", srv.URL+"/oauth/token")
	c.expect(res, 0, "link by client credentials")
	if strings.Contains(res.stderr, "authorize") {
		t.Errorf("client credentials should not show an authorization URL:\n%s", res.stderr)
	}
	res = c.run(nil, "", "token", "app")
	c.expect(res, 0, "token")
	tok1 := strings.TrimSpace(res.stdout)
	if !srv.ValidAccessToken(tok1) {
		t.Fatal("application token not valid at the server")
	}
	c.expect(c.run(nil, "", "refresh", "app"), 0, "refresh by client credentials")
	res = c.run(nil, "", "token", "app")
	tok2 := strings.TrimSpace(res.stdout)
	if tok2 == tok1 || !srv.ValidAccessToken(tok2) {
		t.Fatal("refresh did not get a new application token")
	}
	// without the secret and without a terminal: a usage error naming the variable
	res = c.run(nil, "", "link", "app2", "--provider", "warhorn", "--client-credentials",
		"--client-id", "wh-app", "--token-url", srv.URL+"/oauth/token")
	c.expect(res, trcli.ExitUsage, "client credentials without a secret")
	if !strings.Contains(res.stderr, "TOKENRING_CLIENT_SECRET") {
		t.Errorf("should name TOKENRING_CLIENT_SECRET:\n%s", res.stderr)
	}
	c.grepHome(map[string]string{"client secret": appSecret, "token 1": tok1, "token 2": tok2})
}

// An account whose refresh token was refused still has a valid access
// token: token hands it out (exit 0) and says on stderr that the account
// must be linked again before it expires; list shows both facts.
func TestE2ETokenStillValidAfterInvalidGrant(t *testing.T) {
	t.Parallel()
	c := newCLI(t)
	const apiKey = "dr-api-key-valid"
	srv := localoauth.NewDressipi(localoauth.DressipiOptions{ClientID: "dr-client", APIKey: apiKey, AccessTTL: 24 * time.Hour})
	defer srv.Close()
	res, _ := c.link(srv, []string{"TOKENRING_API_KEY=" + apiKey}, nil, "shop", "--provider", "dressipi", "--base-url", srv.URL, "--client-id", "dr-client")
	c.expect(res, 0, "link")
	// The provider refuses the refresh token from now on (the access token stays valid).
	srv.SetFail(localoauth.Failure{Path: "/oauth/token", Status: 400, ContentType: "application/json",
		Body: `{"error":"invalid_grant","error_description":"the refresh token was revoked"}`, Count: 100})
	res = c.run(nil, "", "refresh", "shop")
	c.expect(res, trcli.ExitNeedsLink, "refresh refused with invalid_grant")
	res = c.run(nil, "", "token", "shop")
	c.expect(res, 0, "token of an account that needs linking again but holds a valid token")
	tok := strings.TrimSpace(res.stdout)
	if !srv.ValidAccessToken(tok) {
		t.Fatalf("token printed %q, not the still-valid access token", res.stdout)
	}
	if !strings.Contains(res.stderr, "must be linked again before its token expires") {
		t.Errorf("no warning on stderr:\n%s", res.stderr)
	}
	l := c.list()
	if len(l) != 1 || l[0].Status != "needs_relink" || !l[0].NeedsRelink || l[0].ExpiresInSeconds == nil || *l[0].ExpiresInSeconds < 3600 {
		t.Fatalf("list = %+v: want needs_relink with the expiry still ahead", l)
	}
}

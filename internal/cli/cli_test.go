package cli

// In-process tests of the command line: exit-code mapping, the flag set
// (no secret can be a flag), prompts, config directory, and the link flow
// against the strict local servers with an in-memory store. The same paths
// run against the real binary and keyring in e2e_test.go.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/tokenring/tokenring/accounts"
	"github.com/tokenring/tokenring/flow"
	"github.com/tokenring/tokenring/flow/exchange"
	"github.com/tokenring/tokenring/internal/config"
	"github.com/tokenring/tokenring/internal/localoauth"
)

const whRedirect = "https://app.example/oauth/callback"

func TestExitCodes(t *testing.T) {
	cases := []struct {
		err  error
		want int
	}{
		{nil, 0},
		{errors.New("boom"), ExitError},
		{usageErrorf("bad"), ExitUsage},
		{fmt.Errorf("x: %w", accounts.ErrNotFound), ExitNoAccount},
		{fmt.Errorf("x: %w", accounts.ErrExists), ExitExists},
		{fmt.Errorf("x: %w", accounts.ErrNeedsRelink), ExitNeedsLink},
		{&flow.OAuthError{Op: "refresh", Code: "invalid_grant"}, ExitNeedsLink},
		{fmt.Errorf("wrapped: %w", &flow.OAuthError{Op: "code exchange", Code: "invalid_grant"}), ExitNeedsLink},
		{fmt.Errorf("x: %w", accounts.ErrLocked), ExitKeyring},
		{fmt.Errorf("x: %w", accounts.ErrBadPassphrase), ExitKeyring},
		{accounts.ErrEmptyPass, ExitKeyring},
		{fmt.Errorf("x: %w", accounts.ErrKeyring), ExitKeyring},
		{fmt.Errorf("x: %w", flow.ErrTimeout), ExitUnreachable},
		{fmt.Errorf("x: %w", flow.ErrUnreachable), ExitUnreachable},
		{fmt.Errorf("x: %w", flow.ErrTLS), ExitUnreachable},
		{&flow.OAuthError{Op: "code exchange", Code: "invalid_client"}, ExitProvider},
		{fmt.Errorf("x: %w", flow.ErrBadResponse), ExitProvider},
		{fmt.Errorf("x: %w", flow.ErrServer), ExitProvider},
		{fmt.Errorf("x: %w", flow.ErrNonceMismatch), ExitProvider},
		{fmt.Errorf("x: %w", flow.ErrNotACode), ExitNotAuthd},
		{fmt.Errorf("x: %w", flow.ErrStateMismatch), ExitNotAuthd},
		{&flow.OAuthError{Op: "authorization", Code: "access_denied"}, ExitNotAuthd},
		{&flow.OAuthError{Op: "device authorization", Code: "expired_token"}, ExitNotAuthd},
		{fmt.Errorf("x: %w", flow.ErrConfig), ExitUsage},
		{errors.Join(fmt.Errorf("a: %w", flow.ErrConfig), fmt.Errorf("b: %w", flow.ErrInsecure)), ExitUsage},
		{fmt.Errorf("x: %w", config.ErrFile), ExitUsage},
		{fmt.Errorf("x: %w", accounts.ErrBadName), ExitUsage},
		{context.Canceled, ExitInterrupted},
		{withCode(ExitNoRefresh, errors.New("no refresh token")), ExitNoRefresh},
		// a code chosen at the source wins over the wrapped error's kind
		{withCode(ExitUsage, fmt.Errorf("x: %w", flow.ErrTimeout)), ExitUsage},
	}
	for _, tc := range cases {
		if got := exitCode(tc.err); got != tc.want {
			t.Errorf("exitCode(%v) = %d, want %d", tc.err, got, tc.want)
		}
	}
}

// Every code is distinct and listed in --help and README.md.
func TestExitCodesDocumented(t *testing.T) {
	codes := []int{ExitOK, ExitError, ExitUsage, ExitNoAccount, ExitNeedsLink, ExitKeyring, ExitUnreachable,
		ExitProvider, ExitNoRefresh, ExitNotAuthd, ExitExists, ExitCannotRun, ExitNotFound, ExitInterrupted}
	seen := map[int]bool{}
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range codes {
		if seen[c] {
			t.Errorf("exit code %d used twice", c)
		}
		seen[c] = true
		if !regexp.MustCompile(fmt.Sprintf(`(?m)^\s*%d  \S`, c)).MatchString(exitCodesHelp) {
			t.Errorf("exit code %d missing from --help", c)
		}
		if !regexp.MustCompile(fmt.Sprintf("(?m)^\\| `?%d`? \\|", c)).Match(readme) {
			t.Errorf("exit code %d missing from README.md's table", c)
		}
	}
	root := newRootCmd(newApp(nil, io.Discard, io.Discard, func(string) string { return "" }))
	for _, c := range root.Commands() {
		switch c.Name() {
		case "help", "completion":
			continue
		}
		if !strings.Contains(c.Long, "Exit codes:") {
			t.Errorf("%s --help does not list the exit codes", c.Name())
		}
	}
}

// A secret can never be given as a flag: no command has a flag whose name
// suggests one.
func TestNoSecretFlags(t *testing.T) {
	bad := regexp.MustCompile(`(?i)secret|api.?key|pass(word|phrase)?|^token$|^access|^refresh|credential$`)
	root := newRootCmd(newApp(nil, io.Discard, io.Discard, func(string) string { return "" }))
	var walk func(c *cobra.Command)
	n := 0
	walk = func(c *cobra.Command) {
		check := func(f *pflag.Flag) {
			n++
			if bad.MatchString(f.Name) {
				t.Errorf("%s has a flag --%s that looks like a secret", c.CommandPath(), f.Name)
			}
		}
		c.LocalFlags().VisitAll(check)
		c.PersistentFlags().VisitAll(check)
		for _, s := range c.Commands() {
			walk(s)
		}
	}
	walk(root)
	if n < 10 {
		t.Fatalf("only %d flags visited; the walk is broken", n)
	}
	// The checker itself catches a secret flag.
	probe := &cobra.Command{Use: "probe"}
	probe.Flags().String("client-secret", "", "")
	hit := false
	probe.Flags().VisitAll(func(f *pflag.Flag) { hit = hit || bad.MatchString(f.Name) })
	if !hit {
		t.Fatal("the secret-flag pattern misses --client-secret")
	}
}

func TestConfigDir(t *testing.T) {
	env := map[string]string{}
	dir := func() (string, error) {
		return newApp(nil, io.Discard, io.Discard, func(k string) string { return env[k] }).env.Dir()
	}
	env["TOKENRING_HOME"] = "/x/tr"
	env["XDG_CONFIG_HOME"] = "/cfg"
	if d, _ := dir(); d != "/x/tr" {
		t.Errorf("TOKENRING_HOME: %q", d)
	}
	delete(env, "TOKENRING_HOME")
	if d, _ := dir(); d != "/cfg/tokenring" {
		t.Errorf("XDG_CONFIG_HOME: %q", d)
	}
	env["XDG_CONFIG_HOME"] = "relative"
	if d, _ := dir(); !filepath.IsAbs(d) || !strings.HasSuffix(d, "tokenring") {
		t.Errorf("relative XDG_CONFIG_HOME must be ignored: %q", d)
	}
}

// fakeTTY answers prompts from a script and records what was shown.
type fakeTTY struct {
	answers []string
	shown   bytes.Buffer
}

func (f *fakeTTY) Write(p []byte) (int, error) { return f.shown.Write(p) }
func (f *fakeTTY) Close() error                { return nil }
func (f *fakeTTY) ReadSecret() (string, error) {
	if len(f.answers) == 0 {
		return "", io.EOF
	}
	a := f.answers[0]
	f.answers = f.answers[1:]
	return a, nil
}

func TestPassphrasePrompt(t *testing.T) {
	env := map[string]string{}
	var tty *fakeTTY
	a := newApp(nil, io.Discard, io.Discard, func(k string) string { return env[k] })
	a.openTTY = func() (terminal, error) {
		if tty == nil {
			return nil, errors.New("no tty")
		}
		return tty, nil
	}

	if _, err := a.passphrase("Keyring passphrase"); !errors.Is(err, accounts.ErrLocked) || !strings.Contains(err.Error(), "TOKENRING_PASSPHRASE") {
		t.Errorf("no env, no terminal: %v", err)
	}
	env["TOKENRING_PASSPHRASE"] = "from-env"
	a.env = config.ReadEnv(func(k string) string { return env[k] })
	if p, err := a.passphrase("x"); p != "from-env" || err != nil {
		t.Errorf("env: %q %v", p, err)
	}
	delete(env, "TOKENRING_PASSPHRASE")
	a.env = config.ReadEnv(func(k string) string { return env[k] })

	tty = &fakeTTY{answers: []string{"s3cret"}}
	if p, err := a.passphrase("Keyring passphrase"); p != "s3cret" || err != nil {
		t.Errorf("prompt: %q %v", p, err)
	}
	if strings.Contains(tty.shown.String(), "s3cret") {
		t.Error("the passphrase was echoed")
	}
	tty = &fakeTTY{answers: []string{""}}
	if _, err := a.passphrase("Keyring passphrase"); !errors.Is(err, accounts.ErrEmptyPass) {
		t.Errorf("empty passphrase: %v", err)
	}
	tty = &fakeTTY{answers: []string{"one", "two"}}
	if _, err := a.passphrase("Choose a passphrase for the new keyring"); !errors.Is(err, accounts.ErrBadPassphrase) {
		t.Errorf("new keyring, different confirmation: %v", err)
	}
	tty = &fakeTTY{answers: []string{"same", "same"}}
	if p, err := a.passphrase("Choose a passphrase for the new keyring"); p != "same" || err != nil {
		t.Errorf("new keyring, confirmed: %q %v", p, err)
	}
	if !strings.Contains(tty.shown.String(), "Repeat") {
		t.Errorf("a new keyring's passphrase is asked twice: %q", tty.shown.String())
	}
}

func TestSecretPrompt(t *testing.T) {
	env := map[string]string{}
	var tty *fakeTTY
	a := newApp(nil, io.Discard, io.Discard, func(k string) string { return env[k] })
	a.openTTY = func() (terminal, error) {
		if tty == nil {
			return nil, errors.New("no tty")
		}
		return tty, nil
	}
	if _, err := a.secret(config.EnvAPIKey, "dressipi", flow.NeedRequired); exitCode(err) != ExitUsage || !strings.Contains(err.Error()+fmt.Sprint(err), "api key") {
		t.Errorf("required, no terminal: %v (code %d)", err, exitCode(err))
	}
	if v, err := a.secret(config.EnvClientSecret, "warhorn", flow.NeedOptional); v != "" || err != nil {
		t.Errorf("optional, no terminal: %q %v", v, err)
	}
	env[config.EnvAPIKey] = " key-from-env\n"
	a.env = config.ReadEnv(func(k string) string { return env[k] })
	if v, _ := a.secret(config.EnvAPIKey, "dressipi", flow.NeedRequired); v != "key-from-env" {
		t.Errorf("env: %q", v)
	}
	delete(env, config.EnvAPIKey)
	a.env = config.ReadEnv(func(k string) string { return env[k] })
	tty = &fakeTTY{answers: []string{"typed-key"}}
	if v, err := a.secret(config.EnvAPIKey, "dressipi", flow.NeedRequired); v != "typed-key" || err != nil {
		t.Errorf("prompt: %q %v", v, err)
	}
	if strings.Contains(tty.shown.String(), "typed-key") || !strings.Contains(tty.shown.String(), "hidden") {
		t.Errorf("prompt shown: %q", tty.shown.String())
	}
	tty = &fakeTTY{answers: []string{""}}
	if _, err := a.secret(config.EnvAPIKey, "dressipi", flow.NeedRequired); exitCode(err) != ExitUsage {
		t.Errorf("empty required secret: %v", err)
	}
	if v, err := a.secret(config.EnvAPIKey, "x", flow.NeedNone); v != "" || err != nil {
		t.Errorf("not needed: %q %v", v, err)
	}
}

func TestReadLine(t *testing.T) {
	s, err := readLine(strings.NewReader("abc\r\nrest"), 100)
	if s != "abc" || err != nil {
		t.Errorf("%q %v", s, err)
	}
	s, err = readLine(strings.NewReader("no newline"), 100)
	if s != "no newline" || !errors.Is(err, io.EOF) {
		t.Errorf("%q %v", s, err)
	}
	if _, err := readLine(strings.NewReader(strings.Repeat("a", 200)+"\n"), 100); exitCode(err) != ExitNotAuthd {
		t.Errorf("overlong line: %v", err)
	}
}

// memStore is an in-memory store for in-process tests of the commands.
type memStore struct {
	mu       sync.Mutex
	accts    map[string]accounts.Account
	secrets  map[string]accounts.Secret
	pass     string // the keyring's passphrase
	unlocked bool
	ask      func(string) (string, error)
	ex       flow.Exchanger
}

func newMemStore(pass string) *memStore {
	return &memStore{accts: map[string]accounts.Account{}, secrets: map[string]accounts.Secret{}, pass: pass}
}

func (m *memStore) Backend() accounts.BackendInfo {
	return accounts.BackendInfo{Name: "mem", Locked: !m.unlocked}
}
func (m *memStore) Accounts() ([]accounts.Account, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []accounts.Account
	for _, a := range m.accts {
		out = append(out, a)
	}
	return out, nil
}
func (m *memStore) Account(name string) (accounts.Account, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	a, ok := m.accts[name]
	if !ok {
		return a, accounts.ErrNotFound
	}
	return a, nil
}
func (m *memStore) Writable(ctx context.Context) error { return m.needPass() }

func (m *memStore) needPass() error {
	if m.unlocked {
		return nil
	}
	if m.ask == nil {
		return accounts.ErrLocked
	}
	p, err := m.ask("Keyring passphrase")
	if err != nil {
		return err
	}
	return m.Unlock(context.Background(), p)
}
func (m *memStore) Add(ctx context.Context, a accounts.Account, sec accounts.Secret) error {
	if err := m.needPass(); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.accts[a.Name]; ok {
		return accounts.ErrExists
	}
	m.accts[a.Name], m.secrets[a.Name] = a, sec
	return nil
}
func (m *memStore) Secret(ctx context.Context, name string) (accounts.Secret, error) {
	if _, err := m.Account(name); err != nil {
		return accounts.Secret{}, err
	}
	if err := m.needPass(); err != nil {
		return accounts.Secret{}, err
	}
	return m.secrets[name], nil
}
func (m *memStore) TokenFor(ctx context.Context, name string, _ time.Duration) (flow.Token, error) {
	return m.Token(ctx, name)
}
func (m *memStore) Token(ctx context.Context, name string) (flow.Token, error) {
	s, err := m.Secret(ctx, name)
	return s.Token, err
}

// RefreshIfDue is Refresh: the fake keeps storage only (the due test is the store's).
func (m *memStore) RefreshIfDue(ctx context.Context, name string) (accounts.Account, error) {
	return m.Refresh(ctx, name)
}

func (m *memStore) Refresh(ctx context.Context, name string) (accounts.Account, error) {
	s, err := m.Secret(ctx, name)
	if err != nil {
		return accounts.Account{}, err
	}
	a, _ := m.Account(name)
	tok, err := m.ex.Refresh(ctx, a.Provider, s.Secrets(), s.Token.RefreshToken)
	if err != nil {
		return a, err
	}
	s.Token = *tok
	a.AccessExpiry, a.LastRefresh = tok.Expiry, time.Now()
	m.mu.Lock()
	m.accts[name], m.secrets[name] = a, s
	m.mu.Unlock()
	return a, nil
}
func (m *memStore) Remove(ctx context.Context, name string, revoke bool) error {
	if _, err := m.Account(name); err != nil {
		return err
	}
	m.mu.Lock()
	delete(m.accts, name)
	delete(m.secrets, name)
	m.mu.Unlock()
	return nil
}
func (m *memStore) Unlock(ctx context.Context, p string) error {
	if p == "" {
		return accounts.ErrEmptyPass
	}
	if p != m.pass {
		return accounts.ErrBadPassphrase
	}
	m.unlocked = true
	return nil
}
func (m *memStore) Policy() accounts.Policy { return accounts.DefaultPolicy() }
func (m *memStore) Close() error            { return nil }

// testApp runs commands in-process against st.
type testApp struct {
	*app
	env            map[string]string
	stdout, stderr *bytes.Buffer
	st             *memStore
}

func newTestApp(t *testing.T, st *memStore) *testApp {
	ta := &testApp{env: map[string]string{"TOKENRING_HOME": t.TempDir()}, stdout: &bytes.Buffer{}, stderr: &bytes.Buffer{}, st: st}
	ta.app = newApp(strings.NewReader(""), ta.stdout, ta.stderr, func(k string) string { return ta.env[k] })
	ta.openTTY = func() (terminal, error) { return nil, errors.New("no tty") }
	ta.open = func(c accounts.Config) (store, error) {
		st.ask, st.ex = c.Passphrase, c.Exchanger
		return st, nil
	}
	return ta
}

func (ta *testApp) run(stdin string, args ...string) int {
	ta.stdout.Reset()
	ta.stderr.Reset()
	ta.stdin = strings.NewReader(stdin)
	ta.app.env = config.ReadEnv(func(k string) string { return ta.env[k] }) // as a new process would
	return run(context.Background(), args, ta.app)
}

// pipeApp feeds stdin through a pipe so a test can answer after reading
// the authorization URL.
func (ta *testApp) link(t *testing.T, srv *localoauth.Server, paste func(string) string, args ...string) (int, string) {
	t.Helper()
	pr, pw := io.Pipe()
	ta.stdout.Reset()
	ta.stderr.Reset()
	ta.stdin = pr
	errR, errW := io.Pipe()
	ta.app.stderr = io.MultiWriter(ta.stderr, errW)
	done := make(chan int, 1)
	ta.app.env = config.ReadEnv(func(k string) string { return ta.env[k] })
	go func() {
		done <- run(context.Background(), append([]string{"link"}, args...), ta.app)
		errW.Close()
	}()
	var approved string
	buf := make([]byte, 64<<10)
	acc := ""
	for {
		n, err := errR.Read(buf)
		acc += string(buf[:n])
		if m := authURLLineAny.FindString(acc); m != "" {
			approved, _ = srv.Approve(strings.TrimSpace(m))
			break
		}
		if err != nil {
			break
		}
	}
	go io.Copy(io.Discard, errR)
	if approved != "" {
		io.WriteString(pw, paste(approved)+"\n")
	}
	pw.Close()
	code := <-done
	ta.app.stderr = ta.stderr
	return code, approved
}

var authURLLineAny = regexp.MustCompile(`(?m)^\s+http://127\.0\.0\.1:\d+/\S*authorize\?\S+\n`)

func TestLinkInProcess(t *testing.T) {
	const secret = "wh-secret-in-process"
	srv := localoauth.NewWarhorn(localoauth.WarhornOptions{ClientID: "wh", ClientSecret: secret, RedirectURI: whRedirect})
	defer srv.Close()
	st := newMemStore("pw")
	ta := newTestApp(t, st)
	ta.exchanger = exchange.New()
	ta.env["TOKENRING_CLIENT_SECRET"] = secret
	ta.env["TOKENRING_PASSPHRASE"] = "pw"
	args := []string{"w1", "--provider", "warhorn", "--auth-url", srv.URL + "/oauth/authorize",
		"--token-url", srv.URL + "/oauth/token", "--client-id", "wh", "--redirect-uri", whRedirect}

	code, _ := ta.link(t, srv, func(s string) string { return s }, args...)
	if code != 0 {
		t.Fatalf("link: %d\n%s", code, ta.stderr)
	}
	a, err := st.Account("w1")
	if err != nil || a.Provider.ID != "warhorn" || !a.AccessExpiry.IsZero() || a.HasRefresh || !a.HasIDToken {
		t.Fatalf("stored account %+v %v", a, err)
	}
	if s := st.secrets["w1"]; s.ClientSecret != secret || s.Token.AccessToken == "" {
		t.Fatal("secret not stored with the account")
	}
	if strings.Contains(ta.stderr.String(), secret) || strings.Contains(ta.stderr.String(), st.secrets["w1"].Token.AccessToken) {
		t.Fatal("a secret was printed")
	}

	// token prints exactly the token
	if code := ta.run("", "token", "w1"); code != 0 || ta.stdout.String() != st.secrets["w1"].Token.AccessToken+"\n" {
		t.Fatalf("token: %d %q %s", code, ta.stdout, ta.stderr)
	}
	if code := ta.run("", "refresh", "w1"); code != ExitNoRefresh {
		t.Fatalf("refresh without refresh token: %d %s", code, ta.stderr)
	}
	if code := ta.run("", "list"); code != 0 || !strings.Contains(ta.stdout.String(), "no expiry") || !strings.Contains(ta.stdout.String(), "never") {
		t.Fatalf("list: %d\n%s", code, ta.stdout)
	}

	// A wrong passphrase fails before the code is spent.
	st.unlocked = false
	ta.env["TOKENRING_PASSPHRASE"] = "wrong"
	before := srv.Count("/oauth/token")
	if code := ta.run("", append([]string{"link"}, append([]string{"w2"}, args[1:]...)...)...); code != ExitKeyring {
		t.Fatalf("link with a wrong passphrase: %d\n%s", code, ta.stderr)
	}
	if srv.Count("/oauth/token") != before || strings.Contains(ta.stderr.String(), "authorize?") {
		t.Fatal("an authorization was started with a wrong passphrase")
	}
	if code := ta.run("", "token", "w1"); code != ExitKeyring {
		t.Fatalf("token with a wrong passphrase: %d", code)
	}
}

func TestProvidersCommand(t *testing.T) {
	ta := newTestApp(t, newMemStore("x"))
	if err := os.WriteFile(filepath.Join(ta.env["TOKENRING_HOME"], "config.toml"),
		[]byte("[providers.acme]\nissuer = \"https://id.acme.example\"\nclient_id = \"c\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if code := ta.run("", "providers"); code != 0 {
		t.Fatalf("providers: %d %s", code, ta.stderr)
	}
	for _, w := range []string{"warhorn", "dressipi", "generic", "acme", "https://id.acme.example"} {
		if !strings.Contains(ta.stdout.String(), w) {
			t.Errorf("providers lacks %q:\n%s", w, ta.stdout)
		}
	}
	if code := ta.run("", "providers", "--json"); code != 0 || !strings.Contains(ta.stdout.String(), `"source": "config"`) {
		t.Fatalf("providers --json: %d\n%s", code, ta.stdout)
	}
	// a broken config.toml is a usage error naming the line
	os.WriteFile(filepath.Join(ta.env["TOKENRING_HOME"], "config.toml"), []byte("[keyring]\nbackend = = 1\n"), 0o600)
	if code := ta.run("", "providers"); code != ExitUsage || !strings.Contains(ta.stderr.String(), "line 2") {
		t.Fatalf("broken config: %d %s", code, ta.stderr)
	}
}

// .ci/run runs the test command README.md gives, and the README keeps the
// sections later work fills in.
func TestCIRunsREADMETestCommand(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile("(?m)^(go test[^#\n]*?)\\s*# the tests$").FindSubmatch(readme)
	if m == nil {
		t.Fatal("README.md has no `go test ...   # the tests` line")
	}
	cmd := strings.Fields(string(m[1]))
	ci, err := os.ReadFile("../../.ci/run")
	if err != nil {
		t.Fatal(err)
	}
	want := "TEST_CMD=(" + strings.Join(cmd, " ") + ")"
	if !strings.Contains(string(ci), want) {
		t.Errorf(".ci/run does not run README's test command %q (want %s)", m[1], want)
	}
	for _, h := range []string{"## Screenshots", "## Performance", "set -s set-clipboard on"} {
		if !strings.Contains(string(readme), h) {
			t.Errorf("README.md lacks %q", h)
		}
	}
}

func TestCompletion(t *testing.T) {
	st := newMemStore("pw")
	st.accts["work"] = accounts.Account{Name: "work", Provider: flow.Provider{ID: "oidc"}}
	st.accts["shop"] = accounts.Account{Name: "shop", Provider: flow.Provider{ID: "dressipi"}}
	ta := newTestApp(t, st)
	for _, sh := range []string{"bash", "zsh", "fish"} {
		if code := ta.run("", "completion", sh); code != 0 || !strings.Contains(ta.stdout.String(), "tokenring") {
			t.Errorf("completion %s: %d %q", sh, code, ta.stderr)
		}
	}
	if code := ta.run("", "__complete", "token", "w"); code != 0 || !strings.Contains(ta.stdout.String(), "work\toidc") || strings.Contains(ta.stdout.String(), "shop") {
		t.Errorf("account completion: %q", ta.stdout)
	}
	if code := ta.run("", "__complete", "link", "x", "--provider", "d"); code != 0 || !strings.Contains(ta.stdout.String(), "dressipi") || strings.Contains(ta.stdout.String(), "warhorn") {
		t.Errorf("provider completion: %q", ta.stdout)
	}
}

func TestPrintError(t *testing.T) {
	var b bytes.Buffer
	err := withHint(ExitUsage, errors.Join(errors.New("first \x1b[31mproblem"), errors.New("second\x07 one")), "Try this.")
	printError(&b, err, exitCode(err))
	if got, want := b.String(), "tokenring: first problem\n  second one\nTry this.\n"; got != want {
		t.Fatalf("printError wrote %q, want %q", got, want)
	}
	// A provider's missing settings are named by the flags that give them.
	b.Reset()
	p, _ := flow.Preset("generic", flow.Overrides{TokenURL: "http://sso.example/token"})
	err = withCode(ExitUsage, p.Validate())
	printError(&b, err, exitCode(err))
	for _, want := range []string{"tokenring: --client-id is needed", "  --auth-url is needed", "--token-url uses http on a host that is not loopback", "  --redirect-uri is needed"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("printError wrote %q, which lacks %q", b.String(), want)
		}
	}
	b.Reset()
	printError(&b, context.Canceled, ExitInterrupted)
	if b.String() != "tokenring: interrupted\n" {
		t.Fatalf("interrupted: %q", b.String())
	}
}

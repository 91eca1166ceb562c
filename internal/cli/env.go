package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"golang.org/x/term"

	"github.com/tokenring/tokenring/accounts"
	"github.com/tokenring/tokenring/flow"
	"github.com/tokenring/tokenring/flow/exchange"
	"github.com/tokenring/tokenring/internal/config"
	"github.com/tokenring/tokenring/ui"
)

// app is what the commands share: the standard streams, the environment and
// the ways to reach a terminal, a provider and the store. Tests build one
// with fakes.
type app struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	// env is tokenring's environment, read once (config.ReadEnv); getenv
	// reads the rest (TMUX, DISPLAY, NO_COLOR, ...) for the UI.
	env    config.Env
	getenv func(string) string
	// openTTY opens the controlling terminal for masked prompts; it works
	// when stdin is a pipe carrying the pasted code.
	openTTY func() (terminal, error)
	// exchanger talks to providers (flow/exchange).
	exchanger flow.Exchanger
	now       func() time.Time
	// open opens the account store (accounts.Open; tests put a fake here).
	open func(accounts.Config) (store, error)
	// startAgent starts the unlock agent of the config directory dir in
	// the background (agent.go; tests run one in the process instead).
	startAgent func(dir string) (wait func() error, err error)
	// environ is the environment a child of exec starts from (os.Environ,
	// already without tokenring's secrets).
	environ func() []string
	// childSignal is the signal that ended exec's child (0: none): Main
	// ends this process by it too, as a shell reports a child's death.
	childSignal int
	heldState
	spends spendWatch
}

// store is what the commands use of *accounts.Store (a superset of
// ui.Backend, so the same value drives the TUI).
type store interface {
	ui.Backend
	Account(name string) (accounts.Account, error)
	Writable(ctx context.Context) error
	// TokenFor is Token with a minimum validity (accounts.Store.TokenFor).
	TokenFor(ctx context.Context, name string, minValid time.Duration) (flow.Token, error)
	Close() error
}

var _ store = (*accounts.Store)(nil)

func openAccounts(c accounts.Config) (store, error) {
	st, err := accounts.Open(c)
	if err != nil {
		return nil, err
	}
	return st, nil
}

func newApp(stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) *app {
	return &app{
		stdin: stdin, stdout: stdout, stderr: stderr, getenv: getenv, env: config.ReadEnv(getenv),
		openTTY:   openDevTTY,
		exchanger: exchange.New(),
		now:       time.Now,
		open:      openAccounts,
		environ:   os.Environ,
	}
}

func newAppWithAgent(stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) *app {
	a := newApp(stdin, stdout, stderr, getenv)
	a.startAgent = a.spawnAgent
	return a
}

// terminal is the user's terminal, for prompts that must not echo.
type terminal interface {
	io.Writer
	ReadSecret() (string, error)
	Close() error
}

type devTTY struct{ f *os.File }

func openDevTTY() (terminal, error) {
	f, err := os.OpenFile("/dev/tty", os.O_RDWR, 0)
	if err != nil {
		return nil, errors.New("no terminal to ask on")
	}
	if !term.IsTerminal(int(f.Fd())) {
		f.Close()
		return nil, errors.New("no terminal to ask on")
	}
	return devTTY{f}, nil
}

func (t devTTY) Write(p []byte) (int, error) { return t.f.Write(p) }
func (t devTTY) Close() error                { return t.f.Close() }

// ReadSecret reads one line with echo off.
func (t devTTY) ReadSecret() (string, error) {
	b, err := term.ReadPassword(int(t.f.Fd()))
	fmt.Fprintln(t.f)
	return string(b), err
}

func (a *app) loadConfig() (string, config.File, error) {
	dir, err := a.env.Dir()
	if err != nil {
		return "", config.File{}, withCode(ExitUsage, err)
	}
	cfg, err := config.Load(dir)
	if err != nil {
		return "", config.File{}, withCode(ExitUsage, err)
	}
	return dir, cfg, nil
}

// policy is the refresh policy config.toml asks for (zero fields: the
// store's defaults).
func policy(cfg config.File) accounts.Policy {
	r := cfg.Refresh
	return accounts.Policy{Fraction: r.Fraction, Min: r.Min.D(), Max: r.Max.D()}
}

// openStore opens the account store. prompt says whether the file
// backend's passphrase may be asked for on the terminal (the CLI); the TUI
// asks in its own prompt instead.
func (a *app) openStore(prompt bool) (store, config.File, error) {
	dir, cfg, err := a.loadConfig()
	if err != nil {
		return nil, cfg, err
	}
	backend, source := a.env.Backend(cfg)
	c := accounts.Config{
		Dir:           dir,
		Backend:       backend,
		BackendSource: source,
		Exchanger:     a.exchanger,
		Now:           a.now,
		Policy:        policy(cfg),
		TokenWait:     cfg.Refresh.TokenWait.D(),
		EnvPassphrase: a.env.Passphrase,
		KDF:           kdfParams(cfg),
	}
	if prompt {
		c.Passphrase = a.passphrase
	}
	st, err := a.open(c)
	if err != nil {
		return nil, cfg, err
	}
	a.watchSpends(st)
	// A running, unlocked agent does what needs a secret (agent.go).
	return a.viaAgent(dir, st), cfg, nil
}

// passphrase is the store's Passphrase callback for the command line:
// TOKENRING_PASSPHRASE, else a prompt on the terminal with echo off (asked
// twice when the store says the keyring is new). Never argv.
func (a *app) passphrase(prompt string) (string, error) {
	if p := a.env.Passphrase; p != "" {
		return p, nil
	}
	t, err := a.openTTY()
	if err != nil {
		return "", fmt.Errorf("%w: set %s, or run tokenring in a terminal to be asked", accounts.ErrLocked, config.EnvPassphrase)
	}
	defer t.Close()
	if prompt == "" {
		prompt = "Keyring passphrase"
	}
	prompt = strings.TrimRight(strings.TrimSpace(prompt), ":")
	fmt.Fprintf(t, "%s: ", prompt)
	p, err := t.ReadSecret()
	if err != nil {
		return "", fmt.Errorf("%w: reading the passphrase failed", accounts.ErrLocked)
	}
	if p == "" {
		return "", accounts.ErrEmptyPass
	}
	if isNewKeyringPrompt(prompt) {
		fmt.Fprint(t, "Repeat the passphrase: ")
		q, err := t.ReadSecret()
		if err != nil || q != p {
			return "", fmt.Errorf("%w: the two passphrases differ", accounts.ErrBadPassphrase)
		}
	}
	return p, nil
}

// isNewKeyringPrompt tells from the store's prompt whether it asks for the
// passphrase of a keyring that does not exist yet.
func isNewKeyringPrompt(prompt string) bool {
	p := strings.ToLower(prompt)
	return strings.Contains(p, "new") || strings.Contains(p, "choose") || strings.Contains(p, "create")
}

// secret returns a secret the provider needs: from the environment variable
// env, else a masked prompt on the terminal. A secret is never a flag.
func (a *app) secret(env, what string, need flow.Need) (string, error) {
	if v := a.envSecret(env); v != "" {
		return v, nil
	}
	if need == flow.NeedNone || need == "" {
		return "", nil
	}
	t, err := a.openTTY()
	if err != nil {
		if need == flow.NeedRequired {
			return "", withHint(ExitUsage, fmt.Errorf("%s needs %s, and there is no terminal to ask for it", what, strings.ToLower(envLabel(env))),
				fmt.Sprintf("Set %s in the environment (secrets are never command-line flags).", env))
		}
		return "", nil
	}
	defer t.Close()
	if need == flow.NeedRequired {
		fmt.Fprintf(t, "%s for %s (input hidden): ", envLabel(env), what)
	} else {
		fmt.Fprintf(t, "%s for %s (input hidden; press Enter if the app has none): ", envLabel(env), what)
	}
	v, err := t.ReadSecret()
	if err != nil {
		return "", fmt.Errorf("reading the %s failed", strings.ToLower(envLabel(env)))
	}
	v = strings.TrimSpace(v)
	if v == "" && need == flow.NeedRequired {
		return "", usageErrorf("%s needs %s; it was left empty", what, strings.ToLower(envLabel(env)))
	}
	return v, nil
}

// envSecret is the value of a secret variable, read once at start-up.
func (a *app) envSecret(env string) string {
	switch env {
	case config.EnvClientSecret:
		return a.env.ClientSecret
	case config.EnvAPIKey:
		return a.env.APIKey
	}
	return ""
}

func envLabel(env string) string {
	switch env {
	case config.EnvClientSecret:
		return "Client secret"
	case config.EnvAPIKey:
		return "API key"
	}
	return "Secret"
}

// isTerminal reports whether r and w are both terminals (for the TUI).
func isTerminal(r io.Reader, w io.Writer) bool {
	rf, ok1 := r.(*os.File)
	wf, ok2 := w.(*os.File)
	return ok1 && ok2 && term.IsTerminal(int(rf.Fd())) && term.IsTerminal(int(wf.Fd()))
}

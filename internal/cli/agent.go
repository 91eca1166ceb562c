package cli

// The unlock agent's commands (unlock, lock, agent, status, passwd) and
// the wiring that makes every other command ask a running, unlocked agent
// first (internal/agent).

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/tokenring/tokenring/accounts"
	"github.com/tokenring/tokenring/internal/agent"
	"github.com/tokenring/tokenring/internal/config"
	"github.com/tokenring/tokenring/internal/termtext"
	"github.com/tokenring/tokenring/ui"
)

// kdfParams are the Argon2id costs config.toml asks for (zero: the
// default); unset fields take the default's.
func kdfParams(cfg config.File) accounts.KDFParams {
	k := cfg.Keyring
	if k.KDFTime == 0 && k.KDFMemoryMiB == 0 && k.KDFThreads == 0 {
		return accounts.KDFParams{}
	}
	p := accounts.DefaultKDF()
	if k.KDFTime > 0 {
		p.Time = uint32(k.KDFTime)
	}
	if k.KDFMemoryMiB > 0 {
		p.Memory = uint32(k.KDFMemoryMiB) << 10
	}
	if k.KDFThreads > 0 {
		p.Threads = uint8(k.KDFThreads)
	}
	return p
}

func (a *app) agentClient(dir string) *agent.Client {
	return agent.NewClient(dir, a.env.RuntimeDir, a.env.Keyring)
}

// viaAgent wraps st so that a running agent of dir does what needs a
// secret; with none answering, st is returned as it is.
func (a *app) viaAgent(dir string, st store) store {
	if !agent.Supported {
		return st
	}
	w := agent.Wrap(context.Background(), st, a.agentClient(dir))
	if w.Agent(context.Background(), time.Hour) == nil {
		return st
	}
	return agentBacked{w}
}

// agentBacked is a store going through the agent, with its state for the
// TUI's header (ui.AgentState).
type agentBacked struct{ *agent.Store }

var _ ui.AgentState = agentBacked{}

func (b agentBacked) AgentState(ctx context.Context) (ui.AgentInfo, bool) {
	st := b.Agent(ctx, 5*time.Second)
	if st == nil {
		return ui.AgentInfo{}, false
	}
	info := ui.AgentInfo{Unlocked: st.Unlocked, Until: st.Until}
	for _, e := range st.Events {
		info.Events = append(info.Events, ui.AgentEvent{Time: e.Time, Account: e.Account, Kind: e.Kind, Message: e.Message})
	}
	return info, true
}

func agentUnsupported() error {
	return withCode(ExitUsage, fmt.Errorf("there is no unlock agent on this system (%s): it needs the peer credentials of Unix sockets to refuse other users; use TOKENRING_PASSPHRASE or the prompt instead", osName()))
}

// ---- unlock -------------------------------------------------------------------

func newUnlockCmd(a *app) *cobra.Command {
	var d time.Duration
	cmd := &cobra.Command{
		Use:   "unlock [--for DURATION]",
		Short: "Unlock the keyring once: an agent hands out tokens and refreshes in the background",
		Long: `Ask for the file keyring's passphrase once (on the terminal with echo off,
or TOKENRING_PASSPHRASE) and hand it to the unlock agent, which is started in
the background when none runs. Until the agent is locked ('tokenring lock'),
the period given with --for (or [agent] unlock_for in config.toml) ends or the
agent stops, 'token', 'refresh', 'remove', 'link' and the terminal UI need no
passphrase, and every account is refreshed ahead of expiry even while nothing
else runs. With an OS keyring there is no passphrase: the agent just refreshes.

Prints until when the keyring stays unlocked.

` + exitCodesHelp,
		Args: exactArgs(0),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.unlock(cmd.Context(), d, cmd.Flags().Changed("for"))
		},
	}
	cmd.Flags().DurationVar(&d, "for", 0, "stay unlocked this long (e.g. 8h; default: until 'tokenring lock')")
	return cmd
}

func (a *app) unlock(ctx context.Context, d time.Duration, forSet bool) error {
	if !agent.Supported {
		return agentUnsupported()
	}
	if d < 0 {
		return usageErrorf("--for must not be negative")
	}
	dir, cfg, err := a.loadConfig()
	if err != nil {
		return err
	}
	if !forSet {
		d = cfg.Agent.UnlockFor.D()
	}
	info, err := a.localBackend()
	if err != nil {
		return err
	}
	var pw []byte
	if info.Name == "file" {
		prompt := "Keyring passphrase"
		if info.New {
			prompt = "Choose a passphrase for the new keyring"
		}
		p, err := a.passphrase(prompt)
		if err != nil {
			return err
		}
		if p == "" {
			return accounts.ErrEmptyPass
		}
		pw = []byte(p)
		defer clear(pw)
	}
	c := a.agentClient(dir)
	if _, err := c.Status(ctx); errors.Is(err, agent.ErrNoAgent) {
		if err := a.ensureAgent(ctx, dir, c); err != nil {
			return err
		}
	} else if err != nil {
		return err
	}
	if info.Name == "file" {
		fmt.Fprintln(a.stderr, "Unlocking (stretching the passphrase takes a moment) ...")
	}
	st, err := c.Unlock(ctx, pw, d)
	if err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "Unlocked %s: %s (agent pid %d).\n", st.Backend+" keyring", untilPhrase(st.Until, a.now()), st.PID)
	return nil
}

// localBackend is the keyring backend this process would use, and its state.
func (a *app) localBackend() (accounts.BackendInfo, error) {
	st, _, err := a.openStoreLocal()
	if err != nil {
		return accounts.BackendInfo{}, err
	}
	defer st.Close()
	return st.Backend(), nil
}

// openStoreLocal is openStore without the agent and without prompts.
func (a *app) openStoreLocal() (store, config.File, error) {
	dir, cfg, err := a.loadConfig()
	if err != nil {
		return nil, cfg, err
	}
	backend, source := a.env.Backend(cfg)
	st, err := a.open(accounts.Config{Dir: dir, Backend: backend, BackendSource: source, Exchanger: a.exchanger,
		Now: a.now, Policy: policy(cfg), KDF: kdfParams(cfg)})
	if err == nil {
		a.watchSpends(st)
	}
	return st, cfg, err
}

func untilPhrase(until, now time.Time) string {
	if until.IsZero() {
		return "until 'tokenring lock' (or the agent stops)"
	}
	at := until.Local().Format("15:04:05")
	if y, m, d := now.Date(); until.Year() != y || until.Month() != m || until.Day() != d {
		at = until.Local().Format("Mon Jan 2 15:04:05")
	}
	return "until " + at + " (in " + termtext.Duration(until.Sub(now).Round(time.Second)) + ")"
}

// ensureAgent starts the agent of dir in the background and waits until it
// answers. Two unlocks at once both start one; the second finds the lock
// of the first taken and ends, and both talk to the first.
func (a *app) ensureAgent(ctx context.Context, dir string, c *agent.Client) error {
	if a.startAgent == nil {
		return errors.New("this tokenring cannot start an agent here")
	}
	wait, err := a.startAgent(dir)
	if err != nil {
		return fmt.Errorf("starting the agent: %w", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- wait() }()
	deadline := time.Now().Add(15 * time.Second)
	var exitErr error
	for {
		if _, err := c.Status(ctx); err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			break
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case err := <-exited:
			// It lost the race to another agent (which answers soon), or failed.
			exitErr, exited = err, nil
			if exitErr == nil {
				exitErr = errors.New("it ended")
			}
			if soon := time.Now().Add(3 * time.Second); soon.Before(deadline) {
				deadline = soon
			}
		case <-time.After(20 * time.Millisecond):
		}
	}
	if exitErr != nil {
		return fmt.Errorf("the agent did not start: %v (run 'tokenring agent' to see why)", exitErr)
	}
	return errors.New("the agent did not answer within 15 s (run 'tokenring agent' to see why)")
}

// ---- lock -------------------------------------------------------------------

func newLockCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "lock",
		Short: "Make the unlock agent forget the keyring's key",
		Long: `Make the unlock agent forget the key at once (it is overwritten in memory).
An agent started by 'tokenring unlock' then ends; one run by 'tokenring agent'
(a systemd unit) stays, locked, until the next 'tokenring unlock'. Without an
agent there is nothing to do.

` + exitCodesHelp,
		Args: exactArgs(0),
		RunE: func(cmd *cobra.Command, args []string) error { return a.lock(cmd.Context()) },
	}
}

func (a *app) lock(ctx context.Context) error {
	if !agent.Supported {
		return agentUnsupported()
	}
	dir, err := a.env.Dir()
	if err != nil {
		return withCode(ExitUsage, err)
	}
	_, err = a.agentClient(dir).Lock(ctx)
	if errors.Is(err, agent.ErrNoAgent) {
		fmt.Fprintln(a.stdout, "No agent is running: nothing to lock.")
		return nil
	}
	if err != nil {
		return err
	}
	fmt.Fprintln(a.stdout, "Locked: the agent forgot the key.")
	return nil
}

// ---- agent ------------------------------------------------------------------

func newAgentCmd(a *app) *cobra.Command {
	var detached bool
	cmd := &cobra.Command{
		Use:   "agent",
		Short: "Run the unlock agent in the foreground (for a systemd user unit)",
		Long: `Run the unlock agent of this config directory in the foreground, logging to
standard error, until it is stopped (SIGTERM, SIGINT). With the file keyring it
starts locked and waits for 'tokenring unlock'; with an OS keyring it refreshes
at once. 'tokenring lock' makes it forget the key but it keeps running.

One agent runs per config directory: its socket is
$XDG_RUNTIME_DIR/tokenring/agent-<hash>.sock (else in a private directory in
/tmp), reachable only by you.

` + exitCodesHelp,
		Args: exactArgs(0),
		RunE: func(cmd *cobra.Command, args []string) error { return a.runAgent(cmd.Context(), detached) },
	}
	cmd.Flags().BoolVar(&detached, "detached", false, "started by unlock: end when locked")
	_ = cmd.Flags().MarkHidden("detached")
	return cmd
}

func (a *app) runAgent(ctx context.Context, detached bool) error {
	if !agent.Supported {
		return agentUnsupported()
	}
	dir, cfg, err := a.loadConfig()
	if err != nil {
		return err
	}
	backend, source := a.env.Backend(cfg)
	c := accounts.Config{Dir: dir, Backend: backend, BackendSource: source, Exchanger: a.exchanger,
		Now: a.now, Policy: policy(cfg), KDF: kdfParams(cfg)}
	var logf func(string, ...any)
	if !detached {
		l := log.New(a.stderr, "tokenring agent: ", log.LstdFlags)
		logf = func(f string, args ...any) { l.Printf(f, args...) }
	}
	srv, err := agent.Listen(agent.Config{
		Dir: dir, RuntimeDir: a.env.RuntimeDir,
		Open:          func() (*accounts.Store, error) { return accounts.Open(c) },
		Detached:      detached,
		NotifyCmd:     cfg.Agent.NotifyCmd,
		NotifyTimeout: cfg.NotifyTimeout(),
		Now:           a.now,
		Logf:          logf,
	})
	if errors.Is(err, agent.ErrRunning) {
		return withCode(ExitError, fmt.Errorf("%w (%s)", err, agent.PathsFor(a.env.RuntimeDir, dir).Socket))
	}
	if err != nil {
		return err
	}
	if logf != nil {
		logf("pid %d, config directory %s, socket %s", os.Getpid(), dir, srv.Paths().Socket)
	}
	return srv.Serve(ctx)
}

// ---- status -------------------------------------------------------------------

func newStatusCmd(a *app) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "status [--json]",
		Short: "Say which keyring is used and whether an agent holds it unlocked, until when",
		Long: `Show the keyring backend and why it was chosen, whether an unlock agent runs
for this config directory, whether it is unlocked and until when, what it
refreshes next, and what it noticed lately (an account that needs linking
again, refreshes that keep failing). --json prints the same as an object.

` + exitCodesHelp,
		Args: exactArgs(0),
		RunE: func(cmd *cobra.Command, args []string) error { return a.status(cmd.Context(), asJSON) },
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func (a *app) status(ctx context.Context, asJSON bool) error {
	st, _, err := a.openStoreLocal()
	if err != nil {
		return err
	}
	info := st.Backend()
	n := 0
	if l, err := st.Accounts(); err == nil {
		n = len(l)
	}
	st.Close()
	dir, _ := a.env.Dir()
	var ag *agent.Status
	var agErr error
	paths := agent.Paths{}
	if agent.Supported {
		c := a.agentClient(dir)
		paths = c.Paths
		ag, agErr = c.Status(ctx)
		if errors.Is(agErr, agent.ErrNoAgent) {
			agErr = nil
		}
	}
	if asJSON {
		out := struct {
			Dir      string        `json:"dir"`
			Backend  string        `json:"backend"`
			Reason   string        `json:"reason"`
			Locked   bool          `json:"locked"`
			Accounts int           `json:"accounts"`
			Socket   string        `json:"socket,omitempty"`
			Agent    *agent.Status `json:"agent,omitempty"`
		}{dir, info.Name, info.Reason, info.Locked && (ag == nil || !ag.Unlocked), n, paths.Socket, ag}
		enc := json.NewEncoder(a.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	}
	w := a.stdout
	fmt.Fprintf(w, "config:    %s (%d accounts)\n", dir, n)
	fmt.Fprintf(w, "keyring:   %s (%s)\n", info.Name, termtext.Clean(info.Reason))
	if info.Path != "" {
		fmt.Fprintf(w, "           %s\n", info.Path)
	}
	switch {
	case !agent.Supported:
		fmt.Fprintf(w, "agent:     none on %s\n", osName())
	case agErr != nil:
		fmt.Fprintf(w, "agent:     %s\n", termtext.Clean(agErr.Error()))
	case ag == nil:
		fmt.Fprintf(w, "agent:     not running ('tokenring unlock' starts one)\n")
	default:
		state := "locked ('tokenring unlock' unlocks it)"
		if ag.Unlocked {
			state = "unlocked " + untilPhrase(ag.Until, a.now())
		}
		how := "run by 'tokenring agent'"
		if ag.Detached {
			how = "started by 'tokenring unlock'"
		}
		fmt.Fprintf(w, "agent:     %s; pid %d, %s, since %s\n", state, ag.PID, how, ag.Started.Local().Format("Jan 2 15:04"))
		fmt.Fprintf(w, "socket:    %s\n", paths.Socket)
		if ag.Unlocked {
			next := ""
			if ag.NextName != "" {
				next = fmt.Sprintf("; next: %s %s", termtext.Clean(ag.NextName), relTime(ag.NextAt, a.now()))
			}
			fmt.Fprintf(w, "refreshes: %d accounts in the background%s\n", ag.Scheduled, next)
		}
		for i, e := range ag.Events {
			label := "events:   "
			if i > 0 {
				label = "          "
			}
			fmt.Fprintf(w, "%s %s %s %s: %s\n", label, e.Time.Local().Format("Jan 2 15:04"), termtext.Clean(e.Account),
				strings.ReplaceAll(e.Kind, "_", " "), termtext.Clean(e.Message))
		}
	}
	return nil
}

func relTime(t, now time.Time) string {
	if d := t.Sub(now); d > 0 {
		return "in " + termtext.Duration(d.Round(time.Second))
	}
	return "now"
}

// listAgentLine is the line `list` prints above its table while an agent
// runs.
func (a *app) listAgentLine(w io.Writer, st store) {
	b, ok := st.(agentBacked)
	if !ok {
		return
	}
	s := b.Agent(context.Background(), time.Hour)
	if s == nil {
		return
	}
	if s.Unlocked {
		fmt.Fprintf(w, "Agent (pid %d): unlocked %s.\n\n", s.PID, untilPhrase(s.Until, a.now()))
	} else {
		fmt.Fprintf(w, "Agent (pid %d): locked.\n\n", s.PID)
	}
}

// ---- passwd -------------------------------------------------------------------

func newPasswdCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "passwd",
		Short: "Change the file keyring's passphrase (every item re-encrypted)",
		Long: `Change the passphrase of the encrypted file keyring. The current passphrase
comes from TOKENRING_PASSPHRASE or the terminal, the new one from
TOKENRING_NEW_PASSPHRASE or the terminal (asked twice). Every item is
re-encrypted with a key derived from the new passphrase (Argon2id, new salt)
into a new directory that then replaces the keyring in one step: a crash or a
kill at any moment leaves either the old passphrase or the new one working,
never a mix. A running agent is handed the new passphrase and stays unlocked.

` + exitCodesHelp,
		Args: exactArgs(0),
		RunE: func(cmd *cobra.Command, args []string) error { return a.passwd(cmd.Context()) },
	}
}

// rekeyer is the store's ChangePassphrase (*accounts.Store).
type rekeyer interface {
	ChangePassphrase(ctx context.Context, oldPass, newPass string) error
}

func (a *app) passwd(ctx context.Context) error {
	st, _, err := a.openStoreLocal()
	if err != nil {
		return err
	}
	defer st.Close()
	info := st.Backend()
	rk, ok := st.(rekeyer)
	if info.Name != "file" || !ok {
		return withCode(ExitUsage, fmt.Errorf("only the encrypted file keyring has a passphrase of tokenring's; this one is %s (%s)", info.Name, termtext.Clean(info.Reason)))
	}
	if info.New {
		return withCode(ExitKeyring, errors.New("the file keyring holds nothing yet: its passphrase is chosen when the first account is linked (or with 'tokenring unlock')"))
	}
	oldPass, err := a.passphrase("Current passphrase")
	if err != nil {
		return err
	}
	newPass := a.env.NewPassphrase
	if newPass == "" {
		t, err := a.openTTY()
		if err != nil {
			return withHint(ExitUsage, errors.New("no new passphrase: there is no terminal to ask on"),
				"Set "+config.EnvNewPassphrase+", or run 'tokenring passwd' in a terminal.")
		}
		fmt.Fprint(t, "New passphrase: ")
		newPass, err = t.ReadSecret()
		if err == nil && newPass != "" {
			fmt.Fprint(t, "Repeat the new passphrase: ")
			var again string
			again, err = t.ReadSecret()
			if err == nil && again != newPass {
				err = fmt.Errorf("%w: the two passphrases differ", accounts.ErrBadPassphrase)
			}
		}
		t.Close()
		if err != nil {
			return err
		}
	}
	if newPass == "" {
		return accounts.ErrEmptyPass
	}
	fmt.Fprintln(a.stderr, "Re-encrypting the keyring ...")
	err = rk.ChangePassphrase(ctx, oldPass, newPass)
	var warn *accounts.RekeyWarning
	if errors.As(err, &warn) {
		fmt.Fprintf(a.stderr, "tokenring: warning: %s\n", termtext.Clean(warn.Error()))
	} else if err != nil {
		return err
	}
	fmt.Fprintln(a.stdout, "Passphrase changed: every item of the keyring is encrypted with the new one.")
	if agent.Supported {
		dir, _ := a.env.Dir()
		c := a.agentClient(dir)
		if s, err := c.Status(ctx); err == nil && s.Unlocked {
			d := time.Duration(0)
			if !s.Until.IsZero() {
				d = max(time.Until(s.Until), time.Second)
			}
			pw := []byte(newPass)
			defer clear(pw)
			if _, err := c.Unlock(ctx, pw, d); err != nil {
				fmt.Fprintf(a.stderr, "tokenring: warning: the running agent could not take the new passphrase (%s); run 'tokenring unlock'\n", termtext.Clean(err.Error()))
			} else {
				fmt.Fprintln(a.stdout, "The running agent has the new key.")
			}
		}
	}
	return nil
}

// spawnEnv is the environment of an agent started in the background: this
// process's, without any secret, with where the agent must live spelled
// out (the config directory, the runtime directory, the backend).
func (a *app) spawnEnv(dir string) []string {
	var env []string
	drop := map[string]bool{config.EnvHome: true, config.EnvRuntimeDir: true, config.EnvKeyring: true}
	for _, k := range config.SecretVars {
		drop[k] = true
	}
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if !drop[k] {
			env = append(env, kv)
		}
	}
	abs, err := filepath.Abs(dir)
	if err == nil {
		dir = abs
	}
	env = append(env, config.EnvHome+"="+dir)
	if a.env.RuntimeDir != "" {
		env = append(env, config.EnvRuntimeDir+"="+a.env.RuntimeDir)
	}
	if a.env.Keyring != "" {
		env = append(env, config.EnvKeyring+"="+a.env.Keyring)
	}
	return env
}

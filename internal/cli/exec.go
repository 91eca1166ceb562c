package cli

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/tokenring/tokenring/accounts"
	"github.com/tokenring/tokenring/flow"
	"github.com/tokenring/tokenring/internal/config"
	"github.com/tokenring/tokenring/internal/termtext"
)

// Exit codes of exec when its command cannot be run, as a shell's.
const (
	ExitCannotRun = 126 // exec: the command was found but cannot be run
	ExitNotFound  = 127 // exec: no such command
)

// childExit is exec's child's status, which becomes tokenring's: code is
// the exit status, or 128+N when signal N ended the child.
type childExit struct {
	code   int
	signal int
}

func (e *childExit) Error() string { return fmt.Sprintf("the command exited with status %d", e.code) }

type execOptions struct {
	name     string
	argv     []string
	envVar   string
	file     string
	sig      os.Signal // sent to the child after each rewrite of file; nil: none
	minValid time.Duration
}

// envName is an environment variable name exec may set: a letter or '_',
// then letters, digits and '_'. (It was a regexp compiled at every start of
// every command: issue 13 keeps package init off the hot paths.)
func envName(s string) bool {
	for i, c := range []byte(s) {
		switch {
		case c == '_', 'A' <= c && c <= 'Z', 'a' <= c && c <= 'z':
		case '0' <= c && c <= '9' && i > 0:
		default:
			return false
		}
	}
	return s != ""
}

func newExecCmd(a *app) *cobra.Command {
	var (
		o       execOptions
		sigName string
	)
	cmd := &cobra.Command{
		Use:   "exec NAME [--env VAR] [--token-file PATH [--signal SIG]] -- COMMAND [ARGS...]",
		Short: "Run a command with a fresh token in its environment",
		Long: `Run COMMAND with NAME's access token (refreshed first when needed) in the
variable ` + config.EnvAccessToken + ` of its environment, or in VAR with --env. The
token never appears in an argument list. The command gets no other
TOKENRING_* variable but TOKENRING_HOME and TOKENRING_KEYRING; standard input,
output, error and the terminal are its own; the signals tokenring gets are
passed on to it (INT and QUIT only when they did not come from the terminal,
which sends them to the command itself); tokenring exits with its status (and
by the same signal when a signal ended it: a shell reports 128+N).

A variable cannot change while the command runs. For long jobs:

  --token-file PATH  also keep the token in PATH (mode 0600, the token
                     without a newline), rewritten atomically (a new file
                     renamed over it) each time the token is refreshed, before
                     it expires, for as long as the command runs; removed when
                     it ends. PATH must not exist yet.
  --signal SIG       send SIG (HUP, USR1, ...) to the command after each rewrite
  --min-valid D      refresh first unless the token is valid for at least D

  tokenring exec work -- ./deploy.sh
  tokenring exec work --env GITHUB_TOKEN -- gh api user
  tokenring exec shop --token-file "$XDG_RUNTIME_DIR/shop.token" --signal HUP -- ./sync-daemon

If COMMAND cannot be found tokenring exits with 127, if it cannot be run with
126; otherwise the codes below are tokenring's own, before COMMAND started.

` + exitCodesHelp,
		Args: func(cmd *cobra.Command, args []string) error {
			hint := fmt.Sprintf("Usage: %s. Run '%s --help' for more.", cmd.UseLine(), cmd.CommandPath())
			switch dash := cmd.ArgsLenAtDash(); {
			case dash == 0 || len(args) == 0:
				return withHint(ExitUsage, errors.New("exec needs an account NAME"), hint)
			case dash < 0 && len(args) > 1:
				return withHint(ExitUsage, errors.New("exec needs -- between the account NAME and the command"), hint)
			case dash < 0 || len(args) < 2:
				return withHint(ExitUsage, errors.New("exec needs a command after --"), hint)
			case dash > 1:
				return withHint(ExitUsage, fmt.Errorf("exec takes one account NAME before --, got %d arguments", dash), hint)
			}
			return nil
		},
		ValidArgsFunction: func(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
			if len(args) == 0 {
				return a.completeAccounts(cmd, args, toComplete)
			}
			return nil, cobra.ShellCompDirectiveDefault
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			o.name, o.argv = args[0], args[1:]
			if !envName(o.envVar) {
				return usageErrorf("--env %q is not a variable name (letters, digits and _, not starting with a digit)", termtext.Snippet(o.envVar, 40))
			}
			if sigName != "" {
				if o.file == "" {
					return usageErrorf("--signal is sent after each rewrite of the --token-file; give --token-file too")
				}
				s, err := parseSignal(sigName)
				if err != nil {
					return withCode(ExitUsage, err)
				}
				o.sig = s
			}
			return a.exec(cmd.Context(), o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.envVar, "env", config.EnvAccessToken, "the variable that carries the token")
	f.StringVar(&o.file, "token-file", "", "also keep the current token in this file (0600), rewritten before each expiry")
	f.StringVar(&sigName, "signal", "", "send this signal to the command after each rewrite of the token file")
	f.Var(durationValue{&o.minValid}, "min-valid", "refresh first unless the token is valid at least this long")
	return cmd
}

func (a *app) exec(ctx context.Context, o execOptions) error {
	path, err := exec.LookPath(o.argv[0])
	if err != nil {
		if errors.Is(err, fs.ErrPermission) {
			return withCode(ExitCannotRun, fmt.Errorf("%s: permission denied", termtext.Clean(o.argv[0])))
		}
		return withCode(ExitNotFound, fmt.Errorf("%s: command not found", termtext.Clean(o.argv[0])))
	}
	_, cfg, err := a.loadConfig()
	if err != nil {
		return err
	}
	h, err := a.freshToken(ctx, o.name, need{minValid: o.minValid})
	if err != nil {
		return err
	}
	var tf *tokenFile
	if o.file != "" {
		if tf, err = createTokenFile(o.file, h.tok.AccessToken); err != nil {
			return err
		}
		defer tf.remove()
	}

	c := exec.Command(path, o.argv[1:]...)
	c.Args[0] = o.argv[0]
	c.Env = childEnv(a.environ(), o.envVar, h.tok.AccessToken)
	c.Stdin, c.Stdout, c.Stderr = a.stdin, a.stdout, a.stderr

	sigs := make(chan os.Signal, 16)
	signal.Notify(sigs, forwardedSignals...)
	defer signal.Stop(sigs)
	fg := openForeground()
	defer fg.close()
	if err := c.Start(); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return withCode(ExitNotFound, fmt.Errorf("%s: %v", termtext.Clean(o.argv[0]), err))
		}
		return withCode(ExitCannotRun, fmt.Errorf("%s: %v", termtext.Clean(o.argv[0]), err))
	}

	// From here on the child decides when this ends: a signal that would
	// cancel ctx is passed on to it instead.
	run, stop := context.WithCancel(context.WithoutCancel(ctx))
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case s := <-sigs:
				if fg.sentToGroup(s) {
					continue // the terminal sent it to the child as well
				}
				_ = c.Process.Signal(s)
			case <-run.Done():
				return
			}
		}
	}()
	if tf != nil {
		wg.Add(1)
		go func() {
			defer wg.Done()
			a.keepTokenFile(run, o, tf, h.tok, policy(cfg), c.Process)
		}()
	}
	waitErr := c.Wait()
	stop()
	wg.Wait()
	if c.ProcessState == nil {
		return waitErr
	}
	return exitOf(c.ProcessState)
}

func exitOf(ps *os.ProcessState) error {
	if ws, ok := ps.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return &childExit{code: 128 + int(ws.Signal()), signal: int(ws.Signal())}
	}
	if code := ps.ExitCode(); code != 0 {
		return &childExit{code: code}
	}
	return nil
}

// childEnv is environ without tokenring's variables (config.Inheritable)
// and without any earlier value of name, plus name=token.
func childEnv(environ []string, name, token string) []string {
	out := make([]string, 0, len(environ)+1)
	for _, kv := range environ {
		k, _, _ := strings.Cut(kv, "=")
		if k == name || !config.Inheritable(k) {
			continue
		}
		out = append(out, kv)
	}
	return append(out, name+"="+token)
}

// keepTokenFile rewrites tf with the account's token each time the refresh
// policy makes it due (the same point at which `token` refreshes, so one
// due point is one refresh whoever asks), until ctx ends. A failed refresh
// is tried again (1 s, 2 s, ... at most every 30 s) while the file keeps
// the old token; each distinct failure is reported once on stderr.
func (a *app) keepTokenFile(ctx context.Context, o execOptions, tf *tokenFile, tok flow.Token, pol accounts.Policy, child *os.Process) {
	var backoff time.Duration
	for tok.Expires() {
		next := tok.Expiry.Add(-pol.Window(tok.IssuedAt, tok.Expiry))
		if backoff > 0 {
			next = a.now().Add(backoff)
		}
		t := time.NewTimer(max(next.Sub(a.now()), 100*time.Millisecond))
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		// A refresh that has begun is not cut short when the command
		// ends: its answer may carry the only copy of a rotated refresh
		// token.
		h, err := a.freshToken(context.WithoutCancel(ctx), o.name, need{})
		if ctx.Err() != nil {
			return
		}
		if err == nil && h.tok.AccessToken != tok.AccessToken {
			err = tf.rewrite(h.tok.AccessToken)
			if err == nil {
				tok, backoff = h.tok, 0
				if o.sig != nil {
					_ = child.Signal(o.sig)
				}
				continue
			}
		}
		if err != nil {
			a.warnOnce(fmt.Sprintf("%s keeps the token of %s that %s: %s", tf.path, o.name, expiresWhen(tok.Expiry, a.now()), termtext.Clean(err.Error())))
		}
		backoff = min(max(2*backoff, time.Second), 30*time.Second)
	}
	<-ctx.Done()
}

// tokenFile is exec's --token-file.
type tokenFile struct {
	path string
	mu   sync.Mutex
	info os.FileInfo // of the file last written
}

func createTokenFile(path, tok string) (*tokenFile, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, usageErrorf("--token-file %s: %v", termtext.Clean(path), err)
	}
	f, err := os.OpenFile(abs, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return nil, withHint(ExitUsage, fmt.Errorf("--token-file %s already exists", termtext.Clean(path)),
			"exec creates the token file and removes it when the command ends, so it never overwrites a file. If a tokenring exec that was killed left it behind, remove it; else choose another path.")
	}
	if err != nil {
		return nil, fmt.Errorf("--token-file: %w", err)
	}
	tf := &tokenFile{path: abs}
	if err := tf.fill(f, tok); err != nil {
		os.Remove(abs)
		return nil, fmt.Errorf("--token-file: %w", err)
	}
	return tf, nil
}

// fill writes tok into f (fsynced), closes it and remembers it.
func (tf *tokenFile) fill(f *os.File, tok string) error {
	_, err := f.WriteString(tok)
	if err == nil {
		err = f.Sync()
	}
	var fi os.FileInfo
	if err == nil {
		fi, err = f.Stat()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		tf.info = fi
	}
	return err
}

// rewrite replaces the file atomically: readers see the old token or the
// new one, never a part.
func (tf *tokenFile) rewrite(tok string) error {
	tf.mu.Lock()
	defer tf.mu.Unlock()
	f, err := os.CreateTemp(filepath.Dir(tf.path), "."+filepath.Base(tf.path)+".*") // mode 0600
	if err != nil {
		return fmt.Errorf("rewriting the token file: %w", err)
	}
	old := tf.info
	if err := tf.fill(f, tok); err != nil {
		os.Remove(f.Name())
		tf.info = old
		return fmt.Errorf("rewriting the token file: %w", err)
	}
	if err := os.Rename(f.Name(), tf.path); err != nil {
		os.Remove(f.Name())
		tf.info = old
		return fmt.Errorf("rewriting the token file: %w", err)
	}
	return nil
}

// remove deletes the file, unless something else has taken its place
// (another inode, or the same inode number reused with other contents).
func (tf *tokenFile) remove() {
	tf.mu.Lock()
	defer tf.mu.Unlock()
	if fi, err := os.Lstat(tf.path); err == nil && tf.info != nil && os.SameFile(fi, tf.info) &&
		fi.Size() == tf.info.Size() && fi.ModTime().Equal(tf.info.ModTime()) {
		os.Remove(tf.path)
	}
}

// Package cli is tokenring's command line: the cobra commands, the wiring of
// the packages (config, accounts, flow/exchange, link, ui) and the exit
// codes, which are part of the contract (README.md lists them; the tests
// pin them).
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"syscall"

	"github.com/tokenring/tokenring/accounts"
	"github.com/tokenring/tokenring/flow"
	"github.com/tokenring/tokenring/internal/config"
	"github.com/tokenring/tokenring/internal/termtext"
)

// version is set at build time with
// -ldflags "-X github.com/tokenring/tokenring/internal/cli.version=v1.2.3";
// otherwise the module version from the build info is used.
var version = ""

// Exit codes. They are part of the command line's contract: README.md and
// every command's --help list them, and the tests pin them.
const (
	ExitOK          = 0
	ExitError       = 1  // anything not listed below
	ExitUsage       = 2  // bad command line, bad config.toml, incomplete or insecure provider settings, a needed secret with no way to ask for it
	ExitNoAccount   = 3  // no account with that name
	ExitNeedsLink   = 4  // the provider refused the code or refresh token (invalid_grant): link the account again
	ExitKeyring     = 5  // keyring locked, wrong or empty passphrase, keyring backend not available
	ExitUnreachable = 6  // provider unreachable, timed out, or its TLS certificate was refused
	ExitProvider    = 7  // the provider refused the request (other OAuth errors) or sent an unusable answer
	ExitNoRefresh   = 8  // `refresh`: the account has no refresh token (Warhorn user tokens do not expire)
	ExitNotAuthd    = 9  // `link`: the pasted text is not a code for this request, or the authorization was denied
	ExitExists      = 10 // `link`: an account with that name already exists
	ExitInterrupted = 130
)

const exitCodesHelp = `Exit codes:
   0  success
   1  other error
   2  usage: bad command line, bad config.toml, incomplete or insecure provider settings
   3  no account with that name
   4  needs linking: the provider refused the code or refresh token (invalid_grant)
   5  keyring: locked, wrong or empty passphrase, or the backend is not available
   6  provider unreachable or timed out (or its TLS certificate was refused)
   7  provider error: it refused the request or sent an answer tokenring cannot use
      (also: token --min-valid asked for longer than even a new token is valid)
   8  refresh: the account has no refresh token
   9  link: the pasted text is not a code for this authorization, or access was denied
  10  link: an account with that name already exists
 126  exec: the command cannot be run
 127  exec: the command was not found
 130  interrupted
exec otherwise exits with its command's status (128+N when signal N ended it).`

// ExitError carries an exit code chosen where the error was made.
type codedError struct {
	code int
	err  error
	hint string // printed on its own line after the message
}

func (e *codedError) Error() string { return e.err.Error() }
func (e *codedError) Unwrap() error { return e.err }

func withCode(code int, err error) error {
	if err == nil {
		return nil
	}
	return &codedError{code: code, err: err}
}

func usageErrorf(format string, a ...any) error {
	return withCode(ExitUsage, fmt.Errorf(format, a...))
}

// withHint adds a line of advice printed after err's message.
func withHint(code int, err error, hint string) error {
	if err == nil {
		return nil
	}
	return &codedError{code: code, err: err, hint: hint}
}

// exitCode maps an error to the documented exit code.
func exitCode(err error) int {
	if err == nil {
		return ExitOK
	}
	var ce *codedError
	if errors.As(err, &ce) {
		return ce.code
	}
	var oe *flow.OAuthError
	isOAuth := errors.As(err, &oe)
	switch {
	case errors.Is(err, context.Canceled):
		return ExitInterrupted
	case errors.Is(err, accounts.ErrNotFound):
		return ExitNoAccount
	case errors.Is(err, accounts.ErrExists):
		return ExitExists
	case errors.Is(err, accounts.ErrNeedsRelink), flow.IsInvalidGrant(err):
		return ExitNeedsLink
	case errors.Is(err, accounts.ErrLocked), errors.Is(err, accounts.ErrBadPassphrase),
		errors.Is(err, accounts.ErrEmptyPass), errors.Is(err, accounts.ErrKeyring):
		return ExitKeyring
	case errors.Is(err, flow.ErrNotACode), errors.Is(err, flow.ErrStateMismatch):
		return ExitNotAuthd
	case isOAuth && (oe.Op == "authorization" || oe.Code == "access_denied" || oe.Code == "expired_token"):
		return ExitNotAuthd
	case errors.Is(err, flow.ErrTimeout), errors.Is(err, flow.ErrUnreachable), errors.Is(err, flow.ErrTLS),
		errors.Is(err, context.DeadlineExceeded):
		return ExitUnreachable
	case isOAuth, errors.Is(err, flow.ErrBadResponse), errors.Is(err, flow.ErrServer), errors.Is(err, flow.ErrNonceMismatch):
		return ExitProvider
	case errors.Is(err, config.ErrFile), errors.Is(err, config.ErrUnsafe), errors.Is(err, flow.ErrConfig), errors.Is(err, flow.ErrInsecure),
		errors.Is(err, accounts.ErrBadName):
		return ExitUsage
	}
	return ExitError
}

// Main runs the command line of this process and returns its exit code.
func Main() int {
	ctx, stop := notifySignals()
	defer stop()
	a := newAppWithAgent(os.Stdin, os.Stdout, os.Stderr, os.Getenv) // reads the environment once
	config.ScrubSecrets()                                           // children inherit none of its secrets
	code := run(ctx, os.Args[1:], a)
	if a.childSignal != 0 {
		dieBy(a.childSignal) // exec's child died by a signal: so does tokenring, where it can
	}
	return code
}

// Run runs one command line in this process, as Main does, with the given
// streams and environment instead of the process's: the entry point of
// tests that drive the command line beside another front end (the TUI) in
// one process. There is no terminal to prompt on, so secrets and the file
// keyring's passphrase come from getenv or not at all (as in a pipe with
// no controlling terminal).
func Run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) int {
	a := newApp(stdin, stdout, stderr, getenv)
	a.openTTY = func() (terminal, error) { return nil, errors.New("no terminal to ask on") }
	return run(ctx, args, a)
}

// notifySignals cancels the context on the first SIGINT, SIGTERM or SIGHUP
// (every wait in tokenring watches it) and then gives the signals back
// their default action, so a second one always ends the process, even one
// stuck somewhere that does not watch the context.
func notifySignals() (context.Context, context.CancelFunc) {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	go func() {
		<-ctx.Done()
		stop()
	}()
	return ctx, stop
}

// run executes one command line and returns its exit code. Errors are
// printed on stderr, one "tokenring: ..." message (plus hints).
func run(ctx context.Context, args []string, a *app) int {
	root := newRootCmd(a)
	root.SetArgs(args)
	defer context.AfterFunc(ctx, func() { a.sayWaiting(true) })()
	err := root.ExecuteContext(ctx)
	a.closeHeld()
	if err == nil {
		return ExitOK
	}
	var ce *childExit
	if errors.As(err, &ce) {
		// exec: the child's status is ours; the child said what it had to.
		a.childSignal = ce.signal
		return ce.code
	}
	if ctx.Err() != nil && !errors.Is(err, context.Canceled) {
		err = fmt.Errorf("%w: %v", context.Canceled, err)
	}
	code := exitCode(err)
	printError(a.stderr, err, code)
	return code
}

func printError(w io.Writer, err error, code int) {
	if code == ExitInterrupted {
		fmt.Fprintln(w, "tokenring: interrupted")
		return
	}
	// Messages from flow/ and accounts/ are already free of secrets and
	// control characters; Clean again, line by line (a joined error has
	// one problem per line), for what came through other paths.
	lines := strings.Split(flow.RenderFields(err, flagOf), "\n")
	for i, l := range lines {
		l = termtext.Clean(l)
		switch {
		case l == "":
		case i == 0:
			fmt.Fprintf(w, "tokenring: %s\n", l)
		default:
			fmt.Fprintf(w, "  %s\n", l)
		}
	}
	var ce *codedError
	if errors.As(err, &ce) && ce.hint != "" {
		fmt.Fprintln(w, ce.hint)
	}
}

func versionString() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}

// flagOf names a provider setting by the link flag that gives it ("" for
// settings only config.toml has: the message then uses config.toml's name).
func flagOf(f flow.Field) string {
	switch f {
	case flow.FieldClientID:
		return "--client-id"
	case flow.FieldRedirectURI:
		return "--redirect-uri"
	case flow.FieldBaseURL:
		return "--base-url"
	case flow.FieldIssuer:
		return "--issuer"
	case flow.FieldAuthURL:
		return "--auth-url"
	case flow.FieldTokenURL:
		return "--token-url"
	case flow.FieldRevocationURL:
		return "--revocation-url"
	case flow.FieldDeviceAuthURL:
		return "--device-auth-url"
	case flow.FieldScopes:
		return "--scope"
	}
	return ""
}

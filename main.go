// Command tokenring is a terminal account manager for OAuth 2.0 tokens.
//
// main.go owns the command line, the wiring of the packages and the exit
// codes; everything else lives in flow/ (OAuth), accounts/ (the store) and
// ui/ (the Bubble Tea app).
package main

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
	"github.com/tokenring/tokenring/internal/termtext"
)

// version is set at build time with -ldflags "-X main.version=v1.2.3";
// otherwise the module version from the build info is used.
var version = ""

// Exit codes. They are part of the command line's contract: README.md and
// every command's --help list them, and the tests pin them.
const (
	exitOK          = 0
	exitError       = 1  // anything not listed below
	exitUsage       = 2  // bad command line, bad config.toml, incomplete or insecure provider settings, a needed secret with no way to ask for it
	exitNoAccount   = 3  // no account with that name
	exitNeedsLink   = 4  // the provider refused the code or refresh token (invalid_grant): link the account again
	exitKeyring     = 5  // keyring locked, wrong or empty passphrase, keyring backend not available
	exitUnreachable = 6  // provider unreachable, timed out, or its TLS certificate was refused
	exitProvider    = 7  // the provider refused the request (other OAuth errors) or sent an unusable answer
	exitNoRefresh   = 8  // `refresh`: the account has no refresh token (Warhorn user tokens do not expire)
	exitNotAuthd    = 9  // `link`: the pasted text is not a code for this request, or the authorization was denied
	exitExists      = 10 // `link`: an account with that name already exists
	exitInterrupted = 130
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
   8  refresh: the account has no refresh token
   9  link: the pasted text is not a code for this authorization, or access was denied
  10  link: an account with that name already exists
 130  interrupted`

// exitError carries an exit code chosen where the error was made.
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
	return withCode(exitUsage, fmt.Errorf(format, a...))
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
		return exitOK
	}
	var ce *codedError
	if errors.As(err, &ce) {
		return ce.code
	}
	var oe *flow.OAuthError
	isOAuth := errors.As(err, &oe)
	switch {
	case errors.Is(err, context.Canceled):
		return exitInterrupted
	case errors.Is(err, accounts.ErrNotFound):
		return exitNoAccount
	case errors.Is(err, accounts.ErrExists):
		return exitExists
	case errors.Is(err, accounts.ErrNeedsRelink), flow.IsInvalidGrant(err):
		return exitNeedsLink
	case errors.Is(err, accounts.ErrLocked), errors.Is(err, accounts.ErrBadPassphrase),
		errors.Is(err, accounts.ErrEmptyPass), errors.Is(err, accounts.ErrKeyring):
		return exitKeyring
	case errors.Is(err, flow.ErrNotACode), errors.Is(err, flow.ErrStateMismatch):
		return exitNotAuthd
	case isOAuth && (oe.Op == "authorization" || oe.Code == "access_denied" || oe.Code == "expired_token"):
		return exitNotAuthd
	case errors.Is(err, flow.ErrTimeout), errors.Is(err, flow.ErrUnreachable), errors.Is(err, flow.ErrTLS),
		errors.Is(err, context.DeadlineExceeded):
		return exitUnreachable
	case isOAuth, errors.Is(err, flow.ErrBadResponse), errors.Is(err, flow.ErrServer), errors.Is(err, flow.ErrNonceMismatch):
		return exitProvider
	case errors.Is(err, accounts.ErrConfigFile), errors.Is(err, flow.ErrConfig), errors.Is(err, flow.ErrInsecure),
		errors.Is(err, accounts.ErrBadName):
		return exitUsage
	}
	return exitError
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	code := run(ctx, os.Args[1:], newApp(os.Stdin, os.Stdout, os.Stderr, os.Getenv))
	stop()
	os.Exit(code)
}

// run executes one command line and returns its exit code. Errors are
// printed on stderr, one "tokenring: ..." message (plus hints).
func run(ctx context.Context, args []string, a *app) int {
	root := newRootCmd(a)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return exitOK
	}
	if ctx.Err() != nil && !errors.Is(err, context.Canceled) {
		err = fmt.Errorf("%w: %v", context.Canceled, err)
	}
	code := exitCode(err)
	printError(a.stderr, err, code)
	return code
}

func printError(w io.Writer, err error, code int) {
	if code == exitInterrupted {
		fmt.Fprintln(w, "tokenring: interrupted")
		return
	}
	// Messages from flow/ and accounts/ are already free of secrets and
	// control characters; Clean again, line by line (a joined error has
	// one problem per line), for what came through other paths.
	lines := strings.Split(err.Error(), "\n")
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

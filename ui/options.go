// Package ui is tokenring's terminal user interface (Bubble Tea v2): the
// account list with live countdowns, the link wizard, the detail view, the
// unlock prompt and help.
//
// Structure. The root Model (this package) routes: keys and pastes go to
// the layer on top (a dialog, else the screen), every other message it does
// not handle itself to the screen and the dialog. Each screen is a child
// model in its own package — ui/list, ui/detail, ui/wizard, ui/dialog
// (unlock, confirm, help) — that owns its state and answers with a typed
// common.Action, which the root performs in one switch (actions.go). The
// screens share one small *common.Common (theme, environment, keys, clock,
// window size, the I/O helper) and read the accounts through the read-only
// common.Accounts; none can reach the root or another screen (Go refuses
// the import cycle, layering_test.go the sideways import). ui/refresh is
// the background refresh scheduler, pure state that the root drives; its
// Status is the one place where this session's refreshes in flight and
// failures are put on top of the policy's status. Adding a screen: a
// package with a common.Screen, and one case in actions.go that opens it.
//
// Keys (README.md's "### Keys" lists the same; common.NewKeyMap says why
// they are these). List: ↑/↓ (k/j), pgup/pgdn, g/G first/last, enter (l,
// →) details, c (y) copy the access token, i copy the ID token, C copy the
// HTTP header the provider expects, r refresh now (a token that does not
// expire: nothing to refresh), n (a) link an account, L link the selected
// account again, d/x remove (asks: only y removes), / filter (enter keeps
// it, esc clears), u unlock the file keyring, ? all keys, q quit. Details:
// esc (h, ←) back, v reveal/hide tokens, c/i/C copy, r refresh, L link
// again, d remove. Wizard: 1-9 or ↑/↓ + enter pick a provider; tab /
// shift+tab between fields, enter continues; on the authorization step
// paste (or type) and press enter, ctrl+y copies the URL, ctrl+o opens the
// browser (a local desktop only), ctrl+r starts over with a new request;
// after a failure enter starts over, e edits the details; esc goes back;
// the Done step goes back to the list with enter.
//
// The UI never does I/O in Update: every keyring, network, clipboard and
// browser call runs in a tea.Cmd with a deadline (common.Common.IO) and
// reports back with a message naming the account (or the wizard attempt)
// it belongs to. It never imports net/http: the network is reached through
// the Backend (an *accounts.Store) and a flow.Exchanger.
package ui

import (
	"context"
	"errors"
	"os"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/tokenring/tokenring/accounts"
	"github.com/tokenring/tokenring/flow"
	"github.com/tokenring/tokenring/internal/link"
)

// Backend is what the UI needs from the account store. *accounts.Store
// satisfies it; tests use an in-memory fake.
type Backend interface {
	Backend() accounts.BackendInfo
	Accounts() ([]accounts.Account, error)
	// Account reads one entry of the index (the wizard's name check).
	Account(name string) (accounts.Account, error)
	// Writable makes sure a new secret can be stored now (the file
	// keyring's passphrase known; accounts.ErrLocked when it is not): the
	// wizard asks before an authorization URL is shown.
	Writable(ctx context.Context) error
	Add(ctx context.Context, a accounts.Account, sec accounts.Secret) error
	Secret(ctx context.Context, name string) (accounts.Secret, error)
	Token(ctx context.Context, name string) (flow.Token, error)
	Refresh(ctx context.Context, name string) (accounts.Account, error)
	RefreshIfDue(ctx context.Context, name string) (accounts.Account, error)
	Remove(ctx context.Context, name string, revoke bool) error
	Unlock(ctx context.Context, passphrase string) error
	// Policy is the refresh policy in force; the UI derives statuses and
	// refresh times from it (accounts.Policy is pure).
	Policy() accounts.Policy
}

var _ Backend = (*accounts.Store)(nil)

// AccountsSince is implemented by a Backend that can tell cheaply that the
// accounts did not change since a listing (accounts.Store.AccountsSince):
// the periodic reload then costs a stat instead of a listing, a sort and
// a new schedule of every account.
type AccountsSince interface {
	AccountsSince(since accounts.Stamp) (accts []accounts.Account, stamp accounts.Stamp, changed bool, err error)
}

var _ AccountsSince = (*accounts.Store)(nil)

// AgentState is implemented by a Backend that goes through tokenring's
// unlock agent (`tokenring unlock`): the header then says "unlocked until
// 18:40" instead of offering an unlock, and the info line shows what the
// agent last noticed (an account that needs linking again, refreshes that
// keep failing). ok is false when no agent answers.
type AgentState interface {
	AgentState(ctx context.Context) (info AgentInfo, ok bool)
}

// AgentInfo is the unlock agent's state.
type AgentInfo struct {
	Unlocked bool
	Until    time.Time // zero: until locked
	Events   []AgentEvent
}

// AgentEvent is something the agent noticed (and ran notify_cmd for).
type AgentEvent struct {
	Time    time.Time
	Account string
	Kind    string // "needs_relink", "refresh_failing", "refresh_recovered"
	Message string
}

// The wizard links through internal/link with the Backend as its store.
var _ link.Store = Backend(nil)

// Options configure the UI. Store is required; Exchanger is needed by the
// link wizard (without it the wizard explains that linking is unavailable).
type Options struct {
	Store     Backend
	Exchanger flow.Exchanger
	// Providers are extra providers from config.toml, offered by the wizard
	// after the built-in presets.
	Providers []flow.Provider
	Now       func() time.Time // nil: time.Now
	// ClipboardClear is how long a copied secret stays on the clipboard;
	// 0 means 30 s, negative means never clear.
	ClipboardClear time.Duration
	// Timeout bounds one keyring or network operation (default 20 s).
	Timeout time.Duration
	// Concurrency bounds background refreshes (default 4).
	Concurrency int
	// Demo marks `tokenring demo` (the header says so; the empty state does
	// not suggest running the demo).
	Demo bool
	// OfferDemo lets the empty state start the demo with D: Run then returns
	// ErrDemoRequested and the caller starts it (the UI cannot: the demo
	// runs an HTTP server).
	OfferDemo bool
	// Getenv reads the environment (TMUX, STY, SSH_*, DISPLAY, NO_COLOR, ...);
	// nil: os.Getenv. Tests pass a fixed map.
	Getenv func(string) string
	// OpenURL opens a URL in the local browser; nil: xdg-open / open /
	// rundll32, used only when the session is local.
	OpenURL func(ctx context.Context, url string) error
	// NativeClipboard writes (and reads, for clearing) the OS clipboard;
	// nil: github.com/atotto/clipboard when a display is present.
	NativeClipboard Clipboard
	// Light makes the first frames assume a light background until the
	// terminal answers the background-colour query (default: dark).
	Light bool
	// Secrets are the secrets the user gave in the environment
	// (TOKENRING_CLIENT_SECRET, TOKENRING_API_KEY). The CLI reads them once
	// into internal/config.Env and takes them out of the process
	// environment, so they reach the UI only here (never through Getenv):
	// the wizard uses them when their field is left empty.
	Secrets flow.Secrets
}

// Clipboard is a native clipboard.
type Clipboard interface {
	WriteAll(text string) error
	ReadAll() (string, error)
}

func (o Options) withDefaults() Options {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.ClipboardClear == 0 {
		o.ClipboardClear = 30 * time.Second
	}
	if o.Timeout <= 0 {
		o.Timeout = 20 * time.Second
	}
	if o.Concurrency <= 0 {
		o.Concurrency = 4
	}
	if o.Getenv == nil {
		o.Getenv = os.Getenv
	}
	return o
}

// New returns the root model (for tests and for Run).
func New(opts Options) *Model {
	return newModel(opts.withDefaults())
}

// ErrDemoRequested is what Run returns when the user asked, from the empty
// state, to try the demo (Options.OfferDemo).
var ErrDemoRequested = errors.New("the user asked for the demo")

// FPS is the most frames per second the renderer draws (Bubble Tea's
// default is 60). Its frame ticker wakes the process FPS times a second even
// while nothing changes, and on the 2-core machine of issue 5 each wake-up
// costs ~0.015% of a core: at 60 the idle TUI used ~1.0% (the limit is 1%),
// at 40 ~0.75%. The first frame waits for the first tick: +8 ms at 40
// (~35 ms in all; the limit is 50), and a key's echo waits at most 25 ms.
const FPS = 40

// Run starts the TUI and blocks until the user quits or ctx ends.
func Run(ctx context.Context, opts Options, progOpts ...tea.ProgramOption) error {
	m := New(opts)
	p := tea.NewProgram(m, append([]tea.ProgramOption{tea.WithContext(ctx), tea.WithFPS(FPS)}, progOpts...)...)
	_, err := p.Run()
	m.shutdown()
	if errors.Is(err, tea.ErrProgramKilled) && ctx.Err() != nil {
		return nil
	}
	if err == nil && m.demoRequested {
		return ErrDemoRequested
	}
	return err
}

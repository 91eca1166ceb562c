// Package common is what every screen of the TUI shares: one small struct
// (Common: theme, environment, keys, clock, window size and the I/O helper),
// the Actions a screen returns to the root, the Screen interface, and the
// formatting helpers. It imports no screen and no screen imports the root:
// a screen sees the rest of the program only through what is here.
package common

import (
	"context"
	"sync/atomic"
	"time"

	"charm.land/bubbles/v2/help"
	tea "charm.land/bubbletea/v2"

	"github.com/tokenring/tokenring/accounts"
	"github.com/tokenring/tokenring/theme"
)

// Common is shared by the root and every screen, by pointer: the root
// changes the theme, the size and Now, and the screens read them when they
// render. Screens never write to it.
type Common struct {
	Theme *theme.Theme
	Env   Env
	Keys  KeyMap
	// Clock is the real clock (Options.Now): for timestamps that are stored.
	Clock func() time.Time
	// Now is the clock as of the last tick (or load): what the screens
	// render, so that every countdown on screen moves together, once a second.
	Now time.Time
	// Width and Height are the terminal's size (at least 20×6).
	Width, Height int
	// Help renders key help in the theme's colours, as wide as the window.
	Help help.Model
	// Keyring is the keyring in use, as the last load said (New: it has no
	// passphrase yet, so the user is about to choose one, not to unlock).
	Keyring accounts.BackendInfo

	ctx     context.Context // ended by the root's shutdown
	timeout time.Duration
	basic   bool         // a 16-colour terminal
	busy    atomic.Int32 // IO commands running
}

// New returns the Common of a program: ctx ends every running operation
// when the program shuts down; timeout bounds each one.
func New(ctx context.Context, timeout time.Duration, clock func() time.Time, env Env, dark bool) *Common {
	c := &Common{Env: env, Keys: NewKeyMap(), Clock: clock, Now: clock(), Width: 80, Height: 24,
		Help: help.New(), ctx: ctx, timeout: timeout}
	c.SetTheme(dark)
	return c
}

// SetBasicColours says whether the terminal has only 16 colours (Bubble
// Tea's ColorProfileMsg) and picks the palette again.
func (c *Common) SetBasicColours(basic bool) {
	c.basic = basic
	c.SetTheme(c.Theme.Dark)
}

// SetTheme picks the palette for a dark or light background (NO_COLOR wins).
func (c *Common) SetTheme(dark bool) {
	th := theme.Build(theme.Options{Dark: dark, NoColor: c.Env.NoColor(), Basic: c.basic})
	c.Theme = th
	c.Help.Styles = help.Styles{
		ShortKey: th.HelpKey, ShortDesc: th.HelpDesc, ShortSeparator: th.HelpSep,
		FullKey: th.HelpKey, FullDesc: th.HelpDesc, FullSeparator: th.HelpSep,
		Ellipsis: th.HelpSep,
	}
}

// SetSize records the terminal's size (at least 20×6).
func (c *Common) SetSize(w, h int) {
	c.Width, c.Height = max(w, 20), max(h, 6)
	c.Help.SetWidth(c.Width - 2)
}

// Context ends when the program shuts down; for work that has a deadline
// of its own (a device-flow poll) or none (the loopback listener's wait).
func (c *Common) Context() context.Context { return c.ctx }

// IO runs fn in a tea.Cmd with the operation deadline (Options.Timeout),
// cancelled when the program shuts down. Every keyring, network, browser
// and clipboard call of the UI goes through it (or through Context with a
// deadline of its own): Update never blocks.
func (c *Common) IO(fn func(ctx context.Context) tea.Msg) tea.Cmd {
	parent, d := c.ctx, c.timeout
	return func() tea.Msg {
		c.busy.Add(1)
		defer c.busy.Add(-1)
		ctx, cancel := context.WithTimeout(parent, d)
		defer cancel()
		return fn(ctx)
	}
}

// Busy says whether an IO command is running. A test that runs commands
// by hand (commontest.Run) waits for these and drops the others, which
// are timers and waits that end only with the program.
func (c *Common) Busy() bool { return c.busy.Load() > 0 }

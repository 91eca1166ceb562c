// Package commontest helps test a screen on its own: a Common with a fixed
// clock and a common.Accounts that the test fills in.
package commontest

import (
	"context"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/tokenring/tokenring/accounts"
	"github.com/tokenring/tokenring/ui/common"
)

// T0 is the tests' clock.
var T0 = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)

// New is a Common at 80×24 and T0, with env as the environment.
func New(env map[string]string) *common.Common {
	c := common.New(context.Background(), 5*time.Second, func() time.Time { return T0 },
		common.NewEnv(func(k string) string { return env[k] }), true)
	c.SetSize(80, 24)
	return c
}

// Accounts is a common.Accounts the test fills in; statuses come from the
// real policy with a two-minute window, in flight and errors on top.
type Accounts struct {
	C        *common.Common
	List     []accounts.Account
	InFlight map[string]bool
	Errs     map[string]string
	Policy   accounts.Policy
}

// NewAccounts holds accts.
func NewAccounts(c *common.Common, accts ...accounts.Account) *Accounts {
	return &Accounts{C: c, List: accts, InFlight: map[string]bool{}, Errs: map[string]string{},
		Policy: accounts.Policy{Min: 2 * time.Minute, Max: 2 * time.Minute}}
}

func (f *Accounts) Account(name string) (accounts.Account, bool) {
	for _, a := range f.List {
		if a.Name == name {
			return a, true
		}
	}
	return accounts.Account{}, false
}

func (f *Accounts) Status(a accounts.Account) accounts.Status {
	if f.InFlight[a.Name] {
		return accounts.StatusRefreshing
	}
	st := f.Policy.Status(a, f.C.Now)
	if st != accounts.StatusNeedsRelink && st != accounts.StatusDamaged && f.Errs[a.Name] != "" {
		return accounts.StatusError
	}
	return st
}

func (f *Accounts) RowErr(name string) string               { return f.Errs[name] }
func (f *Accounts) Refreshing(name string) bool             { return f.InFlight[name] }
func (f *Accounts) RefreshDue(a accounts.Account) time.Time { return f.Policy.RefreshDue(a) }
func (f *Accounts) NextChange(a accounts.Account) time.Time { return f.Policy.NextChange(a, f.C.Now) }

// Key is a key press as the terminal sends it ("enter", "esc", "tab",
// arrows, "pgdown", "backspace", "ctrl+c/y/r", or one character).
func Key(s string) tea.KeyPressMsg {
	switch s {
	case "enter":
		return tea.KeyPressMsg{Code: tea.KeyEnter}
	case "esc":
		return tea.KeyPressMsg{Code: tea.KeyEscape}
	case "tab":
		return tea.KeyPressMsg{Code: tea.KeyTab}
	case "up":
		return tea.KeyPressMsg{Code: tea.KeyUp}
	case "down":
		return tea.KeyPressMsg{Code: tea.KeyDown}
	case "left":
		return tea.KeyPressMsg{Code: tea.KeyLeft}
	case "right":
		return tea.KeyPressMsg{Code: tea.KeyRight}
	case "pgdown":
		return tea.KeyPressMsg{Code: tea.KeyPgDown}
	case "backspace":
		return tea.KeyPressMsg{Code: tea.KeyBackspace}
	case "ctrl+c":
		return tea.KeyPressMsg{Code: 'c', Mod: tea.ModCtrl}
	case "ctrl+y":
		return tea.KeyPressMsg{Code: 'y', Mod: tea.ModCtrl}
	case "ctrl+r":
		return tea.KeyPressMsg{Code: 'r', Mod: tea.ModCtrl}
	}
	r := []rune(s)
	return tea.KeyPressMsg{Code: r[0], Text: s}
}

// Run runs cmd and the Cmds in the batch it returns, and gives back their
// messages. A Cmd that has not answered after 100 ms is dropped (a tick, a
// wait for the browser) unless c says an IO command is running: keyring
// and network work is waited for, 10 s at most, however slow the machine
// (a key derivation under -race on a loaded CI box takes ~0.5 s).
func Run(c *common.Common, cmd tea.Cmd) []tea.Msg {
	if cmd == nil {
		return nil
	}
	ch := make(chan tea.Msg, 1)
	go func() { ch <- cmd() }()
	grace := time.NewTimer(100 * time.Millisecond)
	defer grace.Stop()
	limit := time.Now().Add(10 * time.Second)
	for {
		select {
		case msg := <-ch:
			switch msg := msg.(type) {
			case nil:
				return nil
			case tea.BatchMsg:
				var out []tea.Msg
				for _, sub := range msg {
					out = append(out, Run(c, sub)...)
				}
				return out
			}
			return []tea.Msg{msg}
		case <-grace.C:
			if c == nil || !c.Busy() || time.Now().After(limit) {
				return nil
			}
			grace.Reset(10 * time.Millisecond)
		}
	}
}

package common

import (
	"time"

	"charm.land/lipgloss/v2"

	"github.com/tokenring/tokenring/accounts"
)

// Accounts is what a screen may read of the accounts the root keeps (as
// last read from the store, with this session's refreshes on top). The
// root's board implements it; screens cannot change it.
type Accounts interface {
	// Account is the account of that name, if there is one.
	Account(name string) (accounts.Account, bool)
	// Status is the status to show at Common.Now: the policy's, with this
	// session's refresh in flight or failure on top.
	Status(a accounts.Account) accounts.Status
	// RowErr is this session's last refresh failure of name, cleaned.
	RowErr(name string) string
	// Refreshing says whether this session is refreshing name.
	Refreshing(name string) bool
	// RefreshDue is when the policy refreshes a (zero: never by itself).
	RefreshDue(a accounts.Account) time.Time
	// NextChange is when a's status may next change with only the clock
	// moving (zero: never; accounts.Policy.NextChange).
	NextChange(a accounts.Account) time.Time
}

// Badge is a status as shown in the list and the detail view.
func (c *Common) Badge(s accounts.Status) (string, lipgloss.Style) {
	th := c.Theme
	switch s {
	case accounts.StatusValid:
		return "● valid", th.OK
	case accounts.StatusExpiringSoon:
		return "◔ expiring soon", th.Warn
	case accounts.StatusExpired:
		return "○ expired", th.Danger
	case accounts.StatusNoExpiry:
		return "∞ no expiry", th.Neutral
	case accounts.StatusRefreshing:
		return "◌ refreshing", th.Info
	case accounts.StatusNeedsRelink:
		return "✗ needs re-link", th.Danger
	case accounts.StatusDamaged:
		return "! damaged", th.Danger
	}
	return "! error", th.Danger
}

// ExpiryText is the live countdown of an account: amber inside the refresh
// window or under five minutes, red under one — and red all along when the
// account must be linked again (nothing will refresh it). An expired token
// says when with its day ("expired 2h ago", "expired Nov 16").
func (c *Common) ExpiryText(a accounts.Account, st accounts.Status) (string, lipgloss.Style) {
	th := c.Theme
	if a.AccessExpiry.IsZero() {
		return "does not expire", th.Muted
	}
	left := UntilWhole(a.AccessExpiry, c.Now)
	if left <= 0 {
		return "expired " + Ago(a.AccessExpiry, c.Now), th.Danger
	}
	s := "expires in " + Countdown(left)
	switch {
	case left < 60e9 || st == accounts.StatusNeedsRelink || a.NeedsRelink:
		return s, th.Danger
	case st == accounts.StatusExpiringSoon || left < 5*60e9:
		return s, th.Warn
	}
	// The terminal's own foreground, not th.Text: this cell changes every
	// second on every visible row, and with an explicit colour the renderer
	// sends a 19-byte SGR and a reset around each changed digit (20
	// countdowns: ~560 B/s while idle; without: ~150 B/s; issue 5 asks
	// under 400).
	return s, lipgloss.Style{}
}

package ui

import (
	"context"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/tokenring/tokenring/accounts"
	"github.com/tokenring/tokenring/internal/termtext"
	"github.com/tokenring/tokenring/ui/common"
	"github.com/tokenring/tokenring/ui/dialog"
	"github.com/tokenring/tokenring/ui/refresh"
)

// board is the accounts as last read from the store, with what this
// session's refreshes changed since. Screens read it as common.Accounts;
// only the root changes it.
type board struct {
	c      *common.Common
	pol    accounts.Policy
	sched  *refresh.Scheduler
	accts  []accounts.Account
	byName map[string]int // index into accts
}

var _ common.Accounts = (*board)(nil)

func newBoard(c *common.Common, pol accounts.Policy, sched *refresh.Scheduler) *board {
	return &board{c: c, pol: pol, sched: sched, byName: map[string]int{}}
}

// set takes the accounts a load read (keepNewer says which it keeps).
func (b *board) set(loaded []accounts.Account) {
	b.accts = keepNewer(loaded, b.accts, b.byName)
	b.byName = make(map[string]int, len(b.accts))
	for i, a := range b.accts {
		b.byName[a.Name] = i
	}
	b.sched.Track(b.accts)
}

// update takes the state a refresh returned.
func (b *board) update(a accounts.Account) {
	if i, ok := b.byName[a.Name]; ok {
		b.accts[i] = a
		b.sched.Changed(a)
	}
}

// keepNewer returns the loaded accounts, except that an account this UI
// refreshed after the load had read the accounts keeps the state the refresh
// returned: the accounts read by a load that started before a refresh ended
// still have the old expiry, and the account would look due and be
// refreshed again (the refresh storm benchmark saw ~4% of 1,000 accounts
// refreshed twice). Same account = same LinkedAt (not linked again since).
func keepNewer(loaded, cur []accounts.Account, byName map[string]int) []accounts.Account {
	for i, a := range loaded {
		j, ok := byName[a.Name]
		if !ok || j >= len(cur) {
			continue
		}
		if c := cur[j]; c.Name == a.Name && c.LinkedAt.Equal(a.LinkedAt) && c.LastRefresh.After(a.LastRefresh) {
			loaded[i] = c
		}
	}
	return loaded
}

func (b *board) exists(name string) bool {
	_, ok := b.byName[name]
	return ok
}

// Account is the account of that name, if there is one.
func (b *board) Account(name string) (accounts.Account, bool) {
	i, ok := b.byName[name]
	if !ok {
		return accounts.Account{}, false
	}
	return b.accts[i], true
}

// Status is the scheduler's (the policy's with this session on top) at Now.
func (b *board) Status(a accounts.Account) accounts.Status { return b.sched.Status(a, b.c.Now) }

// RowErr is this session's last refresh failure of name.
func (b *board) RowErr(name string) string { return b.sched.Err(name) }

// Refreshing says whether this session is refreshing name.
func (b *board) Refreshing(name string) bool { return b.sched.InFlight(name) }

// RefreshDue is when the policy refreshes a.
func (b *board) RefreshDue(a accounts.Account) time.Time { return b.pol.RefreshDue(a) }

// NextChange is when a's status may next change by the clock alone.
func (b *board) NextChange(a accounts.Account) time.Time { return b.pol.NextChange(a, b.c.Now) }

// ---- loading ------------------------------------------------------------------

func (m *Model) load(selName string) tea.Cmd {
	st, since := m.o.Store, m.stamp
	return m.c.IO(func(ctx context.Context) tea.Msg {
		msg := loadedMsg{backend: st.Backend(), selName: selName}
		if s, ok := st.(AccountsSince); ok {
			var changed bool
			msg.accts, msg.stamp, changed, msg.err = s.AccountsSince(since)
			msg.same = !changed && msg.err == nil
		} else {
			msg.accts, msg.err = st.Accounts()
		}
		if as, ok := st.(AgentState); ok {
			msg.agent, msg.agentOK = as.AgentState(ctx)
		}
		return msg
	})
}

func (m *Model) onLoaded(msg loadedMsg) tea.Cmd {
	m.c.Now = m.o.Now()
	m.backend = msg.backend
	m.agent, m.agentOK = msg.agent, msg.agentOK
	m.c.Keyring = msg.backend
	if u, ok := m.dialog.(*dialog.Unlock); ok {
		u.SetBackend(msg.backend)
	}
	if msg.err != nil {
		m.list.SetLoadError(termtext.Clean(msg.err.Error()))
		return nil
	}
	m.lastLoad = m.c.Now
	if msg.same {
		// nothing changed: the board, its order and its schedule stand
		if msg.selName != "" {
			m.list.SetAccounts(m.board.accts, msg.selName)
		}
		return m.scheduleRefreshes()
	}
	m.stamp = msg.stamp
	m.board.set(msg.accts)
	m.list.SetAccounts(m.board.accts, msg.selName)
	return m.scheduleRefreshes()
}

package cli

import (
	"fmt"
	"strings"
	"sync"

	"github.com/tokenring/tokenring/internal/termtext"
)

// A refresh whose request is on its way may already have spent the old
// refresh token (a provider that rotates, like Dressipi): the store does
// not give it up when the command is interrupted or the TUI quits
// (accounts.Store.Spending), so the process waits for the answer before it
// ends. These say why, once, instead of leaving the user at a Ctrl-C that
// seems to do nothing.

type spender interface{ Spending() []string }

type spendWatch struct {
	mu     sync.Mutex
	stores []spender
	said   bool
}

// watchSpends records a store just opened (before the agent wraps it)
// for sayWaiting.
func (a *app) watchSpends(st store) {
	if sp, ok := st.(spender); ok {
		a.spends.mu.Lock()
		a.spends.stores = append(a.spends.stores, sp)
		a.spends.mu.Unlock()
	}
}

// sayWaiting tells the user, once, which refreshes the process waits for;
// interrupted: after a Ctrl-C (the next one ends the process), else after
// the TUI quit (the first one only cancels what has not been sent).
func (a *app) sayWaiting(interrupted bool) {
	a.spends.mu.Lock()
	defer a.spends.mu.Unlock()
	if a.spends.said {
		return
	}
	var names []string
	for _, s := range a.spends.stores {
		names = append(names, s.Spending()...)
	}
	if len(names) == 0 {
		return
	}
	a.spends.said = true
	stop := "Ctrl-C twice"
	if interrupted {
		stop = "Ctrl-C again"
	}
	fmt.Fprintf(a.stderr, "tokenring: the refresh of %s is on its way and may already have spent the old refresh token: waiting for its answer to store it (%s to stop anyway)\n",
		termtext.Clean(strings.Join(names, ", ")), stop)
}

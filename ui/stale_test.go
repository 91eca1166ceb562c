package ui

import (
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/tokenring/tokenring/accounts"
	"github.com/tokenring/tokenring/flow"
)

// TestStaleLoadDoesNotRefreshAgain: a load that read the index before a
// background refresh ended arrives after it; the account keeps the state
// the refresh returned and is not refreshed a second time.
func TestStaleLoadDoesNotRefreshAgain(t *testing.T) {
	c := newClock()
	s := newFakeStore(c)
	s.put(accounts.Account{Name: "a", Provider: oidcP(), LinkedAt: t0.Add(-time.Hour), AccessIssued: t0.Add(-time.Hour),
		AccessExpiry: t0.Add(10 * time.Second)}, flow.Token{AccessToken: "t", RefreshToken: "r"})
	m := New(baseOptions(s, c, nil))
	m.Update(tea.WindowSizeMsg{Width: 80, Height: 24})
	m.Update(loadedFromStore(t, s))
	stale := loadedFromStore(t, s) // read before the refresh ends
	if !m.sched.InFlight("a") {
		t.Fatal("the due account is not being refreshed")
	}
	fresh, err := s.Refresh(t.Context(), "a")
	if err != nil {
		t.Fatal(err)
	}
	m.Update(refreshDoneMsg{name: "a", acct: fresh})
	m.Update(stale)
	if m.sched.InFlight("a") || m.sched.Queued() > 0 {
		t.Fatalf("refreshed again after a stale load (running %d, queued %d)", m.sched.Running(), m.sched.Queued())
	}
	if a, _ := m.board.Account("a"); !a.AccessExpiry.Equal(fresh.AccessExpiry) {
		t.Fatalf("the list shows expiry %v, the refresh gave %v", a.AccessExpiry, fresh.AccessExpiry)
	}
	// a newer index wins as usual
	c.Advance(time.Minute)
	if _, err := s.Refresh(t.Context(), "a"); err != nil {
		t.Fatal(err)
	}
	m.Update(loadedFromStore(t, s))
	if a, _ := m.board.Account("a"); !a.LastRefresh.Equal(c.Now()) {
		t.Fatalf("a newer index was not taken: last refresh %v", a.LastRefresh)
	}
}

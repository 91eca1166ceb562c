package ui

import (
	"fmt"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/tokenring/tokenring/accounts"
	"github.com/tokenring/tokenring/flow"
)

// bigModel is a model with n accounts loaded, at 80×24.
func bigModel(tb testing.TB, n int) *Model {
	c := newClock()
	s := newFakeStore(c)
	provs := []flow.Provider{warhornP(), dressipiP(), oidcP()}
	for i := 0; i < n; i++ {
		a := accounts.Account{Name: fmt.Sprintf("account-%04d", i), Provider: provs[i%3], LinkedAt: t0.Add(-time.Hour)}
		tok := flow.Token{AccessToken: "t"}
		switch i % 4 {
		case 0:
			a.AccessExpiry = t0.Add(time.Duration(i) * time.Minute)
			tok.RefreshToken = "r"
		case 1:
			a.AccessExpiry = t0.Add(time.Duration(i) * time.Second)
		case 2:
			a.AccessExpiry = t0.Add(-time.Duration(i) * time.Second)
		}
		s.put(a, tok)
	}
	m := New(baseOptions(s, c, nil))
	m.Update(tea.WindowSizeMsg{Width: 80, Height: 24})
	m.Update(loadedFromStore(tb, s))
	return m
}

func BenchmarkListView(b *testing.B) {
	m := bigModel(b, 1000)
	if v := m.View().Content; !strings.Contains(v, "account-") {
		b.Fatal("no rows rendered")
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		_ = m.View()
	}
}

func BenchmarkUpdateTick(b *testing.B) {
	m := bigModel(b, 1000)
	m.sched.Start("block-background", false) // keep the queue of due refreshes as is
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		m.Update(tickMsg{})
	}
}

// TestListViewOnlyVisibleRows: 1,000 accounts render one screen, not 1,000 rows.
func TestListViewOnlyVisibleRows(t *testing.T) {
	m := bigModel(t, 1000)
	v := m.View().Content
	if n := strings.Count(v, "account-"); n != m.list.Height() {
		t.Fatalf("rendered %d rows, want %d", n, m.list.Height())
	}
	if h := strings.Count(v, "\n") + 1; h != 24 {
		t.Fatalf("view is %d lines, want 24", h)
	}
}

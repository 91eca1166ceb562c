package ui

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/tokenring/tokenring/accounts"
	"github.com/tokenring/tokenring/flow"
)

// agentStore is a fake store going through an unlock agent (AgentState).
type agentStore struct {
	*fakeStore
	info AgentInfo
}

func (a agentStore) AgentState(context.Context) (AgentInfo, bool) { return a.info, true }

// With an unlocked agent the header says until when instead of "(locked)"
// and nothing offers an unlock; the agent's latest event shows on the info
// line.
func TestAgentHeaderAndEvent(t *testing.T) {
	c := newClock()
	st := newFakeStore(c)
	st.locked = true // the local store alone would be locked
	st.put(accounts.Account{Name: "work", Provider: oidcP(), LinkedAt: t0.Add(-time.Hour), AccessExpiry: t0.Add(time.Hour), AccessIssued: t0},
		flow.Token{AccessToken: "at", RefreshToken: "rt", Expiry: t0.Add(time.Hour)})
	// on the UI's clock (not the wall clock: at 22:30 two hours on was
	// "Nov 30 00:30", and the test failed before midnight)
	until := c.Now().Add(2 * time.Minute)
	as := agentStore{fakeStore: st, info: AgentInfo{Unlocked: true, Until: until,
		Events: []AgentEvent{{Time: c.Now(), Account: "work", Kind: "needs_relink", Message: "invalid_grant"}}}}
	st.locked = false // what the agent-backed store reports
	p, _ := start(t, baseOptions(as, c, nil), 100, 24)
	v := waitText(t, p, "unlocked until "+until.Local().Format("15:04"))
	if strings.Contains(v, "(locked)") || strings.Contains(v, "Press u to unlock") {
		t.Fatalf("an unlocked agent, yet:\n%s", v)
	}
	waitText(t, p, "work needs linking again")
}

// "until 14:02" today, with the date another day, on the UI's clock.
func TestAgentUntilSaysTheDayWhenNotToday(t *testing.T) {
	now := t0
	if got, want := agentUntil(now.Add(2*time.Minute), now), "unlocked until "+now.Add(2*time.Minute).Local().Format("15:04"); got != want {
		t.Fatalf("today: %q, want %q", got, want)
	}
	later := now.Add(30 * time.Hour)
	if got, want := agentUntil(later, now), "unlocked until "+later.Local().Format("Jan 02 15:04"); got != want {
		t.Fatalf("tomorrow: %q, want %q", got, want)
	}
	if got := agentUntil(time.Time{}, now); got != "unlocked by the agent" {
		t.Fatalf("no end: %q", got)
	}
}

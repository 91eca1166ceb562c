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
	until := time.Now().Add(2 * time.Hour).Truncate(time.Minute)
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

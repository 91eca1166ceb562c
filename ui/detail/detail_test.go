package detail

import (
	"context"
	"reflect"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/tokenring/tokenring/accounts"
	"github.com/tokenring/tokenring/flow"
	"github.com/tokenring/tokenring/ui/common"
	ct "github.com/tokenring/tokenring/ui/common/commontest"
)

// secrets is a keyring that may be locked.
type secrets struct {
	locked bool
	reads  int
}

func (s *secrets) Secret(_ context.Context, name string) (accounts.Secret, error) {
	s.reads++
	if s.locked {
		return accounts.Secret{}, accounts.ErrLocked
	}
	return accounts.Secret{Token: flow.Token{AccessToken: "tok-" + name + "-0123456789"}}, nil
}

func open(t *testing.T, locked bool) (*Model, *ct.Accounts, *secrets) {
	t.Helper()
	c := ct.New(nil)
	c.SetSize(80, 60)
	st := ct.NewAccounts(c, accounts.Account{Name: "acct", Provider: flow.Provider{ID: "generic"},
		AccessExpiry: ct.T0.Add(time.Hour), HasRefresh: true})
	sec := &secrets{locked: locked}
	d, cmd := New(c, st, sec, "acct")
	if act := feed(d, cmd); act != nil {
		t.Fatalf("opening asked for %#v", act)
	}
	return d, st, sec
}

// feed runs cmd and hands its messages to d, as the root would; it returns
// the last action d answered with.
func feed(d *Model, cmd tea.Cmd) common.Action {
	var last common.Action
	for _, msg := range ct.Run(d.c, cmd) {
		if act, _ := d.Update(msg); act != nil {
			last = act
		}
	}
	return last
}

func TestKeysReturnActions(t *testing.T) {
	d, st, _ := open(t, false)
	for _, tc := range []struct {
		key  string
		want common.Action
	}{
		{"esc", common.Close{}},
		{"q", common.Quit{}},
		{"?", common.ShowHelp{}},
		{"c", common.Copy{Name: "acct", What: common.AccessToken}},
		{"i", common.Copy{Name: "acct", What: common.IDToken}},
		{"C", common.Copy{Name: "acct", What: common.Header}},
		{"h", common.Close{}},
		{"left", common.Close{}},
		{"r", common.Refresh{Name: "acct"}},
		{"d", common.ConfirmRemove{Name: "acct"}},
		{"L", common.Relink{Name: "acct"}},
	} {
		if act, _ := d.Update(ct.Key(tc.key)); !reflect.DeepEqual(act, tc.want) {
			t.Errorf("%s: %#v, want %#v", tc.key, act, tc.want)
		}
	}
	st.InFlight["acct"] = true
	if act, _ := d.Update(ct.Key("r")); act != nil {
		t.Errorf("r while refreshing: %#v", act)
	}
}

func TestRevealTogglesTheLoadedToken(t *testing.T) {
	d, _, sec := open(t, false)
	v := ansi.Strip(d.View(50))
	if !strings.Contains(v, "tok-ac••••••••") || strings.Contains(v, "tok-acct-0123456789") {
		t.Fatalf("masked preview:\n%s", v)
	}
	if act, cmd := d.Update(ct.Key("v")); act != nil || cmd != nil {
		t.Fatalf("v with the token loaded: %#v, %v (no second read needed)", act, cmd)
	}
	if v := ansi.Strip(d.View(50)); !strings.Contains(v, "tok-acct-0123456789") || sec.reads != 1 {
		t.Fatalf("revealed (%d reads):\n%s", sec.reads, v)
	}
	d.Close()
	if d.sec != nil {
		t.Fatal("closing keeps the secret")
	}
}

// Locked: v asks the root to unlock, then to deliver a retry to this view;
// the retry reads the keyring again and shows the tokens.
func TestLockedRevealAsksForUnlockThenRetries(t *testing.T) {
	d, _, sec := open(t, true)
	if v := ansi.Strip(d.View(50)); !strings.Contains(v, "The keyring is locked.") {
		t.Fatalf("locked view:\n%s", v)
	}
	act, _ := d.Update(ct.Key("v"))
	req, ok := act.(common.RequestUnlock)
	if !ok || req.Why != "to show the tokens of acct" {
		t.Fatalf("v when locked: %#v", act)
	}
	deliver, ok := req.Retry.(common.Deliver)
	if !ok {
		t.Fatalf("retry %#v", req.Retry)
	}
	sec.locked = false // the root unlocked the keyring
	_, cmd := d.Update(deliver.Msg)
	if act := feed(d, cmd); act != nil {
		t.Fatalf("retry answered %#v", act)
	}
	if v := ansi.Strip(d.View(50)); !strings.Contains(v, "tok-acct-0123456789") {
		t.Fatalf("after unlocking the tokens show:\n%s", v)
	}
	// a retry meant for another account's view is ignored
	if _, cmd := d.Update(revealMsg{name: "other"}); cmd != nil {
		t.Fatal("a retry for another account read the keyring")
	}
}

// A read that reveals and finds the keyring locked asks for the passphrase itself.
func TestRevealReadFindsTheKeyringLocked(t *testing.T) {
	d, _, sec := open(t, false)
	d.sec = nil
	sec.locked = true
	_, cmd := d.Update(ct.Key("v"))
	if act, ok := feed(d, cmd).(common.RequestUnlock); !ok || act.Why != "to show the tokens of acct" {
		t.Fatalf("a locked read on reveal answered %#v", act)
	}
}

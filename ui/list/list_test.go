package list

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"

	"github.com/tokenring/tokenring/accounts"
	"github.com/tokenring/tokenring/flow"
	"github.com/tokenring/tokenring/ui/common"
	ct "github.com/tokenring/tokenring/ui/common/commontest"
)

func newList(t *testing.T, offerDemo bool, accts ...accounts.Account) (*Model, *ct.Accounts) {
	t.Helper()
	c := ct.New(nil)
	st := ct.NewAccounts(c, accts...)
	m := New(c, st, false, offerDemo)
	m.SetAccounts(accts, "")
	return m, st
}

func sample() []accounts.Account {
	t0 := ct.T0
	return []accounts.Account{
		{Name: "valid", Provider: flow.Provider{ID: "warhorn"}, AccessExpiry: t0.Add(time.Hour), HasRefresh: true},
		{Name: "relink", Provider: flow.Provider{ID: "dressipi", DisplayName: "Dressipi"}, NeedsRelink: true},
		{Name: "forever", Provider: flow.Provider{ID: "warhorn"}},
		{Name: "soon", Provider: flow.Provider{ID: "generic"}, AccessExpiry: t0.Add(time.Minute)},
	}
}

// Each key on the list answers with the action the root performs.
func TestKeysReturnActions(t *testing.T) {
	m, st := newList(t, false, sample()...)
	if a, _ := m.Selected(); a.Name != "relink" {
		t.Fatalf("selected %q first, want the account that needs the user (relink)", a.Name)
	}
	for _, tc := range []struct {
		key  string
		want common.Action
	}{
		{"enter", common.OpenDetail{Name: "relink"}},
		{"L", common.Relink{Name: "relink"}},
		{"r", common.Refresh{Name: "relink"}},
		{"c", common.Copy{Name: "relink", What: common.AccessToken}},
		{"y", common.Copy{Name: "relink", What: common.AccessToken}},
		{"i", common.Copy{Name: "relink", What: common.IDToken}},
		{"C", common.Copy{Name: "relink", What: common.Header}},
		{"h", nil}, // h is a navigation key: it never copies
		{"d", common.ConfirmRemove{Name: "relink"}},
		{"x", common.ConfirmRemove{Name: "relink"}},
		{"l", common.OpenDetail{Name: "relink"}},
		{"right", common.OpenDetail{Name: "relink"}},
		{"n", common.OpenWizard{}},
		{"a", common.OpenWizard{}},
		{"?", common.ShowHelp{}},
		{"u", common.Unlock{}},
		{"q", common.Quit{}},
		{"ctrl+c", common.Quit{}},
		{"D", nil}, // accounts exist: no demo
	} {
		act, _ := m.Update(ct.Key(tc.key))
		if !reflect.DeepEqual(act, tc.want) {
			t.Errorf("%s: %#v, want %#v", tc.key, act, tc.want)
		}
	}
	// a refresh already running is not started twice: the list says so
	st.InFlight["relink"] = true
	if act, _ := m.Update(ct.Key("r")); !reflect.DeepEqual(act, common.Toast{Text: "relink is already refreshing"}) {
		t.Errorf("r while refreshing: %#v", act)
	}
}

func TestSortedByAttentionAndMoving(t *testing.T) {
	m, _ := newList(t, false, sample()...)
	var order []string
	for range 4 {
		a, _ := m.Selected()
		order = append(order, a.Name)
		m.Update(ct.Key("j"))
	}
	if got := strings.Join(order, " "); got != "relink soon valid forever" {
		t.Fatalf("order %q", got)
	}
	m.Update(ct.Key("g"))
	if a, _ := m.Selected(); a.Name != "relink" {
		t.Fatalf("g selected %q", a.Name)
	}
	m.Update(ct.Key("G"))
	if a, _ := m.Selected(); a.Name != "forever" {
		t.Fatalf("G selected %q", a.Name)
	}
}

// The filter matches names and providers; enter keeps it, esc clears it.
func TestFilter(t *testing.T) {
	m, _ := newList(t, false, sample()...)
	m.Update(ct.Key("/"))
	if !m.Filtering() {
		t.Fatal("/ does not start filtering")
	}
	for _, r := range "dress" {
		m.Update(ct.Key(string(r)))
	}
	if v := ansi.Strip(m.View(20)); !strings.Contains(v, "relink") || strings.Contains(v, "valid") {
		t.Fatalf("filter by provider:\n%s", v)
	}
	if act, _ := m.Update(ct.Key("q")); act != nil || !strings.Contains(m.FilterView(), "dressq") {
		t.Fatalf("q while filtering: %#v (it is a letter of the filter)", act)
	}
	m.Update(ct.Key("enter"))
	if m.Filtering() || m.Title() != "4 accounts (0 shown)" {
		t.Fatalf("after enter: filtering %v, title %q", m.Filtering(), m.Title())
	}
	m.Update(ct.Key("esc"))
	if m.Title() != "4 accounts" {
		t.Fatalf("esc did not clear the filter: %q", m.Title())
	}
}

func TestEmptyListOffersTheDemo(t *testing.T) {
	m, _ := newList(t, true)
	if act, _ := m.Update(ct.Key("D")); act != (common.StartDemo{}) {
		t.Fatalf("D on the empty list: %#v", act)
	}
	if act, _ := m.Update(ct.Key("enter")); act != nil {
		t.Fatalf("enter with nothing selected: %#v", act)
	}
	if v := ansi.Strip(m.View(20)); !strings.Contains(v, "Press D to try") {
		t.Fatalf("empty state:\n%s", v)
	}
}

// The info line says what the selected row needs.
func TestInfoLine(t *testing.T) {
	m, st := newList(t, false, sample()...)
	if s, bad := m.Info(); !bad || !strings.Contains(s, "relink must be linked again: press L") {
		t.Fatalf("info %q (bad %v)", s, bad)
	}
	m.Update(ct.Key("j")) // soon
	st.Errs["soon"] = "the provider had an internal error"
	if s, bad := m.Info(); !bad || s != "soon: the provider had an internal error" {
		t.Fatalf("info %q (bad %v)", s, bad)
	}
	st.InFlight["soon"] = true
	if s, bad := m.Info(); bad || s != "Refreshing soon…" {
		t.Fatalf("info %q (bad %v)", s, bad)
	}
}

// A damaged account file is listed right after what needs re-linking, as
// "damaged", and the info line says which file and what to do (the store
// puts that in LastError).
func TestDamagedAccount(t *testing.T) {
	msg := "the account file /cfg/accounts/broken.json cannot be used (it is not an account's JSON: unexpected end of JSON input): repair it, ..."
	broken := accounts.Account{Name: "broken", Damaged: &accounts.DamagedError{Name: "broken"}, LastError: msg}
	m, _ := newList(t, false, append(sample(), broken)...)
	m.Update(ct.Key("j"))
	if a, _ := m.Selected(); a.Name != "broken" {
		t.Fatalf("second row %q, want broken", a.Name)
	}
	if s, bad := m.Info(); !bad || s != "broken: "+msg {
		t.Fatalf("info %q (bad %v)", s, bad)
	}
	if v := ansi.Strip(m.View(20)); !strings.Contains(v, "! damaged") {
		t.Fatalf("no damaged badge:\n%s", v)
	}
}

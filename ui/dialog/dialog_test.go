package dialog

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/tokenring/tokenring/accounts"
	"github.com/tokenring/tokenring/flow"
	"github.com/tokenring/tokenring/ui/common"
	ct "github.com/tokenring/tokenring/ui/common/commontest"
)

func typeIn(u *Unlock, s string) {
	for _, r := range s {
		u.Update(ct.Key(string(r)))
	}
}

func TestUnlockSubmitsThePassphrase(t *testing.T) {
	u := NewUnlock(ct.New(nil), accounts.BackendInfo{Name: "file", Path: "/k"}, "to copy")
	if act, _ := u.Update(ct.Key("enter")); act != nil || !strings.Contains(ansi.Strip(u.View(20)), "Type the passphrase") {
		t.Fatalf("enter with nothing typed: %#v", act)
	}
	typeIn(u, "pw")
	if v := ansi.Strip(u.View(20)); strings.Contains(v, "pw") || !strings.Contains(v, "passphrase to copy.") {
		t.Fatalf("prompt (the passphrase must not show):\n%s", v)
	}
	act, _ := u.Update(ct.Key("enter"))
	if act != (common.SubmitPassphrase{Passphrase: "pw"}) || !u.Busy() {
		t.Fatalf("enter: %#v (busy %v)", act, u.Busy())
	}
	// while the root tries it, enter does nothing and typing is ignored
	if act, _ := u.Update(ct.Key("enter")); act != nil {
		t.Fatalf("enter while busy: %#v", act)
	}
	u.Failed(accounts.ErrBadPassphrase)
	if u.Busy() || !strings.Contains(ansi.Strip(u.View(20)), "Wrong passphrase. Try again.") {
		t.Fatalf("after a wrong passphrase:\n%s", ansi.Strip(u.View(20)))
	}
	u.Failed(errors.New("dbus\x1b[2J died"))
	if v := u.View(20); strings.Contains(v, "\x1b[2J") {
		t.Fatal("an error's escapes reach the terminal")
	}
	if act, _ := u.Update(ct.Key("esc")); act != (common.Close{}) {
		t.Fatalf("esc: %#v", act)
	}
	if act, _ := u.Update(ct.Key("ctrl+c")); act != (common.Quit{}) {
		t.Fatalf("ctrl+c: %#v", act)
	}
}

func TestUnlockNewKeyringAsksTwice(t *testing.T) {
	u := NewUnlock(ct.New(nil), accounts.BackendInfo{Name: "file", New: true}, "")
	typeIn(u, "one")
	if act, _ := u.Update(ct.Key("enter")); act != nil || !strings.Contains(u.View(20), "again:") {
		t.Fatalf("first entry: %#v\n%s", act, ansi.Strip(u.View(20)))
	}
	typeIn(u, "two")
	if act, _ := u.Update(ct.Key("enter")); act != nil || !strings.Contains(ansi.Strip(u.View(20)), "The two passphrases differ") {
		t.Fatalf("different second entry: %#v", act)
	}
	typeIn(u, "same")
	u.Update(ct.Key("enter"))
	typeIn(u, "same")
	if act, _ := u.Update(ct.Key("enter")); act != (common.SubmitPassphrase{Passphrase: "same"}) {
		t.Fatalf("same twice: %#v", act)
	}
}

func TestConfirm(t *testing.T) {
	c := ct.New(nil)
	st := ct.NewAccounts(c, accounts.Account{Name: "app", Provider: flow.Provider{DisplayName: "Example ID", RevocationURL: "https://id.example/revoke"}})
	d := NewConfirm(c, st, "app")
	if v := ansi.Strip(d.View(20)); !strings.Contains(v, "Remove app?") || !strings.Contains(v, "revoked at Example ID") {
		t.Fatalf("question:\n%s", v)
	}
	for key, want := range map[string]common.Action{
		"y":      common.Batch{common.Close{}, common.Remove{Name: "app"}},
		"Y":      common.Batch{common.Close{}, common.Remove{Name: "app"}},
		"enter":  common.Batch{common.Close{}, common.Remove{Name: "app"}},
		"n":      common.Close{},
		"esc":    common.Close{},
		"q":      common.Close{},
		"ctrl+c": common.Quit{},
		"z":      nil,
	} {
		if act, _ := d.Update(ct.Key(key)); !reflect.DeepEqual(act, want) {
			t.Errorf("%s: %#v, want %#v", key, act, want)
		}
	}
	if act, _ := d.Update(tea.PasteMsg{Content: "y"}); act != nil {
		t.Errorf("a paste answered the question: %#v", act)
	}
}

func TestHelpClosesOnAnyKey(t *testing.T) {
	c := ct.New(nil)
	h := NewHelp(c, nil, 0, accounts.BackendInfo{Name: "file", Reason: "no OS keyring"})
	if v := ansi.Strip(h.View(20)); !strings.Contains(v, "Keyring: file (no OS keyring)") || strings.Contains(v, "cleared after") {
		t.Fatalf("help:\n%s", v)
	}
	if act, _ := h.Update(ct.Key("x")); act != (common.Close{}) {
		t.Fatalf("x: %#v", act)
	}
	if act, _ := h.Update(ct.Key("ctrl+c")); act != (common.Quit{}) {
		t.Fatalf("ctrl+c: %#v", act)
	}
	if act, _ := h.Update(tea.PasteMsg{Content: "x"}); act != nil {
		t.Fatalf("paste: %#v", act)
	}
}

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
		"enter":  common.Close{}, // enter never removes: it means "open" everywhere else
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

func TestKeyringReasonWithoutNesting(t *testing.T) {
	for in, want := range map[string]string{
		"chosen by TOKENRING_KEYRING": "Chosen by TOKENRING_KEYRING.",
		"no OS keyring answered (secret-service: there is no D-Bus session bus (DBUS_SESSION_BUS_ADDRESS is empty); kwallet: no); using the encrypted file keyring": "No OS keyring answered: secret-service: there is no D-Bus session bus, DBUS_SESSION_BUS_ADDRESS is empty; kwallet: no. Using the encrypted file keyring.",
		"the OS keyring (secret-service) answered": "The OS keyring: secret-service answered.",
	} {
		if got := plainReason(in); got != want {
			t.Errorf("plainReason(%q)\n = %q\nwant %q", in, got, want)
		}
	}
}

func TestHelpClosesOnAnyKey(t *testing.T) {
	c := ct.New(nil)
	h := NewHelp(c, HelpInfo{Backend: accounts.BackendInfo{Name: "file", Reason: "no OS keyring"}})
	if v := ansi.Strip(h.View(40)); !strings.Contains(v, "Keyring: file — No OS keyring.") || strings.Contains(v, "cleared after") {
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

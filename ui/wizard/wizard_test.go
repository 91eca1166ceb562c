package wizard

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/tokenring/tokenring/accounts"
	"github.com/tokenring/tokenring/flow"
	"github.com/tokenring/tokenring/ui/common"
	ct "github.com/tokenring/tokenring/ui/common/commontest"
)

// The wizard's help offers ctrl+o (open the browser) only where a browser
// can open: a local session with a display, not over SSH.
func TestBrowserKeyOnlyWhenLocal(t *testing.T) {
	for _, tc := range []struct {
		env  map[string]string
		want bool
	}{
		{map[string]string{"DISPLAY": ":0"}, true},
		{map[string]string{"DISPLAY": ":0", "SSH_CONNECTION": "1 2 3 4"}, false},
		{map[string]string{}, false},
	} {
		c := common.New(context.Background(), time.Second, time.Now, common.NewEnv(func(k string) string { return tc.env[k] }), true)
		w := New(c, Config{})
		w.step = stepAuthorize
		offered := false
		for _, b := range w.ShortHelp() {
			if b.Enabled() && b.Help().Key == "ctrl+o" {
				offered = true
			}
		}
		if offered != tc.want {
			t.Errorf("env %v: ctrl+o offered = %v, want %v", tc.env, offered, tc.want)
		}
	}
}

// exchanger answers client-credentials requests with a token; nothing else
// is needed here (the real flows run against local servers in package ui).
type exchanger struct {
	flow.Exchanger
	mu    sync.Mutex
	calls int
}

func (e *exchanger) ClientCredentials(context.Context, flow.Provider, flow.Secrets) (*flow.Token, error) {
	e.mu.Lock()
	e.calls++
	e.mu.Unlock()
	return &flow.Token{AccessToken: "app-token", TokenType: "Bearer"}, nil
}

// store records what the wizard stores; locked refuses it.
type store struct {
	mu      sync.Mutex
	locked  bool
	added   []string
	removed []string
}

func (s *store) Add(_ context.Context, a accounts.Account, _ accounts.Secret) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.locked {
		return accounts.ErrLocked
	}
	s.added = append(s.added, a.Name)
	return nil
}

func (s *store) Remove(_ context.Context, name string, revoke bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.removed = append(s.removed, name)
	return nil
}

func newWizard(t *testing.T, accts ...accounts.Account) (*Model, *store, *exchanger) {
	t.Helper()
	c := ct.New(nil)
	st, ex := &store{}, &exchanger{}
	w := New(c, Config{Exchanger: ex, Store: st, Accounts: ct.NewAccounts(c, accts...),
		OpenURL: func(context.Context, string) error { return errors.New("no browser in tests") }})
	return w, st, ex
}

// drive sends msg, runs the Cmds as the root would and feeds their
// messages back until the wizard is idle; it returns the actions it answered.
func drive(w *Model, msg tea.Msg) []common.Action {
	var acts []common.Action
	queue := []tea.Msg{msg}
	for len(queue) > 0 {
		act, cmd := w.Update(queue[0])
		if act != nil {
			acts = append(acts, act)
		}
		queue = append(queue[1:], ct.Run(cmd)...)
	}
	return acts
}

func typeIn(w *Model, s string) {
	for _, r := range s {
		w.Update(ct.Key(string(r)))
	}
}

func TestPickAndBack(t *testing.T) {
	w, _, _ := newWizard(t)
	if act, _ := w.Update(ct.Key("esc")); act != (common.Close{}) {
		t.Fatalf("esc on the picker: %#v", act)
	}
	w.Update(ct.Key("3"))
	if w.step != stepFields || w.ch.title != "Dressipi" {
		t.Fatalf("3 picked %q (step %d)", w.ch.title, w.step)
	}
	if act, _ := w.Update(ct.Key("esc")); act != nil || w.step != stepPick {
		t.Fatalf("esc on the fields goes back to the picker: %#v", act)
	}
	if act, _ := w.Update(ct.Key("ctrl+c")); act != (common.Quit{}) {
		t.Fatalf("ctrl+c: %#v", act)
	}
}

// fillApp picks "Warhorn application" (client credentials) and fills it in.
func fillApp(w *Model, name string) {
	w.Update(ct.Key("2"))
	typeIn(w, name)
	w.Update(ct.Key("tab"))
	typeIn(w, "client")
	w.Update(ct.Key("tab"))
	typeIn(w, "secret")
}

func TestNameTakenIsRefusedBeforeAnyRequest(t *testing.T) {
	w, _, ex := newWizard(t, accounts.Account{Name: "app"})
	fillApp(w, "app")
	if acts := drive(w, ct.Key("enter")); len(acts) != 0 {
		t.Fatalf("actions %#v", acts)
	}
	if !strings.Contains(w.formErr, "already exists") || ex.calls != 0 {
		t.Fatalf("form error %q, %d token requests", w.formErr, ex.calls)
	}
}

// Linking ends with Linked; the root closes the wizard and reads the index.
func TestClientCredentialsLinks(t *testing.T) {
	w, st, ex := newWizard(t)
	fillApp(w, "app")
	acts := drive(w, ct.Key("enter"))
	if !reflect.DeepEqual(acts, []common.Action{common.Linked{Name: "app"}}) {
		t.Fatalf("actions %#v", acts)
	}
	if ex.calls != 1 || strings.Join(st.added, ",") != "app" {
		t.Fatalf("%d token requests, stored %v", ex.calls, st.added)
	}
}

// A locked keyring: the wizard asks the root to unlock and then to deliver
// a retry, which stores the tokens it already has (no second request).
func TestLockedKeyringAsksForUnlockThenStores(t *testing.T) {
	w, st, ex := newWizard(t)
	st.locked = true
	fillApp(w, "app")
	acts := drive(w, ct.Key("enter"))
	want := common.RequestUnlock{Why: "to store the new account app", Retry: common.Deliver{Msg: saveAgainMsg{}}}
	if !reflect.DeepEqual(acts, []common.Action{want}) {
		t.Fatalf("actions %#v", acts)
	}
	st.locked = false
	if acts := drive(w, saveAgainMsg{}); !reflect.DeepEqual(acts, []common.Action{common.Linked{Name: "app"}}) {
		t.Fatalf("after unlocking: %#v", acts)
	}
	if ex.calls != 1 {
		t.Fatalf("%d token requests, want 1", ex.calls)
	}
}

func TestEscWhileWorkingCancels(t *testing.T) {
	w, _, _ := newWizard(t)
	fillApp(w, "app")
	w.Update(ct.Key("enter")) // the request is on its way (its Cmd not run)
	act, _ := w.Update(ct.Key("esc"))
	if !reflect.DeepEqual(act, common.Batch{common.Close{}, common.Toast{Text: "Linking cancelled"}}) {
		t.Fatalf("esc while working: %#v", act)
	}
}

// A result of an earlier attempt is ignored; a listener it opened is closed.
func TestStaleResultIgnored(t *testing.T) {
	w, _, _ := newWizard(t)
	w.attempt = 3
	capt := &capture{}
	if act, cmd := w.Update(listenMsg{attempt: 2, cap: capt}); act != nil || cmd != nil {
		t.Fatalf("stale result answered %#v", act)
	}
	if !capt.closed {
		t.Fatal("the stale listener stays open")
	}
	if act, _ := w.Update(savedMsg{attempt: 2, name: "x"}); act != nil {
		t.Fatalf("a stale save answered %#v", act)
	}
}

type capture struct{ closed bool }

func (c *capture) Result() <-chan flow.CaptureResult { return nil }
func (c *capture) RedirectURI() string               { return "http://127.0.0.1:1/cb" }
func (c *capture) Close() error                      { c.closed = true; return nil }

// The authorization step: ctrl+y copies the URL (through the root), a
// paste for another attempt is refused without a request.
func TestAuthorizeCopiesTheURL(t *testing.T) {
	w, _, _ := newWizard(t)
	w.Update(ct.Key("1")) // Warhorn
	typeIn(w, "me")
	w.Update(ct.Key("tab"))
	typeIn(w, "client")
	w.Update(ct.Key("tab"))
	w.Update(ct.Key("tab"))
	typeIn(w, "https://app.example/cb")
	w.Update(ct.Key("enter"))
	drive(w, ct.Key("enter"))
	if w.step != stepAuthorize || w.authURL == "" {
		t.Fatalf("step %d, URL %q", w.step, w.authURL)
	}
	act, _ := w.Update(ct.Key("ctrl+y"))
	if act != (common.CopyText{Text: w.authURL, Label: "authorization URL"}) {
		t.Fatalf("ctrl+y: %#v", act)
	}
	drive(w, tea.PasteMsg{Content: "https://app.example/cb?code=abc&state=not-this-one"})
	if !strings.Contains(w.pasteErr, "different authorization attempt") || w.req == nil {
		t.Fatalf("paste for another attempt: %q", w.pasteErr)
	}
	if v := ansi.Strip(w.View(20)); !strings.Contains(v, "Open this address") {
		t.Fatalf("view:\n%s", v)
	}
}

// Linking again replaces the dead entry: Remove, then Add, then Linked{Relinked}.
func TestRelinkReplaces(t *testing.T) {
	c := ct.New(nil)
	st, ex := &store{}, &exchanger{}
	p, _ := flow.Preset(flow.PresetWarhorn, flow.Overrides{ClientID: "client", Grant: flow.GrantClientCredentials})
	dead := accounts.Account{Name: "app", Provider: p, NeedsRelink: true}
	w, _ := NewRelink(c, Config{Exchanger: ex, Store: st, Accounts: ct.NewAccounts(c, dead)}, dead)
	if w.value(fName) != "app" || w.focus != 1 {
		t.Fatalf("name %q, focus %d", w.value(fName), w.focus)
	}
	typeIn(w, "secret")
	acts := drive(w, ct.Key("enter"))
	if !reflect.DeepEqual(acts, []common.Action{common.Linked{Name: "app", Relinked: true}}) {
		t.Fatalf("actions %#v", acts)
	}
	if strings.Join(st.removed, ",") != "app" || strings.Join(st.added, ",") != "app" {
		t.Fatalf("removed %v added %v", st.removed, st.added)
	}
	// esc on a re-link's fields closes the wizard (there is no picker to go back to)
	w, _ = NewRelink(c, Config{Exchanger: ex, Store: st, Accounts: ct.NewAccounts(c, dead)}, dead)
	if act, _ := w.Update(ct.Key("esc")); act != (common.Close{}) {
		t.Fatalf("esc: %#v", act)
	}
}

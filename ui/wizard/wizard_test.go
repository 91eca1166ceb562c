package wizard

import (
	"context"
	"errors"
	"reflect"
	"slices"
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

// exchanger answers client-credentials requests with a token and opens
// fake loopback listeners; nothing else is needed here (the real flows run
// against local servers in package ui and internal/link).
type exchanger struct {
	flow.Exchanger
	mu       sync.Mutex
	calls    int
	captures []*capture
}

func (e *exchanger) ListenLoopback(*flow.AuthRequest) (flow.Capture, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	c := &capture{}
	e.captures = append(e.captures, c)
	return c, nil
}

func (e *exchanger) ClientCredentials(context.Context, flow.Provider, flow.Secrets) (*flow.Token, error) {
	e.mu.Lock()
	e.calls++
	e.mu.Unlock()
	return &flow.Token{AccessToken: "app-token", TokenType: "Bearer"}, nil
}

// store records what the wizard stores; locked refuses it.
type store struct {
	mu       sync.Mutex
	locked   bool
	existing []string
	addErr   error // the next Add fails with it
	added    []string
	removed  []string
}

func (s *store) Account(name string) (accounts.Account, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if slices.Contains(s.existing, name) {
		return accounts.Account{Name: name}, nil
	}
	return accounts.Account{}, accounts.ErrNotFound
}

func (s *store) Writable(context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.locked {
		return accounts.ErrLocked
	}
	return nil
}

func (s *store) Add(_ context.Context, a accounts.Account, _ accounts.Secret) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.locked {
		return accounts.ErrLocked
	}
	if err := s.addErr; err != nil {
		s.addErr = nil
		return err
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

func newWizard(t *testing.T, existing ...string) (*Model, *store, *exchanger) {
	t.Helper()
	c := ct.New(nil)
	st, ex := &store{existing: existing}, &exchanger{}
	w := New(c, Config{Exchanger: ex, Store: st,
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
		queue = append(queue[1:], ct.Run(w.c, cmd)...)
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
	w, _, ex := newWizard(t, "app")
	fillApp(w, "app")
	if acts := drive(w, ct.Key("enter")); len(acts) != 0 {
		t.Fatalf("actions %#v", acts)
	}
	if !strings.Contains(w.formErr, "already exists") || ex.calls != 0 || w.step != stepFields || w.fields[w.focus].kind != fName {
		t.Fatalf("form error %q (step %d, focus %d), %d token requests", w.formErr, w.step, w.focus, ex.calls)
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

// A locked keyring is found before anything is asked of the provider: the
// wizard asks the root to unlock and to deliver a retry, which checks the
// keyring again and only then requests the token (once).
func TestLockedKeyringAsksForUnlockBeforeAnyRequest(t *testing.T) {
	w, st, ex := newWizard(t)
	st.locked = true
	fillApp(w, "app")
	acts := drive(w, ct.Key("enter"))
	want := common.RequestUnlock{Why: "to store the new account app", Retry: common.Deliver{Msg: readyAgainMsg{w.attempt}}}
	if !reflect.DeepEqual(acts, []common.Action{want}) {
		t.Fatalf("actions %#v", acts)
	}
	if ex.calls != 0 || w.step != stepFields || !strings.Contains(w.formErr, "keyring is locked") {
		t.Fatalf("%d token requests before the unlock; step %d, form error %q", ex.calls, w.step, w.formErr)
	}
	// the unlock was cancelled and the keyring is still locked: asked again
	if acts := drive(w, readyAgainMsg{w.attempt}); len(acts) != 1 || ex.calls != 0 {
		t.Fatalf("still locked: %#v, %d token requests", acts, ex.calls)
	}
	st.locked = false
	if acts := drive(w, readyAgainMsg{w.attempt}); !reflect.DeepEqual(acts, []common.Action{common.Linked{Name: "app"}}) {
		t.Fatalf("after unlocking: %#v", acts)
	}
	if ex.calls != 1 {
		t.Fatalf("%d token requests, want 1", ex.calls)
	}
}

// Storing failed after the token came: enter stores the same tokens again,
// without a second request. Locked again since Ready: the root unlocks and
// delivers the retry.
func TestStoreAgainAfterAFailedSave(t *testing.T) {
	for _, tc := range []struct {
		err    error
		unlock bool
	}{{errors.New("disk full"), false}, {accounts.ErrLocked, true}} {
		w, st, ex := newWizard(t)
		st.addErr = tc.err
		fillApp(w, "app")
		acts := drive(w, ct.Key("enter"))
		if w.step != stepFailed || w.result == nil || ex.calls != 1 || len(st.added) != 0 {
			t.Fatalf("%v: step %d, %d requests, stored %v, actions %#v", tc.err, w.step, ex.calls, st.added, acts)
		}
		var again tea.Msg = ct.Key("enter")
		if tc.unlock {
			want := common.RequestUnlock{Why: "to store the new account app", Retry: common.Deliver{Msg: saveAgainMsg{w.attempt}}}
			if !reflect.DeepEqual(acts, []common.Action{want}) {
				t.Fatalf("actions %#v", acts)
			}
			again = saveAgainMsg{w.attempt}
		} else if v := ansi.Strip(w.View(20)); !strings.Contains(v, "enter try storing the tokens again") {
			t.Fatalf("view:\n%s", v)
		}
		if acts := drive(w, again); !reflect.DeepEqual(acts, []common.Action{common.Linked{Name: "app"}}) {
			t.Fatalf("%v: storing again: %#v", tc.err, acts)
		}
		if ex.calls != 1 || strings.Join(st.added, ",") != "app" {
			t.Fatalf("%v: %d token requests, stored %v", tc.err, ex.calls, st.added)
		}
	}
}

// fillCustom picks "Custom OAuth 2.0" (a loopback redirect) and fills it in.
func fillCustom(w *Model, tokenURL string) {
	w.Update(ct.Key("6"))
	for _, v := range []string{"me", "https://id.example/authorize", tokenURL, "client"} {
		typeIn(w, v)
		w.Update(ct.Key("tab"))
	}
}

// A result of an earlier attempt is ignored; a listener it opened is closed.
func TestStaleResultIgnored(t *testing.T) {
	w, _, ex := newWizard(t)
	fillCustom(w, "https://id.example/token")
	drive(w, ct.Key("enter")) // secret (optional) → redirect → scopes → submit
	drive(w, ct.Key("enter"))
	drive(w, ct.Key("enter"))
	if w.step != stepAuthorize || len(ex.captures) != 1 {
		t.Fatalf("step %d, %d listeners", w.step, len(ex.captures))
	}
	late := w.start() // an attempt's start that answers after the user moved on
	w.Update(ct.Key("esc"))
	if !ex.captures[0].closed {
		t.Fatal("going back leaves the listener open")
	}
	for _, m := range ct.Run(w.c, late) {
		if act, cmd := w.Update(m); act != nil || cmd != nil {
			t.Fatalf("stale result answered %#v", act)
		}
	}
	if len(ex.captures) != 2 || !ex.captures[1].closed {
		t.Fatal("the stale attempt's listener stays open")
	}
	if act, _ := w.Update(savedMsg{attempt: w.attempt - 1}); act != nil {
		t.Fatalf("a stale save answered %#v", act)
	}
}

type capture struct{ closed bool }

func (c *capture) Result() <-chan flow.CaptureResult { return nil }
func (c *capture) RedirectURI() string               { return "http://127.0.0.1:1/callback" }
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
	if w.pasteErr != "" || w.auth == nil {
		t.Fatalf("a paste was submitted by itself: %q", w.pasteErr)
	}
	drive(w, ct.Key("enter")) // enter submits it
	if !strings.Contains(w.pasteErr, "different authorization attempt") || w.auth == nil {
		t.Fatalf("paste for another attempt: %q", w.pasteErr)
	}
	if v := ansi.Strip(w.View(20)); !strings.Contains(v, "Open this address") {
		t.Fatalf("view:\n%s", v)
	}
}

// Linking again replaces the dead entry: Remove, then Add, then Linked{Relinked}.
func TestRelinkReplaces(t *testing.T) {
	c := ct.New(nil)
	st, ex := &store{existing: []string{"app"}}, &exchanger{}
	p, _ := flow.Preset(flow.PresetWarhorn, flow.Overrides{ClientID: "client", Grant: flow.GrantClientCredentials})
	dead := accounts.Account{Name: "app", Provider: p, NeedsRelink: true}
	w, _ := NewRelink(c, Config{Exchanger: ex, Store: st}, dead)
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
	w, _ = NewRelink(c, Config{Exchanger: ex, Store: st}, dead)
	if act, _ := w.Update(ct.Key("esc")); act != (common.Close{}) {
		t.Fatalf("esc: %#v", act)
	}
}

// focused is the label of the field with the cursor.
func focused(w *Model) string { return w.fields[w.focus].label }

// link's validation errors are shown with the form's labels (the command
// line names the flags instead), and the cursor goes to the field to fix;
// nothing is sent to the provider.
func TestFieldErrorsInTheFormsWords(t *testing.T) {
	w, _, ex := newWizard(t)
	w.Update(ct.Key("6")) // Custom OAuth 2.0: name, auth URL, token URL, client ID, ...
	typeIn(w, "me")
	w.Update(ct.Key("tab"))
	typeIn(w, "https://id.example/authorize")
	w.Update(ct.Key("tab"))
	typeIn(w, "http://id.example/token")
	submit(w)
	for _, want := range []string{"Client ID is needed (the client id of the app registered with the provider)",
		"Token URL uses http on a host that is not loopback"} {
		if !strings.Contains(w.formErr, want) {
			t.Errorf("form error lacks %q:\n%s", want, w.formErr)
		}
	}
	for _, bad := range []string{"client_id", "--client-id", "token_url", "--token-url"} {
		if strings.Contains(w.formErr, bad) {
			t.Errorf("form error names %q:\n%s", bad, w.formErr)
		}
	}
	if w.step != stepFields || focused(w) != "Client ID" {
		t.Fatalf("step %d, focus on %q", w.step, focused(w))
	}
	typeIn(w, "client")
	submit(w)
	if focused(w) != "Token URL" || strings.Contains(w.formErr, "Client ID") {
		t.Fatalf("focus on %q, form error %q", focused(w), w.formErr)
	}
	if v := ansi.Strip(w.View(20)); !strings.Contains(v, "Token URL uses http") {
		t.Fatalf("view:\n%s", v)
	}
	if ex.calls != 0 || len(ex.captures) != 0 {
		t.Fatalf("%d token requests, %d listeners", ex.calls, len(ex.captures))
	}
}

// A missing secret (link.SecretError) puts the cursor on the secret's field.
func TestMissingSecretFocusesItsField(t *testing.T) {
	w, _, ex := newWizard(t)
	w.Update(ct.Key("2")) // Warhorn application: name, client ID, client secret
	typeIn(w, "app")
	w.Update(ct.Key("tab"))
	typeIn(w, "client")
	w.Update(ct.Key("tab"))
	w.Update(ct.Key("tab")) // round to the name: the secret field is left empty
	submit(w)
	if focused(w) != "Client secret" || w.formErr != "Client secret is needed for Warhorn." || ex.calls != 0 {
		t.Fatalf("focus on %q, form error %q, %d requests", focused(w), w.formErr, ex.calls)
	}
}

// A setting the form does not ask for came from config.toml: it is named
// as there, and the cursor stays.
func TestConfigSettingNamedAsInConfig(t *testing.T) {
	c := ct.New(nil)
	p := flow.Provider{ID: "corp", ClientID: "id", AuthURL: "https://corp.example/a", TokenURL: "https://corp.example/t",
		RedirectURI: "https://app.example/cb", RevocationURL: "http://corp.example/revoke"}
	w := New(c, Config{Exchanger: &exchanger{}, Store: &store{}, Providers: []flow.Provider{p}})
	w.Update(ct.Key("1"))
	typeIn(w, "corp")
	submit(w)
	if !strings.HasPrefix(w.formErr, "revocation_url (config.toml) uses http") || focused(w) != "Account name" {
		t.Fatalf("focus on %q, form error %q", focused(w), w.formErr)
	}
}

// submit submits the form as enter on its last field does, and drives the
// result until the wizard is idle.
func submit(w *Model) []common.Action {
	var acts []common.Action
	for _, m := range ct.Run(w.c, w.submitFields()) {
		acts = append(acts, drive(w, m)...)
	}
	return acts
}

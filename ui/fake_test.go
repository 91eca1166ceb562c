package ui

import (
	"context"
	"errors"
	"image/color"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tokenring/tokenring/ui/common/commontest"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/golden"
	"github.com/charmbracelet/x/exp/teatest/v2"

	"github.com/tokenring/tokenring/accounts"
	"github.com/tokenring/tokenring/flow"
	"github.com/tokenring/tokenring/internal/termtext"
)

// t0 is the fixed clock of the tests.
var t0 = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)

type clockT struct {
	mu  sync.Mutex
	now time.Time
}

func newClock() *clockT { return &clockT{now: t0} }

func (c *clockT) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clockT) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// fakeStore is an in-memory Backend with a lockable "file keyring".
type fakeStore struct {
	mu         sync.Mutex
	clock      *clockT
	accts      map[string]accounts.Account
	secrets    map[string]accounts.Secret
	locked     bool
	reason     string // BackendInfo.Reason ("" : "test")
	isNew      bool   // no passphrase yet: the first Unlock sets it
	passphrase string
	refreshErr map[string]error
	revokeErr  error
	refreshN   map[string]int
	removed    []string
	revoked    []string
	inflight   int
	maxFlight  int
	block      chan struct{} // when set, Refresh waits on it
}

func newFakeStore(c *clockT) *fakeStore {
	return &fakeStore{clock: c, accts: map[string]accounts.Account{}, secrets: map[string]accounts.Secret{},
		refreshErr: map[string]error{}, refreshN: map[string]int{}}
}

func (s *fakeStore) put(a accounts.Account, tok flow.Token) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a.HasRefresh = tok.RefreshToken != ""
	a.HasIDToken = tok.IDToken != ""
	s.accts[a.Name] = a
	s.secrets[a.Name] = accounts.Secret{Token: tok}
}

func (s *fakeStore) Backend() accounts.BackendInfo {
	s.mu.Lock()
	defer s.mu.Unlock()
	reason := s.reason
	if reason == "" {
		reason = "test"
	}
	return accounts.BackendInfo{Name: "file", Reason: reason, Locked: s.locked, New: s.isNew, Path: "/tmp/keyring-test"}
}

func (s *fakeStore) Accounts() ([]accounts.Account, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]accounts.Account, 0, len(s.accts))
	for _, a := range s.accts {
		out = append(out, a)
	}
	slices.SortFunc(out, func(a, b accounts.Account) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

func (s *fakeStore) Account(name string) (accounts.Account, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.accts[name]
	if !ok {
		return accounts.Account{}, accounts.ErrNotFound
	}
	return a, nil
}

// Writable: a locked keyring cannot store until unlocked.
func (s *fakeStore) Writable(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.locked {
		return accounts.ErrLocked
	}
	return nil
}

func (s *fakeStore) Add(ctx context.Context, a accounts.Account, sec accounts.Secret) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.locked {
		return accounts.ErrLocked
	}
	if _, ok := s.accts[a.Name]; ok {
		return accounts.ErrExists
	}
	s.accts[a.Name] = a
	s.secrets[a.Name] = sec
	return nil
}

func (s *fakeStore) Secret(ctx context.Context, name string) (accounts.Secret, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.locked {
		return accounts.Secret{}, accounts.ErrLocked
	}
	sec, ok := s.secrets[name]
	if !ok {
		return accounts.Secret{}, accounts.ErrNotFound
	}
	return sec, nil
}

func (s *fakeStore) Token(ctx context.Context, name string) (flow.Token, error) {
	sec, err := s.Secret(ctx, name)
	return sec.Token, err
}

// RefreshIfDue is Refresh: the fake keeps storage only (the due test is the store's).
func (s *fakeStore) RefreshIfDue(ctx context.Context, name string) (accounts.Account, error) {
	return s.Refresh(ctx, name)
}

func (s *fakeStore) Refresh(ctx context.Context, name string) (accounts.Account, error) {
	s.mu.Lock()
	s.inflight++
	s.maxFlight = max(s.maxFlight, s.inflight)
	block := s.block
	s.mu.Unlock()
	defer func() { s.mu.Lock(); s.inflight--; s.mu.Unlock() }()
	if block != nil {
		select {
		case <-block:
		case <-ctx.Done():
			return accounts.Account{}, ctx.Err()
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.refreshN[name]++
	if s.locked {
		return accounts.Account{}, accounts.ErrLocked
	}
	a, ok := s.accts[name]
	if !ok {
		return accounts.Account{}, accounts.ErrNotFound
	}
	if err := s.refreshErr[name]; err != nil {
		if flow.IsInvalidGrant(err) {
			a.NeedsRelink = true
		}
		a.LastError = termtext.Clean(err.Error())
		s.accts[name] = a
		return accounts.Account{}, err
	}
	now := s.clock.Now()
	a.AccessExpiry = now.Add(time.Hour)
	a.AccessIssued = now
	a.LastRefresh = now
	a.LastError = ""
	s.accts[name] = a
	sec := s.secrets[name]
	sec.Token.AccessToken = "refreshed-" + name
	s.secrets[name] = sec
	return a, nil
}

func (s *fakeStore) Remove(ctx context.Context, name string, revoke bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.locked {
		return accounts.ErrLocked
	}
	if _, ok := s.accts[name]; !ok {
		return accounts.ErrNotFound
	}
	var err error
	if revoke && s.accts[name].Provider.RevocationURL != "" {
		if s.revokeErr != nil {
			err = &accounts.RevokeError{Name: name, Err: s.revokeErr}
		} else {
			s.revoked = append(s.revoked, name)
		}
	}
	delete(s.accts, name)
	delete(s.secrets, name)
	s.removed = append(s.removed, name)
	return err
}

func (s *fakeStore) Unlock(ctx context.Context, pass string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if pass == "" {
		return accounts.ErrEmptyPass
	}
	if s.isNew {
		s.passphrase, s.isNew = pass, false
	}
	if pass != s.passphrase {
		return accounts.ErrBadPassphrase
	}
	s.locked = false
	return nil
}

// Policy: refresh (and show "expiring soon") one minute before expiry.
func (s *fakeStore) Policy() accounts.Policy {
	return accounts.Policy{Fraction: 0.5, Min: time.Minute, Max: time.Minute}
}

func (s *fakeStore) refreshes(name string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.refreshN[name]
}

var errBoom = errors.New("the provider had an internal error")

// ---- probe: a model wrapper the test can watch without racing -------------------

type probe struct {
	m     *Model
	mu    sync.Mutex
	view  string
	msgs  int
	mark  int
	marks int // sent
}

// sync waits until every message sent before it has been handled.
func (p *probe) sync(t *testing.T, tm *teatest.TestModel) string {
	t.Helper()
	p.mu.Lock()
	p.marks++
	n := p.marks
	p.mu.Unlock()
	tm.Send(markMsg(n))
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		p.mu.Lock()
		done, v := p.mark >= n, p.view
		p.mu.Unlock()
		if done {
			return v
		}
		time.Sleep(2 * time.Millisecond)
	}
	t.Fatal("the program did not catch up")
	return ""
}

func (p *probe) Init() tea.Cmd { return p.m.Init() }

type markMsg int

func (p *probe) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	if mk, ok := msg.(markMsg); ok {
		p.mu.Lock()
		p.mark = int(mk)
		p.mu.Unlock()
		return p, nil
	}
	_, cmd := p.m.Update(msg)
	v := ansi.Strip(p.m.View().Content)
	p.mu.Lock()
	p.view = v
	p.msgs++
	p.mu.Unlock()
	return p, cmd
}

func (p *probe) View() tea.View { return p.m.View() }

func (p *probe) snapshot() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.view
}

// harness runs the UI under teatest at 80×24 with a fixed clock.
type harness struct {
	t     *testing.T
	clock *clockT
	store *fakeStore
	p     *probe
	tm    *teatest.TestModel
	env   map[string]string
}

func baseOptions(st Backend, c *clockT, env map[string]string) Options {
	return Options{
		Store:  st,
		Now:    c.Now,
		Getenv: func(k string) string { return env[k] },
		OpenURL: func(context.Context, string) error {
			return errors.New("no browser in tests")
		},
		NativeClipboard: nil,
		Timeout:         5 * time.Second,
	}
}

func start(t *testing.T, o Options, w, h int) (*probe, *teatest.TestModel) {
	t.Helper()
	p := &probe{m: New(o)}
	tm := teatest.NewTestModel(t, p, teatest.WithInitialTermSize(w, h))
	t.Cleanup(func() { _ = tm.Quit() })
	return p, tm
}

// waitView waits until the (ANSI-stripped) view satisfies cond.
func waitView(t *testing.T, p *probe, what string, cond func(string) bool) string {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if v := p.snapshot(); cond(v) {
			return v
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("timed out waiting for %s; view:\n%s", what, p.snapshot())
	return ""
}

func waitText(t *testing.T, p *probe, s string) string {
	t.Helper()
	return waitView(t, p, "“"+s+"”", func(v string) bool { return strings.Contains(v, s) })
}

func press(s string) tea.KeyPressMsg { return commontest.Key(s) }

// finalView quits and returns the final model's view, stripped of styling.
func finalView(t *testing.T, tm *teatest.TestModel) string {
	t.Helper()
	return ansi.Strip(finalRaw(t, tm))
}

// finalRaw quits and returns the final model's View().Content as is.
func finalRaw(t *testing.T, tm *teatest.TestModel) string {
	t.Helper()
	if err := tm.Quit(); err != nil {
		t.Fatal(err)
	}
	fm := tm.FinalModel(t, teatest.WithFinalTimeout(5*time.Second))
	return fm.(*probe).m.View().Content
}

func loadedFromStore(t testing.TB, s Backend) tea.Msg {
	a, err := s.Accounts()
	if err != nil {
		t.Fatal(err)
	}
	return loadedMsg{accts: a, backend: s.Backend()}
}

// settle sends msg to m and runs the Cmds it answers with as Bubble Tea
// would, feeding their messages back until there are none left. A Cmd that
// has not answered after 100 ms (the 1 Hz tick) is dropped.
func settle(t testing.TB, m *Model, msg tea.Msg) {
	t.Helper()
	queue := []tea.Msg{msg}
	for n := 0; len(queue) > 0; n++ {
		if n > 1000 {
			t.Fatal("the model does not settle")
		}
		_, cmd := m.Update(queue[0])
		queue = append(queue[1:], commontest.Run(m.c, cmd)...)
	}
}

func bgMsg(dark bool) tea.Msg {
	if dark {
		return tea.BackgroundColorMsg{Color: color.RGBA{0x10, 0x10, 0x10, 0xff}}
	}
	return tea.BackgroundColorMsg{Color: color.RGBA{0xfa, 0xfa, 0xfa, 0xff}}
}

// goldenAs compares v with testdata/<test>/<name>.golden (-update rewrites it).
func goldenAs(t *testing.T, name, v string) {
	t.Helper()
	t.Run(name, func(t *testing.T) { golden.RequireEqual(t, []byte(v)) })
}

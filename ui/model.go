package ui

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"

	"github.com/tokenring/tokenring/accounts"
	"github.com/tokenring/tokenring/flow"
	"github.com/tokenring/tokenring/theme"
	"github.com/tokenring/tokenring/ui/refresh"
)

type screen int

const (
	screenList screen = iota
	screenWizard
	screenDetail
)

type modal int

const (
	modalNone modal = iota
	modalUnlock
	modalConfirm
	modalHelp
)

// Model is the root Bubble Tea model. Use New.
type Model struct {
	o      Options
	pol    accounts.Policy // the store's: statuses and refresh times
	ctx    context.Context // cancelled by shutdown: ends every running Cmd
	cancel context.CancelFunc
	env    env
	clip   clipper

	th     *theme.Theme
	dark   bool
	width  int
	height int

	screen screen
	modal  modal
	keys   keyMap
	help   help.Model

	// accounts, as last read from the store, and the visible order
	accts     []accounts.Account
	byName    map[string]int // index into accts
	rows      []int          // indices into accts: sorted by attention, filtered
	sel       int            // index into rows
	offset    int            // first visible row
	selName   string         // keeps the selection across re-sorting
	loaded    bool
	lastLoad  time.Time
	loadErr   string
	backend   accounts.BackendInfo
	filter    textinput.Model
	filtering bool

	// background refresh
	sched *refresh.Scheduler

	// the one 1 Hz tick
	ticking bool
	tickGen int
	now     time.Time

	// status line
	toast      string
	toastErr   bool
	toastUntil time.Time

	// clipboard clearing
	clipUntil time.Time
	clipHash  [32]byte
	clipWhat  string

	// overlays
	unlock      unlockModel
	afterUnlock func() tea.Cmd
	confirmName string

	wiz    *wizard
	detail *detailModel

	quitting bool
	// demoRequested: the user pressed D on the empty state (OfferDemo).
	demoRequested bool
}

func newModel(o Options) *Model {
	ctx, cancel := context.WithCancel(context.Background())
	m := &Model{
		o:      o,
		ctx:    ctx,
		cancel: cancel,
		env:    newEnv(o.Getenv),
		dark:   !o.Light,
		width:  80,
		height: 24,
		byName: map[string]int{},
		keys:   newKeyMap(),
		help:   help.New(),
	}
	if o.Store != nil {
		m.pol = o.Store.Policy()
	}
	m.sched = refresh.New(m.pol, o.Concurrency)
	m.clip = clipper{env: m.env, native: o.NativeClipboard}
	if m.clip.native == nil && m.env.hasDisplay() {
		m.clip.native = systemClipboard{}
	}
	m.now = o.Now()
	m.filter = newInput("filter: ", "name or provider", false)
	m.filter.CharLimit = 64
	m.unlock = newUnlock()
	m.applyTheme()
	return m
}

func (m *Model) applyTheme() {
	m.th = theme.New(m.dark, m.env.noColor())
	m.help.Styles = help.Styles{
		ShortKey: m.th.HelpKey, ShortDesc: m.th.HelpDesc, ShortSeparator: m.th.HelpSep,
		FullKey: m.th.HelpKey, FullDesc: m.th.HelpDesc, FullSeparator: m.th.HelpSep,
		Ellipsis: m.th.HelpSep,
	}
	styleInput(&m.filter, m.th)
	styleInput(&m.unlock.input, m.th)
	if m.wiz != nil {
		m.wiz.restyle(m.th)
	}
}

// shutdown cancels every running operation (Run calls it on exit).
func (m *Model) shutdown() {
	m.cancel()
	if m.wiz != nil {
		m.wiz.close()
	}
}

// io runs fn in a Cmd with the operation deadline.
func (m *Model) io(fn func(ctx context.Context) tea.Msg) tea.Cmd {
	parent, d := m.ctx, m.o.Timeout
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(parent, d)
		defer cancel()
		return fn(ctx)
	}
}

// ---- messages -------------------------------------------------------------

type tickMsg struct{ gen int }

type loadedMsg struct {
	accts   []accounts.Account
	backend accounts.BackendInfo
	err     error
	selName string // select this account once loaded (after linking)
}

type refreshDoneMsg struct {
	name string
	acct accounts.Account
	err  error
}

type copyReadyMsg struct {
	name, what, text string // text is a secret: it goes to the clipboard only
	err              error
	retry            func() tea.Cmd
}

type nativeClipMsg struct{ err error }

type clipClearedMsg struct{}

type removeDoneMsg struct {
	name string
	err  error
}

type unlockDoneMsg struct{ err error }

// Init asks the terminal for its background colour and loads the accounts.
func (m *Model) Init() tea.Cmd {
	return tea.Batch(tea.RequestBackgroundColor, m.load(""))
}

func (m *Model) load(selName string) tea.Cmd {
	st := m.o.Store
	return m.io(func(ctx context.Context) tea.Msg {
		a, err := st.Accounts()
		return loadedMsg{accts: a, backend: st.Backend(), err: err, selName: selName}
	})
}

// Update handles one message. It never blocks: I/O runs in the Cmds it returns.
func (m *Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	cmd := m.update(msg)
	if m.quitting {
		return m, cmd
	}
	return m, tea.Batch(cmd, m.maybeTick())
}

func (m *Model) update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width, m.height = max(msg.Width, 20), max(msg.Height, 6)
		m.help.SetWidth(m.width - 2)
		m.clampScroll()
		if m.detail != nil {
			m.detail.resize(m)
		}
		return nil
	case tea.BackgroundColorMsg:
		if d := msg.IsDark(); d != m.dark {
			m.dark = d
			m.applyTheme()
		}
		return nil
	case tickMsg:
		if msg.gen == 0 { // forced (tests): the running timer stays valid
			return m.onTick()
		}
		if msg.gen != m.tickGen {
			return nil
		}
		m.ticking = false
		return m.onTick()
	case loadedMsg:
		return m.onLoaded(msg)
	case refreshDoneMsg:
		return m.onRefreshDone(msg)
	case copyReadyMsg:
		return m.onCopyReady(msg)
	case nativeClipMsg:
		if msg.err != nil {
			m.setToast("copied through the terminal (OSC 52); the system clipboard failed: "+flow.Clean(msg.err.Error()), true)
		}
		return nil
	case clipClearedMsg:
		return nil
	case removeDoneMsg:
		return m.onRemoveDone(msg)
	case unlockDoneMsg:
		return m.onUnlockDone(msg)
	case secretLoadedMsg:
		if m.detail != nil {
			return m.detail.onSecret(m, msg)
		}
		return nil
	case wizardMsg:
		if m.wiz != nil {
			return m.wiz.update(m, msg)
		}
		return nil
	}

	// Keys and pastes go to the top-most layer.
	switch m.modal {
	case modalUnlock:
		return m.updateUnlock(msg)
	case modalConfirm:
		return m.updateConfirm(msg)
	case modalHelp:
		if k, ok := msg.(tea.KeyPressMsg); ok {
			if k.String() == "ctrl+c" {
				return m.quit()
			}
			m.modal = modalNone
		}
		return nil
	}
	switch m.screen {
	case screenWizard:
		if m.wiz != nil {
			return m.wiz.update(m, msg)
		}
	case screenDetail:
		return m.updateDetail(msg)
	}
	return m.updateList(msg)
}

func (m *Model) quit() tea.Cmd {
	m.quitting = true
	m.shutdown()
	return tea.Quit
}

// ---- time -------------------------------------------------------------------

// maybeTick starts the 1 Hz tick when something needs it and it is not running.
func (m *Model) maybeTick() tea.Cmd {
	if m.ticking || !m.needTick() {
		return nil
	}
	m.ticking = true
	m.tickGen++
	gen := m.tickGen
	return tea.Every(time.Second, func(time.Time) tea.Msg { return tickMsg{gen: gen} })
}

// needTick: something on screen counts down, a refresh is due or waits for
// a retry, a toast must go away, or the clipboard must be cleared.
func (m *Model) needTick() bool {
	now := m.now
	if !m.toastUntil.IsZero() || !m.clipUntil.IsZero() {
		return true
	}
	if m.wiz != nil && m.wiz.counting() {
		return true
	}
	if m.screen == screenDetail && m.detail != nil {
		if a, ok := m.account(m.detail.name); ok && a.AccessExpiry.After(now) {
			return true
		}
	}
	if m.screen == screenList {
		lo, hi := m.visibleRange()
		for _, i := range m.rows[lo:hi] {
			if m.accts[i].AccessExpiry.After(now) {
				return true
			}
		}
	}
	return m.sched.Waiting(m.accts)
}

func (m *Model) onTick() tea.Cmd {
	m.now = m.o.Now()
	var cmds []tea.Cmd
	if !m.toastUntil.IsZero() && !m.now.Before(m.toastUntil) {
		m.toast, m.toastUntil = "", time.Time{}
	}
	if !m.clipUntil.IsZero() && !m.now.Before(m.clipUntil) {
		cmds = append(cmds, m.clearClipboard())
	}
	if m.wiz != nil {
		cmds = append(cmds, m.wiz.tick(m))
	}
	m.resort()
	cmds = append(cmds, m.scheduleRefreshes())
	// while ticking anyway, pick up changes other processes (the CLI) made
	if m.now.Sub(m.lastLoad) >= 15*time.Second {
		m.lastLoad = m.now
		cmds = append(cmds, m.load(""))
	}
	return tea.Batch(cmds...)
}

func (m *Model) setToast(s string, isErr bool) {
	m.toast, m.toastErr = s, isErr
	d := 4 * time.Second
	if isErr {
		d = 10 * time.Second
	}
	m.toastUntil = m.o.Now().Add(d)
}

// ---- loading and refreshing -------------------------------------------------

func (m *Model) onLoaded(msg loadedMsg) tea.Cmd {
	m.now = m.o.Now()
	m.backend = msg.backend
	if msg.err != nil {
		m.loadErr = flow.Clean(msg.err.Error())
		return nil
	}
	m.loaded, m.loadErr, m.lastLoad = true, "", m.now
	m.accts = keepNewer(msg.accts, m.accts, m.byName)
	m.byName = make(map[string]int, len(m.accts))
	for i, a := range m.accts {
		m.byName[a.Name] = i
	}
	if msg.selName != "" {
		m.selName = msg.selName
	}
	m.resort()
	if msg.selName != "" {
		m.selectName(msg.selName)
	}
	return m.scheduleRefreshes()
}

// keepNewer returns the loaded accounts, except that an account this UI
// refreshed after the load had read the index keeps the state the refresh
// returned: the index read by a load that started before a refresh ended
// still has the old expiry, and the account would look due and be
// refreshed again (the refresh storm benchmark saw ~4% of 1,000 accounts
// refreshed twice). Same account = same LinkedAt (not linked again since).
func keepNewer(loaded, cur []accounts.Account, byName map[string]int) []accounts.Account {
	for i, a := range loaded {
		j, ok := byName[a.Name]
		if !ok || j >= len(cur) {
			continue
		}
		if c := cur[j]; c.Name == a.Name && c.LinkedAt.Equal(a.LinkedAt) && c.LastRefresh.After(a.LastRefresh) {
			loaded[i] = c
		}
	}
	return loaded
}

func (m *Model) account(name string) (accounts.Account, bool) {
	i, ok := m.byName[name]
	if !ok {
		return accounts.Account{}, false
	}
	return m.accts[i], true
}

// status is the status shown for a: the policy's with this session's
// refreshes on top (refresh.Scheduler.Status is the one place that does it).
func (m *Model) status(a accounts.Account) accounts.Status {
	return m.sched.Status(a, m.now)
}

// scheduleRefreshes starts due background refreshes, at most Concurrency at a time.
func (m *Model) scheduleRefreshes() tea.Cmd {
	var cmds []tea.Cmd
	for _, name := range m.sched.Next(m.accts, m.now, func(n string) bool { _, ok := m.byName[n]; return ok }) {
		cmds = append(cmds, m.refreshCmd(name))
	}
	return tea.Batch(cmds...)
}

func (m *Model) startRefresh(name string, manual bool) tea.Cmd {
	m.sched.Start(name, manual)
	return m.refreshCmd(name)
}

func (m *Model) refreshCmd(name string) tea.Cmd {
	st := m.o.Store
	return m.io(func(ctx context.Context) tea.Msg {
		a, err := st.Refresh(ctx, name)
		return refreshDoneMsg{name: name, acct: a, err: err}
	})
}

func (m *Model) onRefreshDone(msg refreshDoneMsg) tea.Cmd {
	m.now = m.o.Now()
	res := m.sched.Done(msg.name, msg.err, m.now)
	switch {
	case msg.err == nil:
		if i, ok := m.byName[msg.name]; ok && msg.acct.Name == msg.name {
			m.accts[i] = msg.acct
		}
		if res.Manual {
			m.setToast("Refreshed "+flow.Clean(msg.name), false)
		}
		m.resort()
		return tea.Batch(m.scheduleRefreshes(), m.load(""))
	case res.Locked:
		if res.Manual {
			name := msg.name
			return m.openUnlock("to refresh "+name, func() tea.Cmd { return m.startRefresh(name, true) })
		}
		return nil
	}
	if res.Manual {
		m.setToast("Refresh of "+flow.Clean(msg.name)+" failed", true)
	}
	// the store records LastError / NeedsRelink in the index: read it back
	return tea.Batch(m.scheduleRefreshes(), m.load(""))
}

// ---- copy ---------------------------------------------------------------------

// copyWhat: "access", "id", "header".
func (m *Model) copyToken(name, what string) tea.Cmd {
	a, ok := m.account(name)
	if !ok {
		return nil
	}
	if what == "id" && !a.HasIDToken {
		m.setToast(flow.Clean(name)+" has no ID token", true)
		return nil
	}
	st := m.o.Store
	var retry func() tea.Cmd
	retry = func() tea.Cmd {
		return m.io(func(ctx context.Context) tea.Msg {
			r := copyReadyMsg{name: name, what: what, retry: retry}
			switch what {
			case "id":
				sec, err := st.Secret(ctx, name)
				if err != nil {
					r.err = err
					return r
				}
				r.text = sec.Token.IDToken
			default:
				tok, err := st.Token(ctx, name)
				if err != nil {
					r.err = err
					return r
				}
				r.text = tok.AccessToken
				if what == "header" {
					h, v := a.Provider.AuthHeader(tok.AccessToken)
					r.text = h + ": " + v
				}
			}
			if r.text == "" {
				r.err = fmt.Errorf("the keyring holds no %s for this account", whatName(what))
			}
			return r
		})
	}
	m.setToast("Reading "+whatName(what)+" of "+flow.Clean(name)+"…", false)
	return retry()
}

func whatName(what string) string {
	switch what {
	case "id":
		return "ID token"
	case "header":
		return "HTTP header"
	case "url":
		return "authorization URL"
	}
	return "access token"
}

func (m *Model) onCopyReady(msg copyReadyMsg) tea.Cmd {
	if msg.err != nil {
		if errors.Is(msg.err, accounts.ErrLocked) {
			m.toast, m.toastUntil = "", time.Time{}
			return m.openUnlock("to copy the "+whatName(msg.what)+" of "+msg.name, msg.retry)
		}
		m.setToast("Cannot copy the "+whatName(msg.what)+": "+flow.Clean(msg.err.Error()), true)
		return tea.Batch(m.load(""))
	}
	// Token may have refreshed the account first: read the index again
	return tea.Batch(m.copyText(msg.text, whatName(msg.what)+" of "+flow.Clean(msg.name), true), m.load(""))
}

// copyText puts text on the clipboard (OSC 52 through the terminal, and the
// native clipboard where there is one) and, for secrets, schedules clearing.
func (m *Model) copyText(text, label string, secret bool) tea.Cmd {
	cmds := []tea.Cmd{tea.Raw(m.clip.osc52(text))}
	if c := m.clip.writeNative(m.ctx, text); c != nil {
		cmds = append(cmds, c)
	}
	suffix := ""
	if secret && m.o.ClipboardClear > 0 {
		m.clipUntil = m.o.Now().Add(m.o.ClipboardClear)
		m.clipHash = hashText(text)
		m.clipWhat = label
		suffix = fmt.Sprintf(" (cleared in %s)", shortDuration(m.o.ClipboardClear))
	}
	m.setToast("Copied "+label+suffix, false)
	return tea.Batch(cmds...)
}

func (m *Model) clearClipboard() tea.Cmd {
	h := m.clipHash
	m.clipUntil, m.clipHash = time.Time{}, [32]byte{}
	m.setToast("Clipboard cleared", false)
	cmds := []tea.Cmd{tea.Raw(m.clip.osc52Clear())}
	if c := m.clip.clearNative(m.ctx, h); c != nil {
		cmds = append(cmds, c)
	}
	if c := m.clip.clearTmux(m.ctx, h); c != nil {
		cmds = append(cmds, c)
	}
	return tea.Batch(cmds...)
}

// ---- remove -----------------------------------------------------------------

func (m *Model) startRemove(name string) tea.Cmd {
	st := m.o.Store
	m.setToast("Removing "+flow.Clean(name)+"…", false)
	return m.io(func(ctx context.Context) tea.Msg {
		return removeDoneMsg{name: name, err: st.Remove(ctx, name, true)}
	})
}

func (m *Model) onRemoveDone(msg removeDoneMsg) tea.Cmd {
	if msg.err != nil && errors.Is(msg.err, accounts.ErrRevokeFailed) {
		// removed here; only the revocation at the provider failed
		m.setToast(flow.Clean(msg.err.Error()), true)
		m.sched.ClearErr(msg.name)
		if m.screen == screenDetail {
			m.closeDetail()
		}
		return m.load("")
	}
	if msg.err != nil {
		if errors.Is(msg.err, accounts.ErrLocked) {
			name := msg.name
			return m.openUnlock("to remove "+name, func() tea.Cmd { return m.startRemove(name) })
		}
		m.setToast("Remove failed: "+flow.Clean(msg.err.Error()), true)
		return m.load("")
	}
	m.setToast("Removed "+flow.Clean(msg.name), false)
	m.sched.ClearErr(msg.name)
	if m.screen == screenDetail {
		m.closeDetail()
	}
	return m.load("")
}

// ---- unlock -----------------------------------------------------------------

// openUnlock shows the passphrase prompt; after a successful unlock, retry runs.
func (m *Model) openUnlock(why string, retry func() tea.Cmd) tea.Cmd {
	m.modal = modalUnlock
	m.afterUnlock = retry
	m.unlock.open(why)
	return nil
}

func (m *Model) onUnlockDone(msg unlockDoneMsg) tea.Cmd {
	m.unlock.busy = false
	if msg.err != nil {
		switch {
		case errors.Is(msg.err, accounts.ErrBadPassphrase):
			m.unlock.fail("Wrong passphrase. Try again.")
		case errors.Is(msg.err, accounts.ErrEmptyPass):
			m.unlock.fail("The passphrase must not be empty.")
		default:
			m.unlock.fail(flow.Clean(msg.err.Error()))
		}
		return nil
	}
	m.modal = modalNone
	m.sched.Resume()
	m.unlock.reset()
	m.setToast("Keyring unlocked", false)
	retry := m.afterUnlock
	m.afterUnlock = nil
	cmds := []tea.Cmd{m.load("")}
	if retry != nil {
		cmds = append(cmds, retry())
	}
	return tea.Batch(cmds...)
}

func (m *Model) updateUnlock(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case tea.KeyPressMsg:
		switch msg.String() {
		case "ctrl+c":
			return m.quit()
		case "esc":
			m.modal = modalNone
			m.afterUnlock = nil
			m.unlock.reset()
			return nil
		case "enter":
			if m.unlock.busy {
				return nil
			}
			pass := m.unlock.input.Value()
			if pass == "" {
				m.unlock.fail("Type the passphrase, then press enter.")
				return nil
			}
			if m.backend.New { // a new keyring: the passphrase is set now, so ask twice
				if !m.unlock.confirming {
					m.unlock.first = pass
					m.unlock.confirming = true
					m.unlock.err = ""
					m.unlock.input.SetValue("")
					return nil
				}
				first := m.unlock.first
				m.unlock.first, m.unlock.confirming = "", false
				if pass != first {
					m.unlock.fail("The two passphrases differ. Choose one and type it twice.")
					return nil
				}
			}
			m.unlock.busy = true
			m.unlock.err = ""
			m.unlock.input.SetValue("")
			st := m.o.Store
			return m.io(func(ctx context.Context) tea.Msg {
				return unlockDoneMsg{err: st.Unlock(ctx, pass)}
			})
		}
	}
	if m.unlock.busy {
		return nil
	}
	var cmd tea.Cmd
	m.unlock.input, cmd = m.unlock.input.Update(msg)
	return cmd
}

// ---- confirm remove ----------------------------------------------------------

func (m *Model) updateConfirm(msg tea.Msg) tea.Cmd {
	k, ok := msg.(tea.KeyPressMsg)
	if !ok {
		return nil
	}
	switch strings.ToLower(k.String()) {
	case "ctrl+c":
		return m.quit()
	case "y", "enter":
		m.modal = modalNone
		name := m.confirmName
		m.confirmName = ""
		return m.startRemove(name)
	case "n", "esc", "q":
		m.modal = modalNone
		m.confirmName = ""
	}
	return nil
}

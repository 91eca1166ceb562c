package ui

import (
	"context"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"

	"github.com/tokenring/tokenring/accounts"
	"github.com/tokenring/tokenring/internal/termtext"
	"github.com/tokenring/tokenring/ui/common"
	"github.com/tokenring/tokenring/ui/list"
	"github.com/tokenring/tokenring/ui/refresh"
)

// Model is the root Bubble Tea model: it routes. It owns what more than one
// screen depends on — the accounts as last read (board), the background
// refresh scheduler, the toast, the clipboard and the one 1 Hz tick — and
// hands keys to the screen on top. Screens answer with actions, which
// actions.go performs. Use New.
type Model struct {
	o      Options
	c      *common.Common // shared with every screen
	cancel context.CancelFunc
	clip   clipper
	dark   bool

	board    *board // the accounts, as last read from the store
	sched    *refresh.Scheduler
	backend  accounts.BackendInfo
	agent    AgentInfo // the unlock agent's state (agentOK: one answered)
	agentOK  bool
	lastLoad time.Time
	stamp    accounts.Stamp // of the listing the board holds (AccountsSince)

	list   *list.Model   // always there: the screen the others return to
	screen common.Screen // the list, the wizard or a detail view
	dialog common.Screen // over the screen (unlock, confirm, help); nil: none
	// afterUnlock is performed once the unlock dialog unlocked the keyring.
	afterUnlock common.Action

	// the one 1 Hz tick
	ticking bool
	tickGen int
	// sortHeld: the list was sorted less than sortEvery ago; changes until
	// then are sorted together when sortMsg comes (a storm of refreshes
	// sorts the list a few times a second, not once per refresh)
	sortHeld bool

	// status line
	toast      string
	toastErr   bool
	toastWarn  bool // it worked, with a caveat
	toastUntil time.Time

	// clipboard clearing: every secret copied since the last clear, by hash
	clipUntil  time.Time
	clipHashes map[[32]byte]bool
	// tmuxClip is tmux's set-clipboard option, as tmux answered ("" unknown)
	tmuxClip string

	quitting bool
	// demoRequested: the user pressed D on the empty state (OfferDemo).
	demoRequested bool
}

func newModel(o Options) *Model {
	ctx, cancel := context.WithCancel(context.Background())
	env := common.NewEnv(o.Getenv)
	m := &Model{
		o:      o,
		cancel: cancel,
		dark:   !o.Light,
		c:      common.New(ctx, o.Timeout, o.Now, env, !o.Light),
	}
	var pol accounts.Policy
	if o.Store != nil {
		pol = o.Store.Policy()
	}
	m.sched = refresh.New(pol, o.Concurrency)
	m.board = newBoard(m.c, pol, m.sched)
	m.clip = clipper{env: env, native: o.NativeClipboard}
	if m.clip.native == nil && env.HasDisplay() {
		m.clip.native = systemClipboard{}
	}
	m.list = list.New(m.c, m.board, o.Demo, o.OfferDemo)
	m.screen = m.list
	return m
}

// shutdown cancels every running operation (Run calls it on exit).
func (m *Model) shutdown() {
	m.cancel()
	if c, ok := m.screen.(common.Closing); ok {
		c.Close()
	}
}

// ---- messages the root handles ------------------------------------------------

type tickMsg struct{ gen int }

// sortMsg ends a sortEvery during which the list was sorted.
type sortMsg struct{}

// sortEvery is how often at most the list is sorted again because refreshes
// ended (a sort of 1,000 accounts takes about a millisecond here, a frame
// is 25 ms).
const sortEvery = 100 * time.Millisecond

type loadedMsg struct {
	accts   []accounts.Account
	stamp   accounts.Stamp
	same    bool // nothing changed since the listing the load was given (accts nil)
	backend accounts.BackendInfo
	err     error
	selName string // select this account once loaded (after linking)
	agent   AgentInfo
	agentOK bool
}

type refreshDoneMsg struct {
	name string
	acct accounts.Account
	err  error
}

type copyReadyMsg struct {
	name, text string // text is a secret: it goes to the clipboard only
	what       common.What
	err        error
	retry      readToken
}

type nativeClipMsg struct{ err error }

type clipClearedMsg struct{ r clearResult }

type tmuxClipMsg struct{ value string }

type removeDoneMsg struct {
	name string
	err  error
}

type unlockDoneMsg struct{ err error }

// Init asks the terminal for its background colour and loads the accounts.
func (m *Model) Init() tea.Cmd {
	return tea.Batch(tea.RequestBackgroundColor, m.load(""), tmuxClipboard(m.c.Context(), m.c.Env))
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
		m.c.SetSize(msg.Width, msg.Height)
		m.list.Resized()
		return nil
	case tea.BackgroundColorMsg:
		if d := msg.IsDark(); d != m.dark {
			m.dark = d
			m.applyTheme()
		}
		return nil
	case tea.ColorProfileMsg:
		// 16 colours get a palette of their own; 256 and 24-bit the full
		// one (the renderer rounds it to 256).
		if basic := msg.Profile == colorprofile.ANSI; basic != m.c.Theme.Basic {
			m.c.SetBasicColours(basic)
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
	case sortMsg:
		m.sortHeld = false
		if m.list.Dirty() {
			return m.sortSoon()
		}
		return nil
	case loadedMsg:
		return m.onLoaded(msg)
	case refreshDoneMsg:
		return m.onRefreshDone(msg)
	case copyReadyMsg:
		return m.onCopyReady(msg)
	case nativeClipMsg:
		if msg.err != nil {
			m.setToast("copied through the terminal (OSC 52); the system clipboard failed: "+termtext.Clean(msg.err.Error()), true)
		}
		return nil
	case clipClearedMsg:
		return m.onClipCleared(msg.r)
	case tmuxClipMsg:
		m.tmuxClip = msg.value
		return nil
	case removeDoneMsg:
		return m.onRemoveDone(msg)
	case unlockDoneMsg:
		return m.onUnlockDone(msg)
	case tea.KeyPressMsg, tea.PasteMsg:
		// keys and pastes go to the top-most layer
		top := m.screen
		if m.dialog != nil {
			top = m.dialog
		}
		return m.send(top, msg)
	}
	// Anything else (the result of a screen's own I/O, a spinner tick) goes
	// to the screen and to the dialog over it; each ignores what is not its own.
	cmd := m.send(m.screen, msg)
	if m.dialog != nil {
		cmd = tea.Batch(cmd, m.send(m.dialog, msg))
	}
	return cmd
}

// send hands msg to the screen s and performs the action it answers with.
func (m *Model) send(s common.Screen, msg tea.Msg) tea.Cmd {
	act, cmd := s.Update(msg)
	if act == nil {
		return cmd
	}
	return tea.Batch(cmd, m.do(s, act))
}

func (m *Model) applyTheme() {
	m.c.SetTheme(m.dark)
	for _, s := range []common.Screen{m.list, m.screen, m.dialog} {
		if st, ok := s.(common.Styled); ok {
			st.Restyle()
		}
	}
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
	if !m.toastUntil.IsZero() || !m.clipUntil.IsZero() {
		return true
	}
	if t, ok := m.screen.(common.Ticking); ok && t.NeedsTick() {
		return true
	}
	return m.sched.Waiting()
}

func (m *Model) onTick() tea.Cmd {
	m.c.Now = m.o.Now()
	var cmds []tea.Cmd
	if !m.toastUntil.IsZero() && !m.c.Now.Before(m.toastUntil) {
		m.toast, m.toastUntil = "", time.Time{}
	}
	if !m.clipUntil.IsZero() && !m.c.Now.Before(m.clipUntil) {
		cmds = append(cmds, m.clearClipboard())
	}
	m.list.Tick() // sorts only if a status may have changed since the last sort
	cmds = append(cmds, m.scheduleRefreshes())
	// while ticking anyway, pick up changes other processes (the CLI) made
	if m.c.Now.Sub(m.lastLoad) >= 15*time.Second {
		m.lastLoad = m.c.Now
		cmds = append(cmds, m.load(""))
	}
	return tea.Batch(cmds...)
}

func (m *Model) setToast(s string, isErr bool) {
	m.toast, m.toastErr, m.toastWarn = s, isErr, false
	d := 4 * time.Second
	if isErr {
		d = 10 * time.Second
	}
	m.toastUntil = m.o.Now().Add(d)
}

// setWarning is a toast for something that worked with a caveat the user
// must know (shown as long as an error).
func (m *Model) setWarning(s string) {
	m.setToast(s, true)
	m.toastErr, m.toastWarn = false, true
}

// ---- refreshing ---------------------------------------------------------------

// scheduleRefreshes starts the due background refreshes the scheduler lets run.
func (m *Model) scheduleRefreshes() tea.Cmd {
	var cmds []tea.Cmd
	for _, name := range m.sched.Next(m.c.Now, m.board.exists) {
		cmds = append(cmds, m.refreshCmd(name, false))
	}
	if len(cmds) > 0 {
		cmds = append(cmds, m.sortSoon()) // they show as refreshing
	}
	return tea.Batch(cmds...)
}

// startRefresh refreshes name now, because the user asked.
func (m *Model) startRefresh(name string) tea.Cmd {
	m.sched.Start(name, true)
	return tea.Batch(m.refreshCmd(name, true), m.sortSoon())
}

// sortSoon sorts the list again because accounts changed: at once, unless
// it was sorted less than sortEvery ago; then once when that time is up,
// whatever changed meanwhile (the rows show every change at once; only
// their order waits).
func (m *Model) sortSoon() tea.Cmd {
	if m.sortHeld {
		m.list.Invalidate()
		return nil
	}
	m.list.Resort()
	m.sortHeld = true
	return tea.Tick(sortEvery, func(time.Time) tea.Msg { return sortMsg{} })
}

// refreshCmd refreshes name: now when the user asked, else only if it is
// still due once the store holds its lock (another process, the CLI or the
// agent, may have refreshed it since this UI last read the accounts).
func (m *Model) refreshCmd(name string, manual bool) tea.Cmd {
	st := m.o.Store
	return m.c.IO(func(ctx context.Context) tea.Msg {
		refresh := st.RefreshIfDue
		if manual {
			refresh = st.Refresh
		}
		a, err := refresh(ctx, name)
		return refreshDoneMsg{name: name, acct: a, err: err}
	})
}

func (m *Model) onRefreshDone(msg refreshDoneMsg) tea.Cmd {
	m.c.Now = m.o.Now()
	res := m.sched.Done(msg.name, msg.err, m.c.Now)
	switch {
	case msg.err == nil:
		if res.Manual {
			m.setToast("Refreshed "+termtext.Clean(msg.name), false)
		}
		if msg.acct.Name != msg.name { // no account came back: read them all
			return tea.Batch(m.sortSoon(), m.scheduleRefreshes(), m.load(""))
		}
		// The refresh returned the account as stored: no need to read
		// every account file again (a storm of 1,000 refreshes read
		// 1,000 x 1,000 files); the periodic load picks up the rest.
		m.board.update(msg.acct)
		return tea.Batch(m.sortSoon(), m.scheduleRefreshes())
	case res.Locked:
		cmd := m.sortSoon() // no longer refreshing
		if res.Manual {
			return tea.Batch(cmd, m.openUnlock("to refresh "+msg.name, common.Refresh{Name: msg.name}))
		}
		return cmd
	}
	if res.Manual {
		m.setToast("Refresh of "+termtext.Clean(msg.name)+" failed", true)
	}
	// the store records LastError / NeedsRelink in the account file: read it back
	return tea.Batch(m.sortSoon(), m.scheduleRefreshes(), m.load(""))
}

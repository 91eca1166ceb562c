// Package wizard is the link wizard: it walks one account through linking
// (pick a provider, fill in the details, authorize — paste, loopback or
// device code — and store), one attempt at a time. It runs internal/link's
// sequence, the one the command line runs; every call into it is in
// link.go, and errors.go puts link's errors in the form's words.
package wizard

import (
	"context"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/spinner"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"

	"github.com/tokenring/tokenring/accounts"
	"github.com/tokenring/tokenring/flow"
	"github.com/tokenring/tokenring/internal/link"
	"github.com/tokenring/tokenring/internal/termtext"
	"github.com/tokenring/tokenring/ui/common"
)

type step int

const (
	stepPick      step = iota // choose a provider
	stepFields                // name, client id, secrets, ...
	stepWorking               // discovery, exchange, saving: a spinner
	stepAuthorize             // the URL and the paste box
	stepDevice                // user code, verification URL, countdown
	stepFailed                // the provider's error and "start over"
	stepDone                  // linked: what was stored; enter goes back to the list
)

// Config is what the wizard links with: a link.Linker's parts.
type Config struct {
	// Exchanger talks to providers; nil: the wizard says linking is unavailable.
	Exchanger flow.Exchanger
	Store     link.Store
	// Providers from config.toml (or the demo's) are offered first: they
	// are this user's own.
	Providers []flow.Provider
	// Now stamps the linked account (nil: the Common's clock).
	Now func() time.Time
	// OpenURL opens a URL in the local browser (nil: the platform's opener).
	OpenURL func(ctx context.Context, url string) error
	// EnvSecrets are the secrets the user gave in the environment
	// (TOKENRING_CLIENT_SECRET, TOKENRING_API_KEY, read once by the CLI):
	// the form takes them when its field is left empty.
	EnvSecrets flow.Secrets
}

// Model is the wizard screen.
type Model struct {
	c      *common.Common
	cfg    Config
	linker link.Linker

	relink  string // name of the account linked again (its entry is replaced on success)
	step    step
	choices []choice
	pick    int
	ch      choice
	fields  []field
	focus   int
	formErr string

	// attempt numbers each run of a link step the user started (submitting
	// the form, starting over, going back): results of older ones are stale.
	attempt   int
	secrets   flow.Secrets
	planned   *link.Plan      // the provider resolved and checked; nil before
	auth      *link.Authorize // the attempt's authorization; nil once its code was sent
	authURL   string
	listenOn  string
	listenErr string
	paste     textinput.Model
	pasteErr  string
	// pasteRaw is the last paste as it came (the box shows it without
	// control characters, pasteShown): enter submits it as is, so that
	// flow's own checks (its size cap) see what was pasted.
	pasteRaw, pasteShown string
	device               *link.Device
	result               *link.Result // tokens in hand, not stored yet (enter stores them again)
	spin                 spinner.Model
	spinning             bool
	working              string
	failMsg              string
	failHint             string
	opened               bool
	cancel               context.CancelFunc // ends a running poll
	linked               *linkedInfo        // the Done step's account
}

// linkedInfo is what the Done step says about the stored account.
type linkedInfo struct {
	name          string
	expiry        time.Time
	refresh       bool // a refresh token came (or client credentials renew it)
	offlineDenied bool
}

type (
	openedMsg struct {
		attempt int
		err     error
	}
	spinMsg struct {
		attempt int
		t       spinner.TickMsg
	}
)

// attemptOf says which attempt a result of the wizard belongs to.
func attemptOf(msg tea.Msg) (int, bool) {
	switch m := msg.(type) {
	case plannedMsg:
		return m.attempt, true
	case progressMsg:
		return m.attempt, true
	case readyMsg:
		return m.attempt, true
	case startedMsg:
		return m.attempt, true
	case captureMsg:
		return m.attempt, true
	case resultMsg:
		return m.attempt, true
	case savedMsg:
		return m.attempt, true
	case readyAgainMsg:
		return m.attempt, true
	case saveAgainMsg:
		return m.attempt, true
	case openedMsg:
		return m.attempt, true
	case spinMsg:
		return m.attempt, true
	}
	return 0, false
}

// New opens the wizard on the provider picker.
func New(c *common.Common, cfg Config) *Model {
	if cfg.OpenURL == nil {
		cfg.OpenURL = openBrowser
	}
	if cfg.Now == nil {
		cfg.Now = c.Clock
	}
	w := &Model{c: c, cfg: cfg,
		linker: link.Linker{Store: cfg.Store, Exchanger: cfg.Exchanger, Providers: cfg.Providers, Now: cfg.Now}}
	for _, p := range cfg.Providers {
		w.choices = append(w.choices, configChoice(p, cfg.EnvSecrets))
	}
	w.choices = append(w.choices, builtinChoices(cfg.EnvSecrets)...)
	w.paste = common.NewInput("› ", "paste the code or the whole redirect address here", false)
	w.paste.CharLimit = flow.MaxPaste
	w.Restyle()
	return w
}

// NewRelink links the account a again (after its refresh token died): same
// provider and name; the old entry is replaced once the new tokens are in
// hand.
func NewRelink(c *common.Common, cfg Config, a accounts.Account) (*Model, tea.Cmd) {
	w := New(c, cfg)
	w.relink = a.Name
	ch := configChoice(a.Provider, cfg.EnvSecrets)
	ch.title = "Link " + termtext.Clean(a.Name) + " again"
	ch.desc = common.ProviderName(a.Provider)
	w.choices = []choice{ch}
	w.pick = 0
	cmd := w.choose()
	w.fields[0].input.SetValue(a.Name)
	if len(w.fields) > 1 {
		return w, w.setFocus(1)
	}
	return w, cmd
}

// Restyle follows a theme change.
func (w *Model) Restyle() {
	th := w.c.Theme
	common.StyleInput(&w.paste, th)
	for i := range w.fields {
		common.StyleInput(&w.fields[i].input, th)
	}
	w.spin.Style = th.Key
}

// Close stops the listener and any running poll.
func (w *Model) Close() {
	if w.cancel != nil {
		w.cancel()
		w.cancel = nil
	}
	if w.auth != nil {
		w.auth.Close()
	}
	w.spinning = false
}

// Title says what the screen does.
func (w *Model) Title() string { return "link an account" }

// NeedsTick: the device step shows a countdown.
func (w *Model) NeedsTick() bool { return w.step == stepDevice && w.device != nil }

func (w *Model) startSpin(what string) tea.Cmd {
	w.working = what
	w.spinning = true
	w.spin = spinner.New(spinner.WithSpinner(spinner.Points), spinner.WithStyle(w.c.Theme.Key))
	attempt := w.attempt
	id := w.spin.ID()
	return func() tea.Msg { return spinMsg{attempt, spinner.TickMsg{ID: id, Time: time.Now()}} }
}

// browserKey is offered only where a browser can open here (a local session
// with a display); over SSH ctrl+o still tries, but the help does not promise it.
func (w *Model) browserKey() key.Binding {
	b := common.KB("ctrl+o", "browser")
	b.SetEnabled(w.c.Env.Local())
	return b
}

// ShortHelp is the footer's key help for the current step.
func (w *Model) ShortHelp() []key.Binding {
	kb := common.KB
	switch w.step {
	case stepPick:
		return []key.Binding{kb("↑/↓", "choose"), kb("enter", "select"), kb("esc", "cancel")}
	case stepFields:
		return []key.Binding{w.c.Keys.Next, w.c.Keys.Prev, kb("enter", "continue"), kb("esc", "back")}
	case stepAuthorize:
		return []key.Binding{kb("enter", "submit"), kb("ctrl+y", "copy URL"), w.browserKey(),
			kb("ctrl+r", "start over"), kb("esc", "back")}
	case stepDevice:
		return []key.Binding{kb("ctrl+y", "copy URL"), w.browserKey(), kb("esc", "cancel")}
	case stepFailed:
		return []key.Binding{kb("enter", "start over"), kb("e", "edit"), kb("esc", "cancel")}
	case stepDone:
		return []key.Binding{kb("enter", "back to the list"), kb("esc", "back")}
	}
	return []key.Binding{kb("esc", "cancel")}
}

// ---- update ----------------------------------------------------------------------

// Update handles keys, pastes and the results of the current attempt.
func (w *Model) Update(msg tea.Msg) (common.Action, tea.Cmd) {
	if attempt, ok := attemptOf(msg); ok {
		if attempt != w.attempt {
			// a result for an earlier attempt: close what it opened, ignore the rest
			if sm, ok := msg.(startedMsg); ok {
				if a, ok := sm.step.(*link.Authorize); ok {
					a.Close()
				}
			}
			return nil, nil
		}
		return w.onResult(msg)
	}
	switch msg := msg.(type) {
	case tea.KeyPressMsg:
		if msg.String() == "ctrl+c" {
			return common.Quit{}, nil
		}
		switch w.step {
		case stepPick:
			return w.updatePick(msg)
		case stepFields:
			return w.updateFields(msg)
		case stepAuthorize:
			return w.updateAuthorize(msg)
		case stepDevice:
			return w.updateDevice(msg)
		case stepFailed:
			return w.updateFailed(msg)
		case stepDone:
			switch msg.String() {
			case "enter", "esc", "q", "left", "h", "backspace":
				return common.Close{}, nil
			}
		case stepWorking:
			if msg.String() == "esc" {
				return common.Batch{common.Close{}, common.Toast{Text: "Linking cancelled"}}, nil
			}
		}
	case tea.PasteMsg:
		switch w.step {
		case stepAuthorize:
			// The paste fills the box; enter submits it, as the footer says
			// (a paste that submitted by itself gave no chance to look).
			w.pasteRaw = msg.Content
			w.paste.SetValue(termtext.Clean(msg.Content))
			w.pasteShown = w.paste.Value()
			w.paste.CursorEnd()
			w.pasteErr = ""
			return nil, nil
		case stepFields:
			var cmd tea.Cmd
			f := &w.fields[w.focus]
			f.input, cmd = f.input.Update(tea.PasteMsg{Content: strings.TrimSpace(msg.Content)})
			return nil, cmd
		}
	}
	return nil, nil
}

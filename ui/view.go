package ui

import (
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/tokenring/tokenring/internal/termtext"
	"github.com/tokenring/tokenring/ui/common"
)

// View renders the whole screen: the header, the body of the screen on top
// (the dialog's, else the screen's), the info line, the toast and the help.
func (m *Model) View() tea.View {
	v := tea.NewView(m.render())
	v.AltScreen = true
	v.WindowTitle = "tokenring"
	return v
}

// top is the layer that has the keyboard.
func (m *Model) top() common.Screen {
	if m.dialog != nil {
		return m.dialog
	}
	return m.screen
}

func (m *Model) render() string {
	if m.quitting {
		return ""
	}
	w, h := m.c.Width, m.c.Height
	var b strings.Builder
	b.Grow(w * h * 2)
	b.WriteString(m.headerView())
	b.WriteString("\n\n")
	bodyH := h - 5 // header, blank, info, toast, help

	body := strings.TrimRight(m.top().View(bodyH), "\n")
	lines := strings.Split(body, "\n")
	if len(lines) > bodyH {
		lines = lines[:bodyH]
	}
	for _, l := range lines {
		if ansi.StringWidth(l) > w { // never let the terminal wrap a line
			l = ansi.Truncate(l, w, "…")
		}
		b.WriteString(l)
		b.WriteByte('\n')
	}
	for i := len(lines); i < bodyH; i++ {
		b.WriteByte('\n')
	}
	b.WriteString(m.footerView())
	return b.String()
}

func (m *Model) headerView() string {
	th := m.c.Theme
	left := th.Title.Render("◆ tokenring")
	if t, ok := m.screen.(common.Titled); ok {
		if s := t.Title(); s != "" {
			left += th.Muted.Render("  ·  " + s)
		}
	}
	if m.o.Demo {
		left += "  " + th.Warn.Render("DEMO")
	}
	right := ""
	if m.backend.Name != "" {
		right = "keyring: " + termtext.Clean(m.backend.Name)
		switch {
		case m.agentOK && m.agent.Unlocked:
			right += " · " + agentUntil(m.agent.Until, m.c.Now)
		case m.backend.New:
			right += " (new)" // no passphrase yet: not "locked"
		case m.backend.Locked:
			right += " (locked)"
		}
	}
	gap := m.c.Width - lipgloss.Width(left) - lipgloss.Width(right) - 1
	if gap < 1 {
		return common.Cut(left, m.c.Width)
	}
	return left + strings.Repeat(" ", gap) + th.Muted.Render(right)
}

func (m *Model) footerView() string {
	th, w := m.c.Theme, m.c.Width
	onList := m.screen == common.Screen(m.list)
	var info string
	if onList && m.list.Filtering() {
		info = " " + m.list.FilterView()
	} else if s, bad := m.infoLine(onList); s != "" {
		st := th.Muted
		if bad {
			st = th.Warn
		}
		info = st.Render(" " + common.Cut(s, w-2))
	}
	toast := ""
	if m.toast != "" {
		st := th.Toast
		prefix := " ✓ "
		switch {
		case m.toastErr:
			st, prefix = th.ToastErr, " ✗ "
		case m.toastWarn:
			st, prefix = th.Warn, " ! "
		}
		if strings.HasSuffix(m.toast, "…") {
			st, prefix = th.Muted, " · "
		}
		toast = st.Render(common.Cut(prefix+m.toast, w))
	}
	return info + "\n" + toast + "\n " + m.c.ShortHelpView(m.top().ShortHelp(), w-1)
}

// infoLine: the paused background refresh on every screen, else on the
// list what the selected row needs (bad: a warning), else what the unlock
// agent noticed in the last hour.
func (m *Model) infoLine(onList bool) (string, bool) {
	if m.sched.Paused() {
		if m.backend.New {
			return "The keyring has no passphrase yet: background refresh waits. Press u to choose one.", true
		}
		return "Keyring locked: background refresh is paused. Press u to unlock.", true
	}
	if !onList {
		return "", false
	}
	if s, bad := m.list.Info(); s != "" {
		return s, bad
	}
	return m.agentEvent()
}

// agentUntil is the header's "unlocked until 18:40" (the date too when it
// is not today).
func agentUntil(t, now time.Time) string {
	if t.IsZero() {
		return "unlocked by the agent"
	}
	return "unlocked until " + stampShort(t, now)
}

// agentEvent is the agent's latest event of the last hour, for the info
// line (a warning unless it is a recovery).
func (m *Model) agentEvent() (string, bool) {
	if !m.agentOK || len(m.agent.Events) == 0 {
		return "", false
	}
	e := m.agent.Events[len(m.agent.Events)-1]
	if m.c.Now.Sub(e.Time) > time.Hour {
		return "", false
	}
	what := map[string]string{
		"needs_relink":      "needs linking again",
		"refresh_failing":   "keeps failing to refresh",
		"refresh_recovered": "refreshes again",
	}[e.Kind]
	if what == "" {
		what = e.Kind
	}
	return "Agent, " + e.Time.Local().Format("15:04") + ": " + termtext.Clean(e.Account) + " " + what + ".", e.Kind != "refresh_recovered"
}

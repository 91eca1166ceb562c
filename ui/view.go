package ui

import (
	"fmt"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/tokenring/tokenring/internal/termtext"
)

type styleT = lipgloss.Style

// View renders the whole screen.
func (m *Model) View() tea.View {
	v := tea.NewView(m.render())
	v.AltScreen = true
	v.WindowTitle = "tokenring"
	return v
}

func (m *Model) render() string {
	if m.quitting {
		return ""
	}
	var b strings.Builder
	b.Grow(m.width * m.height * 2)
	b.WriteString(m.headerView())
	b.WriteString("\n\n")
	bodyH := m.height - 5 // header, blank, info, toast, help

	var body string
	switch {
	case m.modal == modalHelp:
		body = m.fullHelpView()
	case m.modal == modalUnlock:
		body = m.center(m.unlock.view(m), bodyH)
	case m.modal == modalConfirm:
		body = m.center(m.confirmView(), bodyH)
	case m.screen == screenWizard && m.wiz != nil:
		body = m.wiz.view(m, bodyH)
	case m.screen == screenDetail && m.detail != nil:
		body = m.detail.view(m, bodyH)
	default:
		var lb strings.Builder
		m.listView(&lb)
		body = lb.String()
	}
	body = strings.TrimRight(body, "\n")
	lines := strings.Split(body, "\n")
	if len(lines) > bodyH {
		lines = lines[:bodyH]
	}
	for _, l := range lines {
		if ansi.StringWidth(l) > m.width { // never let the terminal wrap a line
			l = ansi.Truncate(l, m.width, "…")
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

func (m *Model) center(box string, h int) string {
	return lipgloss.Place(m.width, max(h, lipgloss.Height(box)), lipgloss.Center, lipgloss.Center, box)
}

func (m *Model) headerView() string {
	th := m.th
	left := th.Title.Render("◆ tokenring")
	switch m.screen {
	case screenWizard:
		left += th.Muted.Render("  ·  link an account")
	case screenDetail:
		if m.detail != nil {
			left += th.Muted.Render("  ·  " + termtext.Clean(m.detail.name))
		}
	default:
		if m.loaded {
			n := len(m.accts)
			s := fmt.Sprintf("  ·  %d account", n)
			if n != 1 {
				s += "s"
			}
			if f := m.filter.Value(); f != "" && !m.filtering {
				s += fmt.Sprintf(" (%d shown)", len(m.rows))
			}
			left += th.Muted.Render(s)
		}
	}
	if m.o.Demo {
		left += "  " + th.Warn.Render("DEMO")
	}
	right := ""
	if m.backend.Name != "" {
		right = "keyring: " + termtext.Clean(m.backend.Name)
		if m.backend.Locked {
			right += " (locked)"
		}
	}
	gap := m.width - lipgloss.Width(left) - lipgloss.Width(right) - 1
	if gap < 1 {
		return cut(left, m.width)
	}
	return left + strings.Repeat(" ", gap) + th.Muted.Render(right)
}

func (m *Model) footerView() string {
	th := m.th
	var info string
	if m.screen == screenList && m.filtering {
		info = " " + m.filter.View()
	} else if s, bad := m.infoLine(); s != "" {
		st := th.Muted
		if bad {
			st = th.Warn
		}
		info = st.Render(" " + cut(s, m.width-2))
	}
	toast := ""
	if m.toast != "" {
		st := th.Toast
		prefix := " ✓ "
		if m.toastErr {
			st, prefix = th.ToastErr, " ✗ "
		}
		if strings.HasSuffix(m.toast, "…") {
			st, prefix = th.Muted, " · "
		}
		toast = st.Render(cut(prefix+m.toast, m.width))
	}
	return info + "\n" + toast + "\n " + m.shortHelp()
}

func (m *Model) shortHelp() string {
	switch m.modal {
	case modalUnlock:
		return m.help.ShortHelpView(bindings{kb("enter", "unlock"), kb("esc", "cancel")})
	case modalConfirm:
		return m.help.ShortHelpView(bindings{kb("y", "remove"), kb("n/esc", "keep")})
	case modalHelp:
		return m.help.ShortHelpView(bindings{kb("any key", "close")})
	}
	switch m.screen {
	case screenWizard:
		if m.wiz != nil {
			return m.help.ShortHelpView(m.wiz.keys(m))
		}
	case screenDetail:
		return m.help.View(detailHelp{m.keys})
	}
	if m.filtering {
		return m.help.ShortHelpView(bindings{kb("enter", "keep filter"), kb("esc", "clear")})
	}
	return m.help.View(listHelp{k: m.keys, empty: len(m.accts) == 0, offerDemo: m.offersDemo()})
}

func (m *Model) fullHelpView() string {
	th := m.th
	var b strings.Builder
	b.WriteString("  " + th.Section.Render("Keys") + "\n\n")
	hm := m.help
	hm.ShowAll = true
	full := hm.FullHelpView(listHelp{k: m.keys}.FullHelp())
	for _, l := range strings.Split(full, "\n") {
		b.WriteString("  " + l + "\n")
	}
	k := th.HelpKey.Render
	d := th.HelpDesc.Render
	b.WriteString("\n  " + th.Section.Render("Details") + "  " + k("v") + d(" reveal/hide tokens  ") + k("c i h") + d(" copy  ") +
		k("r") + d(" refresh  ") + k("esc") + d(" back") + "\n")
	b.WriteString("  " + th.Section.Render("Linking") + "  " + k("ctrl+y") + d(" copy URL  ") + k("ctrl+o") + d(" open browser  ") +
		k("ctrl+r") + d(" start over") + "\n\n")
	note := "Copies go through the terminal (OSC 52, also over SSH) and to the system clipboard when there is one"
	if m.o.ClipboardClear > 0 {
		note += "; secrets are cleared after " + termtext.Duration(m.o.ClipboardClear)
	}
	note += ". In tmux, run: tmux set -s set-clipboard on"
	b.WriteString(th.Muted.Render(wrapIndent(note, m.width-4, "  ")))
	if m.backend.Name != "" {
		kr := "Keyring: " + termtext.Clean(m.backend.Name)
		if m.backend.Reason != "" {
			kr += " (" + termtext.Clean(m.backend.Reason) + ")"
		}
		b.WriteString("\n" + th.Muted.Render(wrapIndent(kr, m.width-4, "  ")))
	}
	return b.String()
}

func wrapIndent(s string, w int, indent string) string {
	lines := strings.Split(wrapText(s, w), "\n")
	for i := range lines {
		lines[i] = indent + lines[i]
	}
	return strings.Join(lines, "\n")
}

func (m *Model) confirmView() string {
	th := m.th
	name := termtext.Clean(m.confirmName)
	a, _ := m.account(m.confirmName)
	what := "Its tokens are deleted from the keyring."
	if a.Provider.RevocationURL != "" {
		what = "Its tokens are revoked at " + a.Provider.Label() + " and deleted from the keyring."
	}
	body := th.Danger.Render("Remove "+name+"?") + "\n\n" +
		wrapText(what, 46) + "\n\n" +
		th.Key.Render("y") + th.Muted.Render(" remove   ") + th.Key.Render("n") + th.Muted.Render(" keep")
	return th.Box.Render(body)
}

func kb(k, desc string) key.Binding {
	return key.NewBinding(key.WithKeys(k), key.WithHelp(k, desc))
}

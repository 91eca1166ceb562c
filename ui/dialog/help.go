package dialog

import (
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/tokenring/tokenring/accounts"
	"github.com/tokenring/tokenring/internal/termtext"
	"github.com/tokenring/tokenring/ui/common"
)

// Help is the full key help, with a word on the clipboard and the keyring.
type Help struct {
	c         *common.Common
	keys      [][]key.Binding // the list's keys, in columns
	clipClear time.Duration   // how long a copied secret stays (≤ 0: never cleared)
	backend   accounts.BackendInfo
}

// NewHelp shows keys (the list's, the details' and the wizard's follow).
func NewHelp(c *common.Common, keys [][]key.Binding, clipClear time.Duration, b accounts.BackendInfo) *Help {
	return &Help{c: c, keys: keys, clipClear: clipClear, backend: b}
}

// Update: any key closes the help.
func (d *Help) Update(msg tea.Msg) (common.Action, tea.Cmd) {
	k, ok := msg.(tea.KeyPressMsg)
	if !ok {
		return nil, nil
	}
	if k.String() == "ctrl+c" {
		return common.Quit{}, nil
	}
	return common.Close{}, nil
}

// View is the help text.
func (d *Help) View(int) string {
	th, w := d.c.Theme, d.c.Width
	var b strings.Builder
	b.WriteString("  " + th.Section.Render("Keys") + "\n\n")
	hm := d.c.Help
	hm.ShowAll = true
	for _, l := range strings.Split(hm.FullHelpView(d.keys), "\n") {
		b.WriteString("  " + l + "\n")
	}
	k := th.HelpKey.Render
	ds := th.HelpDesc.Render
	b.WriteString("\n  " + th.Section.Render("Details") + "  " + k("v") + ds(" reveal/hide tokens  ") + k("c i h") + ds(" copy  ") +
		k("r") + ds(" refresh  ") + k("esc") + ds(" back") + "\n")
	b.WriteString("  " + th.Section.Render("Linking") + "  " + k("ctrl+y") + ds(" copy URL  ") + k("ctrl+o") + ds(" open browser  ") +
		k("ctrl+r") + ds(" start over") + "\n\n")
	note := "Copies go through the terminal (OSC 52, also over SSH) and to the system clipboard when there is one"
	if d.clipClear > 0 {
		note += "; secrets are cleared after " + termtext.Duration(d.clipClear)
	}
	note += ". In tmux, run: tmux set -s set-clipboard on"
	b.WriteString(th.Muted.Render(common.WrapIndent(note, w-4, "  ")))
	if d.backend.Name != "" {
		kr := "Keyring: " + termtext.Clean(d.backend.Name)
		if d.backend.Reason != "" {
			kr += " (" + termtext.Clean(d.backend.Reason) + ")"
		}
		b.WriteString("\n" + th.Muted.Render(common.WrapIndent(kr, w-4, "  ")))
	}
	return b.String()
}

// ShortHelp is the footer's key help.
func (d *Help) ShortHelp() []key.Binding {
	return []key.Binding{common.KB("any key", "close")}
}

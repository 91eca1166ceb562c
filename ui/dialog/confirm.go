package dialog

import (
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/tokenring/tokenring/internal/termtext"
	"github.com/tokenring/tokenring/ui/common"
)

// Confirm asks before an account is removed.
type Confirm struct {
	c     *common.Common
	accts common.Accounts
	name  string
}

// NewConfirm asks whether to remove the account name.
func NewConfirm(c *common.Common, accts common.Accounts, name string) *Confirm {
	return &Confirm{c: c, accts: accts, name: name}
}

// Update: only y removes; n, enter, esc and q keep. Enter means "open"
// everywhere else, so it must never be the key that destroys.
func (d *Confirm) Update(msg tea.Msg) (common.Action, tea.Cmd) {
	k, ok := msg.(tea.KeyPressMsg)
	if !ok {
		return nil, nil
	}
	switch strings.ToLower(k.String()) {
	case "ctrl+c":
		return common.Quit{}, nil
	case "y":
		return common.Batch{common.Close{}, common.Remove{Name: d.name}}, nil
	case "n", "enter", "esc", "q":
		return common.Close{}, nil
	}
	return nil, nil
}

// View is the question, centred.
func (d *Confirm) View(h int) string {
	th := d.c.Theme
	what := "Its tokens are deleted from the keyring."
	if a, _ := d.accts.Account(d.name); a.Provider.RevocationURL != "" {
		what = "Its tokens are revoked at " + a.Provider.Label() + " and deleted from the keyring."
	}
	tw := common.DialogWidth(d.c.Width, 46)
	gapLine := "\n\n"
	if h < 12 {
		gapLine = "\n"
	}
	body := th.Danger.Render(common.WrapText("Remove "+termtext.Clean(d.name)+"?", tw)) + gapLine +
		common.WrapText(what, tw) + gapLine +
		th.Key.Render("y") + th.Muted.Render(" remove   ") + th.Key.Render("n") + th.Muted.Render(", ") +
		th.Key.Render("enter") + th.Muted.Render(" or ") + th.Key.Render("esc") + th.Muted.Render(" keep")
	return common.Dialog(th.Box, body, d.c.Width, h)
}

// ShortHelp is the footer's key help.
func (d *Confirm) ShortHelp() []key.Binding {
	return []key.Binding{common.KB("y", "remove"), common.KB("n/enter/esc", "keep")}
}

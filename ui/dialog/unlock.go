// Package dialog holds the small screens shown over another: the unlock
// prompt, the confirmation before removing an account, and the help.
package dialog

import (
	"errors"
	"strings"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"

	"github.com/tokenring/tokenring/accounts"
	"github.com/tokenring/tokenring/internal/termtext"
	"github.com/tokenring/tokenring/ui/common"
)

// Unlock is the passphrase prompt of the file keyring. It reads the
// passphrase (twice for a new keyring) and hands it to the root
// (SubmitPassphrase), which unlocks and then calls Failed or closes it.
type Unlock struct {
	c       *common.Common
	backend accounts.BackendInfo
	input   textinput.Model
	why     string
	err     string
	busy    bool
	// a new keyring: the passphrase is typed twice
	confirming bool
	first      string
}

// NewUnlock opens the prompt for the keyring b, saying why it is needed.
func NewUnlock(c *common.Common, b accounts.BackendInfo, why string) *Unlock {
	u := &Unlock{c: c, backend: b, why: why, input: common.NewInput("passphrase: ", "", true)}
	u.input.SetWidth(32)
	u.input.CharLimit = 1024
	u.Restyle()
	u.input.Focus() // the cursor does not blink: there is nothing to run
	return u
}

// Restyle follows a theme change.
func (u *Unlock) Restyle() { common.StyleInput(&u.input, u.c.Theme) }

// SetBackend follows what the last load said of the keyring.
func (u *Unlock) SetBackend(b accounts.BackendInfo) { u.backend = b }

// Chose: the prompt asked for a new keyring's first passphrase.
func (u *Unlock) Chose() bool { return u.backend.New }

// Busy: the root is trying the passphrase.
func (u *Unlock) Busy() bool { return u.busy }

// Failed shows why the passphrase was not taken and asks again.
func (u *Unlock) Failed(err error) {
	u.busy = false
	switch {
	case errors.Is(err, accounts.ErrBadPassphrase):
		u.fail("Wrong passphrase. Try again.")
	case errors.Is(err, accounts.ErrEmptyPass):
		u.fail("The passphrase must not be empty.")
	default:
		u.fail(termtext.Clean(err.Error()))
	}
}

func (u *Unlock) fail(msg string) {
	u.err = msg
	u.input.SetValue("")
	u.input.Focus()
}

// Update reads the passphrase.
func (u *Unlock) Update(msg tea.Msg) (common.Action, tea.Cmd) {
	if k, ok := msg.(tea.KeyPressMsg); ok {
		switch k.String() {
		case "ctrl+c":
			return common.Quit{}, nil
		case "esc":
			return common.Close{}, nil
		case "enter":
			return u.submit(), nil
		}
	}
	if u.busy {
		return nil, nil
	}
	var cmd tea.Cmd
	u.input, cmd = u.input.Update(msg)
	return nil, cmd
}

func (u *Unlock) submit() common.Action {
	if u.busy {
		return nil
	}
	pass := u.input.Value()
	if pass == "" {
		u.fail("Type the passphrase, then press enter.")
		return nil
	}
	if u.backend.New { // a new keyring: the passphrase is set now, so ask twice
		if !u.confirming {
			u.first = pass
			u.confirming = true
			u.err = ""
			u.input.SetValue("")
			return nil
		}
		first := u.first
		u.first, u.confirming = "", false
		if pass != first {
			u.fail("The two passphrases differ. Choose one and type it twice.")
			return nil
		}
	}
	u.busy = true
	u.err = ""
	u.input.SetValue("")
	return common.SubmitPassphrase{Passphrase: pass}
}

// View is the prompt, centred. When the box does not fit (a small
// terminal) it drops its notes and puts the input on its last line, which
// stays visible at any size.
func (u *Unlock) View(h int) string {
	th := u.c.Theme
	tw := common.DialogWidth(u.c.Width, 50)
	where := "The encrypted file keyring"
	if p := u.backend.Path; p != "" {
		where += " in " + termtext.Clean(p)
	}
	why := ""
	if u.why != "" {
		why = " " + termtext.Clean(u.why)
	}
	var title, text, note string
	u.input.Prompt = "passphrase: "
	if u.backend.New {
		title = "Choose a passphrase"
		text = where + " is new: choose the passphrase that will protect it."
		if why != "" {
			text += " It is needed" + why + "."
		}
		note = "It cannot be recovered; tokenring never stores it."
		if u.confirming {
			u.input.Prompt = "again:      "
		}
	} else {
		title = "Unlock the keyring"
		text = where + " needs its passphrase" + why + "."
		note = "Listing and countdowns work without it."
	}
	u.input.SetWidth(max(min(32, tw-len(u.input.Prompt)-1), 4))
	status := ""
	switch {
	case u.busy:
		status = th.Muted.Render("Checking…")
	case u.err != "":
		status = th.ToastErr.Render(common.WrapText(u.err, tw))
	}
	var b strings.Builder
	b.WriteString(th.Title.Render(title) + "\n\n")
	b.WriteString(common.WrapText(text, tw) + "\n")
	b.WriteString(th.Muted.Render(common.WrapText(note, tw)) + "\n\n")
	b.WriteString(u.input.View() + "\n")
	if status != "" {
		b.WriteString("\n" + status)
	}
	full := th.Box.Render(b.String())
	if lipgloss.Height(full) <= h && lipgloss.Width(full) <= u.c.Width {
		return common.Center(full, u.c.Width, h)
	}
	// compact: title, why, what went wrong, and the input last
	b.Reset()
	b.WriteString(th.Title.Render(title) + "\n")
	b.WriteString(common.WrapText(text, tw) + "\n")
	if status != "" {
		b.WriteString(status + "\n")
	}
	b.WriteString(u.input.View())
	return common.Dialog(th.Box, b.String(), u.c.Width, h)
}

// ShortHelp is the footer's key help.
func (u *Unlock) ShortHelp() []key.Binding {
	if u.backend.New {
		return []key.Binding{common.KB("enter", "continue"), common.KB("esc", "cancel")}
	}
	return []key.Binding{common.KB("enter", "unlock"), common.KB("esc", "cancel")}
}

// Package dialog holds the small screens shown over another: the unlock
// prompt, the confirmation before removing an account, and the help.
package dialog

import (
	"errors"
	"strings"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"

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

// View is the prompt, centred.
func (u *Unlock) View(h int) string {
	th := u.c.Theme
	var b strings.Builder
	where := "The encrypted file keyring"
	if p := u.backend.Path; p != "" {
		where += " in " + termtext.Clean(p)
	}
	why := ""
	if u.why != "" {
		why = " " + termtext.Clean(u.why)
	}
	if u.backend.New {
		b.WriteString(th.Title.Render("Choose a passphrase") + "\n\n")
		b.WriteString(common.WrapText(where+" is new: choose the passphrase that will protect it"+why+".", 50) + "\n")
		b.WriteString(th.Muted.Render(common.WrapText("It cannot be recovered; tokenring never stores it.", 50)) + "\n\n")
		u.input.Prompt = "passphrase: "
		if u.confirming {
			u.input.Prompt = "again:      "
		}
	} else {
		b.WriteString(th.Title.Render("Unlock the keyring") + "\n\n")
		b.WriteString(common.WrapText(where+" needs its passphrase"+why+".", 50) + "\n")
		b.WriteString(th.Muted.Render(common.WrapText("Listing and countdowns work without it.", 50)) + "\n\n")
		u.input.Prompt = "passphrase: "
	}
	b.WriteString(u.input.View() + "\n")
	switch {
	case u.busy:
		b.WriteString("\n" + th.Muted.Render("Checking…"))
	case u.err != "":
		b.WriteString("\n" + th.ToastErr.Render(common.WrapText(u.err, 50)))
	}
	return common.Center(th.Box.Render(b.String()), u.c.Width, h)
}

// ShortHelp is the footer's key help.
func (u *Unlock) ShortHelp() []key.Binding {
	return []key.Binding{common.KB("enter", "unlock"), common.KB("esc", "cancel")}
}

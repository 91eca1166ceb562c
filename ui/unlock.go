package ui

import (
	"strings"

	"charm.land/bubbles/v2/textinput"

	"github.com/tokenring/tokenring/internal/termtext"
	"github.com/tokenring/tokenring/theme"
)

// newInput is a one-line text field; secret fields echo bullets. The cursor
// does not blink: a blinking cursor would wake the program while idle.
func newInput(prompt, placeholder string, secret bool) textinput.Model {
	ti := textinput.New()
	ti.Prompt = prompt
	ti.Placeholder = placeholder
	if secret {
		ti.EchoMode = textinput.EchoPassword
		ti.EchoCharacter = '•'
	}
	ti.CharLimit = 4096
	return ti
}

func styleInput(ti *textinput.Model, th *theme.Theme) {
	s := textinput.DefaultStyles(th.Dark)
	s.Cursor.Blink = false
	s.Focused.Prompt = th.Key
	s.Blurred.Prompt = th.Muted
	s.Focused.Placeholder = th.Subtle
	s.Blurred.Placeholder = th.Subtle
	s.Focused.Text = th.Value
	s.Blurred.Text = th.Muted
	if !th.NoColor {
		s.Cursor.Color = th.P.Accent
	}
	ti.SetStyles(s)
}

// unlockModel is the passphrase prompt of the file keyring.
type unlockModel struct {
	input textinput.Model
	why   string
	err   string
	busy  bool
	tries int
	// a new keyring: the passphrase is typed twice
	confirming bool
	first      string
}

func newUnlock() unlockModel {
	u := unlockModel{input: newInput("passphrase: ", "", true)}
	u.input.SetWidth(32)
	u.input.CharLimit = 1024
	return u
}

func (u *unlockModel) open(why string) {
	u.why, u.err, u.busy = why, "", false
	u.confirming, u.first = false, ""
	u.input.SetValue("")
	u.input.Focus()
}

func (u *unlockModel) fail(msg string) {
	u.err = msg
	u.tries++
	u.input.SetValue("")
	u.input.Focus()
}

func (u *unlockModel) reset() {
	u.confirming, u.first = false, ""
	u.input.SetValue("")
	u.input.Blur()
	u.err, u.why, u.busy, u.tries = "", "", false, 0
}

func (u *unlockModel) view(m *Model) string {
	th := m.th
	var b strings.Builder
	where := "The encrypted file keyring"
	if p := m.backend.Path; p != "" {
		where += " in " + termtext.Clean(p)
	}
	why := ""
	if u.why != "" {
		why = " " + termtext.Clean(u.why)
	}
	if m.backend.New {
		b.WriteString(th.Title.Render("Choose a passphrase") + "\n\n")
		b.WriteString(wrapText(where+" is new: choose the passphrase that will protect it"+why+".", 50) + "\n")
		b.WriteString(th.Muted.Render(wrapText("It cannot be recovered; tokenring never stores it.", 50)) + "\n\n")
		u.input.Prompt = "passphrase: "
		if u.confirming {
			u.input.Prompt = "again:      "
		}
	} else {
		b.WriteString(th.Title.Render("Unlock the keyring") + "\n\n")
		b.WriteString(wrapText(where+" needs its passphrase"+why+".", 50) + "\n")
		b.WriteString(th.Muted.Render(wrapText("Listing and countdowns work without it.", 50)) + "\n\n")
		u.input.Prompt = "passphrase: "
	}
	b.WriteString(u.input.View() + "\n")
	switch {
	case u.busy:
		b.WriteString("\n" + th.Muted.Render("Checking…"))
	case u.err != "":
		b.WriteString("\n" + th.ToastErr.Render(wrapText(u.err, 50)))
	}
	return th.Box.Render(b.String())
}

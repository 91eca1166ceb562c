package ui

import (
	"strings"

	"charm.land/bubbles/v2/textinput"

	"github.com/tokenring/tokenring/flow"
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
}

func newUnlock() unlockModel {
	u := unlockModel{input: newInput("passphrase: ", "", true)}
	u.input.SetWidth(32)
	u.input.CharLimit = 1024
	return u
}

func (u *unlockModel) open(why string) {
	u.why, u.err, u.busy = why, "", false
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
	u.input.SetValue("")
	u.input.Blur()
	u.err, u.why, u.busy, u.tries = "", "", false, 0
}

func (u *unlockModel) view(m *Model) string {
	th := m.th
	var b strings.Builder
	b.WriteString(th.Title.Render("Unlock the keyring") + "\n\n")
	where := "The encrypted file keyring"
	if r := m.backend.Reason; r != "" {
		where += " (" + flow.Clean(r) + ")"
	}
	why := ""
	if u.why != "" {
		why = " " + flow.Clean(u.why)
	}
	b.WriteString(wrapText(where+" needs its passphrase"+why+".", 50) + "\n")
	b.WriteString(th.Muted.Render(wrapText("Listing and countdowns work without it.", 50)) + "\n\n")
	b.WriteString(u.input.View() + "\n")
	switch {
	case u.busy:
		b.WriteString("\n" + th.Muted.Render("Checking…"))
	case u.err != "":
		b.WriteString("\n" + th.ToastErr.Render(wrapText(u.err, 50)))
	}
	return th.Box.Render(b.String())
}

package common

import (
	"charm.land/bubbles/v2/textinput"

	"github.com/tokenring/tokenring/theme"
)

// NewInput is a one-line text field; secret fields echo bullets. The cursor
// does not blink: a blinking cursor would wake the program while idle.
func NewInput(prompt, placeholder string, secret bool) textinput.Model {
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

// StyleInput gives ti the theme's colours (again after the theme changed).
func StyleInput(ti *textinput.Model, th *theme.Theme) {
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

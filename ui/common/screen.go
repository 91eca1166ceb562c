package common

import (
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
)

// Screen is a child model of the root: the list, the wizard, the detail
// view, and the dialogs over them (unlock, confirm, help). It owns its
// state; the root hands it keys and pastes when it is on top, and every
// other message it does not handle itself. Adding a screen: a type with
// these methods, and one line in the root's action switch that opens it.
type Screen interface {
	// Update handles one message and returns what the root should do.
	Update(msg tea.Msg) (Action, tea.Cmd)
	// View renders the body between the header and the footer, at most
	// height lines (the root cuts what is longer).
	View(height int) string
	// ShortHelp is the key help in the footer.
	ShortHelp() []key.Binding
}

// Optional parts of a Screen.
type (
	// Titled screens name themselves in the header ("link an account").
	Titled interface{ Title() string }
	// Ticking screens show something that changes every second while
	// NeedsTick says so (a countdown); the root runs its one 1 Hz tick
	// only while something needs it.
	Ticking interface{ NeedsTick() bool }
	// Closing screens hold something to let go of when they close (a
	// loopback listener, a running poll, a secret).
	Closing interface{ Close() }
	// Styled screens restyle their text inputs when the theme changes
	// (the terminal answered the background-colour query).
	Styled interface{ Restyle() }
)

package common

import tea "charm.land/bubbletea/v2"

// Action is what a screen asks the root to do, returned from its Update
// beside a tea.Cmd; nil asks nothing. The root performs the actions below
// (ui/actions.go is the one switch); a screen never changes another
// screen's state nor the root's.
type Action any

// What a Copy copies.
type What int

const (
	AccessToken What = iota // the access token
	IDToken                 // the OpenID Connect ID token
	Header                  // "Name: value", the HTTP header the provider expects
)

// String names it for messages ("access token", ...).
func (w What) String() string {
	switch w {
	case IDToken:
		return "ID token"
	case Header:
		return "HTTP header"
	}
	return "access token"
}

type (
	// Quit ends the program.
	Quit struct{}
	// StartDemo ends the program asking for the demo (Options.OfferDemo).
	StartDemo struct{}
	// Close closes the screen or dialog that returned it (back to the list).
	Close struct{}
	// Toast shows a short message in the status line.
	Toast struct {
		Text string
		Err  bool
	}
	// ShowHelp opens the help over the current screen.
	ShowHelp struct{}
	// OpenDetail shows one account.
	OpenDetail struct{ Name string }
	// OpenWizard starts linking a new account.
	OpenWizard struct{}
	// Relink links an existing account again (same name and provider).
	Relink struct{ Name string }
	// Refresh refreshes an account now, because the user asked.
	Refresh struct{ Name string }
	// Copy reads a token from the keyring and puts it on the clipboard
	// (cleared after Options.ClipboardClear).
	Copy struct {
		Name string
		What What
	}
	// CopyText puts text that is not a secret (a URL) on the clipboard.
	CopyText struct{ Text, Label string }
	// ConfirmRemove asks whether to remove an account.
	ConfirmRemove struct{ Name string }
	// Remove removes an account (confirmed), revoking its tokens where the
	// provider can.
	Remove struct{ Name string }
	// Unlock is the unlock key: the prompt when the keyring is locked (or
	// background refresh is paused), else a note that it is not.
	Unlock struct{}
	// RequestUnlock opens the passphrase prompt, saying Why; once the
	// keyring is unlocked the root performs Retry (nil: nothing).
	RequestUnlock struct {
		Why   string
		Retry Action
	}
	// SubmitPassphrase unlocks the keyring with what the prompt read.
	SubmitPassphrase struct{ Passphrase string }
	// Linked: the wizard stored the account Name (Relinked: it replaced
	// the entry of the same name) and shows its Done step (it closes itself
	// when the user goes back). OfflineDenied: offline access was asked
	// for but no refresh token came (the account must be linked again when
	// its token expires): the root warns.
	Linked struct {
		Name          string
		Relinked      bool
		OfflineDenied bool
	}
	// Deliver hands Msg to the screen that is open when the root performs
	// it: a retry a screen asked for (show the tokens, store the new
	// account again). A screen that does not know Msg ignores it.
	Deliver struct{ Msg tea.Msg }
	// Batch is several actions, performed in order.
	Batch []Action
)

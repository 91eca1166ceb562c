package common

import "charm.land/bubbles/v2/key"

// KeyMap holds every binding; each screen shows the ones that apply.
type KeyMap struct {
	Up, Down, PgUp, PgDown, Top, Bottom       key.Binding
	Open, Link, Relink, Refresh, Copy, CopyID key.Binding
	CopyHeader, Remove, Filter, Unlock        key.Binding
	Help, Quit, Back, Reveal, Demo            key.Binding
	// wizard
	Next, Prev, Submit, CopyURL, OpenURL, StartOver key.Binding
}

// NewKeyMap returns tokenring's keys. They follow the habits of lazygit,
// k9s and gh-dash: j/k (and the arrows) move, h/l go back and open, enter
// opens, esc goes back, / filters, ? shows every key, q quits, n makes
// something new, d removes (and asks), r refreshes, y or c copies. No key
// that a vim user presses by reflex (h j k l g G ctrl+u ctrl+d) puts a
// secret on the clipboard or changes anything: the HTTP header copy is C.
// ui/list's FullHelp, the help screen, README.md ("### Keys") and the ui
// package's doc list the same keys (TestKeysDocumentedInReadme).
func NewKeyMap() KeyMap {
	b := func(keys []string, k, d string) key.Binding {
		return key.NewBinding(key.WithKeys(keys...), key.WithHelp(k, d))
	}
	return KeyMap{
		Up:         b([]string{"up", "k"}, "↑/k", "up"),
		Down:       b([]string{"down", "j"}, "↓/j", "down"),
		PgUp:       b([]string{"pgup", "ctrl+u"}, "pgup", "page up"),
		PgDown:     b([]string{"pgdown", "ctrl+d", "space"}, "pgdn", "page down"),
		Top:        b([]string{"home", "g"}, "g", "first"),
		Bottom:     b([]string{"end", "G"}, "G", "last"),
		Open:       b([]string{"enter", "l", "right"}, "enter/l", "details"),
		Link:       b([]string{"n", "a"}, "n", "link an account"),
		Relink:     b([]string{"L"}, "L", "link the account again"),
		Refresh:    b([]string{"r"}, "r", "refresh"),
		Copy:       b([]string{"c", "y"}, "c/y", "copy access token"),
		CopyID:     b([]string{"i"}, "i", "copy ID token"),
		CopyHeader: b([]string{"C"}, "C", "copy as HTTP header"),
		Remove:     b([]string{"d", "x", "delete"}, "d", "remove"),
		Filter:     b([]string{"/"}, "/", "filter"),
		Unlock:     b([]string{"u"}, "u", "unlock keyring"),
		Help:       b([]string{"?"}, "?", "keys"),
		Quit:       b([]string{"q", "ctrl+c"}, "q", "quit"),
		Back:       b([]string{"esc", "backspace", "left", "h"}, "esc/h", "back"),
		Reveal:     b([]string{"v"}, "v", "reveal / hide tokens"),
		Demo:       b([]string{"D"}, "D", "try the demo"),
		Next:       b([]string{"tab", "down"}, "tab", "next field"),
		Prev:       b([]string{"shift+tab", "up"}, "shift+tab", "previous field"),
		Submit:     b([]string{"enter"}, "enter", "continue"),
		CopyURL:    b([]string{"ctrl+y"}, "ctrl+y", "copy URL"),
		OpenURL:    b([]string{"ctrl+o"}, "ctrl+o", "open browser"),
		StartOver:  b([]string{"ctrl+r"}, "ctrl+r", "start over"),
	}
}

// KB is a one-key binding for help lines.
func KB(k, desc string) key.Binding {
	return key.NewBinding(key.WithKeys(k), key.WithHelp(k, desc))
}

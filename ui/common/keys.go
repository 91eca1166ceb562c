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

// NewKeyMap returns tokenring's keys.
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
		Open:       b([]string{"enter"}, "enter", "details"),
		Link:       b([]string{"l", "n", "a"}, "l", "link"),
		Relink:     b([]string{"L"}, "L", "link selected again"),
		Refresh:    b([]string{"r"}, "r", "refresh"),
		Copy:       b([]string{"c", "y"}, "c", "copy"),
		CopyID:     b([]string{"i"}, "i", "copy ID token"),
		CopyHeader: b([]string{"h"}, "h", "copy as HTTP header"),
		Remove:     b([]string{"d", "x", "delete"}, "d", "remove"),
		Filter:     b([]string{"/"}, "/", "filter"),
		Unlock:     b([]string{"u"}, "u", "unlock keyring"),
		Help:       b([]string{"?"}, "?", "keys"),
		Quit:       b([]string{"q", "ctrl+c"}, "q", "quit"),
		Back:       b([]string{"esc", "backspace", "left"}, "esc", "back"),
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

package ui

import "charm.land/bubbles/v2/key"

// keyMap holds every binding; each screen shows the ones that apply.
type keyMap struct {
	Up, Down, PgUp, PgDown, Top, Bottom       key.Binding
	Open, Link, Relink, Refresh, Copy, CopyID key.Binding
	CopyHeader, Remove, Filter, Unlock        key.Binding
	Help, Quit, Back, Reveal, Demo            key.Binding
	// wizard
	Next, Prev, Submit, CopyURL, OpenURL, StartOver key.Binding
}

func newKeyMap() keyMap {
	b := func(keys []string, k, d string) key.Binding {
		return key.NewBinding(key.WithKeys(keys...), key.WithHelp(k, d))
	}
	return keyMap{
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

// listHelp is the help of the account list.
type listHelp struct {
	k         keyMap
	empty     bool
	offerDemo bool
}

func (h listHelp) ShortHelp() []key.Binding {
	if h.empty && h.offerDemo {
		return []key.Binding{h.k.Link, h.k.Demo, h.k.Help, h.k.Quit}
	}
	if h.empty {
		return []key.Binding{h.k.Link, h.k.Help, h.k.Quit}
	}
	return []key.Binding{h.k.Copy, h.k.Refresh, h.k.Open, h.k.Link, h.k.Filter, h.k.Help, h.k.Quit}
}

func (h listHelp) FullHelp() [][]key.Binding {
	k := h.k
	return [][]key.Binding{
		{k.Up, k.Down, k.PgUp, k.PgDown, k.Top, k.Bottom, k.Filter},
		{k.Copy, k.CopyID, k.CopyHeader, k.Refresh, k.Open},
		{k.Link, k.Relink, k.Remove, k.Unlock, k.Help, k.Quit},
	}
}

type detailHelp struct{ k keyMap }

func (h detailHelp) ShortHelp() []key.Binding {
	return []key.Binding{kb("v", "reveal"), kb("c", "copy"), kb("i", "ID token"), kb("h", "header"),
		kb("r", "refresh"), kb("d", "remove"), kb("esc", "back")}
}

func (h detailHelp) FullHelp() [][]key.Binding {
	k := h.k
	return [][]key.Binding{{k.Up, k.Down, k.PgUp, k.PgDown}, {k.Reveal, k.Copy, k.CopyID, k.CopyHeader}, {k.Refresh, k.Remove, k.Back, k.Quit}}
}

type bindings []key.Binding

func (b bindings) ShortHelp() []key.Binding  { return b }
func (b bindings) FullHelp() [][]key.Binding { return [][]key.Binding{b} }

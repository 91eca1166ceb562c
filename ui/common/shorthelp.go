package common

import (
	"strings"

	"charm.land/bubbles/v2/key"
	"github.com/charmbracelet/x/ansi"
)

// Essential says whether a key of the footer must stay on screen at any
// width: the ways out and to the help (?, q, esc, and "esc …" variants).
func Essential(b key.Binding) bool {
	k := b.Help().Key
	if i := strings.IndexByte(k, '/'); i > 0 && k != "↑/↓" {
		k = k[:i]
	}
	switch k {
	case "?", "q", "esc":
		return true
	}
	return strings.HasPrefix(k, "esc") || strings.HasSuffix(b.Help().Key, "/esc")
}

// ShortHelpView is the footer's key help in w cells. When the keys do not
// all fit, the ones that are not Essential go first, from the last to the
// second; then the first; then the separators shrink. The keys that get
// the user out stay at any width from 40 columns.
func (c *Common) ShortHelpView(bindings []key.Binding, w int) string {
	var items []key.Binding
	for _, b := range bindings {
		if b.Enabled() && b.Help().Key != "" {
			items = append(items, b)
		}
	}
	th := c.Theme
	render := func(items []key.Binding, sep string) string {
		var b strings.Builder
		for i, it := range items {
			if i > 0 {
				b.WriteString(th.HelpSep.Render(sep))
			}
			h := it.Help()
			b.WriteString(th.HelpKey.Render(h.Key) + " " + th.HelpDesc.Render(h.Desc))
		}
		return b.String()
	}
	fits := func(items []key.Binding, sep string) bool {
		n := 0
		for i, it := range items {
			if i > 0 {
				n += ansi.StringWidth(sep)
			}
			h := it.Help()
			n += ansi.StringWidth(h.Key) + 1 + ansi.StringWidth(h.Desc)
		}
		return n <= w
	}
	const sep = " • "
	for !fits(items, sep) {
		drop := -1
		for i := len(items) - 1; i >= 1; i-- {
			if !Essential(items[i]) {
				drop = i
				break
			}
		}
		if drop < 0 && len(items) > 0 && !Essential(items[0]) {
			drop = 0
		}
		if drop < 0 {
			break
		}
		items = append(items[:drop:drop], items[drop+1:]...)
	}
	if fits(items, sep) {
		return render(items, sep)
	}
	return Cut(render(items, "  "), w)
}

package list

import (
	"strings"

	"charm.land/lipgloss/v2"

	"github.com/tokenring/tokenring/accounts"
	"github.com/tokenring/tokenring/internal/termtext"
	"github.com/tokenring/tokenring/ui/common"
)

type cols struct{ name, prov, status, exp, rt, last int }

const (
	colGap = 2
	gap    = "  "
)

// columns fits the table to the width: at 80 columns everything shows;
// narrower terminals drop "refreshed", then "RT", then the provider.
func (m *Model) columns() cols {
	c := cols{prov: 10, status: 15, exp: 18, rt: 2, last: 9}
	width := func() int {
		w, n := 2+c.status+c.exp, 2
		for _, x := range []int{c.prov, c.rt, c.last} {
			if x > 0 {
				w += x
				n++
			}
		}
		return w + n*colGap
	}
	for _, drop := range []*int{&c.last, &c.rt, &c.prov} {
		if m.c.Width-width() >= 10 {
			break
		}
		*drop = 0
	}
	c.name = max(m.c.Width-width(), 6)
	if c.name > 32 && c.prov > 0 {
		extra := c.name - 32
		c.name = 32
		c.prov += min(extra, 8)
	}
	return c
}

// cell renders one column with its gap; hidden columns (width 0) vanish.
func cell(st lipgloss.Style, s string, w int, g string) string {
	if w <= 0 {
		return ""
	}
	return g + st.Render(common.Fit(s, w))
}

// View renders the table (or the loading, error or empty state).
func (m *Model) View(int) string {
	var b strings.Builder
	th := m.c.Theme
	if !m.loaded {
		if m.loadErr != "" {
			b.WriteString(th.ToastErr.Render("  Cannot read the accounts: "+common.Cut(m.loadErr, m.c.Width-30)) + "\n")
		} else {
			b.WriteString(th.Muted.Render("  Loading accounts…") + "\n")
		}
		return b.String()
	}
	if len(m.accts) == 0 {
		m.emptyView(&b)
		return b.String()
	}
	c := m.columns()
	h := th.Header
	head := "  " + h.Render(common.Fit("NAME", c.name)) + cell(h, "PROVIDER", c.prov, gap) + cell(h, "STATUS", c.status, gap) +
		cell(h, "TOKEN", c.exp, gap) + cell(h, "RT", c.rt, gap) + cell(h, "REFRESHED", c.last, gap)
	b.WriteString(head + "\n")
	if len(m.rows) == 0 {
		b.WriteString(th.Muted.Render("  No account matches “"+termtext.Clean(m.filter.Value())+"”. esc clears the filter.") + "\n")
		return b.String()
	}
	lo, hi := m.visibleRange()
	for r := lo; r < hi; r++ {
		b.WriteString(m.rowView(m.accts[m.rows[r]], r == m.sel, c))
		b.WriteByte('\n')
	}
	return b.String()
}

func (m *Model) rowView(a accounts.Account, sel bool, c cols) string {
	th := m.c.Theme
	st := m.st.Status(a)
	badge, bstyle := m.c.Badge(st)
	exp, estyle := m.c.ExpiryText(a, st)
	rt := "–"
	if a.HasRefresh {
		rt = "✓"
	}
	// on the selected row every cell carries the selection background, so
	// that the inner styles' resets do not punch holes in the bar
	on := func(s lipgloss.Style) lipgloss.Style {
		if !sel {
			return s
		}
		if th.NoColor {
			return s.Reverse(true)
		}
		return s.Background(th.P.SelBG)
	}
	cursor, name := "  ", on(th.Text)
	if sel {
		cursor = on(th.Cursor).Render("▸ ")
		name = on(th.Bold)
	}
	g := gap
	if sel {
		g = on(th.Text).Render(gap)
	}
	prov := a.Provider.Label()
	if len(prov) > c.prov && a.Provider.ID != "" && len(a.Provider.ID) <= c.prov {
		prov = termtext.Clean(a.Provider.ID) // "Dressipi (demo)" → "dressipi"
	}
	return cursor + name.Render(common.Fit(termtext.Clean(a.Name), c.name)) +
		cell(on(th.Muted), prov, c.prov, g) +
		cell(on(bstyle), badge, c.status, g) +
		cell(on(estyle), exp, c.exp, g) +
		cell(on(th.Muted), rt, c.rt, g) +
		cell(on(th.Muted), common.Clock(a.LastRefresh, m.c.Now), c.last, g)
}

func (m *Model) emptyView(b *strings.Builder) {
	th := m.c.Theme
	k := th.Key.Render
	lines := []string{
		"",
		th.Bold.Render("  No accounts yet."),
		"",
		"  Press " + k("l") + " to link one: Warhorn, Dressipi, or any OAuth 2.0 / OpenID Connect",
		"  provider. tokenring walks you through authorizing and keeps the token fresh.",
	}
	switch {
	case m.OffersDemo():
		lines = append(lines, "",
			"  New here? Press "+k("D")+" to try everything against a built-in test provider",
			"  with sample accounts ("+th.Code.Render("tokenring demo")+"); your own keyring is not touched.")
	case !m.demo:
		lines = append(lines, "",
			"  New here? Quit ("+k("q")+") and run "+th.Code.Render("tokenring demo")+" to try everything",
			"  against a built-in test provider, with sample accounts.")
	}
	for _, l := range lines {
		b.WriteString(common.Cut(l, m.c.Width) + "\n")
	}
}

package list

import (
	"fmt"
	"strings"

	"charm.land/lipgloss/v2"

	"github.com/tokenring/tokenring/accounts"
	"github.com/tokenring/tokenring/internal/termtext"
	"github.com/tokenring/tokenring/ui/common"
)

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
		cell(h, "TOKEN", c.token, gap) + cell(h, "REFRESH", c.refresh, gap) + cell(h, "REFRESHED", c.last, gap) +
		cell(h, "EXPIRES AT", c.expAt, gap) + cell(h, "LINKED", c.linked, gap) + cell(h, "SCOPES", c.scopes, gap)
	b.WriteString(strings.TrimRight(head, " ") + "\n")
	if len(m.rows) == 0 {
		b.WriteString(th.Muted.Render("  No account matches “"+termtext.Clean(m.filter.Value())+"”. esc clears the filter.") + "\n")
		return b.String()
	}
	lo, hi := m.visibleRange()
	for r := lo; r < hi; r++ {
		b.WriteString(m.rowView(m.accts[m.rows[r]], r == m.sel, c))
		b.WriteByte('\n')
	}
	// the line under the rows (Height leaves it free) says what is not shown
	var more []string
	if lo > 0 {
		more = append(more, fmt.Sprintf("↑ %d more", lo))
	}
	if hi < len(m.rows) {
		more = append(more, fmt.Sprintf("↓ %d more", len(m.rows)-hi))
	}
	if len(more) > 0 {
		b.WriteString(th.Muted.Render(common.Cut("  "+strings.Join(more, " · "), m.c.Width)) + "\n")
	}
	return b.String()
}

func (m *Model) rowView(a accounts.Account, sel bool, c layout) string {
	th := m.c.Theme
	st := m.st.Status(a)
	badge, bstyle := m.c.Badge(st)
	badge = statusText(st, badge, c.statusShort)
	_, estyle := m.c.ExpiryText(a, st)
	exp := m.tokenText(a, st, c.tokenShort)
	// on the selected row every cell carries the selection background, so
	// that the inner styles' resets do not punch holes in the bar
	on := func(s lipgloss.Style) lipgloss.Style {
		if !sel {
			return s
		}
		if th.ReverseSelection {
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
	prov := providerText(a.Provider, c.prov)
	if c.provShort {
		prov = providerShort(a.Provider)
	}
	row := cursor + name.Render(common.Fit(termtext.Clean(a.Name), c.name)) +
		cell(on(th.Muted), prov, c.prov, g) +
		cell(on(bstyle), badge, c.status, g) +
		countdownCell(on(estyle), on(lipgloss.Style{}), exp, c.token, g)
	if c.refresh > 0 {
		row += cell(on(th.Muted), m.refreshText(a, st, c.refreshLong), c.refresh, g)
	}
	if c.last > 0 {
		row += cell(on(th.Muted), common.Ago(a.LastRefresh, m.c.Now), c.last, g)
	}
	if c.expAt > 0 {
		row += cell(on(th.Muted), common.At(a.AccessExpiry, m.c.Now), c.expAt, g)
	}
	if c.linked > 0 {
		row += cell(on(th.Muted), common.Day(a.LinkedAt, m.c.Now), c.linked, g)
	}
	if c.scopes > 0 {
		row += cell(on(th.Muted), scopeText(a), c.scopes, g)
	}
	return row
}

// countdownPrefix is the part of a live countdown that does not tick.
const countdownPrefix = "expires in "

// countdownCell is the TOKEN cell. A live countdown's ticking digits are
// drawn in the terminal's own foreground (plain: the selection's background
// only) and its state colour (amber in the refresh window, red in the last
// minute) goes on the words before them: the renderer sends only the cells
// that change, and a coloured digit costs its colour's SGR and a reset
// around it every second (20 amber rows: ~600 B/s; plain: ~130, the floor's
// figure). The STATUS cell says the state in colour too.
func countdownCell(st, plain lipgloss.Style, s string, w int, g string) string {
	if w <= 0 {
		return ""
	}
	f := common.Fit(s, w)
	rest, ok := strings.CutPrefix(f, countdownPrefix)
	if !ok {
		return g + st.Render(f)
	}
	return g + st.Render(countdownPrefix) + plain.Render(rest)
}

func (m *Model) emptyView(b *strings.Builder) {
	th := m.c.Theme
	k := th.Key.Render
	w := m.c.Width - 4
	// each paragraph is wrapped as plain text, then its keys are coloured
	para := func(text string, keys ...string) string {
		out := common.WrapIndent(text, w, "  ")
		for _, key := range keys {
			out = strings.Replace(out, " "+key+" ", " "+k(key)+" ", 1)
		}
		return strings.Replace(out, "tokenring demo", th.Code.Render("tokenring demo"), 1)
	}
	lines := []string{"", th.Bold.Render("  No accounts yet."), "",
		para("Press n to link one: Warhorn, Dressipi, or any OAuth 2.0 / OpenID Connect provider. "+
			"tokenring walks you through authorizing and keeps the token fresh.", "n")}
	switch {
	case m.OffersDemo():
		lines = append(lines, "", para("New here? Press D to try everything against a built-in test provider "+
			"with sample accounts (tokenring demo); your own keyring is not touched.", "D"))
	case !m.demo:
		lines = append(lines, "", para("New here? Quit (q) and run tokenring demo to try everything "+
			"against a built-in test provider, with sample accounts."))
	}
	for _, l := range lines {
		b.WriteString(l + "\n")
	}
}

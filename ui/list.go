package ui

import (
	"cmp"
	"slices"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/tokenring/tokenring/accounts"
	"github.com/tokenring/tokenring/flow"
)

// attention orders statuses: what needs the user first.
func attention(s accounts.Status) int {
	switch s {
	case accounts.StatusNeedsRelink:
		return 0
	case accounts.StatusError:
		return 1
	case accounts.StatusExpired:
		return 2
	case accounts.StatusExpiringSoon:
		return 3
	case accounts.StatusRefreshing:
		return 4
	case accounts.StatusValid:
		return 5
	}
	return 6 // does not expire
}

// resort recomputes the visible rows: filtered, sorted by attention, then
// expiry (soonest first), then name; the selection follows its account.
func (m *Model) resort() {
	q := strings.ToLower(strings.TrimSpace(m.filter.Value()))
	m.rows = m.rows[:0]
	ranks := make([]int, len(m.accts))
	for i, a := range m.accts {
		if q != "" && !strings.Contains(strings.ToLower(a.Name), q) &&
			!strings.Contains(strings.ToLower(providerName(a.Provider)), q) {
			continue
		}
		ranks[i] = attention(m.rowStatus(a))
		m.rows = append(m.rows, i)
	}
	slices.SortStableFunc(m.rows, func(x, y int) int {
		if c := cmp.Compare(ranks[x], ranks[y]); c != 0 {
			return c
		}
		ax, ay := m.accts[x], m.accts[y]
		ex, ey := ax.AccessExpiry, ay.AccessExpiry
		if !ex.Equal(ey) {
			switch {
			case ex.IsZero():
				return 1
			case ey.IsZero():
				return -1
			}
			return ex.Compare(ey)
		}
		return cmp.Compare(ax.Name, ay.Name)
	})
	if m.selName != "" {
		m.selectName(m.selName)
	} else {
		m.setSel(m.sel)
	}
}

// rowStatus is the status shown on a row: a failure of this session's
// refresh shows as an error until the next success.
func (m *Model) rowStatus(a accounts.Account) accounts.Status { return m.status(a) }

func (m *Model) selectName(name string) {
	for r, i := range m.rows {
		if m.accts[i].Name == name {
			m.setSel(r)
			return
		}
	}
	m.setSel(m.sel)
}

func (m *Model) setSel(r int) {
	if len(m.rows) == 0 {
		m.sel, m.offset = 0, 0
		return
	}
	m.sel = min(max(r, 0), len(m.rows)-1)
	m.selName = m.accts[m.rows[m.sel]].Name
	m.clampScroll()
}

// selected returns the selected account.
func (m *Model) selected() (accounts.Account, bool) {
	if len(m.rows) == 0 || m.sel >= len(m.rows) {
		return accounts.Account{}, false
	}
	return m.accts[m.rows[m.sel]], true
}

// listHeight is the number of table rows that fit.
func (m *Model) listHeight() int {
	// header (1) + blank (1) + column titles (1) + … + blank (1) + info (1) + toast (1) + help (1)
	return max(m.height-7, 1)
}

func (m *Model) clampScroll() {
	h := m.listHeight()
	if m.sel < m.offset {
		m.offset = m.sel
	}
	if m.sel >= m.offset+h {
		m.offset = m.sel - h + 1
	}
	m.offset = max(0, min(m.offset, len(m.rows)-h))
}

func (m *Model) visibleRange() (int, int) {
	lo := min(m.offset, len(m.rows))
	return lo, min(lo+m.listHeight(), len(m.rows))
}

func (m *Model) updateList(msg tea.Msg) tea.Cmd {
	if m.filtering {
		return m.updateFilter(msg)
	}
	k, ok := msg.(tea.KeyPressMsg)
	if !ok {
		return nil
	}
	km := m.keys
	a, hasSel := m.selected()
	switch {
	case key.Matches(k, km.Quit):
		return m.quit()
	case k.String() == "esc":
		if m.filter.Value() != "" {
			m.filter.SetValue("")
			m.resort()
		}
	case key.Matches(k, km.Up):
		m.setSel(m.sel - 1)
	case key.Matches(k, km.Down):
		m.setSel(m.sel + 1)
	case key.Matches(k, km.PgUp):
		m.setSel(m.sel - m.listHeight())
	case key.Matches(k, km.PgDown):
		m.setSel(m.sel + m.listHeight())
	case key.Matches(k, km.Top):
		m.setSel(0)
	case key.Matches(k, km.Bottom):
		m.setSel(len(m.rows) - 1)
	case key.Matches(k, km.Help):
		m.modal = modalHelp
	case key.Matches(k, km.Filter):
		m.filtering = true
		return m.filter.Focus()
	case key.Matches(k, km.Link):
		return m.openWizard()
	case key.Matches(k, km.Demo) && m.offersDemo():
		m.demoRequested = true
		return m.quit()
	case key.Matches(k, km.Unlock):
		if m.backend.Locked || m.sched.Paused() {
			return m.openUnlock("to use the accounts' tokens", nil)
		}
		m.setToast("The keyring is not locked", false)
	case !hasSel:
		return nil
	case key.Matches(k, km.Open):
		return m.openDetail(a.Name)
	case key.Matches(k, km.Relink):
		return m.openRelink(a)
	case key.Matches(k, km.Refresh):
		if m.sched.InFlight(a.Name) {
			m.setToast(flow.Clean(a.Name)+" is already refreshing", false)
			return nil
		}
		return m.startRefresh(a.Name, true)
	case key.Matches(k, km.Copy):
		return m.copyToken(a.Name, "access")
	case key.Matches(k, km.CopyID):
		return m.copyToken(a.Name, "id")
	case key.Matches(k, km.CopyHeader):
		return m.copyToken(a.Name, "header")
	case key.Matches(k, km.Remove):
		m.confirmName = a.Name
		m.modal = modalConfirm
	}
	return nil
}

func (m *Model) updateFilter(msg tea.Msg) tea.Cmd {
	if k, ok := msg.(tea.KeyPressMsg); ok {
		switch k.String() {
		case "ctrl+c":
			return m.quit()
		case "esc":
			m.filtering = false
			m.filter.Blur()
			m.filter.SetValue("")
			m.resort()
			return nil
		case "enter", "down", "up":
			m.filtering = false
			m.filter.Blur()
			return nil
		}
	}
	var cmd tea.Cmd
	m.filter, cmd = m.filter.Update(msg)
	m.resort()
	return cmd
}

func providerName(p flow.Provider) string {
	if p.DisplayName != "" {
		return flow.Clean(p.DisplayName)
	}
	if p.ID != "" {
		return flow.Clean(p.ID)
	}
	return "custom"
}

// ---- rendering -----------------------------------------------------------------

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
		if m.width-width() >= 10 {
			break
		}
		*drop = 0
	}
	c.name = max(m.width-width(), 6)
	if c.name > 32 && c.prov > 0 {
		extra := c.name - 32
		c.name = 32
		c.prov += min(extra, 8)
	}
	return c
}

// cell renders one column with its gap; hidden columns (width 0) vanish.
func cell(st styleT, s string, w int, g string) string {
	if w <= 0 {
		return ""
	}
	return g + st.Render(fit(s, w))
}

func (m *Model) listView(b *strings.Builder) {
	th := m.th
	if !m.loaded {
		if m.loadErr != "" {
			b.WriteString(th.ToastErr.Render("  Cannot read the accounts: "+cut(m.loadErr, m.width-30)) + "\n")
		} else {
			b.WriteString(th.Muted.Render("  Loading accounts…") + "\n")
		}
		return
	}
	if len(m.accts) == 0 {
		m.emptyView(b)
		return
	}
	c := m.columns()
	h := th.Header
	head := "  " + h.Render(fit("NAME", c.name)) + cell(h, "PROVIDER", c.prov, gap) + cell(h, "STATUS", c.status, gap) +
		cell(h, "TOKEN", c.exp, gap) + cell(h, "RT", c.rt, gap) + cell(h, "REFRESHED", c.last, gap)
	b.WriteString(head + "\n")
	if len(m.rows) == 0 {
		b.WriteString(th.Muted.Render("  No account matches “"+flow.Clean(m.filter.Value())+"”. esc clears the filter.") + "\n")
		return
	}
	lo, hi := m.visibleRange()
	for r := lo; r < hi; r++ {
		b.WriteString(m.rowView(m.accts[m.rows[r]], r == m.sel, c))
		b.WriteByte('\n')
	}
}

func (m *Model) rowView(a accounts.Account, sel bool, c cols) string {
	th := m.th
	st := m.rowStatus(a)
	badge, bstyle := m.badge(st)
	exp, estyle := m.expiryText(a, st)
	rt := "–"
	if a.HasRefresh {
		rt = "✓"
	}
	// on the selected row every cell carries the selection background, so
	// that the inner styles' resets do not punch holes in the bar
	on := func(s styleT) styleT {
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
	} else {
		cursor = "  "
	}
	g := gap
	if sel {
		g = on(th.Text).Render(gap)
	}
	prov := providerName(a.Provider)
	if len(prov) > c.prov && a.Provider.ID != "" && len(a.Provider.ID) <= c.prov {
		prov = flow.Clean(a.Provider.ID) // "Dressipi (demo)" → "dressipi"
	}
	return cursor + name.Render(fit(flow.Clean(a.Name), c.name)) +
		cell(on(th.Muted), prov, c.prov, g) +
		cell(on(bstyle), badge, c.status, g) +
		cell(on(estyle), exp, c.exp, g) +
		cell(on(th.Muted), rt, c.rt, g) +
		cell(on(th.Muted), clock(a.LastRefresh, m.now), c.last, g)
}

func (m *Model) badge(s accounts.Status) (string, styleT) {
	th := m.th
	switch s {
	case accounts.StatusValid:
		return "● valid", th.OK
	case accounts.StatusExpiringSoon:
		return "◔ expiring soon", th.Warn
	case accounts.StatusExpired:
		return "○ expired", th.Danger
	case accounts.StatusNoExpiry:
		return "∞ no expiry", th.Neutral
	case accounts.StatusRefreshing:
		return "◌ refreshing", th.Info
	case accounts.StatusNeedsRelink:
		return "✗ needs re-link", th.Danger
	}
	return "! error", th.Danger
}

// expiryText is the live countdown of a row: amber inside the refresh
// window or under five minutes, red under one.
func (m *Model) expiryText(a accounts.Account, st accounts.Status) (string, styleT) {
	th := m.th
	if a.AccessExpiry.IsZero() {
		return "does not expire", th.Muted
	}
	left := untilWhole(a.AccessExpiry, m.now)
	if left <= 0 {
		return "expired " + clock(a.AccessExpiry, m.now), th.Danger
	}
	s := "expires in " + countdown(left)
	switch {
	case left < 60e9:
		return s, th.Danger
	case st == accounts.StatusExpiringSoon || left < 5*60e9:
		return s, th.Warn
	}
	// The terminal's own foreground, not th.Text: this cell changes every
	// second on every visible row, and with an explicit colour the renderer
	// sends a 19-byte SGR and a reset around each changed digit (20
	// countdowns: ~560 B/s while idle; without: ~150 B/s; issue 5 asks
	// under 400).
	return s, styleT{}
}

// offersDemo: the list is empty (no account at all, not just filtered out)
// and the caller can start the demo.
func (m *Model) offersDemo() bool {
	return m.o.OfferDemo && !m.o.Demo && len(m.accts) == 0
}

func (m *Model) emptyView(b *strings.Builder) {
	th := m.th
	k := th.Key.Render
	lines := []string{
		"",
		th.Bold.Render("  No accounts yet."),
		"",
		"  Press " + k("l") + " to link one: Warhorn, Dressipi, or any OAuth 2.0 / OpenID Connect",
		"  provider. tokenring walks you through authorizing and keeps the token fresh.",
	}
	switch {
	case m.offersDemo():
		lines = append(lines, "",
			"  New here? Press "+k("D")+" to try everything against a built-in test provider",
			"  with sample accounts ("+th.Code.Render("tokenring demo")+"); your own keyring is not touched.")
	case !m.o.Demo:
		lines = append(lines, "",
			"  New here? Quit ("+k("q")+") and run "+th.Code.Render("tokenring demo")+" to try everything",
			"  against a built-in test provider, with sample accounts.")
	}
	for _, l := range lines {
		b.WriteString(cut(l, m.width) + "\n")
	}
}

// infoLine says something about the selected row (its error, or what to do).
func (m *Model) infoLine() (string, bool) {
	if m.sched.Paused() {
		return "Keyring locked: background refresh is paused. Press u to unlock.", true
	}
	a, ok := m.selected()
	if !ok || m.screen != screenList {
		return "", false
	}
	if e := m.sched.Err(a.Name); e != "" && !m.sched.InFlight(a.Name) {
		return flow.Clean(a.Name) + ": " + e, true
	}
	switch m.status(a) {
	case accounts.StatusNeedsRelink:
		return flow.Clean(a.Name) + " must be linked again: press L (or d to remove it)", true
	case accounts.StatusError:
		if a.LastError != "" {
			return flow.Clean(a.Name) + ": " + flow.Clean(a.LastError), true
		}
	case accounts.StatusRefreshing:
		return "Refreshing " + flow.Clean(a.Name) + "…", false
	}
	return "", false
}

package list

import (
	"github.com/charmbracelet/x/ansi"

	"github.com/tokenring/tokenring/accounts"
	"github.com/tokenring/tokenring/flow"
	"github.com/tokenring/tokenring/internal/termtext"
	"github.com/tokenring/tokenring/ui/common"
)

// layout is the table's columns at the current width: 0 hides a column;
// the short flags pick the narrow form of a cell.
type layout struct {
	name, prov, status, token, refresh, last, expAt, linked, scopes int

	provShort   bool // provider ids instead of names
	statusShort bool // "✗ re-link" instead of "✗ needs re-link"
	tokenShort  bool // "4m 12s" instead of "expires in 4m 12s"
	refreshLong bool // "auto, next 12:03" instead of "auto"
}

const (
	colGap = 2
	gap    = "  "

	statusLong  = 15 // "◔ expiring soon"
	statusShort = 11 // "∞ no expiry", "◔ expiring"
	tokenLong   = 18 // "expires in 59m 59s", "expired 2025-11-16"
	tokenShort  = 7  // "59m 59s", "expired"
	refreshW    = 7  // "REFRESH", "re-link"
	refreshLong = 16 // "auto, next 12:03"
	lastW       = 9  // "REFRESHED", "20m ago"
	expAtW      = 12 // "Nov 30 12:04"
	linkedW     = 10 // "yesterday"
	nameMax     = 32
	provMax     = 20
	wideProvMax = 36
	scopesMax   = 30
)

// width is the table's width (cursor and gaps included).
func (l layout) width() int {
	w := 2 + l.name
	for _, c := range []int{l.prov, l.status, l.token, l.refresh, l.last, l.expAt, l.linked, l.scopes} {
		if c > 0 {
			w += colGap + c
		}
	}
	return w
}

// columns fits the table to the width. Every column is as wide as what it
// shows (NAME and PROVIDER as their longest entry, the others as their
// widest form), and the narrower the terminal, the more goes, least
// useful first: the wide-only columns (SCOPES, LINKED, EXPIRES AT),
// REFRESHED, REFRESH, then the short forms of STATUS and PROVIDER,
// PROVIDER itself, and the short countdown. NAME is cut last.
func (m *Model) columns() layout {
	names, provs, provIDs, scopes := m.w.names, m.w.provs, m.w.provIDs, m.w.scopes
	l := layout{name: min(names, nameMax), prov: min(provs, wideProvMax), status: statusLong, token: tokenLong,
		refresh: refreshLong, refreshLong: true, last: lastW, expAt: expAtW, linked: linkedW, scopes: min(scopes, scopesMax)}
	steps := []func(){
		func() { l.scopes = 0 },
		func() { l.linked = 0 },
		func() { l.expAt = 0 },
		func() { l.refresh, l.refreshLong = refreshW, false; l.prov = min(provIDs, provMax) },
		func() { l.last = 0 },
		func() { l.refresh = 0 },
		func() { l.status, l.statusShort = statusShort, true },
		func() { l.provShort = true; l.prov = m.shortProvWidth() },
		func() { l.prov = 0 },
		func() { l.token, l.tokenShort = tokenShort, true },
	}
	for _, step := range steps {
		if l.width() <= m.c.Width {
			break
		}
		step()
	}
	if over := l.width() - m.c.Width; over > 0 {
		l.name = max(l.name-over, 6)
	}
	return l
}

func (m *Model) shortProvWidth() int { return min(m.w.provShort, 12) }

// measure finds the widest cells of the rows (Resort calls it: the rows
// change only there). Accounts of one provider share its texts, worked out
// once per provider.
func (m *Model) measure() {
	w := widths{names: 4, provs: 8, provIDs: 8, scopes: 6, provShort: 8}
	type provKey struct{ id, name string }
	type provW struct{ wide, ids, short int }
	seen := map[provKey]provW{}
	for _, i := range m.rows {
		a := m.accts[i]
		w.names = max(w.names, ansi.StringWidth(termtext.Clean(a.Name)))
		k := provKey{a.Provider.ID, a.Provider.DisplayName}
		pw, ok := seen[k]
		if !ok {
			pw = provW{ansi.StringWidth(providerText(a.Provider, wideProvMax)), ansi.StringWidth(providerText(a.Provider, provMax)),
				ansi.StringWidth(providerShort(a.Provider))}
			seen[k] = pw
		}
		w.provs, w.provIDs, w.provShort = max(w.provs, pw.wide), max(w.provIDs, pw.ids), max(w.provShort, pw.short)
		w.scopes = max(w.scopes, ansi.StringWidth(scopeText(a)))
	}
	m.w = w
}

// providerText is the provider's name, or its id when the name is longer
// than max ("Demo provider (built in, 127.0.0.1)" → "demo").
func providerText(p flow.Provider, max int) string {
	n := common.ProviderName(p)
	if ansi.StringWidth(n) > max && p.ID != "" && len(p.ID) <= max {
		return termtext.Clean(p.ID)
	}
	return n
}

func providerShort(p flow.Provider) string {
	if p.ID != "" {
		return termtext.Clean(p.ID)
	}
	return p.Label()
}

func scopeText(a accounts.Account) string {
	s := a.Scopes
	if len(s) == 0 {
		s = a.Provider.Scopes
	}
	out := ""
	for i, x := range s {
		if i > 0 {
			out += " "
		}
		out += x
	}
	if out == "" {
		return "—"
	}
	return termtext.Clean(out)
}

// statusText is the STATUS cell in its long or short form.
func statusText(s accounts.Status, long string, short bool) string {
	if !short {
		return long
	}
	switch s {
	case accounts.StatusExpiringSoon:
		return "◔ expiring"
	case accounts.StatusNeedsRelink:
		return "✗ re-link"
	case accounts.StatusRefreshing:
		return "◌ refresh…"
	}
	return long
}

// refreshText is the REFRESH cell: whether tokenring renews the token by
// itself ("auto", with the next time on wide terminals), the token must be
// linked again when it expires ("re-link": no refresh token), or there is
// nothing to renew ("—": it does not expire, or it must be linked again
// already, which STATUS says).
func (m *Model) refreshText(a accounts.Account, st accounts.Status, long bool) string {
	switch {
	case st == accounts.StatusNeedsRelink || st == accounts.StatusDamaged || a.NeedsRelink:
		return "—"
	case a.HasRefresh || a.Provider.Grant == flow.GrantClientCredentials:
		if long {
			if due := m.st.RefreshDue(a); !due.IsZero() {
				switch {
				case !due.After(m.c.Now):
					return "auto, due now"
				case common.Day(due, m.c.Now) == "today":
					return "auto, next " + due.In(m.c.Now.Location()).Format("15:04")
				}
				return "auto, next " + common.Day(due, m.c.Now)
			}
		}
		return "auto"
	case a.AccessExpiry.IsZero():
		return "—"
	}
	return "re-link"
}

// tokenText is the TOKEN cell: the live countdown ("expires in 4m 12s",
// short "4m 12s"), when it expired ("expired 2h ago", "expired Nov 16";
// short "expired"), or "does not expire" (short "never").
func (m *Model) tokenText(a accounts.Account, st accounts.Status, short bool) string {
	s, _ := m.c.ExpiryText(a, st)
	if !short {
		return s
	}
	switch {
	case a.AccessExpiry.IsZero():
		return "never"
	case common.UntilWhole(a.AccessExpiry, m.c.Now) <= 0:
		return "expired"
	}
	return common.Countdown(common.UntilWhole(a.AccessExpiry, m.c.Now))
}

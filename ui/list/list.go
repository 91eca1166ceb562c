// Package list is the account list: every linked account with its status
// and a live countdown, sorted by what needs the user first, with a filter.
package list

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"

	"github.com/tokenring/tokenring/accounts"
	"github.com/tokenring/tokenring/internal/termtext"
	"github.com/tokenring/tokenring/ui/common"
)

// Model is the list screen. The root gives it the accounts (SetAccounts)
// and tells it when one changed (Invalidate) and when the clock moved
// (Tick); it reads statuses from the root's common.Accounts. It sorts when
// something changed, not on every tick: after SetAccounts, a change of the
// filter, an Invalidate, or once the clock reaches the earliest moment a
// status can change by itself (next). Between sorts a tick costs nothing
// but the rows on screen, however many accounts there are.
type Model struct {
	c    *common.Common
	st   common.Accounts
	demo bool // `tokenring demo`: the empty state does not suggest the demo
	// offerDemo: D on the empty list starts the demo (Options.OfferDemo)
	offerDemo bool

	accts     []accounts.Account // as the root last gave them
	rows      []int              // indices into accts: sorted by attention, filtered
	sel       int                // index into rows
	offset    int                // first visible row
	selName   string             // keeps the selection across re-sorting
	loaded    bool
	loadErr   string
	filter    textinput.Model
	filtering bool

	next  time.Time // the earliest status change by the clock alone (zero: none)
	dirty bool      // an account changed since the last sort (Invalidate)
	w     widths    // of what the rows show, measured at the last sort
}

// widths are the widest cells of the rows (what columns fits to the
// terminal), measured when the rows change rather than on every View.
type widths struct{ names, provs, provIDs, scopes, provShort int }

// New returns the list, empty until the first SetAccounts.
func New(c *common.Common, st common.Accounts, demo, offerDemo bool) *Model {
	m := &Model{c: c, st: st, demo: demo, offerDemo: offerDemo}
	m.filter = common.NewInput("filter: ", "name or provider", false)
	m.filter.CharLimit = 64
	m.Restyle()
	return m
}

// Restyle follows a theme change.
func (m *Model) Restyle() { common.StyleInput(&m.filter, m.c.Theme) }

// SetAccounts shows accts (a load finished) and selects selName if given.
func (m *Model) SetAccounts(accts []accounts.Account, selName string) {
	m.accts, m.loaded, m.loadErr = accts, true, ""
	if selName != "" {
		m.selName = selName
	}
	m.Resort()
}

// SetLoadError says the accounts could not be read (shown until a load works).
func (m *Model) SetLoadError(err string) { m.loadErr = err }

// Len is the number of accounts (not only those the filter shows).
func (m *Model) Len() int { return len(m.accts) }

// attention orders statuses: what needs the user first.
func attention(s accounts.Status) int {
	switch s {
	case accounts.StatusNeedsRelink:
		return 0
	case accounts.StatusError, accounts.StatusDamaged:
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

// Invalidate says an account's state changed (a refresh started or
// ended): the next Tick or Sorted sorts again.
func (m *Model) Invalidate() { m.dirty = true }

// Dirty says whether the rows wait for a sort (Invalidate was called).
func (m *Model) Dirty() bool { return m.dirty }

// Tick follows the clock (Common.Now): it sorts again only when the list
// was invalidated or some account's status may have changed by itself
// since the last sort.
func (m *Model) Tick() {
	if m.dirty || !m.next.IsZero() && !m.c.Now.Before(m.next) {
		m.Resort()
	}
}

// Resort recomputes the visible rows: filtered, sorted by attention, then
// expiry (soonest first), then name; the selection follows its account.
func (m *Model) Resort() {
	q := strings.ToLower(strings.TrimSpace(m.filter.Value()))
	m.rows = m.rows[:0]
	m.next, m.dirty = time.Time{}, false
	ranks := make([]int, len(m.accts))
	for i, a := range m.accts {
		if q != "" && !strings.Contains(strings.ToLower(a.Name), q) &&
			!strings.Contains(strings.ToLower(a.Provider.Label()), q) {
			continue
		}
		ranks[i] = attention(m.st.Status(a))
		if t := m.st.NextChange(a); !t.IsZero() && (m.next.IsZero() || t.Before(m.next)) {
			m.next = t
		}
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
	m.measure()
	if m.selName != "" {
		m.selectName(m.selName)
	} else {
		m.setSel(m.sel)
	}
}

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

// Selected returns the selected account.
func (m *Model) Selected() (accounts.Account, bool) {
	if len(m.rows) == 0 || m.sel >= len(m.rows) {
		return accounts.Account{}, false
	}
	return m.accts[m.rows[m.sel]], true
}

// Height is the number of table rows that fit.
func (m *Model) Height() int {
	// header (1) + blank (1) + column titles (1) + … + blank (1) + info (1) + toast (1) + help (1)
	return max(m.c.Height-7, 1)
}

// Resized keeps the selection visible after the window changed size.
func (m *Model) Resized() { m.clampScroll() }

func (m *Model) clampScroll() {
	h := m.Height()
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
	return lo, min(lo+m.Height(), len(m.rows))
}

// NeedsTick: a visible row counts down.
func (m *Model) NeedsTick() bool {
	lo, hi := m.visibleRange()
	for _, i := range m.rows[lo:hi] {
		if m.accts[i].AccessExpiry.After(m.c.Now) {
			return true
		}
	}
	return false
}

// Update handles keys and pastes on the list.
func (m *Model) Update(msg tea.Msg) (common.Action, tea.Cmd) {
	if m.filtering {
		return m.updateFilter(msg)
	}
	k, ok := msg.(tea.KeyPressMsg)
	if !ok {
		return nil, nil
	}
	km := m.c.Keys
	a, hasSel := m.Selected()
	switch {
	case key.Matches(k, km.Quit):
		return common.Quit{}, nil
	case k.String() == "esc":
		if m.filter.Value() != "" {
			m.filter.SetValue("")
			m.Resort()
		}
	case key.Matches(k, km.Up):
		m.setSel(m.sel - 1)
	case key.Matches(k, km.Down):
		m.setSel(m.sel + 1)
	case key.Matches(k, km.PgUp):
		m.setSel(m.sel - m.Height())
	case key.Matches(k, km.PgDown):
		m.setSel(m.sel + m.Height())
	case key.Matches(k, km.Top):
		m.setSel(0)
	case key.Matches(k, km.Bottom):
		m.setSel(len(m.rows) - 1)
	case key.Matches(k, km.Help):
		return common.ShowHelp{}, nil
	case key.Matches(k, km.Filter):
		m.filtering = true
		return nil, m.filter.Focus()
	case key.Matches(k, km.Link):
		return common.OpenWizard{}, nil
	case key.Matches(k, km.Demo) && m.OffersDemo():
		return common.StartDemo{}, nil
	case key.Matches(k, km.Unlock):
		return common.Unlock{}, nil
	case !hasSel:
		return nil, nil
	case key.Matches(k, km.Open):
		return common.OpenDetail{Name: a.Name}, nil
	case key.Matches(k, km.Relink):
		return common.Relink{Name: a.Name}, nil
	case key.Matches(k, km.Refresh):
		if m.st.Refreshing(a.Name) {
			return common.Toast{Text: termtext.Clean(a.Name) + " is already refreshing"}, nil
		}
		return common.Refresh{Name: a.Name}, nil
	case key.Matches(k, km.Copy):
		return common.Copy{Name: a.Name, What: common.AccessToken}, nil
	case key.Matches(k, km.CopyID):
		return common.Copy{Name: a.Name, What: common.IDToken}, nil
	case key.Matches(k, km.CopyHeader):
		return common.Copy{Name: a.Name, What: common.Header}, nil
	case key.Matches(k, km.Remove):
		return common.ConfirmRemove{Name: a.Name}, nil
	}
	return nil, nil
}

func (m *Model) updateFilter(msg tea.Msg) (common.Action, tea.Cmd) {
	if k, ok := msg.(tea.KeyPressMsg); ok {
		switch k.String() {
		case "ctrl+c":
			return common.Quit{}, nil
		case "esc":
			m.filtering = false
			m.filter.Blur()
			m.filter.SetValue("")
			m.Resort()
			return nil, nil
		case "enter", "down", "up":
			m.filtering = false
			m.filter.Blur()
			return nil, nil
		}
	}
	var cmd tea.Cmd
	m.filter, cmd = m.filter.Update(msg)
	m.Resort()
	return nil, cmd
}

// Filtering: the filter has the keyboard (the footer shows it instead of
// the info line).
func (m *Model) Filtering() bool { return m.filtering }

// FilterView is the filter's input line. The input is as wide as the
// line: with no width, the placeholder showed only its first letter
// (" filter: n", as if an "n" had been typed).
func (m *Model) FilterView() string {
	m.filter.SetWidth(max(m.c.Width-len(m.filter.Prompt)-3, 10))
	return m.filter.View()
}

// OffersDemo: the list is empty (no account at all, not just filtered out)
// and the caller can start the demo.
func (m *Model) OffersDemo() bool {
	return m.offerDemo && !m.demo && len(m.accts) == 0
}

// Title counts the accounts (and those the filter shows).
func (m *Model) Title() string {
	if !m.loaded {
		return ""
	}
	n := len(m.accts)
	s := fmt.Sprintf("%d account", n)
	if n != 1 {
		s += "s"
	}
	if f := m.filter.Value(); f != "" && !m.filtering {
		s += fmt.Sprintf(" (%d shown)", len(m.rows))
	}
	return s
}

// Info says something about the selected row: its error, short and once
// (the row's status says the rest; the detail view shows the whole text),
// or what to do; bad: it is a warning.
func (m *Model) Info() (string, bool) {
	a, ok := m.Selected()
	if !ok {
		return "", false
	}
	name := termtext.Clean(a.Name)
	full := m.st.RowErr(a.Name)
	if full == "" || m.st.Refreshing(a.Name) {
		full = a.LastError
	}
	why := ""
	if full != "" {
		why = common.ShortError(a.Name, full)
	}
	switch st := m.st.Status(a); st {
	case accounts.StatusNeedsRelink:
		if why != "" {
			return name + ": " + why + ". Press L to link it again.", true
		}
		return name + " must be linked again: press L, or d to remove it", true
	case accounts.StatusDamaged:
		// which file and what to do: all of it
		return name + ": " + common.Unrepeated(a.Name, full), true
	case accounts.StatusError:
		if why != "" {
			return name + ": " + why, true
		}
	case accounts.StatusRefreshing:
		return "Refreshing " + name + "…", false
	}
	return "", false
}

// ShortHelp is the footer's key help (the root keeps ? and q at any width).
func (m *Model) ShortHelp() []key.Binding {
	if m.filtering {
		return []key.Binding{common.KB("enter", "keep filter"), common.KB("esc", "clear")}
	}
	k := m.c.Keys
	kb := common.KB
	switch {
	case len(m.accts) == 0 && m.OffersDemo():
		return []key.Binding{kb("n", "link"), k.Demo, kb("?", "keys"), k.Quit}
	case len(m.accts) == 0:
		return []key.Binding{kb("n", "link"), kb("?", "keys"), k.Quit}
	}
	return []key.Binding{kb("c", "copy"), kb("r", "refresh"), kb("enter", "details"), kb("n", "link"),
		kb("/", "filter"), kb("?", "keys"), k.Quit}
}

// FullHelp is every key of the list, for the help screen.
func FullHelp(k common.KeyMap) [][]key.Binding {
	return [][]key.Binding{
		{k.Up, k.Down, k.PgUp, k.PgDown, k.Top, k.Bottom, k.Filter},
		{k.Copy, k.CopyID, k.CopyHeader, k.Refresh, k.Open},
		{k.Link, k.Relink, k.Remove, k.Unlock, k.Help, k.Quit},
	}
}

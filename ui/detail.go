package ui

import (
	"context"
	"errors"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/tokenring/tokenring/accounts"
	"github.com/tokenring/tokenring/flow"
)

// detailModel shows one account: endpoints, scopes, timestamps, expiries,
// the decoded claims of its tokens and a masked token preview.
type detailModel struct {
	name    string
	offset  int
	height  int
	sec     *accounts.Secret // loaded on demand; dropped when the view closes
	access  *flow.JWT
	id      *flow.JWT
	secErr  string
	locked  bool
	loading bool
	reveal  bool
	gen     int
}

type secretLoadedMsg struct {
	name   string
	gen    int
	sec    accounts.Secret
	err    error
	reveal bool
}

func (m *Model) openDetail(name string) tea.Cmd {
	m.screen = screenDetail
	m.detail = &detailModel{name: name}
	m.detail.resize(m)
	return m.loadSecret(false)
}

func (m *Model) closeDetail() {
	m.screen = screenList
	m.detail = nil // drops the secret
}

func (m *Model) loadSecret(reveal bool) tea.Cmd {
	d := m.detail
	d.loading = true
	d.gen++
	name, gen, st := d.name, d.gen, m.o.Store
	return m.io(func(ctx context.Context) tea.Msg {
		sec, err := st.Secret(ctx, name)
		return secretLoadedMsg{name: name, gen: gen, sec: sec, err: err, reveal: reveal}
	})
}

func (d *detailModel) resize(m *Model) { d.height = max(m.height-5, 3) }

func (d *detailModel) onSecret(m *Model, msg secretLoadedMsg) tea.Cmd {
	if msg.name != d.name || msg.gen != d.gen {
		return nil
	}
	d.loading = false
	if msg.err != nil {
		if errors.Is(msg.err, accounts.ErrLocked) {
			d.locked = true
			if msg.reveal {
				return m.openUnlock("to show the tokens of "+d.name, func() tea.Cmd {
					if m.detail == nil || m.detail.name != msg.name {
						return nil
					}
					return m.loadSecret(true)
				})
			}
			return nil
		}
		d.secErr = flow.Clean(msg.err.Error())
		return nil
	}
	d.locked, d.secErr = false, ""
	sec := msg.sec
	d.sec = &sec
	d.access, d.id = nil, nil
	if j, err := flow.DecodeJWT(sec.Token.AccessToken); err == nil {
		d.access = j
	}
	if sec.Token.IDToken != "" {
		if j, err := flow.DecodeJWT(sec.Token.IDToken); err == nil {
			d.id = j
		}
	}
	if msg.reveal {
		d.reveal = true
	}
	return nil
}

func (m *Model) updateDetail(msg tea.Msg) tea.Cmd {
	d := m.detail
	k, ok := msg.(tea.KeyPressMsg)
	if !ok || d == nil {
		return nil
	}
	km := m.keys
	switch {
	case k.String() == "ctrl+c" || k.String() == "q":
		return m.quit()
	case key.Matches(k, km.Back):
		m.closeDetail()
	case key.Matches(k, km.Help):
		m.modal = modalHelp
	case key.Matches(k, km.Up):
		d.offset = max(d.offset-1, 0)
	case key.Matches(k, km.Down):
		d.offset++
	case key.Matches(k, km.PgUp):
		d.offset = max(d.offset-d.height, 0)
	case key.Matches(k, km.PgDown):
		d.offset += d.height
	case key.Matches(k, km.Top):
		d.offset = 0
	case key.Matches(k, km.Reveal):
		if d.sec != nil {
			d.reveal = !d.reveal
			return nil
		}
		if d.locked {
			return m.openUnlock("to show the tokens of "+d.name, func() tea.Cmd {
				if m.detail == nil {
					return nil
				}
				return m.loadSecret(true)
			})
		}
		return m.loadSecret(true)
	case key.Matches(k, km.Copy):
		return m.copyToken(d.name, "access")
	case key.Matches(k, km.CopyID):
		return m.copyToken(d.name, "id")
	case key.Matches(k, km.CopyHeader):
		return m.copyToken(d.name, "header")
	case key.Matches(k, km.Refresh):
		if !m.sched.InFlight(d.name) {
			return m.startRefresh(d.name, true)
		}
	case key.Matches(k, km.Remove):
		m.confirmName = d.name
		m.modal = modalConfirm
	case key.Matches(k, km.Relink):
		if a, ok := m.account(d.name); ok {
			m.closeDetail()
			return m.openRelink(a)
		}
	}
	return nil
}

func (d *detailModel) view(m *Model, h int) string {
	lines := d.lines(m)
	d.offset = max(0, min(d.offset, len(lines)-h))
	end := min(d.offset+h, len(lines))
	out := lines[d.offset:end]
	if len(lines) > h && h > 0 {
		// show position on the last visible line
		pos := m.th.Muted.Render("  ↓ more (↑/↓ scroll)")
		if end == len(lines) {
			pos = m.th.Muted.Render("  ↑ top (↑/↓ scroll)")
		}
		out = append(out[:len(out)-1:len(out)-1], pos)
	}
	return strings.Join(out, "\n")
}

func (d *detailModel) lines(m *Model) []string {
	th := m.th
	a, ok := m.account(d.name)
	if !ok {
		return []string{th.Muted.Render("  This account no longer exists. esc goes back.")}
	}
	w := m.width
	const lw = 16
	var out []string
	add := func(s string) { out = append(out, s) }
	kv := func(k, v string) {
		add("  " + th.Label.Render(fit(k, lw)) + cut(v, w-lw-3))
	}
	head := func(s string) { add(""); add("  " + th.Section.Render(s)) }
	clean := func(s string) string {
		if s = flow.Clean(s); s == "" {
			return "—"
		}
		return s
	}

	st := m.rowStatus(a)
	badge, bs := m.badge(st)
	add("  " + th.Bold.Render(flow.Clean(a.Name)) + "  " + bs.Render(badge))
	p := a.Provider
	kv("provider", providerName(p)+th.Muted.Render("  ·  "+clean(p.ID)))
	kv("grant", clean(string(p.WithDefaults().Grant)))
	kv("linked", stamp(a.LinkedAt, m.now))

	head("Expiry")
	exp, es := m.expiryText(a, st)
	src := ""
	if a.ExpirySource != "" && a.ExpirySource != flow.ExpiryNone {
		src = th.Muted.Render("  from " + string(a.ExpirySource))
	}
	kv("access token", es.Render(exp)+src)
	if !a.AccessExpiry.IsZero() {
		kv("", th.Muted.Render(stamp(a.AccessExpiry, m.now)))
	}
	if due := m.pol.RefreshDue(a); !due.IsZero() {
		kv("refresh due", stamp(due, m.now))
	}
	rt := "not held"
	if a.HasRefresh {
		rt = "held"
		if !a.RefreshExpiry.IsZero() {
			rt += ", expires " + stamp(a.RefreshExpiry, m.now)
		} else {
			rt += ", no expiry given"
		}
	}
	kv("refresh token", rt)
	kv("issued", stamp(a.AccessIssued, m.now))
	kv("last refresh", stamp(a.LastRefresh, m.now))
	if e := m.sched.Err(a.Name); e != "" {
		kv("last error", th.ToastErr.Render(e))
	} else if a.LastError != "" {
		kv("last error", th.ToastErr.Render(flow.Clean(a.LastError)))
	}

	head("Provider")
	kv("authorize", clean(p.AuthURL))
	kv("token", clean(p.TokenURL))
	if p.RevocationURL != "" {
		kv("revocation", clean(p.RevocationURL))
	}
	if p.DeviceAuthURL != "" {
		kv("device", clean(p.DeviceAuthURL))
	}
	if p.Issuer != "" {
		kv("issuer", clean(p.Issuer))
	}
	if p.BaseURL != "" {
		kv("base URL", clean(p.BaseURL))
	}
	kv("client id", clean(p.ClientID))
	if p.RedirectURI != "" {
		kv("redirect URI", clean(p.RedirectURI))
	}
	scopes := a.Scopes
	if len(scopes) == 0 {
		scopes = p.Scopes
	}
	kv("scopes", clean(strings.Join(scopes, " ")))
	hn, _ := p.AuthHeader("…")
	kv("header", clean(hn)+": "+map[bool]string{true: "Bearer <token>", false: "<token>"}[strings.EqualFold(hn, "Authorization")])

	head("Tokens")
	switch {
	case d.sec != nil:
		tok := d.sec.Token
		d.tokenLines(m, &out, "access token", tok.AccessToken, d.access)
		if tok.IDToken != "" {
			d.tokenLines(m, &out, "ID token", tok.IDToken, d.id)
		}
		if tok.TokenType != "" {
			kv("token type", clean(tok.TokenType))
		}
		if tok.Scope != "" {
			kv("granted scope", clean(tok.Scope))
		}
	case d.loading:
		add("  " + th.Muted.Render("Reading the keyring…"))
	case d.locked:
		add("  " + th.Warn.Render("The keyring is locked.") + " Press " + th.Key.Render("v") + " to unlock it and show the tokens and their claims.")
	case d.secErr != "":
		add("  " + th.ToastErr.Render(cut("Cannot read the tokens: "+d.secErr, w-4)))
	}
	return out
}

func (d *detailModel) tokenLines(m *Model, out *[]string, label, tok string, j *flow.JWT) {
	th := m.th
	w := m.width
	const lw = 16
	if d.reveal {
		*out = append(*out, "  "+th.Label.Render(fit(label, lw))+th.Muted.Render("(v hides)"))
		for _, l := range strings.Split(ansiHardwrap(stripControls(tok), w-6), "\n") {
			*out = append(*out, "    "+th.Code.Render(l))
		}
	} else {
		*out = append(*out, "  "+th.Label.Render(fit(label, lw))+th.Code.Render(mask(stripControls(tok)))+th.Muted.Render("  v reveals"))
	}
	if j == nil {
		*out = append(*out, "  "+th.Muted.Render(fit("", lw)+"not a JWT: no claims to show"))
		return
	}
	*out = append(*out, "  "+th.Muted.Render(fit("", lw)+"claims (decoded, signature not verified):"))
	for _, c := range j.DisplayClaims() {
		*out = append(*out, "    "+th.Label.Render(fit(c.Name, lw-2))+cut(c.Value, w-lw-5))
	}
}

package detail

import (
	"strings"

	"github.com/tokenring/tokenring/flow"
	"github.com/tokenring/tokenring/internal/termtext"
	"github.com/tokenring/tokenring/ui/common"
)

const labelWidth = 16

// View renders the lines that fit from the scroll offset, with a scroll
// hint on the last line when they do not all fit.
func (d *Model) View(h int) string {
	lines := d.lines()
	d.offset = max(0, min(d.offset, len(lines)-h))
	end := min(d.offset+h, len(lines))
	out := lines[d.offset:end]
	if len(lines) > h && h > 0 {
		// show position on the last visible line
		pos := d.c.Theme.Muted.Render("  ↓ more (↑/↓ scroll)")
		if end == len(lines) {
			pos = d.c.Theme.Muted.Render("  ↑ top (↑/↓ scroll)")
		}
		out = append(out[:len(out)-1:len(out)-1], pos)
	}
	return strings.Join(out, "\n")
}

func (d *Model) lines() []string {
	th, now := d.c.Theme, d.c.Now
	a, ok := d.accts.Account(d.name)
	if !ok {
		return []string{th.Muted.Render("  This account no longer exists. esc goes back.")}
	}
	w := d.c.Width
	const lw = labelWidth
	var out []string
	add := func(s string) { out = append(out, s) }
	kv := func(k, v string) {
		add("  " + th.Label.Render(common.Fit(k, lw)) + common.Cut(v, w-lw-3))
	}
	head := func(s string) { add(""); add("  " + th.Section.Render(s)) }
	clean := func(s string) string {
		if s = termtext.Clean(s); s == "" {
			return "—"
		}
		return s
	}

	st := d.accts.Status(a)
	badge, bs := d.c.Badge(st)
	add("  " + th.Bold.Render(termtext.Clean(a.Name)) + "  " + bs.Render(badge))
	p := a.Provider
	kv("provider", p.Label()+th.Muted.Render("  ·  "+clean(p.ID)))
	kv("grant", clean(string(p.WithDefaults().Grant)))
	kv("linked", common.Stamp(a.LinkedAt, now))

	head("Expiry")
	exp, es := d.c.ExpiryText(a, st)
	src := ""
	if a.ExpirySource != "" && a.ExpirySource != flow.ExpiryNone {
		src = th.Muted.Render("  from " + string(a.ExpirySource))
	}
	kv("access token", es.Render(exp)+src)
	if !a.AccessExpiry.IsZero() {
		kv("", th.Muted.Render(common.Stamp(a.AccessExpiry, now)))
	}
	if due := d.accts.RefreshDue(a); !due.IsZero() {
		kv("refresh due", common.Stamp(due, now))
	}
	rt := "not held"
	if a.HasRefresh {
		rt = "held"
		if !a.RefreshExpiry.IsZero() {
			rt += ", expires " + common.Stamp(a.RefreshExpiry, now)
		} else {
			rt += ", no expiry given"
		}
	}
	kv("refresh token", rt)
	kv("issued", common.Stamp(a.AccessIssued, now))
	kv("last refresh", common.Stamp(a.LastRefresh, now))
	// the whole error, wrapped under its label (the list's row says its gist)
	lastErr := d.accts.RowErr(a.Name)
	if lastErr == "" {
		lastErr = a.LastError
	}
	if lastErr != "" {
		lines := strings.Split(common.WrapText(common.Unrepeated(a.Name, lastErr), max(w-lw-3, 20)), "\n")
		for i, l := range lines {
			k := ""
			if i == 0 {
				k = "last error"
			}
			add("  " + th.Label.Render(common.Fit(k, lw)) + th.ToastErr.Render(l))
		}
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
		d.tokenLines(&out, "access token", tok.AccessToken, d.access)
		if tok.IDToken != "" {
			d.tokenLines(&out, "ID token", tok.IDToken, d.id)
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
		add("  " + th.ToastErr.Render(common.Cut("Cannot read the tokens: "+d.secErr, w-4)))
	}
	return out
}

func (d *Model) tokenLines(out *[]string, label, tok string, j *flow.JWT) {
	th := d.c.Theme
	w := d.c.Width
	const lw = labelWidth
	if d.reveal {
		*out = append(*out, "  "+th.Label.Render(common.Fit(label, lw))+th.Muted.Render("(v hides)"))
		for _, l := range strings.Split(common.Hardwrap(termtext.StripControls(tok), w-6), "\n") {
			*out = append(*out, "    "+th.Code.Render(l))
		}
	} else {
		*out = append(*out, "  "+th.Label.Render(common.Fit(label, lw))+th.Code.Render(common.Mask(termtext.StripControls(tok)))+th.Muted.Render("  v reveals"))
	}
	if j == nil {
		*out = append(*out, "  "+th.Muted.Render(common.Fit("", lw)+"not a JWT: no claims to show"))
		return
	}
	*out = append(*out, "  "+th.Muted.Render(common.Fit("", lw)+"claims (decoded, signature not verified):"))
	for _, c := range j.DisplayClaims() {
		*out = append(*out, "    "+th.Label.Render(common.Fit(c.Name, lw-2))+common.Cut(c.Value, w-lw-5))
	}
}

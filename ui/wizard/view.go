package wizard

import (
	"fmt"
	"strings"

	"github.com/charmbracelet/x/ansi"

	"github.com/tokenring/tokenring/flow"
	"github.com/tokenring/tokenring/internal/termtext"
	"github.com/tokenring/tokenring/ui/common"
)

var stepNames = []string{"Provider", "Details", "Authorize", "Done"}

func (w *Model) stepIndex() int {
	switch w.step {
	case stepPick:
		return 0
	case stepFields:
		return 1
	case stepAuthorize, stepDevice, stepFailed:
		return 2
	case stepDone:
		return 3
	case stepWorking:
		if w.result != nil {
			return 3
		}
		if w.auth == nil && w.device == nil && w.authURL == "" {
			return 1
		}
		return 2
	}
	return 0
}

// block is a part of a step's view. When the step does not fit the
// height, blocks go lowest prio first (blank lines, the step line, hints),
// then the one that can shrink (the URL) gets what is left: the input and
// the lines that say what to do stay on screen at any size.
type block struct {
	lines []string
	prio  int
	// shrink renders the block in at most n lines (n ≥ 1); nil: it cannot.
	shrink func(n int) []string
}

const (
	pBlank  = 0 // blank lines between parts
	pSteps  = 1 // the step line
	pHint   = 2 // how-to notes
	pNote   = 3 // notes about this attempt (the listener)
	pMain   = 8 // headings, the URL, errors
	pInput  = 9 // the input and what it is for
	pAlways = 10
)

func blank() block { return block{lines: []string{""}, prio: pBlank} }

// fit lays blocks out in h lines.
func fit(blocks []block, h int) string {
	blocks = squeeze(blocks, h, 0)
	if over := count(blocks) - h; over > 0 {
		for i := range blocks {
			if b := &blocks[i]; b.shrink != nil && len(b.lines) > 1 {
				b.lines = b.shrink(max(len(b.lines)-over, 1))
				break
			}
		}
	}
	return join(blocks)
}

// squeeze drops the optional blocks (below pMain, lowest prio first, the
// last of a prio first) until they leave need lines of h free.
func squeeze(blocks []block, h, need int) []block {
	for p := pBlank; p < pMain && count(blocks)+need > h; p++ {
		for i := len(blocks) - 1; i >= 0 && count(blocks)+need > h; i-- {
			if blocks[i].prio == p {
				blocks = append(blocks[:i:i], blocks[i+1:]...)
			}
		}
	}
	return blocks
}

func count(blocks []block) int {
	n := 0
	for _, b := range blocks {
		n += len(b.lines)
	}
	return n
}

func join(blocks []block) string { return strings.Join(flat(blocks), "\n") }

func flat(blocks []block) []string {
	var out []string
	for _, b := range blocks {
		out = append(out, b.lines...)
	}
	return out
}

func lines(s string) []string { return strings.Split(s, "\n") }

// View renders the current step in h lines.
func (w *Model) View(h int) string {
	th := w.c.Theme
	width := w.c.Width - 4
	blocks := []block{{lines: []string{w.stepLine()}, prio: pSteps}, {lines: []string{""}, prio: pSteps}}
	switch w.step {
	case stepPick:
		blocks = append(blocks, block{lines: []string{"  " + th.Bold.Render(common.Cut("Which provider is the account with?", width))}, prio: pAlways}, blank())
		blocks = squeeze(blocks, h, len(w.choices)+1)
		return strings.Join(append(flat(blocks), lines(w.pickView(max(h-count(blocks), 2), width))...), "\n")
	case stepFields:
		head := "  " + th.Bold.Render(w.ch.title) + th.Muted.Render("  "+common.Cut(w.ch.desc, width-ansi.StringWidth(w.ch.title)-2))
		note := th.Muted.Render(common.Cut("  * needed. Secrets are masked and go only to the keyring.", width+2))
		if w.formErr != "" {
			note = th.ToastErr.Render(common.WrapIndent(w.formErr, width-2, "  "))
		}
		blocks = append(blocks, block{lines: []string{head}, prio: pHint}, blank())
		tail := []block{blank(), {lines: lines(note), prio: pMain}}
		if w.formErr == "" {
			tail[1].prio = pHint
		}
		// the fields come first: the header and the note get what they leave
		room := max(h-len(w.fields), 2)
		tail = squeeze(tail, room, 0)
		blocks = squeeze(blocks, room, count(tail))
		out := append(flat(blocks), lines(w.fieldsView(max(h-count(blocks)-count(tail), 2), width))...)
		return strings.Join(append(out, flat(tail)...), "\n")
	case stepWorking:
		blocks = append(blocks, block{lines: []string{"  " + w.spin.View() + " " + common.Cut(w.working, width)}, prio: pAlways})
	case stepAuthorize:
		blocks = append(blocks, w.authorizeBlocks(width)...)
	case stepDevice:
		blocks = append(blocks, w.deviceBlocks(width, h)...)
	case stepFailed:
		blocks = append(blocks, w.failedBlocks(width)...)
	case stepDone:
		blocks = append(blocks, w.doneBlocks(width)...)
	}
	return fit(blocks, h)
}

func (w *Model) stepLine() string {
	th := w.c.Theme
	var b strings.Builder
	cur := w.stepIndex()
	b.WriteString("  ")
	for i, s := range stepNames {
		if i > 0 {
			b.WriteString(th.Subtle.Render(" › "))
		}
		switch {
		case i == cur:
			b.WriteString(th.StepOn.Render(s))
		case i < cur:
			b.WriteString(th.Muted.Render(s))
		default:
			b.WriteString(th.Subtle.Render(s))
		}
	}
	return b.String()
}

// pickView lists the providers in h lines: each with its description when
// all fit so, else the titles with the description of the chosen one, else
// a window around it with a line saying how many more there are.
func (w *Model) pickView(h, width int) string {
	th := w.c.Theme
	title := func(i int) string {
		c := w.choices[i]
		mark, t := "  ", th.Text.Render(common.Cut(c.title, width-6))
		if i == w.pick {
			mark, t = th.Cursor.Render("▸ "), th.Key.Render(common.Cut(c.title, width-6))
		}
		num := th.Muted.Render(string(rune('1'+i)) + " ")
		if i >= 9 {
			num = "  "
		}
		return "  " + mark + num + t
	}
	desc := func(i int) string { return "      " + th.Muted.Render(common.Cut(w.choices[i].desc, width-4)) }
	n := len(w.choices)
	var out []string
	switch {
	case 2*n <= h:
		for i := range w.choices {
			out = append(out, title(i), desc(i))
		}
	case n+1 <= h:
		for i := range w.choices {
			out = append(out, title(i))
			if i == w.pick {
				out = append(out, desc(i))
			}
		}
	default:
		rows := max(h-2, 1) // the chosen one's description and the "more" line
		lo := min(max(w.pick-rows/2, 0), max(n-rows, 0))
		hi := min(lo+rows, n)
		for i := lo; i < hi; i++ {
			out = append(out, title(i))
			if i == w.pick && h >= 4 {
				out = append(out, desc(i))
			}
		}
		out = append(out, th.Muted.Render("  "+moreLine(lo, n-hi)))
	}
	return strings.Join(out, "\n")
}

// moreLine says how many entries are above and below the window.
func moreLine(above, below int) string {
	var s []string
	if above > 0 {
		s = append(s, fmt.Sprintf("↑ %d more", above))
	}
	if below > 0 {
		s = append(s, fmt.Sprintf("↓ %d more", below))
	}
	return strings.Join(s, " · ")
}

// fieldsView shows the form's fields in h lines, scrolled to keep the
// focused one in view. Labels are as wide as the longest (with its mark)
// plus a gap: "Authorization URL *" never runs into its value.
func (w *Model) fieldsView(h, width int) string {
	th := w.c.Theme
	lw := 0
	for _, f := range w.fields {
		lw = max(lw, ansi.StringWidth(f.label)+2)
	}
	lw += 2
	var all []string
	for i, f := range w.fields {
		label := f.label
		if f.required {
			label += " *"
		}
		ls, mark := th.Label, "  "
		if i == w.focus {
			ls, mark = th.Key, th.Cursor.Render("▸ ")
		}
		f.input.SetWidth(max(width-lw-4, 8))
		all = append(all, "  "+mark+ls.Render(common.Fit(label, lw))+f.input.View())
	}
	if len(all) <= h {
		return strings.Join(all, "\n")
	}
	rows := max(h-1, 1)
	lo := min(max(w.focus-rows/2, 0), len(all)-rows)
	hi := lo + rows
	return strings.Join(append(all[lo:hi:hi], th.Muted.Render("    "+moreLine(lo, len(all)-hi)+" (tab)")), "\n")
}

// urlBlock is a URL, wrapped, one hyperlink to the whole URL on every line;
// shrunk, its last line ends in "… ctrl+y copies it all".
func (w *Model) urlBlock(href, text string, width int) block {
	th := w.c.Theme
	u, text := termtext.StripControls(href), termtext.StripControls(text)
	full := lines(common.LinkLines(th.URL, u, text, width-4, "    "))
	return block{lines: full, prio: pMain, shrink: func(n int) []string {
		if n >= len(full) {
			return full
		}
		const tail = "… ctrl+y copies it all"
		parts := lines(common.WrapText(text, width-4))
		keep := parts[:n]
		last := ansi.Truncate(keep[n-1], max(width-4-ansi.StringWidth(tail), 4), "")
		out := make([]string, 0, n)
		for _, p := range keep[:n-1] {
			out = append(out, "    "+th.URL.Hyperlink(u).Render(p))
		}
		return append(out, "    "+th.URL.Hyperlink(u).Render(last)+th.Muted.Render(tail))
	}}
}

func (w *Model) authorizeBlocks(width int) []block {
	th := w.c.Theme
	narrow := width < 56
	h1, h2 := "1. Open this address and approve access:", "2. Paste the code, or the whole address you land on:"
	if narrow {
		h1, h2 = "1. Open and approve:", "2. Paste the code or address:"
	}
	hint := "ctrl+y copies it (works over SSH)"
	if w.c.Env.Local() {
		if w.opened {
			hint = "Your browser was asked to open it; ctrl+y copies it, ctrl+o opens it again"
		} else {
			hint += ", ctrl+o opens your browser"
		}
	}
	bs := []block{
		{lines: []string{"  " + th.Bold.Render(common.Cut(h1, width))}, prio: pMain},
		blank(),
		w.urlBlock(w.authURL, w.authURL, width),
		blank(),
		{lines: lines(th.Muted.Render(common.WrapIndent(hint+".", width-2, "  "))), prio: pHint},
		blank(),
		{lines: []string{"  " + th.Bold.Render(common.Cut(h2, width))}, prio: pInput},
	}
	if w.listenOn != "" {
		bs = append(bs, block{lines: lines(th.Muted.Render(common.WrapIndent("(or just approve: tokenring listens on "+w.listenOn+" for the browser's redirect)", width-2, "  "))), prio: pNote})
	} else if w.listenErr != "" {
		bs = append(bs, block{lines: lines(th.Warn.Render(common.WrapIndent("Cannot catch the redirect here: "+w.listenErr+". Paste the address instead.", width-2, "  "))), prio: pMain})
	}
	w.paste.SetWidth(max(width-6, 10))
	bs = append(bs, blank(), block{lines: []string{"  " + w.paste.View()}, prio: pAlways})
	if w.pasteErr != "" {
		bs = append(bs, blank(), block{lines: lines(th.ToastErr.Render(common.WrapIndent(w.pasteErr, width-2, "  "))), prio: pMain})
	}
	return bs
}

func (w *Model) deviceBlocks(width, h int) []block {
	th := w.c.Theme
	d := w.device
	left := ""
	if !d.Expiry.IsZero() {
		if r := common.UntilWhole(d.Expiry, w.c.Now); r > 0 {
			st := th.Muted
			if r < 60e9 {
				st = th.Danger
			}
			left = st.Render("  the code expires in " + common.Countdown(r))
		} else {
			left = th.Danger.Render("  the code has expired")
		}
	}
	code := termtext.Clean(d.UserCode)
	box := th.Box.Padding(0, 2).Render(th.Code.Render(code))
	bs := []block{
		{lines: []string{"  " + th.Bold.Render("On any device, open:")}, prio: pMain},
		blank(),
		w.urlBlock(d.URL(), d.VerificationURI, width),
		blank(),
		{lines: []string{"  " + th.Bold.Render("and enter the code:")}, prio: pAlways},
		blank(),
		{lines: lines(common.IndentLines(box, "    ")), prio: pAlways},
		blank(),
		{lines: []string{"  " + w.spin.View() + " " + th.Muted.Render("Waiting for approval…") + left}, prio: pInput},
	}
	if count(bs)+2 > h { // small: the code on the heading's line, no box
		bs[4].lines[0] += " " + th.Code.Render(code)
		bs = append(bs[:6:6], bs[8:]...)
	}
	return bs
}

func (w *Model) failedBlocks(width int) []block {
	th := w.c.Theme
	what := "start over with a new authorization (the old code is never sent again)"
	switch {
	case w.result != nil:
		what = "try storing the tokens again"
	case w.planned.Provider.Grant == flow.GrantClientCredentials:
		what = "try again"
	case w.planned.Provider.Grant == flow.GrantDeviceCode:
		what = "start over with a new device code"
	}
	bs := []block{
		{lines: []string{"  " + th.Danger.Render("Linking failed")}, prio: pAlways},
		blank(),
		{lines: lines(common.WrapIndent(w.failMsg, width-2, "  ")), prio: pMain},
	}
	if w.failHint != "" {
		bs = append(bs, blank(), block{lines: lines(th.Muted.Render(common.WrapIndent(w.failHint, width-2, "  "))), prio: pHint})
	}
	return append(bs, blank(), block{lines: []string{
		"  " + th.Key.Render("enter") + " " + common.Cut(what, width-6),
		"  " + th.Key.Render("e") + "     edit the details",
		"  " + th.Key.Render("esc") + "   cancel",
	}, prio: pHint})
}

// doneBlocks is the Done step: the account is stored; what happens to its
// token now; enter goes back to the list, where it is selected.
func (w *Model) doneBlocks(width int) []block {
	th := w.c.Theme
	l := w.linked
	if l == nil {
		return nil
	}
	name := termtext.Clean(l.name)
	var about string
	switch {
	case l.expiry.IsZero():
		about = "Its token does not expire."
	case l.refresh:
		about = "Its token expires in " + common.Countdown(common.UntilWhole(l.expiry, w.c.Clock())) +
			"; tokenring refreshes it before then, while it runs (and tokenring token " + name + " does too)."
	default:
		about = "Its token expires in " + common.Countdown(common.UntilWhole(l.expiry, w.c.Clock())) +
			" and no refresh token came: link it again (L) then."
	}
	bs := []block{
		{lines: []string{"  " + th.OK.Render("✓ ") + th.Bold.Render(name+" is linked.")}, prio: pAlways},
		blank(),
		{lines: lines(common.WrapIndent(about, width-2, "  ")), prio: pMain},
	}
	if l.offlineDenied {
		bs = append(bs, blank(), block{lines: lines(th.Warn.Render(common.WrapIndent(
			"Offline access was not granted: without a refresh token the account must be linked again when its token expires.", width-2, "  "))), prio: pMain})
	}
	return append(bs, blank(), block{lines: []string{"  " + th.Key.Render("enter") + " back to the list"}, prio: pHint})
}

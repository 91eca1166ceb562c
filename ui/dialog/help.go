package dialog

import (
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/tokenring/tokenring/accounts"
	"github.com/tokenring/tokenring/internal/termtext"
	"github.com/tokenring/tokenring/ui/common"
)

// HelpInfo is what the help says besides the keys.
type HelpInfo struct {
	Keys      [][]key.Binding // the list's keys, in columns
	ClipClear time.Duration   // how long a copied secret stays (≤ 0: never cleared)
	Backend   accounts.BackendInfo
	// TmuxClipboard is tmux's set-clipboard option as tmux answered ("" when
	// not in tmux or tmux did not say): the tip to turn it on shows only
	// when tmux would drop a copy.
	TmuxClipboard string
}

// Help is the full key help, with a word on the clipboard and the keyring.
// It reflows to the window's width and scrolls when it is taller.
type Help struct {
	c      *common.Common
	info   HelpInfo
	offset int
	lines  int // of the last render
	height int
}

// NewHelp shows the keys of every screen and how copying and the keyring work.
func NewHelp(c *common.Common, info HelpInfo) *Help { return &Help{c: c, info: info} }

// Update: ↑/↓ (j/k, pgup/pgdn, g/G) scroll; any other key closes the help.
func (d *Help) Update(msg tea.Msg) (common.Action, tea.Cmd) {
	k, ok := msg.(tea.KeyPressMsg)
	if !ok {
		return nil, nil
	}
	km := d.c.Keys
	page := max(d.height-1, 1)
	switch {
	case k.String() == "ctrl+c":
		return common.Quit{}, nil
	case key.Matches(k, km.Up):
		d.offset--
	case key.Matches(k, km.Down):
		d.offset++
	case key.Matches(k, km.PgUp):
		d.offset -= page
	case key.Matches(k, km.PgDown):
		d.offset += page
	case key.Matches(k, km.Top):
		d.offset = 0
	case key.Matches(k, km.Bottom):
		d.offset = d.lines
	default:
		return common.Close{}, nil
	}
	d.offset = max(0, min(d.offset, d.lines-d.height+1)) // the last line holds the hint
	return nil, nil
}

// View is the help text from the scroll offset; a hint on the last line
// says there is more.
func (d *Help) View(h int) string {
	lines := d.body()
	d.lines, d.height = len(lines), h
	if len(lines) <= h {
		d.offset = 0
		return strings.Join(lines, "\n")
	}
	d.offset = max(0, min(d.offset, len(lines)-h+1))
	end := min(d.offset+h-1, len(lines))
	out := append([]string(nil), lines[d.offset:end]...)
	hint := "  ↓ more (↑/↓ scroll)"
	if end == len(lines) {
		hint = "  ↑ top (↑/↓ scroll)"
	}
	return strings.Join(append(out, d.c.Theme.Muted.Render(hint)), "\n")
}

// item is one key and what it does.
type item struct{ key, desc string }

// body is every line of the help at the window's width.
func (d *Help) body() []string {
	th, w := d.c.Theme, d.c.Width
	var out []string
	out = append(out, "  "+th.Section.Render("Keys"), "")
	out = append(out, d.columns(w-2)...)
	out = append(out, "")
	out = append(out, d.flow(w-4, "Details", []item{{"esc/h", "back"}, {"v", "reveal/hide tokens"}, {"c i C", "copy"},
		{"r", "refresh"}, {"L", "link again"}, {"d", "remove"}})...)
	link := []item{{"ctrl+y", "copy URL"}}
	if d.c.Env.Local() { // over SSH a browser would open on the wrong machine
		link = append(link, item{"ctrl+o", "open browser"})
	}
	link = append(link, item{"ctrl+r", "start over"}, item{"esc", "back"})
	out = append(out, d.flow(w-4, "Linking", link)...)

	note := "Clipboard: copies go through the terminal (OSC 52, also over SSH) and to the system clipboard when there is one."
	if d.info.ClipClear > 0 {
		note += " Every secret copied is cleared after " + termtext.Duration(d.info.ClipClear) +
			" (tmux's paste buffers too), unless you copied something else since."
	}
	if d.c.Env.Tmux() && d.info.TmuxClipboard != "on" && d.info.TmuxClipboard != "external" {
		note += " tmux drops the copy unless you run: tmux set -s set-clipboard on"
	}
	if d.info.ClipClear > 0 && (d.c.Env.Remote() || !d.c.Env.HasDisplay()) {
		note += " Your terminal gets the clear as OSC 52, which tokenring cannot read back (it says \"clear sent\"); " +
			"a tmux on your side keeps its own copy unless it has set -s set-clipboard external."
	}
	out = append(out, "")
	out = append(out, strings.Split(th.Muted.Render(common.WrapIndent(note, w-4, "  ")), "\n")...)
	if d.info.Backend.Name != "" {
		kr := "Keyring: " + termtext.Clean(d.info.Backend.Name)
		if r := plainReason(d.info.Backend.Reason); r != "" {
			kr += " — " + r
		}
		if p := d.info.Backend.Path; p != "" {
			kr += " In " + termtext.Clean(p) + "."
		}
		out = append(out, strings.Split(th.Muted.Render(common.WrapIndent(kr, w-4, "  ")), "\n")...)
	}
	return out
}

// columns lays the key columns side by side while they fit in w, and
// under each other when they do not.
func (d *Help) columns(w int) []string {
	th := d.c.Theme
	type block struct {
		lines []string
		width int
	}
	var blocks []block
	for _, col := range d.info.Keys {
		kw, dw := 0, 0
		for _, b := range col {
			kw = max(kw, ansi.StringWidth(b.Help().Key))
			dw = max(dw, ansi.StringWidth(b.Help().Desc))
		}
		var bl block
		bl.width = kw + 1 + dw
		for _, b := range col {
			h := b.Help()
			bl.lines = append(bl.lines, th.HelpKey.Render(common.Fit(h.Key, kw))+" "+th.HelpDesc.Render(common.Fit(h.Desc, dw)))
		}
		blocks = append(blocks, bl)
	}
	const sep = "    "
	var out []string
	for i := 0; i < len(blocks); {
		// as many blocks as fit on this row (at least one)
		j, used := i, 0
		for j < len(blocks) && (j == i || used+len(sep)+blocks[j].width <= w) {
			if j > i {
				used += len(sep)
			}
			used += blocks[j].width
			j++
		}
		rows := 0
		for _, b := range blocks[i:j] {
			rows = max(rows, len(b.lines))
		}
		for r := 0; r < rows; r++ {
			line := ""
			for n, b := range blocks[i:j] {
				if n > 0 {
					line += sep
				}
				cell := strings.Repeat(" ", b.width)
				if r < len(b.lines) {
					cell = b.lines[r]
				}
				line += cell
			}
			out = append(out, "  "+strings.TrimRight(common.Cut(line, w), " "))
		}
		if j < len(blocks) {
			out = append(out, "")
		}
		i = j
	}
	return out
}

// flow writes a section's key/desc items one after the other after its
// label, wrapped at w.
func (d *Help) flow(w int, label string, items []item) []string {
	th := d.c.Theme
	var out []string
	line, n := th.Section.Render(label), ansi.StringWidth(label)
	for _, it := range items {
		iw := ansi.StringWidth(it.key) + 1 + ansi.StringWidth(it.desc)
		if n > 0 && n+2+iw > w {
			out = append(out, "  "+line)
			line, n = "", 0
		}
		if n > 0 {
			line += "  "
			n += 2
		}
		line += th.HelpKey.Render(it.key) + " " + th.HelpDesc.Render(it.desc)
		n += iw
	}
	if n > 0 {
		out = append(out, "  "+line)
	}
	return out
}

// plainReason says the keyring's reason without the nested parentheses the
// store builds it with: "no OS keyring answered (secret-service: there is
// no D-Bus session bus (…); kwallet: …); using the encrypted file keyring"
// becomes "No OS keyring answered: secret-service: there is no D-Bus
// session bus, …; kwallet: …. Using the encrypted file keyring."
func plainReason(s string) string {
	s = termtext.Clean(s)
	if s == "" {
		return ""
	}
	var parts []string
	for _, seg := range splitTop(s, "; ") {
		parts = append(parts, capital(flatten(seg))+".")
	}
	return strings.Join(parts, " ")
}

// splitTop splits s at sep outside parentheses.
func splitTop(s, sep string) []string {
	var out []string
	depth, start := 0, 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '(':
			depth++
		case ')':
			depth--
		}
		if depth == 0 && strings.HasPrefix(s[i:], sep) {
			out = append(out, s[start:i])
			start = i + len(sep)
			i += len(sep) - 1
		}
	}
	return append(out, s[start:])
}

// flatten turns "a (b (c); d)" into "a: b, c; d": a parenthesis becomes a
// colon (or a comma inside another), and the closing ones go.
func flatten(s string) string {
	var b strings.Builder
	depth := 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == ' ' && i+1 < len(s) && s[i+1] == '(':
			// the space before a parenthesis goes with it
		case c == '(':
			if depth == 0 {
				b.WriteString(": ")
			} else {
				b.WriteString(", ")
			}
			depth++
		case c == ')':
			depth--
		default:
			b.WriteByte(c)
		}
	}
	return strings.TrimSpace(b.String())
}

func capital(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// ShortHelp is the footer's key help.
func (d *Help) ShortHelp() []key.Binding {
	if d.lines > d.height {
		return []key.Binding{common.KB("↑/↓", "scroll"), common.KB("esc", "close")}
	}
	return []key.Binding{common.KB("esc", "close")}
}

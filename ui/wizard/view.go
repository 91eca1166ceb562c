package wizard

import (
	"strings"

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

// View renders the current step.
func (w *Model) View(h int) string {
	th := w.c.Theme
	var b strings.Builder
	// step indicator
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
	b.WriteString("\n\n")
	width := w.c.Width - 4
	switch w.step {
	case stepPick:
		b.WriteString("  " + th.Bold.Render("Which provider is the account with?") + "\n\n")
		fit := max((h-5)/2, 1) // choices that fit (two lines each)
		lo := min(max(w.pick-fit/2, 0), max(len(w.choices)-fit, 0))
		hi := min(lo+fit, len(w.choices))
		for i := lo; i < hi; i++ {
			c := w.choices[i]
			mark, title := "  ", th.Text.Render(c.title)
			if i == w.pick {
				mark, title = th.Cursor.Render("▸ "), th.Key.Render(c.title)
			}
			num := th.Muted.Render(string(rune('1'+i)) + " ")
			if i >= 9 {
				num = "  "
			}
			b.WriteString("  " + mark + num + title + "\n")
			b.WriteString("      " + th.Muted.Render(common.Cut(c.desc, width-4)) + "\n")
		}
	case stepFields:
		b.WriteString("  " + th.Bold.Render(w.ch.title) + th.Muted.Render("  "+common.Cut(w.ch.desc, width-len(w.ch.title)-2)) + "\n\n")
		const lw = 19
		for i, f := range w.fields {
			label := f.label
			if f.required {
				label += " *"
			}
			ls := th.Label
			mark := "  "
			if i == w.focus {
				ls = th.Key
				mark = th.Cursor.Render("▸ ")
			}
			f.input.SetWidth(max(width-lw-4, 10))
			b.WriteString("  " + mark + ls.Render(common.Fit(label, lw)) + f.input.View() + "\n")
		}
		b.WriteString("\n")
		if w.formErr != "" {
			b.WriteString(th.ToastErr.Render(common.WrapIndent(w.formErr, width-2, "  ")) + "\n")
		} else {
			b.WriteString(th.Muted.Render("  * needed. Secrets are masked and go only to the keyring.") + "\n")
		}
	case stepWorking:
		b.WriteString("  " + w.spin.View() + " " + w.working + "\n")
	case stepAuthorize:
		b.WriteString("  " + th.Bold.Render("1. Open this address and approve access:") + "\n\n")
		b.WriteString(common.LinkLines(th.URL, termtext.StripControls(w.authURL), termtext.StripControls(w.authURL), width-4, "    ") + "\n\n")
		hint := "ctrl+y copies it (works over SSH)"
		if w.c.Env.Local() {
			if w.opened {
				hint = "Your browser was asked to open it; ctrl+y copies it, ctrl+o opens it again"
			} else {
				hint += ", ctrl+o opens your browser"
			}
		}
		b.WriteString(th.Muted.Render(common.WrapIndent(hint+".", width-2, "  ")) + "\n\n")
		b.WriteString("  " + th.Bold.Render("2. Paste the code, or the whole address you land on:") + "\n")
		if w.listenOn != "" {
			b.WriteString(th.Muted.Render(common.WrapIndent("(or just approve: tokenring listens on "+w.listenOn+" for the browser's redirect)", width-2, "  ")) + "\n")
		} else if w.listenErr != "" {
			b.WriteString(th.Warn.Render(common.WrapIndent("Cannot catch the redirect here: "+w.listenErr+". Paste the address instead.", width-2, "  ")) + "\n")
		}
		w.paste.SetWidth(max(width-6, 10))
		b.WriteString("\n  " + w.paste.View() + "\n")
		if w.pasteErr != "" {
			b.WriteString("\n" + th.ToastErr.Render(common.WrapIndent(w.pasteErr, width-2, "  ")) + "\n")
		}
	case stepDevice:
		d := w.device
		b.WriteString("  " + th.Bold.Render("On any device, open:") + "\n\n")
		b.WriteString(common.LinkLines(th.URL, termtext.StripControls(d.URL()), termtext.StripControls(d.VerificationURI), width-4, "    ") + "\n\n")
		b.WriteString("  " + th.Bold.Render("and enter the code:") + "\n\n")
		box := th.Box.Padding(0, 2).Render(th.Code.Render(termtext.Clean(d.UserCode)))
		b.WriteString(common.IndentLines(box, "    ") + "\n\n")
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
		b.WriteString("  " + w.spin.View() + " " + th.Muted.Render("Waiting for approval…") + left + "\n")
	case stepFailed:
		b.WriteString("  " + th.Danger.Render("Linking failed") + "\n\n")
		b.WriteString(common.WrapIndent(w.failMsg, width-2, "  ") + "\n")
		if w.failHint != "" {
			b.WriteString("\n" + th.Muted.Render(common.WrapIndent(w.failHint, width-2, "  ")) + "\n")
		}
		what := "start over with a new authorization (the old code is never sent again)"
		switch {
		case w.result != nil:
			what = "try storing the tokens again"
		case w.planned.Provider.Grant == flow.GrantClientCredentials:
			what = "try again"
		case w.planned.Provider.Grant == flow.GrantDeviceCode:
			what = "start over with a new device code"
		}
		b.WriteString("\n  " + th.Key.Render("enter") + " " + what + "\n")
		b.WriteString("  " + th.Key.Render("e") + "     edit the details\n")
		b.WriteString("  " + th.Key.Render("esc") + "   cancel\n")
	}
	return b.String()
}

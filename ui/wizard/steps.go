package wizard

// The steps' keys: pick a provider, fill in the details, authorize (paste
// or wait for the loopback listener), wait for a device approval, and the
// failure screen.

import (
	"context"
	"errors"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/tokenring/tokenring/flow"
	"github.com/tokenring/tokenring/internal/link"
	"github.com/tokenring/tokenring/internal/termtext"
	"github.com/tokenring/tokenring/ui/common"
)

func (w *Model) updatePick(k tea.KeyPressMsg) (common.Action, tea.Cmd) {
	switch s := k.String(); {
	case s == "esc" || s == "q":
		return common.Close{}, nil
	case key.Matches(k, w.c.Keys.Up):
		w.pick = max(w.pick-1, 0)
	case key.Matches(k, w.c.Keys.Down) || s == "tab":
		w.pick = min(w.pick+1, len(w.choices)-1)
	case len(s) == 1 && s[0] >= '1' && s[0] <= '9' && int(s[0]-'1') < len(w.choices):
		w.pick = int(s[0] - '1')
		return nil, w.choose()
	case s == "enter":
		return nil, w.choose()
	}
	return nil, nil
}

func (w *Model) choose() tea.Cmd {
	w.ch = w.choices[w.pick]
	w.fields = w.fields[:0]
	for _, s := range w.ch.fields {
		w.fields = append(w.fields, newField(s))
	}
	for i := range w.fields {
		common.StyleInput(&w.fields[i].input, w.c.Theme)
	}
	w.focus, w.formErr = 0, ""
	w.step = stepFields
	return w.fields[0].input.Focus()
}

func (w *Model) setFocus(i int) tea.Cmd {
	w.fields[w.focus].input.Blur()
	w.focus = (i + len(w.fields)) % len(w.fields)
	return w.fields[w.focus].input.Focus()
}

func (w *Model) updateFields(k tea.KeyPressMsg) (common.Action, tea.Cmd) {
	switch k.String() {
	case "esc":
		w.fields[w.focus].input.Blur()
		if w.relink != "" {
			return common.Close{}, nil
		}
		w.step = stepPick
		return nil, nil
	case "tab", "down":
		return nil, w.setFocus(w.focus + 1)
	case "shift+tab", "up":
		return nil, w.setFocus(w.focus - 1)
	case "enter":
		if w.focus < len(w.fields)-1 {
			return nil, w.setFocus(w.focus + 1)
		}
		return nil, w.submitFields()
	}
	var cmd tea.Cmd
	f := &w.fields[w.focus]
	f.input, cmd = f.input.Update(k)
	w.formErr = ""
	return nil, cmd
}

func (w *Model) field(k fieldKind) field {
	for _, f := range w.fields {
		if f.kind == k {
			return f
		}
	}
	return field{}
}

func (w *Model) value(k fieldKind) string {
	for _, f := range w.fields {
		if f.kind == k {
			return strings.TrimSpace(f.input.Value())
		}
	}
	return ""
}

// request is what the form asks link for.
func (w *Model) request() link.Request {
	o := flow.Overrides{
		BaseURL: w.value(fBaseURL), Issuer: w.value(fIssuer), ClientID: w.value(fClientID),
		RedirectURI: w.value(fRedirect), AuthURL: w.value(fAuthURL), TokenURL: w.value(fTokenURL),
		Grant: w.ch.grant,
	}
	// an optional Redirect URI left empty is the loopback one: tokenring
	// catches the browser's redirect itself
	if o.RedirectURI == "" && w.hasField(fRedirect) && !w.field(fRedirect).required {
		o.RedirectURI = loopbackRedirect
	}
	for _, f := range w.fields {
		if f.kind == fScopes {
			o.Scopes = strings.Fields(f.input.Value())
		}
	}
	name := w.value(fName)
	// A provider from config.toml (or the account linked again) is given
	// whole; a built-in one by its preset id, as the command line gives it.
	return link.Request{Name: name, Provider: w.ch.preset, Base: w.ch.base, Overrides: o,
		Relink: w.relink != "" && name == w.relink}
}

// submitFields hands the form to link: Plan (name, provider, discovery,
// validation), then Ready (secrets, a keyring that can store), then Start.
// Every problem comes back before anything is sent to the provider and is
// shown on the form (errors.go).
func (w *Model) submitFields() tea.Cmd {
	if w.value(fName) == "" {
		w.formErr = w.fields[0].label + " is needed."
		return w.setFocus(0)
	}
	w.Close()
	w.attempt++
	w.planned, w.auth, w.device, w.result, w.authURL = nil, nil, nil, nil, ""
	w.secrets = flow.Secrets{ClientSecret: w.value(fClientSecret), APIKey: w.value(fAPIKey)}
	// a secret field left empty takes the environment's (TOKENRING_*)
	if w.secrets.ClientSecret == "" && w.hasField(fClientSecret) {
		w.secrets.ClientSecret = w.cfg.EnvSecrets.ClientSecret
	}
	if w.secrets.APIKey == "" && w.hasField(fAPIKey) {
		w.secrets.APIKey = w.cfg.EnvSecrets.APIKey
	}
	w.fields[w.focus].input.Blur()
	w.step = stepWorking
	return tea.Batch(w.startSpin("Checking the details…"), w.plan(w.request()))
}

// begin starts a new attempt of the plan in hand: a fresh authorization
// (new state, PKCE verifier and nonce), a new device code, or a new client
// credentials request. Nothing of an earlier attempt is sent again.
func (w *Model) begin() tea.Cmd {
	w.Close()
	w.attempt++
	w.auth, w.device, w.result, w.authURL = nil, nil, nil, ""
	w.pasteErr, w.failMsg, w.failHint, w.listenOn, w.listenErr = "", "", "", "", ""
	w.opened = false
	w.step = stepWorking
	return tea.Batch(w.startSpin(workingText(w.planned.Provider)), w.start())
}

func (w *Model) enterAuthorize() tea.Cmd {
	w.step = stepAuthorize
	w.spinning = false
	w.paste.SetValue("")
	w.pasteRaw, w.pasteShown = "", ""
	cmds := []tea.Cmd{w.paste.Focus()}
	if w.c.Env.Local() && !w.opened {
		cmds = append(cmds, w.openURL(w.authURL))
	}
	return tea.Batch(cmds...)
}

func (w *Model) openURL(u string) tea.Cmd {
	if u == "" {
		return nil
	}
	w.opened = true
	open, attempt := w.cfg.OpenURL, w.attempt
	return w.c.IO(func(ctx context.Context) tea.Msg {
		return openedMsg{attempt, open(ctx, u)}
	})
}

func (w *Model) updateAuthorize(k tea.KeyPressMsg) (common.Action, tea.Cmd) {
	km := w.c.Keys
	switch {
	case k.String() == "esc":
		w.back()
		return nil, w.fields[w.focus].input.Focus()
	case key.Matches(k, km.CopyURL):
		return common.CopyText{Text: w.authURL, Label: "authorization URL"}, nil
	case key.Matches(k, km.OpenURL):
		return nil, w.openURL(w.authURL)
	case key.Matches(k, km.StartOver):
		return nil, w.begin()
	case k.String() == "enter":
		text := w.paste.Value()
		if w.pasteRaw != "" && text == w.pasteShown {
			text = w.pasteRaw
		}
		return nil, w.submitPaste(text)
	}
	var cmd tea.Cmd
	w.paste, cmd = w.paste.Update(k)
	w.pasteErr = ""
	return nil, cmd
}

// back leaves the attempt for the form (its listener or poll stops).
func (w *Model) back() {
	w.Close()
	w.auth = nil
	w.attempt++
	w.step = stepFields
}

// submitPaste reads what the user pasted and, when it is a code for this
// attempt, exchanges it. A paste for another attempt, or not a code, is
// refused without sending anything.
func (w *Model) submitPaste(text string) tea.Cmd {
	if w.auth == nil {
		return nil
	}
	if strings.TrimSpace(text) == "" {
		w.pasteErr = "Paste the code, or the whole address the browser landed on, then press enter."
		return nil
	}
	code, err := w.auth.Code(text)
	if err != nil {
		var oe *flow.OAuthError
		switch {
		case errors.Is(err, flow.ErrStateMismatch):
			w.pasteErr = "That address belongs to a different authorization attempt (its state does not match this one). " +
				"Paste the address from the attempt above, or press ctrl+r to start over."
		case errors.As(err, &oe):
			w.fail(err)
		default:
			w.pasteErr = termtext.Clean(err.Error())
		}
		return nil
	}
	return w.exchange(code)
}

func (w *Model) exchange(code string) tea.Cmd {
	a := w.auth
	w.auth = nil // this attempt's code is spent, whatever happens
	a.Close()
	w.paste.Blur()
	w.step = stepWorking
	return tea.Batch(w.startSpin("Exchanging the code with "+w.planned.Provider.Label()+"…"), w.redeem(a, code))
}

func (w *Model) updateDevice(k tea.KeyPressMsg) (common.Action, tea.Cmd) {
	km := w.c.Keys
	switch {
	case k.String() == "esc":
		w.back()
		return nil, w.fields[w.focus].input.Focus()
	case key.Matches(k, km.CopyURL):
		return common.CopyText{Text: w.device.URL(), Label: "verification URL"}, nil
	case key.Matches(k, km.OpenURL):
		return nil, w.openURL(w.device.URL())
	}
	return nil, nil
}

func (w *Model) updateFailed(k tea.KeyPressMsg) (common.Action, tea.Cmd) {
	switch k.String() {
	case "esc", "q":
		return common.Close{}, nil
	case "e":
		w.step = stepFields
		return nil, w.fields[w.focus].input.Focus()
	case "enter", "s", "ctrl+r":
		if w.result != nil {
			return nil, w.save() // the same tokens: the code is not sent again
		}
		return nil, w.begin()
	}
	return nil, nil
}

func (w *Model) fail(err error) {
	w.Close()
	w.auth = nil
	w.step = stepFailed
	w.failMsg, w.failHint = describe(w.planned.Provider.Label(), err)
}

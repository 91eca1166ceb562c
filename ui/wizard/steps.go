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

	"github.com/tokenring/tokenring/accounts"
	"github.com/tokenring/tokenring/flow"
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

func (w *Model) value(k fieldKind) string {
	for _, f := range w.fields {
		if f.kind == k {
			return strings.TrimSpace(f.input.Value())
		}
	}
	return ""
}

func (w *Model) submitFields() tea.Cmd {
	for i, f := range w.fields {
		if f.required && strings.TrimSpace(f.input.Value()) == "" {
			w.formErr = f.label + " is needed."
			return w.setFocus(i)
		}
	}
	name := w.value(fName)
	if accounts.ValidName(name) != nil { // not a regexp: compiling {1,64} cost every process ~0.15 ms at start-up
		w.formErr = "Account names use letters, digits, '.', '_' and '-' (at most 64, starting with a letter or digit)."
		return w.setFocus(0)
	}
	if _, taken := w.cfg.Accounts.Account(name); taken && name != w.relink {
		w.formErr = "An account named " + name + " already exists; pick another name (or remove it first)."
		return w.setFocus(0)
	}
	if w.cfg.Exchanger == nil {
		w.formErr = "Linking is not available: this build has no network client."
		return nil
	}
	o := flow.Overrides{
		BaseURL: w.value(fBaseURL), Issuer: w.value(fIssuer), ClientID: w.value(fClientID),
		RedirectURI: w.value(fRedirect), AuthURL: w.value(fAuthURL), TokenURL: w.value(fTokenURL),
		Grant: w.ch.grant,
	}
	for _, f := range w.fields {
		if f.kind == fScopes {
			o.Scopes = strings.Fields(f.input.Value())
		}
	}
	p, err := resolve(w.ch, o)
	if err != nil {
		w.formErr = termtext.Clean(err.Error())
		return nil
	}
	w.name = name
	w.secrets = flow.Secrets{ClientSecret: w.value(fClientSecret), APIKey: w.value(fAPIKey)}
	w.fields[w.focus].input.Blur()
	if needsDiscovery(p) {
		w.attempt++
		w.step = stepWorking
		return tea.Batch(w.startSpin("Reading the OpenID Connect configuration of "+termtext.Clean(p.Issuer)+"…"), w.discover(p))
	}
	return w.begin(p)
}

// begin starts a new attempt with provider p: a fresh AuthRequest (new
// state, PKCE verifier and nonce), a device authorization, or a client
// credentials request.
func (w *Model) begin(p flow.Provider) tea.Cmd {
	w.Close()
	w.prov = p
	w.attempt++
	w.req, w.device, w.authURL = nil, nil, ""
	w.pasteErr, w.failMsg, w.failHint, w.listenOn, w.listenErr = "", "", "", "", ""
	w.opened = false
	switch p.WithDefaults().Grant {
	case flow.GrantClientCredentials:
		w.step = stepWorking
		return tea.Batch(w.startSpin("Requesting an application token from "+p.Label()+"…"), w.clientCredentials(p))
	case flow.GrantDeviceCode:
		w.step = stepWorking
		return tea.Batch(w.startSpin("Asking "+p.Label()+" for a device code…"), w.startDevice(p))
	}
	req, err := startAuth(p)
	if err != nil {
		w.step = stepFields
		w.formErr = termtext.Clean(err.Error())
		return w.fields[w.focus].input.Focus()
	}
	w.req = req
	w.authURL = req.URL
	if flow.IsLoopbackRedirect(req.RedirectURI) {
		w.step = stepWorking
		return tea.Batch(w.startSpin("Starting a listener for the browser's redirect…"), w.listen(req))
	}
	return w.enterAuthorize()
}

func (w *Model) enterAuthorize() tea.Cmd {
	w.step = stepAuthorize
	w.spinning = false
	w.paste.SetValue("")
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
		w.Close()
		w.req = nil
		w.attempt++
		w.step = stepFields
		return nil, w.fields[w.focus].input.Focus()
	case key.Matches(k, km.CopyURL):
		return common.CopyText{Text: w.authURL, Label: "authorization URL"}, nil
	case key.Matches(k, km.OpenURL):
		return nil, w.openURL(w.authURL)
	case key.Matches(k, km.StartOver):
		return nil, w.begin(w.prov)
	case k.String() == "enter":
		return nil, w.submitPaste(w.paste.Value())
	}
	var cmd tea.Cmd
	w.paste, cmd = w.paste.Update(k)
	w.pasteErr = ""
	return nil, cmd
}

// submitPaste reads what the user pasted and, when it is a code for this
// attempt, exchanges it. A paste for another attempt, or not a code, is
// refused without sending anything.
func (w *Model) submitPaste(text string) tea.Cmd {
	if w.req == nil {
		return nil
	}
	if strings.TrimSpace(text) == "" {
		w.pasteErr = "Paste the code, or the whole address the browser landed on, then press enter."
		return nil
	}
	code, err := w.req.ReadPaste(text)
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
	req := w.req
	w.req = nil // this attempt's code is spent, whatever happens
	if w.capture != nil {
		_ = w.capture.Close()
		w.capture = nil
	}
	w.paste.Blur()
	w.step = stepWorking
	return tea.Batch(w.startSpin("Exchanging the code with "+w.prov.Label()+"…"), w.redeem(req, code))
}

func (w *Model) updateDevice(k tea.KeyPressMsg) (common.Action, tea.Cmd) {
	km := w.c.Keys
	switch {
	case k.String() == "esc":
		w.Close()
		w.attempt++
		w.step = stepFields
		return nil, w.fields[w.focus].input.Focus()
	case key.Matches(k, km.CopyURL):
		return common.CopyText{Text: deviceURL(w.device), Label: "verification URL"}, nil
	case key.Matches(k, km.OpenURL):
		return nil, w.openURL(deviceURL(w.device))
	}
	return nil, nil
}

func deviceURL(d *flow.DeviceAuth) string {
	if d == nil {
		return ""
	}
	if d.VerificationURIComplete != "" {
		return d.VerificationURIComplete
	}
	return d.VerificationURI
}

func (w *Model) updateFailed(k tea.KeyPressMsg) (common.Action, tea.Cmd) {
	switch k.String() {
	case "esc", "q":
		return common.Close{}, nil
	case "e":
		w.step = stepFields
		return nil, w.fields[w.focus].input.Focus()
	case "enter", "s", "ctrl+r":
		if w.saving != nil {
			return nil, w.save()
		}
		return nil, w.begin(w.prov)
	}
	return nil, nil
}

func (w *Model) fail(err error) {
	w.Close()
	w.req = nil
	w.step = stepFailed
	w.failMsg, w.failHint = describe(w.prov, err)
}

// describe turns an error into plain words and a hint.
func describe(p flow.Provider, err error) (string, string) {
	var oe *flow.OAuthError
	if errors.As(err, &oe) {
		msg := p.Label() + " refused: " + termtext.Clean(oe.Code)
		if oe.Description != "" {
			msg += " — " + termtext.Clean(oe.Description)
		}
		if oe.Code == "invalid_grant" && oe.Op != "refresh" {
			return msg, "The code was not accepted: it may have expired (some providers allow only a minute) or been used already. Start over to get a new one."
		}
		return msg, capitalize(termtext.Clean(oe.Advice()))
	}
	msg := termtext.Clean(err.Error())
	switch {
	case errors.Is(err, flow.ErrTimeout):
		return msg, "The provider did not answer in time. Check your connection and start over."
	case errors.Is(err, flow.ErrUnreachable):
		return msg, "Check the URL and your connection."
	case errors.Is(err, flow.ErrNonceMismatch):
		return msg, "The ID token does not belong to this attempt."
	}
	return msg, ""
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	r := []rune(s)
	return strings.ToUpper(string(r[0])) + string(r[1:])
}

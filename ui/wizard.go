package ui

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/spinner"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"

	"github.com/tokenring/tokenring/accounts"
	"github.com/tokenring/tokenring/flow"
	"github.com/tokenring/tokenring/theme"
)

type wizStep int

const (
	stepPick      wizStep = iota // choose a provider
	stepFields                   // name, client id, secrets, ...
	stepWorking                  // discovery, exchange, saving: a spinner
	stepAuthorize                // the URL and the paste box
	stepDevice                   // user code, verification URL, countdown
	stepFailed                   // the provider's error and "start over"
)

type fieldKind int

const (
	fName fieldKind = iota
	fBaseURL
	fIssuer
	fAuthURL
	fTokenURL
	fClientID
	fClientSecret
	fAPIKey
	fRedirect
	fScopes
)

type field struct {
	kind     fieldKind
	label    string
	hint     string
	required bool
	input    textinput.Model
}

// choice is one line of the provider picker.
type choice struct {
	title, desc string
	preset      string         // flow preset id ("" for config providers)
	grant       flow.Grant     // override ("" keeps the preset's)
	base        *flow.Provider // a provider from config.toml
	fields      []fieldSpec
}

type fieldSpec struct {
	kind     fieldKind
	required bool
	value    string // prefilled
}

func builtinChoices() []choice {
	name := fieldSpec{kind: fName, required: true}
	return []choice{
		{title: "Warhorn", desc: "user token: authorize in the browser, paste the address you land on",
			preset: flow.PresetWarhorn,
			fields: []fieldSpec{name, {kind: fClientID, required: true}, {kind: fClientSecret},
				{kind: fRedirect, required: true}, {kind: fScopes, value: "openid email profile"}}},
		{title: "Warhorn application", desc: "application token by client credentials: no browser",
			preset: flow.PresetWarhorn, grant: flow.GrantClientCredentials,
			fields: []fieldSpec{name, {kind: fClientID, required: true}, {kind: fClientSecret, required: true}}},
		{title: "Dressipi", desc: "per-customer API base URL and API key; PKCE; paste the code shown",
			preset: flow.PresetDressipi,
			fields: []fieldSpec{name, {kind: fBaseURL, required: true}, {kind: fClientID, required: true},
				{kind: fAPIKey, required: true}}},
		{title: "OpenID Connect (discovery)", desc: "any OIDC provider: endpoints read from the issuer",
			preset: flow.PresetGeneric,
			fields: []fieldSpec{name, {kind: fIssuer, required: true}, {kind: fClientID, required: true},
				{kind: fClientSecret}, {kind: fRedirect, required: true, value: "http://127.0.0.1/callback"},
				{kind: fScopes, value: "openid"}}},
		{title: "OpenID Connect device code", desc: "for a provider with device flow: enter a code on any device",
			preset: flow.PresetGeneric, grant: flow.GrantDeviceCode,
			fields: []fieldSpec{name, {kind: fIssuer, required: true}, {kind: fClientID, required: true},
				{kind: fClientSecret}, {kind: fScopes, value: "openid"}}},
		{title: "Custom OAuth 2.0", desc: "give the authorization and token URLs yourself",
			preset: flow.PresetGeneric,
			fields: []fieldSpec{name, {kind: fAuthURL, required: true}, {kind: fTokenURL, required: true},
				{kind: fClientID, required: true}, {kind: fClientSecret},
				{kind: fRedirect, required: true, value: "http://127.0.0.1/callback"}, {kind: fScopes}}},
	}
}

// configChoice offers a provider from config.toml, asking only for what it lacks.
func configChoice(p flow.Provider) choice {
	q := p.WithDefaults()
	c := choice{title: providerName(p), desc: flow.Clean(p.Description), base: &p}
	if c.desc == "" {
		c.desc = "from config.toml"
	}
	c.fields = append(c.fields, fieldSpec{kind: fName, required: true})
	if p.NeedsBaseURL && p.BaseURL == "" {
		c.fields = append(c.fields, fieldSpec{kind: fBaseURL, required: true})
	}
	if p.ClientID == "" {
		c.fields = append(c.fields, fieldSpec{kind: fClientID, required: true})
	}
	if q.ClientSecret != flow.NeedNone {
		c.fields = append(c.fields, fieldSpec{kind: fClientSecret, required: q.ClientSecret == flow.NeedRequired})
	}
	if p.APIKeyHeader != "" {
		c.fields = append(c.fields, fieldSpec{kind: fAPIKey, required: true})
	}
	if q.Grant == flow.GrantAuthorizationCode && p.RedirectURI == "" {
		c.fields = append(c.fields, fieldSpec{kind: fRedirect, required: true, value: "http://127.0.0.1/callback"})
	}
	return c
}

func newField(s fieldSpec) field {
	f := field{kind: s.kind, required: s.required}
	secret := false
	switch s.kind {
	case fName:
		f.label, f.hint = "Account name", "letters, digits, . _ - (e.g. work-warhorn)"
	case fBaseURL:
		f.label, f.hint = "API base URL", "https://api.customer.example.com"
	case fIssuer:
		f.label, f.hint = "Issuer", "https://login.example.com"
	case fAuthURL:
		f.label, f.hint = "Authorization URL", "https://example.com/oauth/authorize"
	case fTokenURL:
		f.label, f.hint = "Token URL", "https://example.com/oauth/token"
	case fClientID:
		f.label, f.hint = "Client ID", "from the app registered with the provider"
	case fClientSecret:
		f.label, f.hint, secret = "Client secret", "kept in the keyring", true
		if !s.required {
			f.hint = "optional: leave empty for a public client"
		}
	case fAPIKey:
		f.label, f.hint, secret = "API key", "kept in the keyring", true
	case fRedirect:
		f.label, f.hint = "Redirect URI", "as registered; http://127.0.0.1/… is caught automatically"
	case fScopes:
		f.label, f.hint = "Scopes", "space separated"
	}
	f.input = newInput("", f.hint, secret)
	f.input.SetValue(s.value)
	return f
}

// wizard is the link wizard: it walks one account through linking.
type wizard struct {
	relink  string // name of the account linked again (its entry is replaced on success)
	step    wizStep
	choices []choice
	pick    int
	ch      choice
	fields  []field
	focus   int
	formErr string

	attempt   int // each authorization attempt has its own number
	prov      flow.Provider
	secrets   flow.Secrets
	name      string
	req       *flow.AuthRequest // nil once its code was sent: a code is never sent twice
	authURL   string
	capture   flow.Capture
	listenOn  string
	listenErr string
	paste     textinput.Model
	pasteErr  string
	device    *flow.DeviceAuth
	spin      spinner.Model
	spinning  bool
	working   string
	failMsg   string
	failHint  string
	opened    bool
	cancel    context.CancelFunc // ends a running poll or exchange
	saving    *saveJob
}

type saveJob struct {
	a   accounts.Account
	sec accounts.Secret
}

// wizardMsg is a result for the wizard; attempt says which attempt it is for.
type wizardMsg interface{ wizAttempt() int }

type wizBase struct{ attempt int }

func (b wizBase) wizAttempt() int { return b.attempt }

type (
	wizDiscoveredMsg struct {
		wizBase
		p   flow.Provider
		err error
	}
	wizListenMsg struct {
		wizBase
		cap flow.Capture
		err error
	}
	wizCaptureMsg struct {
		wizBase
		res flow.CaptureResult
		ok  bool
	}
	wizTokenMsg struct {
		wizBase
		tok *flow.Token
		err error
	}
	wizDeviceMsg struct {
		wizBase
		d   *flow.DeviceAuth
		err error
	}
	wizSavedMsg struct {
		wizBase
		name string
		err  error
	}
	wizOpenedMsg struct {
		wizBase
		err error
	}
	wizSpinMsg struct {
		wizBase
		t spinner.TickMsg
	}
)

func (m *Model) openWizard() tea.Cmd {
	// providers from config.toml (or the demo's) first: they are this user's own
	w := &wizard{}
	for _, p := range m.o.Providers {
		w.choices = append(w.choices, configChoice(p))
	}
	w.choices = append(w.choices, builtinChoices()...)
	w.paste = newInput("› ", "paste the code or the whole redirect address here", false)
	w.paste.CharLimit = flow.MaxPaste
	w.restyle(m.th)
	m.wiz = w
	m.screen = screenWizard
	return nil
}

// openRelink links an existing account again (after its refresh token
// died): same provider and name; the old entry is replaced once the new
// tokens are in hand.
func (m *Model) openRelink(a accounts.Account) tea.Cmd {
	m.openWizard()
	w := m.wiz
	w.relink = a.Name
	c := configChoice(a.Provider)
	c.title = "Link " + flow.Clean(a.Name) + " again"
	c.desc = providerName(a.Provider)
	w.choices = []choice{c}
	w.pick = 0
	cmd := w.choose(m)
	w.fields[0].input.SetValue(a.Name)
	if len(w.fields) > 1 {
		return w.setFocus(1)
	}
	return cmd
}

func (m *Model) closeWizard() {
	if m.wiz != nil {
		m.wiz.close()
	}
	m.wiz = nil
	m.screen = screenList
}

func (w *wizard) restyle(th *theme.Theme) {
	styleInput(&w.paste, th)
	for i := range w.fields {
		styleInput(&w.fields[i].input, th)
	}
	w.spin.Style = th.Key
}

// close stops the listener and any running poll.
func (w *wizard) close() {
	if w.cancel != nil {
		w.cancel()
		w.cancel = nil
	}
	if w.capture != nil {
		_ = w.capture.Close()
		w.capture = nil
	}
	w.spinning = false
}

// counting: the device step shows a countdown.
func (w *wizard) counting() bool { return w.step == stepDevice && w.device != nil }

func (w *wizard) tick(m *Model) tea.Cmd { return nil }

func (w *wizard) startSpin(m *Model, what string) tea.Cmd {
	w.working = what
	w.spinning = true
	w.spin = spinner.New(spinner.WithSpinner(spinner.Points), spinner.WithStyle(m.th.Key))
	attempt := w.attempt
	id := w.spin.ID()
	return func() tea.Msg { return wizSpinMsg{wizBase{attempt}, spinner.TickMsg{ID: id, Time: time.Now()}} }
}

// browserKey is offered only where a browser can open here (a local session
// with a display); over SSH ctrl+o still tries, but the help does not promise it.
func (w *wizard) browserKey(m *Model) key.Binding {
	b := kb("ctrl+o", "browser")
	b.SetEnabled(m.env.local())
	return b
}

func (w *wizard) keys(m *Model) bindings {
	switch w.step {
	case stepPick:
		return bindings{kb("↑/↓", "choose"), kb("enter", "select"), kb("esc", "cancel")}
	case stepFields:
		return bindings{m.keys.Next, m.keys.Prev, kb("enter", "continue"), kb("esc", "back")}
	case stepAuthorize:
		return bindings{kb("enter", "submit"), kb("ctrl+y", "copy URL"), w.browserKey(m),
			kb("ctrl+r", "start over"), kb("esc", "back")}
	case stepDevice:
		return bindings{kb("ctrl+y", "copy URL"), w.browserKey(m), kb("esc", "cancel")}
	case stepFailed:
		return bindings{kb("enter", "start over"), kb("e", "edit"), kb("esc", "cancel")}
	}
	return bindings{kb("esc", "cancel")}
}

// ---- update ----------------------------------------------------------------------

func (w *wizard) update(m *Model, msg tea.Msg) tea.Cmd {
	if wm, ok := msg.(wizardMsg); ok {
		if wm.wizAttempt() != w.attempt {
			// a result for an earlier attempt: close what it opened, ignore the rest
			if lm, ok := msg.(wizListenMsg); ok && lm.cap != nil {
				_ = lm.cap.Close()
			}
			return nil
		}
		return w.result(m, msg)
	}
	switch msg := msg.(type) {
	case tea.KeyPressMsg:
		if msg.String() == "ctrl+c" {
			return m.quit()
		}
		switch w.step {
		case stepPick:
			return w.updatePick(m, msg)
		case stepFields:
			return w.updateFields(m, msg)
		case stepAuthorize:
			return w.updateAuthorize(m, msg)
		case stepDevice:
			return w.updateDevice(m, msg)
		case stepFailed:
			return w.updateFailed(m, msg)
		case stepWorking:
			if msg.String() == "esc" {
				m.closeWizard()
				m.setToast("Linking cancelled", false)
			}
		}
	case tea.PasteMsg:
		switch w.step {
		case stepAuthorize:
			w.paste.SetValue(flow.Clean(msg.Content))
			return w.submitPaste(m, msg.Content)
		case stepFields:
			var cmd tea.Cmd
			f := &w.fields[w.focus]
			f.input, cmd = f.input.Update(tea.PasteMsg{Content: strings.TrimSpace(msg.Content)})
			return cmd
		}
	}
	return nil
}

func (w *wizard) updatePick(m *Model, k tea.KeyPressMsg) tea.Cmd {
	switch s := k.String(); {
	case s == "esc" || s == "q":
		m.closeWizard()
	case key.Matches(k, m.keys.Up):
		w.pick = max(w.pick-1, 0)
	case key.Matches(k, m.keys.Down) || s == "tab":
		w.pick = min(w.pick+1, len(w.choices)-1)
	case len(s) == 1 && s[0] >= '1' && s[0] <= '9' && int(s[0]-'1') < len(w.choices):
		w.pick = int(s[0] - '1')
		return w.choose(m)
	case s == "enter":
		return w.choose(m)
	}
	return nil
}

func (w *wizard) choose(m *Model) tea.Cmd {
	w.ch = w.choices[w.pick]
	w.fields = w.fields[:0]
	for _, s := range w.ch.fields {
		w.fields = append(w.fields, newField(s))
	}
	for i := range w.fields {
		styleInput(&w.fields[i].input, m.th)
	}
	w.focus, w.formErr = 0, ""
	w.step = stepFields
	return w.fields[0].input.Focus()
}

func (w *wizard) setFocus(i int) tea.Cmd {
	w.fields[w.focus].input.Blur()
	w.focus = (i + len(w.fields)) % len(w.fields)
	return w.fields[w.focus].input.Focus()
}

func (w *wizard) updateFields(m *Model, k tea.KeyPressMsg) tea.Cmd {
	switch k.String() {
	case "esc":
		w.fields[w.focus].input.Blur()
		if w.relink != "" {
			m.closeWizard()
			return nil
		}
		w.step = stepPick
		return nil
	case "tab", "down":
		return w.setFocus(w.focus + 1)
	case "shift+tab", "up":
		return w.setFocus(w.focus - 1)
	case "enter":
		if w.focus < len(w.fields)-1 {
			return w.setFocus(w.focus + 1)
		}
		return w.submitFields(m)
	}
	var cmd tea.Cmd
	f := &w.fields[w.focus]
	f.input, cmd = f.input.Update(k)
	w.formErr = ""
	return cmd
}

func (w *wizard) value(k fieldKind) string {
	for _, f := range w.fields {
		if f.kind == k {
			return strings.TrimSpace(f.input.Value())
		}
	}
	return ""
}

func (w *wizard) submitFields(m *Model) tea.Cmd {
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
	if _, taken := m.account(name); taken && name != w.relink {
		w.formErr = "An account named " + name + " already exists; pick another name (or remove it first)."
		return w.setFocus(0)
	}
	if m.o.Exchanger == nil {
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
	var p flow.Provider
	var err error
	if w.ch.base != nil {
		p = w.ch.base.With(o)
	} else {
		p, err = flow.Preset(w.ch.preset, o)
	}
	if err != nil {
		w.formErr = flow.Clean(err.Error())
		return nil
	}
	if w.ch.preset == flow.PresetGeneric {
		p.DisplayName = hostOf(p.Issuer, p.AuthURL, p.TokenURL)
	}
	w.name = name
	w.secrets = flow.Secrets{ClientSecret: w.value(fClientSecret), APIKey: w.value(fAPIKey)}
	w.fields[w.focus].input.Blur()
	if p.Issuer != "" && (p.TokenURL == "" || (p.WithDefaults().Grant == flow.GrantDeviceCode && p.DeviceAuthURL == "")) {
		w.attempt++
		attempt, ex, issuer := w.attempt, m.o.Exchanger, p.Issuer
		w.step = stepWorking
		return tea.Batch(w.startSpin(m, "Reading the OpenID Connect configuration of "+flow.Clean(issuer)+"…"),
			m.io(func(ctx context.Context) tea.Msg {
				q, err := ex.Discover(ctx, issuer, p)
				return wizDiscoveredMsg{wizBase{attempt}, q, err}
			}))
	}
	return w.begin(m, p)
}

// begin starts a new attempt with provider p: a fresh AuthRequest (new
// state, PKCE verifier and nonce), a device authorization, or a client
// credentials request.
func (w *wizard) begin(m *Model, p flow.Provider) tea.Cmd {
	w.close()
	w.prov = p
	w.attempt++
	w.req, w.device, w.authURL = nil, nil, ""
	w.pasteErr, w.failMsg, w.failHint, w.listenOn, w.listenErr = "", "", "", "", ""
	w.opened = false
	attempt, ex, sec := w.attempt, m.o.Exchanger, w.secrets
	switch p.WithDefaults().Grant {
	case flow.GrantClientCredentials:
		w.step = stepWorking
		return tea.Batch(w.startSpin(m, "Requesting an application token from "+providerName(p)+"…"),
			m.io(func(ctx context.Context) tea.Msg {
				tok, err := ex.ClientCredentials(ctx, p, sec)
				return wizTokenMsg{wizBase{attempt}, tok, err}
			}))
	case flow.GrantDeviceCode:
		w.step = stepWorking
		return tea.Batch(w.startSpin(m, "Asking "+providerName(p)+" for a device code…"),
			m.io(func(ctx context.Context) tea.Msg {
				d, err := ex.StartDevice(ctx, p, sec)
				return wizDeviceMsg{wizBase{attempt}, d, err}
			}))
	}
	req, err := flow.StartAuth(p)
	if err != nil {
		w.step = stepFields
		w.formErr = flow.Clean(err.Error())
		return w.fields[w.focus].input.Focus()
	}
	w.req = req
	w.authURL = req.URL
	if flow.IsLoopbackRedirect(req.RedirectURI) {
		w.step = stepWorking
		return tea.Batch(w.startSpin(m, "Starting a listener for the browser's redirect…"), func() tea.Msg {
			c, err := ex.ListenLoopback(req)
			return wizListenMsg{wizBase{attempt}, c, err}
		})
	}
	return w.enterAuthorize(m)
}

func (w *wizard) enterAuthorize(m *Model) tea.Cmd {
	w.step = stepAuthorize
	w.spinning = false
	w.paste.SetValue("")
	cmds := []tea.Cmd{w.paste.Focus()}
	if m.env.local() && !w.opened {
		cmds = append(cmds, w.openURL(m, w.authURL))
	}
	return tea.Batch(cmds...)
}

func (w *wizard) openURL(m *Model, u string) tea.Cmd {
	if u == "" {
		return nil
	}
	w.opened = true
	open := m.o.OpenURL
	if open == nil {
		open = openBrowser
	}
	attempt := w.attempt
	return m.io(func(ctx context.Context) tea.Msg {
		return wizOpenedMsg{wizBase{attempt}, open(ctx, u)}
	})
}

func (w *wizard) updateAuthorize(m *Model, k tea.KeyPressMsg) tea.Cmd {
	switch {
	case k.String() == "esc":
		w.close()
		w.req = nil
		w.attempt++
		w.step = stepFields
		return w.fields[w.focus].input.Focus()
	case key.Matches(k, m.keys.CopyURL):
		return m.copyText(w.authURL, "authorization URL", false)
	case key.Matches(k, m.keys.OpenURL):
		return w.openURL(m, w.authURL)
	case key.Matches(k, m.keys.StartOver):
		return w.begin(m, w.prov)
	case k.String() == "enter":
		return w.submitPaste(m, w.paste.Value())
	}
	var cmd tea.Cmd
	w.paste, cmd = w.paste.Update(k)
	w.pasteErr = ""
	return cmd
}

// submitPaste reads what the user pasted and, when it is a code for this
// attempt, exchanges it. A paste for another attempt, or not a code, is
// refused without sending anything.
func (w *wizard) submitPaste(m *Model, text string) tea.Cmd {
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
			w.fail(m, err)
		default:
			w.pasteErr = flow.Clean(err.Error())
		}
		return nil
	}
	return w.exchange(m, code)
}

func (w *wizard) exchange(m *Model, code string) tea.Cmd {
	req := w.req
	w.req = nil // this attempt's code is spent, whatever happens
	if w.capture != nil {
		_ = w.capture.Close()
		w.capture = nil
	}
	w.paste.Blur()
	w.step = stepWorking
	attempt, ex, sec := w.attempt, m.o.Exchanger, w.secrets
	return tea.Batch(w.startSpin(m, "Exchanging the code with "+providerName(w.prov)+"…"),
		m.io(func(ctx context.Context) tea.Msg {
			tok, err := ex.Exchange(ctx, req, sec, code)
			return wizTokenMsg{wizBase{attempt}, tok, err}
		}))
}

func (w *wizard) updateDevice(m *Model, k tea.KeyPressMsg) tea.Cmd {
	switch {
	case k.String() == "esc":
		w.close()
		w.attempt++
		w.step = stepFields
		return w.fields[w.focus].input.Focus()
	case key.Matches(k, m.keys.CopyURL):
		return m.copyText(deviceURL(w.device), "verification URL", false)
	case key.Matches(k, m.keys.OpenURL):
		return w.openURL(m, deviceURL(w.device))
	}
	return nil
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

func (w *wizard) updateFailed(m *Model, k tea.KeyPressMsg) tea.Cmd {
	switch k.String() {
	case "esc", "q":
		m.closeWizard()
	case "e":
		w.step = stepFields
		return w.fields[w.focus].input.Focus()
	case "enter", "s", "ctrl+r":
		if w.saving != nil {
			return w.save(m)
		}
		return w.begin(m, w.prov)
	}
	return nil
}

func (w *wizard) fail(m *Model, err error) {
	w.close()
	w.req = nil
	w.step = stepFailed
	w.failMsg, w.failHint = describe(w.prov, err)
}

// describe turns an error into plain words and a hint.
func describe(p flow.Provider, err error) (string, string) {
	var oe *flow.OAuthError
	if errors.As(err, &oe) {
		msg := providerName(p) + " refused: " + flow.Clean(oe.Code)
		if oe.Description != "" {
			msg += " — " + flow.Clean(oe.Description)
		}
		if oe.Code == "invalid_grant" && oe.Op != "refresh" {
			return msg, "The code was not accepted: it may have expired (some providers allow only a minute) or been used already. Start over to get a new one."
		}
		return msg, capitalize(flow.Clean(oe.Advice()))
	}
	msg := flow.Clean(err.Error())
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

// result handles the messages of the current attempt.
func (w *wizard) result(m *Model, msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case wizSpinMsg:
		if !w.spinning {
			return nil
		}
		var cmd tea.Cmd
		w.spin, cmd = w.spin.Update(msg.t)
		if cmd == nil {
			return nil
		}
		attempt := w.attempt
		return func() tea.Msg {
			t, ok := cmd().(spinner.TickMsg)
			if !ok {
				return nil
			}
			return wizSpinMsg{wizBase{attempt}, t}
		}
	case wizDiscoveredMsg:
		if msg.err != nil {
			w.fail(m, msg.err)
			return nil
		}
		return w.begin(m, msg.p)
	case wizListenMsg:
		if msg.err != nil {
			w.listenErr = flow.Clean(msg.err.Error())
			return w.enterAuthorize(m)
		}
		w.capture = msg.cap
		if ru := msg.cap.RedirectURI(); ru != w.req.RedirectURI {
			req, err := w.req.WithRedirectURI(ru)
			if err != nil {
				w.fail(m, err)
				return nil
			}
			w.req = req
			w.authURL = req.URL
		}
		w.listenOn = msg.cap.RedirectURI()
		return tea.Batch(w.enterAuthorize(m), waitCapture(w.attempt, msg.cap))
	case wizCaptureMsg:
		if !msg.ok || w.step != stepAuthorize || w.req == nil {
			return nil
		}
		if msg.res.Err != nil {
			w.fail(m, msg.res.Err)
			return nil
		}
		return w.exchange(m, msg.res.Code)
	case wizOpenedMsg:
		if msg.err != nil {
			w.pasteErr = "Could not open a browser (" + flow.Clean(msg.err.Error()) + "): copy the URL with ctrl+y."
		}
		return nil
	case wizDeviceMsg:
		if msg.err != nil {
			w.fail(m, msg.err)
			return nil
		}
		w.device = msg.d
		w.step = stepDevice
		ctx, cancel := context.WithCancel(m.ctx)
		if !msg.d.Expiry.IsZero() {
			ctx, cancel = context.WithDeadline(m.ctx, msg.d.Expiry.Add(5*time.Second))
		}
		w.cancel = cancel
		attempt, ex, p, sec, d := w.attempt, m.o.Exchanger, w.prov, w.secrets, msg.d
		cmds := []tea.Cmd{w.startSpin(m, "Waiting for approval…"), func() tea.Msg {
			tok, err := ex.PollDevice(ctx, p, sec, d)
			return wizTokenMsg{wizBase{attempt}, tok, err}
		}}
		if m.env.local() {
			cmds = append(cmds, w.openURL(m, deviceURL(d)))
		}
		return tea.Batch(cmds...)
	case wizTokenMsg:
		if w.cancel != nil {
			w.cancel()
			w.cancel = nil
		}
		if msg.err != nil {
			w.fail(m, msg.err)
			return nil
		}
		if msg.tok == nil || msg.tok.AccessToken == "" {
			w.fail(m, fmt.Errorf("%w: the provider sent no access token", flow.ErrBadResponse))
			return nil
		}
		w.saving = newSaveJob(w.name, w.prov, w.secrets, *msg.tok, m.o.Now())
		return w.save(m)
	case wizSavedMsg:
		if msg.err != nil {
			if errors.Is(msg.err, accounts.ErrLocked) {
				return m.openUnlock("to store the new account "+w.name, func() tea.Cmd {
					if m.wiz == nil || m.wiz.saving == nil {
						return nil
					}
					return m.wiz.save(m)
				})
			}
			job := w.saving
			w.fail(m, msg.err)
			w.saving = job // enter retries storing, not the authorization
			w.failHint = "The tokens were received but not stored. Press enter to try storing them again."
			return nil
		}
		name := msg.name
		w.saving = nil
		m.closeWizard()
		if w.relink != "" {
			m.sched.Forget(name)
		}
		m.setToast("Linked "+flow.Clean(name), false)
		return m.load(name)
	}
	return nil
}

func waitCapture(attempt int, c flow.Capture) tea.Cmd {
	return func() tea.Msg {
		r, ok := <-c.Result()
		return wizCaptureMsg{wizBase{attempt}, r, ok}
	}
}

func (w *wizard) save(m *Model) tea.Cmd {
	job := w.saving
	w.step = stepWorking
	attempt, st, replace := w.attempt, m.o.Store, w.relink == job.a.Name
	return tea.Batch(w.startSpin(m, "Storing "+flow.Clean(job.a.Name)+" in the keyring…"),
		m.io(func(ctx context.Context) tea.Msg {
			if replace { // the dead entry goes; its tokens are not revoked (they no longer work)
				if err := st.Remove(ctx, job.a.Name, false); err != nil && !errors.Is(err, accounts.ErrNotFound) {
					return wizSavedMsg{wizBase{attempt}, job.a.Name, err}
				}
			}
			return wizSavedMsg{wizBase{attempt}, job.a.Name, st.Add(ctx, job.a, job.sec)}
		}))
}

func newSaveJob(name string, p flow.Provider, s flow.Secrets, tok flow.Token, now time.Time) *saveJob {
	a, sec := accounts.Linked(name, p, s, tok, now)
	return &saveJob{a: a, sec: sec}
}

// hostOf names a generic provider by the host of its first URL.
func hostOf(urls ...string) string {
	for _, s := range urls {
		if u, err := url.Parse(s); err == nil && u.Host != "" {
			return u.Host
		}
	}
	return "OAuth 2.0"
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	r := []rune(s)
	return strings.ToUpper(string(r[0])) + string(r[1:])
}

package wizard

// The results of the current attempt's link steps (link.go) move the wizard on.

import (
	"errors"

	"charm.land/bubbles/v2/spinner"
	tea "charm.land/bubbletea/v2"

	"github.com/tokenring/tokenring/accounts"
	"github.com/tokenring/tokenring/flow"
	"github.com/tokenring/tokenring/internal/link"
	"github.com/tokenring/tokenring/internal/termtext"
	"github.com/tokenring/tokenring/ui/common"
)

// onResult handles the messages of the current attempt.
func (w *Model) onResult(msg tea.Msg) (common.Action, tea.Cmd) {
	switch msg := msg.(type) {
	case spinMsg:
		if !w.spinning {
			return nil, nil
		}
		var cmd tea.Cmd
		w.spin, cmd = w.spin.Update(msg.t)
		if cmd == nil {
			return nil, nil
		}
		attempt := w.attempt
		return nil, func() tea.Msg {
			t, ok := cmd().(spinner.TickMsg)
			if !ok {
				return nil
			}
			return spinMsg{attempt, t}
		}
	case progressMsg:
		if msg.ev.Kind == link.EventDiscover && w.step == stepWorking {
			w.working = "Reading the OpenID Connect configuration of " + termtext.Clean(msg.ev.Detail) + "…"
		}
		return nil, waitProgress(msg.attempt, msg.events, msg.done)
	case plannedMsg:
		if msg.err != nil {
			return nil, w.formError(msg.err)
		}
		w.planned = msg.plan
		return nil, w.ready()
	case readyMsg:
		if errors.Is(msg.err, accounts.ErrLocked) {
			// Before any URL is shown: a wrong passphrase wastes nothing.
			cmd := w.formError(msg.err)
			return common.RequestUnlock{Why: "to store the new account " + termtext.Clean(w.planned.Name),
				Retry: common.Deliver{Msg: readyAgainMsg{w.attempt}}}, cmd
		}
		if msg.err != nil {
			return nil, w.formError(msg.err)
		}
		return nil, w.begin()
	case readyAgainMsg:
		if w.planned == nil || w.step != stepFields {
			return nil, nil
		}
		w.fields[w.focus].input.Blur()
		w.step = stepWorking
		return nil, tea.Batch(w.startSpin("Checking that the keyring can store the account…"), w.ready())
	case startedMsg:
		return w.started(msg)
	case captureMsg:
		if !msg.ok || w.step != stepAuthorize || w.auth == nil {
			return nil, nil
		}
		if msg.res.Err != nil {
			w.fail(msg.res.Err)
			return nil, nil
		}
		return nil, w.exchange(msg.res.Code)
	case openedMsg:
		if msg.err != nil {
			w.pasteErr = "Could not open a browser (" + termtext.Clean(msg.err.Error()) + "): copy the URL with ctrl+y."
		}
		return nil, nil
	case resultMsg:
		if w.cancel != nil {
			w.cancel()
			w.cancel = nil
		}
		if msg.err != nil {
			w.fail(msg.err)
			return nil, nil
		}
		w.result = msg.res
		return nil, w.save()
	case saveAgainMsg:
		if w.result == nil {
			return nil, nil
		}
		return nil, w.save()
	case savedMsg:
		if msg.err != nil {
			if errors.Is(msg.err, accounts.ErrLocked) {
				// Ready found it writable; it was locked again since.
				w.step = stepFailed
				w.failMsg, w.failHint = termtext.Clean(msg.err.Error()), savedHint
				return common.RequestUnlock{Why: "to store the new account " + termtext.Clean(w.result.Name),
					Retry: common.Deliver{Msg: saveAgainMsg{w.attempt}}}, nil
			}
			res := w.result
			w.fail(msg.err)
			w.result = res // enter stores these tokens again, not a new authorization
			w.failHint = savedHint
			return nil, nil
		}
		res := w.result
		w.result = nil
		w.step, w.spinning = stepDone, false
		w.linked = &linkedInfo{name: res.Name, expiry: res.Token.Expiry, offlineDenied: res.OfflineDenied(),
			refresh: res.Token.RefreshToken != "" || res.Provider.Grant == flow.GrantClientCredentials}
		return common.Linked{Name: res.Name, Relinked: w.planned.Relink, OfflineDenied: res.OfflineDenied()}, nil
	}
	return nil, nil
}

const savedHint = "The tokens were received but not stored. Press enter to try storing them again."

// started shows the attempt's step: the URL to open, the device code, or
// (client credentials) the tokens already issued.
func (w *Model) started(msg startedMsg) (common.Action, tea.Cmd) {
	if msg.err != nil {
		w.fail(msg.err)
		return nil, nil
	}
	switch s := msg.step.(type) {
	case *link.Issued:
		w.result = s.Result
		return nil, w.save()
	case *link.Device:
		w.device = s
		w.step = stepDevice
		cmds := []tea.Cmd{w.startSpin("Waiting for approval…"), w.waitDevice(s)}
		if w.c.Env.Local() {
			cmds = append(cmds, w.openURL(s.URL()))
		}
		return nil, tea.Batch(cmds...)
	case *link.Authorize:
		w.auth, w.authURL = s, s.URL
		w.listenOn = s.Listening
		if s.ListenErr != nil {
			w.listenErr = termtext.Clean(s.ListenErr.Error())
		}
		return nil, tea.Batch(w.enterAuthorize(), waitCapture(w.attempt, s))
	}
	return nil, nil
}

func (w *Model) save() tea.Cmd {
	w.step = stepWorking
	return tea.Batch(w.startSpin("Storing "+termtext.Clean(w.result.Name)+" in the keyring…"), w.store())
}

// workingText says what Start is doing for the grant (the spinner's text).
func workingText(p flow.Provider) string {
	switch p.Grant {
	case flow.GrantClientCredentials:
		return "Requesting an application token from " + p.Label() + "…"
	case flow.GrantDeviceCode:
		return "Asking " + p.Label() + " for a device code…"
	}
	if flow.IsLoopbackRedirect(p.RedirectURI) {
		return "Starting a listener for the browser's redirect…"
	}
	return "Preparing the authorization…"
}

package wizard

// The results of the current attempt's I/O (link.go) move the wizard on.

import (
	"errors"
	"fmt"

	"charm.land/bubbles/v2/spinner"
	tea "charm.land/bubbletea/v2"

	"github.com/tokenring/tokenring/accounts"
	"github.com/tokenring/tokenring/flow"
	"github.com/tokenring/tokenring/internal/termtext"
	"github.com/tokenring/tokenring/ui/common"
)

// result handles the messages of the current attempt.
func (w *Model) result(msg tea.Msg) (common.Action, tea.Cmd) {
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
	case discoveredMsg:
		if msg.err != nil {
			w.fail(msg.err)
			return nil, nil
		}
		return nil, w.begin(msg.p)
	case listenMsg:
		if msg.err != nil {
			w.listenErr = termtext.Clean(msg.err.Error())
			return nil, w.enterAuthorize()
		}
		w.capture = msg.cap
		if ru := msg.cap.RedirectURI(); ru != w.req.RedirectURI {
			req, err := w.req.WithRedirectURI(ru)
			if err != nil {
				w.fail(err)
				return nil, nil
			}
			w.req = req
			w.authURL = req.URL
		}
		w.listenOn = msg.cap.RedirectURI()
		return nil, tea.Batch(w.enterAuthorize(), waitCapture(w.attempt, msg.cap))
	case captureMsg:
		if !msg.ok || w.step != stepAuthorize || w.req == nil {
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
	case deviceMsg:
		if msg.err != nil {
			w.fail(msg.err)
			return nil, nil
		}
		w.device = msg.d
		w.step = stepDevice
		cmds := []tea.Cmd{w.startSpin("Waiting for approval…"), w.pollDevice(msg.d)}
		if w.c.Env.Local() {
			cmds = append(cmds, w.openURL(deviceURL(msg.d)))
		}
		return nil, tea.Batch(cmds...)
	case tokenMsg:
		if w.cancel != nil {
			w.cancel()
			w.cancel = nil
		}
		if msg.err != nil {
			w.fail(msg.err)
			return nil, nil
		}
		if msg.tok == nil || msg.tok.AccessToken == "" {
			w.fail(fmt.Errorf("%w: the provider sent no access token", flow.ErrBadResponse))
			return nil, nil
		}
		w.saving = newSaveJob(w.name, w.prov, w.secrets, *msg.tok, w.c.Clock())
		return nil, w.save()
	case savedMsg:
		if msg.err != nil {
			if errors.Is(msg.err, accounts.ErrLocked) {
				return common.RequestUnlock{Why: "to store the new account " + w.name,
					Retry: common.Deliver{Msg: saveAgainMsg{}}}, nil
			}
			job := w.saving
			w.fail(msg.err)
			w.saving = job // enter retries storing, not the authorization
			w.failHint = "The tokens were received but not stored. Press enter to try storing them again."
			return nil, nil
		}
		w.saving = nil
		return common.Linked{Name: msg.name, Relinked: w.relink != ""}, nil
	}
	return nil, nil
}

func (w *Model) save() tea.Cmd {
	job := w.saving
	w.step = stepWorking
	return tea.Batch(w.startSpin("Storing "+termtext.Clean(job.a.Name)+" in the keyring…"), w.store(job))
}

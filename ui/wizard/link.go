package wizard

// The seam between the wizard and internal/link, the one link sequence the
// command line runs too: Plan, Ready, Start, Redeem / Wait and Save each
// run in a tea.Cmd with the I/O deadline and answer with a message tagged
// with its attempt. The order is link's: everything that can fail here
// (the name, the settings, a secret, a locked keyring) fails before an
// authorization URL is shown, so no single-use code is ever spent on an
// account that cannot be stored. The wizard decides nothing of its own;
// it renders link's steps and errors (errors.go).

import (
	"context"

	tea "charm.land/bubbletea/v2"

	"github.com/tokenring/tokenring/flow"
	"github.com/tokenring/tokenring/internal/link"
)

// Results of the link sequence's steps; attempt says which attempt each is for.
type (
	plannedMsg struct {
		attempt int
		plan    *link.Plan
		err     error
	}
	// progressMsg: Plan is about to do something slow (discovery).
	progressMsg struct {
		attempt int
		ev      link.Event
		events  <-chan link.Event
		done    <-chan struct{}
	}
	readyMsg struct {
		attempt int
		err     error
	}
	startedMsg struct {
		attempt int
		step    link.Step
		err     error
	}
	captureMsg struct {
		attempt int
		res     flow.CaptureResult
		ok      bool
	}
	// resultMsg: a code redeemed or a device approved (or not).
	resultMsg struct {
		attempt int
		res     *link.Result
		err     error
	}
	savedMsg struct {
		attempt int
		err     error
	}
	// readyAgainMsg runs Ready again once the keyring is unlocked.
	readyAgainMsg struct{ attempt int }
	// saveAgainMsg stores the tokens in hand again once the keyring is unlocked.
	saveAgainMsg struct{ attempt int }
)

// plan checks the request (name, provider, discovery, validation). The
// Linker is copied so that its progress reports reach this attempt's
// spinner only.
func (w *Model) plan(req link.Request) tea.Cmd {
	attempt := w.attempt
	events, done := make(chan link.Event, 4), make(chan struct{})
	l := w.linker
	l.Progress = func(e link.Event) {
		select {
		case events <- e:
		default: // a later step: the wizard's own spinner text says it already
		}
	}
	run := w.c.IO(func(ctx context.Context) tea.Msg {
		defer close(done)
		p, err := l.Plan(ctx, req)
		return plannedMsg{attempt, p, err}
	})
	return tea.Batch(run, waitProgress(attempt, events, done))
}

func waitProgress(attempt int, events <-chan link.Event, done <-chan struct{}) tea.Cmd {
	return func() tea.Msg {
		select {
		case e := <-events:
			return progressMsg{attempt, e, events, done}
		case <-done:
			return nil
		}
	}
}

// ready hands over the secrets and makes sure the keyring can store the
// account now (accounts.ErrLocked: the root unlocks, then ready runs again).
func (w *Model) ready() tea.Cmd {
	attempt, p, sec := w.attempt, w.planned, w.secrets
	return w.c.IO(func(ctx context.Context) tea.Msg {
		return readyMsg{attempt, p.Ready(ctx, sec)}
	})
}

// start begins an attempt: an authorization URL (and the loopback
// listener), a device code, or the client-credentials request itself.
func (w *Model) start() tea.Cmd {
	attempt, p := w.attempt, w.planned
	return w.c.IO(func(ctx context.Context) tea.Msg {
		s, err := p.Start(ctx)
		return startedMsg{attempt, s, err}
	})
}

// waitCapture waits for the browser to come back to the loopback listener;
// it ends when the listener is closed.
func waitCapture(attempt int, a *link.Authorize) tea.Cmd {
	ch := a.Captured()
	if ch == nil {
		return nil
	}
	return func() tea.Msg {
		r, ok := <-ch
		return captureMsg{attempt, r, ok}
	}
}

// redeem trades the code for tokens: link sends it at most once.
func (w *Model) redeem(a *link.Authorize, code string) tea.Cmd {
	attempt := w.attempt
	return w.c.IO(func(ctx context.Context) tea.Msg {
		r, err := a.Redeem(ctx, code)
		return resultMsg{attempt, r, err}
	})
}

// waitDevice polls until the user approves or denies, the device code
// expires (link's own deadline) or the wizard closes (w.cancel).
func (w *Model) waitDevice(d *link.Device) tea.Cmd {
	ctx, cancel := context.WithCancel(w.c.Context())
	w.cancel = cancel
	attempt := w.attempt
	return func() tea.Msg {
		defer cancel()
		r, err := d.Wait(ctx)
		return resultMsg{attempt, r, err}
	}
}

// store saves the tokens in hand (replacing the entry for a re-link). It
// may run again with the same Result after a failure: the code is not
// needed again.
func (w *Model) store() tea.Cmd {
	attempt, p, r := w.attempt, w.planned, w.result
	return w.c.IO(func(ctx context.Context) tea.Msg {
		_, err := p.Save(ctx, r)
		return savedMsg{attempt, err}
	})
}

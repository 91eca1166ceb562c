package ui

import (
	"context"
	"errors"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/tokenring/tokenring/accounts"
	"github.com/tokenring/tokenring/flow"
	"github.com/tokenring/tokenring/internal/termtext"
	"github.com/tokenring/tokenring/ui/common"
	"github.com/tokenring/tokenring/ui/detail"
	"github.com/tokenring/tokenring/ui/dialog"
	"github.com/tokenring/tokenring/ui/list"
	"github.com/tokenring/tokenring/ui/wizard"
)

// do performs an action a screen returned; from is the screen (or dialog)
// that returned it. This switch is the one place where screens open,
// close and reach the store, the clipboard and the toast.
func (m *Model) do(from common.Screen, act common.Action) tea.Cmd {
	switch a := act.(type) {
	case common.Batch:
		var cmds []tea.Cmd
		for _, x := range a {
			cmds = append(cmds, m.do(from, x))
		}
		return tea.Batch(cmds...)
	case common.Quit:
		return m.quit()
	case common.StartDemo:
		m.demoRequested = true
		return m.quit()
	case common.Close:
		m.close(from)
	case common.Toast:
		m.setToast(a.Text, a.Err)
	case common.ShowHelp:
		m.dialog = dialog.NewHelp(m.c, dialog.HelpInfo{Keys: list.FullHelp(m.c.Keys), ClipClear: m.o.ClipboardClear,
			Backend: m.backend, TmuxClipboard: m.tmuxClip})
	case common.OpenDetail:
		d, cmd := detail.New(m.c, m.board, m.o.Store, a.Name)
		m.setScreen(d)
		return cmd
	case common.OpenWizard:
		m.setScreen(wizard.New(m.c, m.wizardConfig()))
	case common.Relink:
		acct, ok := m.board.Account(a.Name)
		if !ok {
			return nil
		}
		m.closeScreen()
		w, cmd := wizard.NewRelink(m.c, m.wizardConfig(), acct)
		m.setScreen(w)
		return cmd
	case common.Linked:
		// the wizard stays on its Done step until the user goes back
		if a.Relinked {
			m.sched.Forget(a.Name)
		}
		if a.OfflineDenied {
			m.setWarning("Linked " + termtext.Clean(a.Name) + ", but without a refresh token: offline access was not granted")
		} else {
			m.setToast("Linked "+termtext.Clean(a.Name), false)
		}
		return m.load(a.Name)
	case common.Refresh:
		if acct, ok := m.board.Account(a.Name); ok && !renewable(acct) {
			// Nothing to send: the CLI's refresh exits 8 here. The status stays.
			name := termtext.Clean(a.Name)
			if acct.AccessExpiry.IsZero() {
				m.setToast(name+" does not expire, nothing to refresh", false)
			} else {
				m.setToast(name+" has no refresh token: link it again (L) when its token expires", false)
			}
			return nil
		}
		return m.startRefresh(a.Name)
	case common.Copy:
		return m.copyToken(a.Name, a.What)
	case readToken:
		return m.readToken(a)
	case common.CopyText:
		return m.copyText(a.Text, a.Label, false)
	case common.ConfirmRemove:
		m.dialog = dialog.NewConfirm(m.c, m.board, a.Name)
	case common.Remove:
		return m.startRemove(a.Name)
	case common.Unlock:
		if m.backend.Locked || m.sched.Paused() {
			return m.openUnlock("to use the accounts' tokens", nil)
		}
		m.setToast("The keyring is not locked", false)
	case common.RequestUnlock:
		return m.openUnlock(a.Why, a.Retry)
	case common.SubmitPassphrase:
		st, pass := m.o.Store, a.Passphrase
		return m.c.IO(func(ctx context.Context) tea.Msg {
			return unlockDoneMsg{err: st.Unlock(ctx, pass)}
		})
	case common.Deliver:
		return m.send(m.screen, a.Msg)
	}
	return nil
}

func (m *Model) wizardConfig() wizard.Config {
	return wizard.Config{Exchanger: m.o.Exchanger, Store: m.o.Store, Providers: m.o.Providers,
		Now: m.o.Now, OpenURL: m.o.OpenURL, EnvSecrets: m.o.Secrets}
}

// close closes the dialog or screen s (the list stays).
func (m *Model) close(s common.Screen) {
	if s == m.dialog {
		if _, ok := s.(*dialog.Unlock); ok {
			m.afterUnlock = nil
		}
		m.dialog = nil
		return
	}
	if s == m.screen {
		m.closeScreen()
	}
}

// closeScreen goes back to the list, letting go of what the screen held.
func (m *Model) closeScreen() {
	if c, ok := m.screen.(common.Closing); ok {
		c.Close()
	}
	m.setScreen(m.list)
}

// setScreen shows s. The toast belongs to the screen it was said on: it
// does not follow to the next one (a toast for the new screen is set after).
func (m *Model) setScreen(s common.Screen) {
	if s != m.screen {
		m.toast, m.toastUntil = "", time.Time{}
	}
	m.screen = s
}

// renewable: a refresh can get a new token (a refresh token, or an
// application that asks again with its client credentials).
func renewable(a accounts.Account) bool {
	return a.HasRefresh || a.Provider.Grant == flow.GrantClientCredentials
}

// ---- unlock -----------------------------------------------------------------

// openUnlock shows the passphrase prompt; after a successful unlock, retry
// is performed.
func (m *Model) openUnlock(why string, retry common.Action) tea.Cmd {
	m.dialog = dialog.NewUnlock(m.c, m.backend, why)
	m.afterUnlock = retry
	return nil
}

func (m *Model) onUnlockDone(msg unlockDoneMsg) tea.Cmd {
	u, open := m.dialog.(*dialog.Unlock)
	if msg.err != nil {
		if open {
			u.Failed(msg.err)
		}
		return nil
	}
	chose := m.backend.New
	if open {
		chose = chose || u.Chose()
		m.dialog = nil
	}
	m.sched.Resume()
	if chose {
		m.setToast("Passphrase set: the keyring is ready", false)
	} else {
		m.setToast("Keyring unlocked", false)
	}
	retry := m.afterUnlock
	m.afterUnlock = nil
	cmds := []tea.Cmd{m.load("")}
	if retry != nil {
		cmds = append(cmds, m.do(m.screen, retry))
	}
	return tea.Batch(cmds...)
}

// ---- remove -----------------------------------------------------------------

func (m *Model) startRemove(name string) tea.Cmd {
	st := m.o.Store
	m.setToast("Removing "+termtext.Clean(name)+"…", false)
	return m.c.IO(func(ctx context.Context) tea.Msg {
		return removeDoneMsg{name: name, err: st.Remove(ctx, name, true)}
	})
}

func (m *Model) onRemoveDone(msg removeDoneMsg) tea.Cmd {
	if msg.err != nil && errors.Is(msg.err, accounts.ErrRevokeFailed) {
		// removed here; only the revocation at the provider failed
		m.sched.ClearErr(msg.name)
		m.closeDetail()
		m.setToast(termtext.Clean(msg.err.Error()), true)
		return m.load("")
	}
	if msg.err != nil {
		if errors.Is(msg.err, accounts.ErrLocked) {
			return m.openUnlock("to remove "+msg.name, common.Remove{Name: msg.name})
		}
		m.setToast("Remove failed: "+termtext.Clean(msg.err.Error()), true)
		return m.load("")
	}
	m.sched.ClearErr(msg.name)
	m.closeDetail()
	m.setToast("Removed "+termtext.Clean(msg.name), false)
	return m.load("")
}

// closeDetail leaves the detail view (its account was removed).
func (m *Model) closeDetail() {
	if _, ok := m.screen.(*detail.Model); ok {
		m.closeScreen()
	}
}

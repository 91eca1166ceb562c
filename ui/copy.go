package ui

import (
	"context"
	"errors"
	"fmt"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/tokenring/tokenring/accounts"
	"github.com/tokenring/tokenring/flow"
	"github.com/tokenring/tokenring/internal/termtext"
	"github.com/tokenring/tokenring/ui/common"
)

// readToken is the keyring read behind a copy; after an unlock it runs
// again as is (without a second "Reading…" toast).
type readToken struct {
	name string
	what common.What
	prov flow.Provider // for the header's name
}

// copyToken reads a token of name from the keyring and copies it.
func (m *Model) copyToken(name string, what common.What) tea.Cmd {
	a, ok := m.board.Account(name)
	if !ok {
		return nil
	}
	if what == common.IDToken && !a.HasIDToken {
		m.setToast(termtext.Clean(name)+" has no ID token", true)
		return nil
	}
	m.setToast("Reading "+what.String()+" of "+termtext.Clean(name)+"…", false)
	return m.readToken(readToken{name: name, what: what, prov: a.Provider})
}

func (m *Model) readToken(r readToken) tea.Cmd {
	st := m.o.Store
	return m.c.IO(func(ctx context.Context) tea.Msg {
		msg := copyReadyMsg{name: r.name, what: r.what, retry: r}
		switch r.what {
		case common.IDToken:
			sec, err := st.Secret(ctx, r.name)
			if err != nil {
				msg.err = err
				return msg
			}
			msg.text = sec.Token.IDToken
		default:
			tok, err := st.Token(ctx, r.name)
			if err != nil {
				msg.err = err
				return msg
			}
			msg.text = tok.AccessToken
			if r.what == common.Header {
				h, v := r.prov.AuthHeader(tok.AccessToken)
				msg.text = h + ": " + v
			}
		}
		if msg.text == "" {
			msg.err = fmt.Errorf("the keyring holds no %s for this account", r.what)
		}
		return msg
	})
}

func (m *Model) onCopyReady(msg copyReadyMsg) tea.Cmd {
	if msg.err != nil {
		if errors.Is(msg.err, accounts.ErrLocked) {
			m.toast, m.toastUntil = "", time.Time{}
			return m.openUnlock("to copy the "+msg.what.String()+" of "+msg.name, msg.retry)
		}
		m.setToast("Cannot copy the "+msg.what.String()+": "+termtext.Clean(msg.err.Error()), true)
		return tea.Batch(m.load(""))
	}
	// Token may have refreshed the account first: read the accounts again
	return tea.Batch(m.copyText(msg.text, msg.what.String()+" of "+termtext.Clean(msg.name), true), m.load(""))
}

// copyText puts text on the clipboard (OSC 52 through the terminal, and the
// native clipboard where there is one) and, for secrets, schedules clearing.
func (m *Model) copyText(text, label string, secret bool) tea.Cmd {
	cmds := []tea.Cmd{tea.Raw(m.clip.osc52(text))}
	if c := m.clip.writeNative(m.c.Context(), text); c != nil {
		cmds = append(cmds, c)
	}
	suffix := ""
	if secret && m.o.ClipboardClear > 0 {
		m.clipUntil = m.o.Now().Add(m.o.ClipboardClear)
		m.clipHash = hashText(text)
		m.clipWhat = label
		suffix = fmt.Sprintf(" (cleared in %s)", termtext.Duration(m.o.ClipboardClear))
	}
	m.setToast("Copied "+label+suffix, false)
	return tea.Batch(cmds...)
}

func (m *Model) clearClipboard() tea.Cmd {
	h := m.clipHash
	m.clipUntil, m.clipHash = time.Time{}, [32]byte{}
	m.setToast("Clipboard cleared", false)
	cmds := []tea.Cmd{tea.Raw(m.clip.osc52Clear())}
	if c := m.clip.clearNative(m.c.Context(), h); c != nil {
		cmds = append(cmds, c)
	}
	if c := m.clip.clearTmux(m.c.Context(), h); c != nil {
		cmds = append(cmds, c)
	}
	return tea.Batch(cmds...)
}

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
	cmd := m.copyText(msg.text, msg.what.String()+" of "+termtext.Clean(msg.name), true)
	if a, ok := m.board.Account(msg.name); ok && a.NeedsRelink && msg.what != common.IDToken {
		// The store hands out a still-valid token of an account whose
		// refresh token was refused: it works, but not for long.
		m.setWarning("Copied " + msg.what.String() + " of " + termtext.Clean(msg.name) + ": it works until " +
			stampShort(a.AccessExpiry, m.o.Now()) + ", then " + termtext.Clean(msg.name) + " must be linked again (L)")
	}
	return tea.Batch(cmd, m.load(""))
}

// stampShort: "18:40" today, "Nov 30 18:40" another day.
func stampShort(t, now time.Time) string {
	t, now = t.Local(), now.Local()
	if t.YearDay() == now.YearDay() && t.Year() == now.Year() {
		return t.Format("15:04")
	}
	return t.Format("Jan 02 15:04")
}

// copyText puts text on the clipboard (OSC 52 through the terminal, and the
// native clipboard where there is one) and, for secrets, schedules the
// clear: every secret copied since the last clear is remembered (by its
// hash) and cleared together, ClipboardClear after the last copy.
func (m *Model) copyText(text, label string, secret bool) tea.Cmd {
	cmds := []tea.Cmd{tea.Raw(m.clip.osc52(text))}
	if c := m.clip.writeNative(m.c.Context(), text); c != nil {
		cmds = append(cmds, c)
	}
	suffix := ""
	if secret && m.o.ClipboardClear > 0 {
		m.clipUntil = m.o.Now().Add(m.o.ClipboardClear)
		if m.clipHashes == nil {
			m.clipHashes = map[[32]byte]bool{}
		}
		m.clipHashes[hashText(text)] = true
		if m.clip.verifies() {
			suffix = fmt.Sprintf(" (cleared in %s)", termtext.Duration(m.o.ClipboardClear))
		} else {
			suffix = fmt.Sprintf(" (a clear is sent in %s)", termtext.Duration(m.o.ClipboardClear))
		}
	}
	m.setToast("Copied "+label+suffix, false)
	return tea.Batch(cmds...)
}

// clearClipboard clears every secret copied since the last clear. Where
// tokenring can read the clipboard back (a local session with a native
// clipboard) it clears only a clipboard that still holds one of them, and
// says what it did; elsewhere it sends the terminal an OSC 52 clear, which
// it cannot check, and says so (onClipCleared).
func (m *Model) clearClipboard() tea.Cmd {
	hashes := m.clipHashes
	m.clipUntil, m.clipHashes = time.Time{}, nil
	if len(hashes) == 0 {
		return nil
	}
	return m.clip.clear(m.c.Context(), hashes)
}

func (m *Model) onClipCleared(r clearResult) tea.Cmd {
	if m.clip.verifies() && r.nativeErr == nil {
		if r.nativeOther {
			// the terminal's clipboard is this one: an OSC 52 clear would
			// wipe what the user copied since
			m.setToast("Clipboard left as it is: it holds what you copied since", false)
			return nil
		}
		m.setToast("Clipboard cleared", false)
		return tea.Raw(m.clip.osc52Clear()) // the same clipboard: harmless, and sure
	}
	// The terminal's clipboard (over SSH: the one of the machine the user
	// sits at) cannot be read: send the clear and say it was sent.
	msg := "Clipboard clear sent to your terminal; tokenring cannot check it"
	if m.c.Env.Remote() {
		msg += " over SSH"
	}
	m.setWarning(msg + " (? says how to make it stick)")
	return tea.Raw(m.clip.osc52Clear())
}

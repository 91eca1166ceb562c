// Package detail is the detail view of one account: endpoints, scopes,
// timestamps, expiries, the decoded claims of its tokens and a masked token
// preview (revealed on demand).
package detail

import (
	"context"
	"errors"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/tokenring/tokenring/accounts"
	"github.com/tokenring/tokenring/flow"
	"github.com/tokenring/tokenring/internal/termtext"
	"github.com/tokenring/tokenring/ui/common"
)

// Secrets reads an account's keyring item (*accounts.Store does).
type Secrets interface {
	Secret(ctx context.Context, name string) (accounts.Secret, error)
}

// Model is the detail screen of the account Name.
type Model struct {
	c     *common.Common
	accts common.Accounts
	store Secrets

	name    string
	offset  int
	sec     *accounts.Secret // loaded on demand; dropped when the view closes
	access  *flow.JWT
	id      *flow.JWT
	secErr  string
	locked  bool
	loading bool
	reveal  bool
	gen     int // each read of the keyring has its number: only the last one counts
}

// secretMsg is the end of a keyring read.
type secretMsg struct {
	name   string
	gen    int
	sec    accounts.Secret
	err    error
	reveal bool
}

// revealMsg asks again to show the tokens, after the keyring was unlocked
// (delivered by the root; a detail view of another account ignores it).
type revealMsg struct{ name string }

// New opens the detail view of name and starts reading its tokens (masked
// until revealed; the claims show at once).
func New(c *common.Common, accts common.Accounts, store Secrets, name string) (*Model, tea.Cmd) {
	d := &Model{c: c, accts: accts, store: store, name: name}
	return d, d.loadSecret(false)
}

// Name is the account shown.
func (d *Model) Name() string { return d.name }

// Title names the account in the header.
func (d *Model) Title() string { return termtext.Clean(d.name) }

// Close drops the secret.
func (d *Model) Close() { d.sec, d.access, d.id = nil, nil, nil }

// NeedsTick: the account's token counts down.
func (d *Model) NeedsTick() bool {
	a, ok := d.accts.Account(d.name)
	return ok && a.AccessExpiry.After(d.c.Now)
}

func (d *Model) height() int { return max(d.c.Height-5, 3) }

func (d *Model) loadSecret(reveal bool) tea.Cmd {
	d.loading = true
	d.gen++
	name, gen, st := d.name, d.gen, d.store
	return d.c.IO(func(ctx context.Context) tea.Msg {
		sec, err := st.Secret(ctx, name)
		return secretMsg{name: name, gen: gen, sec: sec, err: err, reveal: reveal}
	})
}

// unlockToReveal asks the root for the passphrase, then to read the tokens again.
func (d *Model) unlockToReveal() common.Action {
	return common.RequestUnlock{Why: "to show the tokens of " + d.name,
		Retry: common.Deliver{Msg: revealMsg{name: d.name}}}
}

func (d *Model) onSecret(msg secretMsg) common.Action {
	if msg.name != d.name || msg.gen != d.gen {
		return nil
	}
	d.loading = false
	if msg.err != nil {
		if errors.Is(msg.err, accounts.ErrLocked) {
			d.locked = true
			if msg.reveal {
				return d.unlockToReveal()
			}
			return nil
		}
		d.secErr = termtext.Clean(msg.err.Error())
		return nil
	}
	d.locked, d.secErr = false, ""
	sec := msg.sec
	d.sec = &sec
	d.access, d.id = nil, nil
	if j, err := flow.DecodeJWT(sec.Token.AccessToken); err == nil {
		d.access = j
	}
	if sec.Token.IDToken != "" {
		if j, err := flow.DecodeJWT(sec.Token.IDToken); err == nil {
			d.id = j
		}
	}
	if msg.reveal {
		d.reveal = true
	}
	return nil
}

// Update handles keys, the keyring's answer and the retry after unlocking.
func (d *Model) Update(msg tea.Msg) (common.Action, tea.Cmd) {
	switch msg := msg.(type) {
	case secretMsg:
		return d.onSecret(msg), nil
	case revealMsg:
		if msg.name != d.name {
			return nil, nil
		}
		return nil, d.loadSecret(true)
	case tea.KeyPressMsg:
		return d.updateKey(msg)
	}
	return nil, nil
}

func (d *Model) updateKey(k tea.KeyPressMsg) (common.Action, tea.Cmd) {
	km := d.c.Keys
	switch {
	case k.String() == "ctrl+c" || k.String() == "q":
		return common.Quit{}, nil
	case key.Matches(k, km.Back):
		return common.Close{}, nil
	case key.Matches(k, km.Help):
		return common.ShowHelp{}, nil
	case key.Matches(k, km.Up):
		d.offset = max(d.offset-1, 0)
	case key.Matches(k, km.Down):
		d.offset++
	case key.Matches(k, km.PgUp):
		d.offset = max(d.offset-d.height(), 0)
	case key.Matches(k, km.PgDown):
		d.offset += d.height()
	case key.Matches(k, km.Top):
		d.offset = 0
	case key.Matches(k, km.Reveal):
		if d.sec != nil {
			d.reveal = !d.reveal
			return nil, nil
		}
		if d.locked {
			return d.unlockToReveal(), nil
		}
		return nil, d.loadSecret(true)
	case key.Matches(k, km.Copy):
		return common.Copy{Name: d.name, What: common.AccessToken}, nil
	case key.Matches(k, km.CopyID):
		return common.Copy{Name: d.name, What: common.IDToken}, nil
	case key.Matches(k, km.CopyHeader):
		return common.Copy{Name: d.name, What: common.Header}, nil
	case key.Matches(k, km.Refresh):
		if !d.accts.Refreshing(d.name) {
			return common.Refresh{Name: d.name}, nil
		}
	case key.Matches(k, km.Remove):
		return common.ConfirmRemove{Name: d.name}, nil
	case key.Matches(k, km.Relink):
		return common.Relink{Name: d.name}, nil
	}
	return nil, nil
}

// ShortHelp is the footer's key help (the root keeps esc, ? and q at any width).
func (d *Model) ShortHelp() []key.Binding {
	kb := common.KB
	return []key.Binding{kb("esc", "back"), kb("v", "reveal"), kb("c", "copy"), kb("r", "refresh"), kb("d", "remove"),
		kb("C", "header"), kb("i", "ID token"), kb("?", "keys"), kb("q", "quit")}
}

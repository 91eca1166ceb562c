package ui

import (
	"context"
	"crypto/sha256"
	"errors"
	"os/exec"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/atotto/clipboard"
	osc52 "github.com/aymanbagabas/go-osc52/v2"

	"github.com/tokenring/tokenring/ui/common"
)

// clipper writes the clipboard of the terminal the user sits at (OSC 52,
// which also crosses SSH) and, when there is a display, the native one.
type clipper struct {
	env    common.Env
	native Clipboard
}

// osc52 returns the escape sequences that set the clipboard to text.
//
// Inside tmux it sends the plain sequence, which tmux takes into its paste
// buffer (and forwards to the outer terminal) when `set -s set-clipboard on`,
// followed by the same sequence wrapped in tmux's DCS passthrough, which
// reaches the outer terminal when `allow-passthrough on` is set instead.
// Inside GNU screen, which does not understand OSC 52, only the wrapped form
// is sent. Elsewhere, the plain sequence.
func (c clipper) osc52(text string) string { return c.wrap(osc52.New(text)) }

// osc52Clear asks the terminal to clear its clipboard.
func (c clipper) osc52Clear() string { return c.wrap(osc52.Clear()) }

// wrap sends s the way the multiplexer around us passes it on (see osc52).
func (c clipper) wrap(s osc52.Sequence) string {
	switch {
	case c.env.Tmux():
		return s.String() + s.Tmux().String()
	case c.env.Screen():
		return s.Screen().String()
	}
	return s.String()
}

// verifies says whether tokenring can know what a clear did: the native
// clipboard is the clipboard of the terminal the user sits at (a local
// session), and tokenring can read it back. Over SSH, or with no native
// clipboard, the clear is an OSC 52 to a terminal it cannot read.
func (c clipper) verifies() bool { return c.native != nil && !c.env.Remote() }

const clipTimeout = 3 * time.Second

func (c clipper) writeNative(parent context.Context, text string) tea.Cmd {
	if c.native == nil {
		return nil
	}
	nc := c.native
	return func() tea.Msg {
		return nativeClipMsg{err: withDeadline(parent, clipTimeout, func() error { return nc.WriteAll(text) })}
	}
}

// clearResult is what one clear did.
type clearResult struct {
	nativeCleared bool  // the native clipboard held a secret and was emptied
	nativeOther   bool  // it held something else (copied since): left alone
	nativeErr     error // it could not be read or written
	tmuxDeleted   int   // tmux paste buffers holding a secret, deleted
	tmuxErr       error
}

// clear clears every secret in hashes: the native clipboard if it still
// holds one of them (never what the user copied since), and every tmux
// paste buffer holding one (tmux keeps them after the terminal's clipboard
// is cleared). Only buffer names go on tmux's command line, never content.
func (c clipper) clear(parent context.Context, hashes map[[32]byte]bool) tea.Cmd {
	nc, inTmux, sock := c.native, c.env.Tmux(), tmuxSocket(c.env)
	return func() tea.Msg {
		var r clearResult
		if nc != nil {
			type res struct{ cleared, other bool }
			done := make(chan res, 1)
			r.nativeErr = withDeadline(parent, clipTimeout, func() error {
				cur, err := nc.ReadAll()
				var x res
				switch {
				case err != nil:
				case cur == "":
				case hashes[hashText(cur)]:
					if err = nc.WriteAll(""); err == nil {
						x.cleared = true
					}
				default:
					x.other = true
				}
				done <- x
				return err
			})
			if r.nativeErr == nil {
				x := <-done
				r.nativeCleared, r.nativeOther = x.cleared, x.other
			}
		}
		if inTmux {
			r.tmuxDeleted, r.tmuxErr = clearTmux(parent, sock, hashes)
		}
		return clipClearedMsg{r}
	}
}

// tmuxSocket is the socket of the tmux server we run in ($TMUX is
// "socket,pid,session"); "" lets tmux find it.
func tmuxSocket(env common.Env) string {
	t := env.Get("TMUX")
	if i := strings.IndexByte(t, ','); i > 0 {
		return t[:i]
	}
	return ""
}

func tmuxCmd(ctx context.Context, sock string, args ...string) *exec.Cmd {
	if sock != "" {
		args = append([]string{"-S", sock}, args...)
	}
	return exec.CommandContext(ctx, "tmux", args...)
}

// clearTmux deletes the tmux paste buffers whose content is one of hashes.
func clearTmux(parent context.Context, sock string, hashes map[[32]byte]bool) (int, error) {
	ctx, cancel := context.WithTimeout(parent, clipTimeout)
	defer cancel()
	out, err := tmuxCmd(ctx, sock, "list-buffers", "-F", "#{buffer_name}").Output()
	if err != nil {
		return 0, err
	}
	n := 0
	for _, name := range strings.Fields(string(out)) {
		b, err := tmuxCmd(ctx, sock, "show-buffer", "-b", name).Output()
		if err == nil && hashes[hashText(string(b))] {
			if tmuxCmd(ctx, sock, "delete-buffer", "-b", name).Run() == nil {
				n++
			}
		}
	}
	return n, nil
}

// tmuxClipboard asks tmux for its set-clipboard option (the help's tip
// shows only when tmux would drop a copy).
func tmuxClipboard(parent context.Context, env common.Env) tea.Cmd {
	if !env.Tmux() {
		return nil
	}
	sock := tmuxSocket(env)
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(parent, clipTimeout)
		defer cancel()
		out, err := tmuxCmd(ctx, sock, "show-options", "-s", "-v", "set-clipboard").Output()
		if err != nil {
			return tmuxClipMsg{}
		}
		return tmuxClipMsg{value: strings.TrimSpace(string(out))}
	}
}

func hashText(s string) [32]byte { return sha256.Sum256([]byte(s)) }

var errTimeout = errors.New("it did not answer in time")

// withDeadline runs fn, which cannot be cancelled, and gives up waiting
// after d (the goroutine then finishes on its own).
func withDeadline(parent context.Context, d time.Duration, fn func() error) error {
	ctx, cancel := context.WithTimeout(parent, d)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- fn() }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return errTimeout
	}
}

type systemClipboard struct{}

func (systemClipboard) WriteAll(s string) error  { return clipboard.WriteAll(s) }
func (systemClipboard) ReadAll() (string, error) { return clipboard.ReadAll() }

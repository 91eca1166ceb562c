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

// osc52Clear asks the terminal to clear its clipboard. (tmux keeps earlier
// paste buffers of its own; the terminal's clipboard is cleared.)
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

// clearTmux deletes the tmux paste buffers that hold exactly what was
// copied (tmux keeps them even after the terminal's clipboard is cleared).
// Only buffer names go on tmux's command line, never their content.
func (c clipper) clearTmux(parent context.Context, h [32]byte) tea.Cmd {
	if !c.env.Tmux() {
		return nil
	}
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(parent, clipTimeout)
		defer cancel()
		out, err := exec.CommandContext(ctx, "tmux", "list-buffers", "-F", "#{buffer_name}").Output()
		if err != nil {
			return clipClearedMsg{}
		}
		for _, name := range strings.Fields(string(out)) {
			b, err := exec.CommandContext(ctx, "tmux", "show-buffer", "-b", name).Output()
			if err == nil && hashText(string(b)) == h {
				_ = exec.CommandContext(ctx, "tmux", "delete-buffer", "-b", name).Run()
			}
		}
		return clipClearedMsg{}
	}
}

// clearNative empties the native clipboard if it still holds what was copied.
func (c clipper) clearNative(parent context.Context, h [32]byte) tea.Cmd {
	if c.native == nil {
		return nil
	}
	nc := c.native
	return func() tea.Msg {
		_ = withDeadline(parent, clipTimeout, func() error {
			cur, err := nc.ReadAll()
			if err != nil || hashText(cur) != h {
				return err
			}
			return nc.WriteAll("")
		})
		return clipClearedMsg{}
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

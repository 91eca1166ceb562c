//go:build unix

package cli

import (
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/tokenring/tokenring/internal/termtext"
)

// forwardedSignals are passed on to exec's child. The stop signals (TSTP,
// TTIN, TTOU), CONT and WINCH are not: they act on the whole process group,
// which the child shares with tokenring, so job control (^Z, fg, bg) and
// window sizes work as for any command.
var forwardedSignals = []os.Signal{syscall.SIGINT, syscall.SIGQUIT, syscall.SIGTERM, syscall.SIGHUP,
	syscall.SIGUSR1, syscall.SIGUSR2, syscall.SIGALRM}

// parseSignal reads a signal name (HUP, SIGHUP, hup) or number.
func parseSignal(s string) (os.Signal, error) {
	if n, err := strconv.Atoi(s); err == nil && n > 0 && n < 65 {
		return syscall.Signal(n), nil
	}
	name := strings.ToUpper(strings.TrimPrefix(strings.ToUpper(strings.TrimSpace(s)), "SIG"))
	if sig := unix.SignalNum("SIG" + name); sig != 0 {
		return sig, nil
	}
	return nil, fmt.Errorf("--signal %q is not a signal name (HUP, USR1, TERM, ...) or number", termtext.Snippet(s, 20))
}

// foreground knows tokenring's controlling terminal, if any.
type foreground struct{ tty *os.File }

func openForeground() foreground {
	f, err := os.Open("/dev/tty")
	if err != nil {
		return foreground{}
	}
	return foreground{tty: f}
}

func (f foreground) close() {
	if f.tty != nil {
		f.tty.Close()
	}
}

// sentToGroup says whether s most likely came from the terminal, which
// sends INT (^C) and QUIT (^\) to its whole foreground process group: the
// child, in tokenring's group, got its own. That is so when tokenring's
// group is the terminal's foreground group.
func (f foreground) sentToGroup(s os.Signal) bool {
	if f.tty == nil || (s != syscall.SIGINT && s != syscall.SIGQUIT) {
		return false
	}
	pgrp, err := unix.IoctlGetInt(int(f.tty.Fd()), unix.TIOCGPGRP)
	return err == nil && pgrp == unix.Getpgrp()
}

// dieBy ends this process by sig, as exec's child ended, so that a shell
// (or any parent) sees the same death (bash ends a script whose command
// died of SIGINT). Only the signals whose default action the Go runtime
// keeps (HUP, INT, TERM; KILL) can do that; for the others the exit status
// 128+N says it.
func dieBy(sig int) {
	s := syscall.Signal(sig)
	switch s {
	case syscall.SIGHUP, syscall.SIGINT, syscall.SIGTERM, syscall.SIGKILL:
	default:
		return
	}
	signal.Reset(s)
	_ = syscall.Kill(os.Getpid(), s)
	time.Sleep(time.Second) // the signal ends the process before this does
}

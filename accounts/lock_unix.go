//go:build !windows

package accounts

import (
	"errors"
	"os"

	"golang.org/x/sys/unix"
)

func tryLockFD(f *os.File) (bool, error) { return tryFlock(f, unix.LOCK_EX) }

// tryFlock takes how (LOCK_EX or LOCK_SH) on f without waiting: false when
// another holds a conflicting lock.
func tryFlock(f *os.File, how int) (bool, error) {
	for {
		err := unix.Flock(int(f.Fd()), how|unix.LOCK_NB)
		switch {
		case err == nil:
			return true, nil
		case errors.Is(err, unix.EINTR):
			continue
		case errors.Is(err, unix.EWOULDBLOCK):
			return false, nil
		}
		return false, err
	}
}

func unlockFD(f *os.File) { _ = unix.Flock(int(f.Fd()), unix.LOCK_UN) }

// processAlive: a signal 0 reaches it (EPERM: it exists, another user's).
func processAlive(pid int) bool {
	err := unix.Kill(pid, 0)
	return err == nil || errors.Is(err, unix.EPERM)
}

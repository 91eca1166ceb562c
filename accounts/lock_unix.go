//go:build !windows

package accounts

import (
	"errors"
	"os"

	"golang.org/x/sys/unix"
)

func tryLockFD(f *os.File) (bool, error) {
	for {
		err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB)
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

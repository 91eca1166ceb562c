//go:build !windows

package accounts

import (
	"os"

	"golang.org/x/sys/unix"
)

func tryLockSharedFD(f *os.File) (bool, error) { return tryFlock(f, unix.LOCK_SH) }

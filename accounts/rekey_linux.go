//go:build linux

package accounts

import "golang.org/x/sys/unix"

// exchangeDirs swaps the directories a and b atomically
// (renameat2 RENAME_EXCHANGE; an error where the file system has none).
func exchangeDirs(a, b string) error {
	return unix.Renameat2(unix.AT_FDCWD, a, unix.AT_FDCWD, b, unix.RENAME_EXCHANGE)
}

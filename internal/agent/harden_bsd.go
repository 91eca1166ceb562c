//go:build darwin || freebsd

package agent

import "golang.org/x/sys/unix"

// harden: no core dumps. (macOS and FreeBSD have no PR_SET_DUMPABLE; other
// processes of the user can still attach a debugger where the system lets
// them.)
func harden() error { return unix.Setrlimit(unix.RLIMIT_CORE, &unix.Rlimit{}) }

//go:build linux

package agent

import "golang.org/x/sys/unix"

// harden keeps the agent's memory to itself: no core dump (RLIMIT_CORE 0,
// and not dumpable), and not dumpable also means that other processes of
// the same user cannot ptrace it or read /proc/PID/mem (the kernel then
// treats them like another user's, unless they are root).
func harden() error {
	if err := unix.Setrlimit(unix.RLIMIT_CORE, &unix.Rlimit{}); err != nil {
		return err
	}
	return unix.Prctl(unix.PR_SET_DUMPABLE, 0, 0, 0, 0)
}

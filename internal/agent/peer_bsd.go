//go:build darwin || freebsd

package agent

import "golang.org/x/sys/unix"

// Supported: this system has peer credentials for Unix sockets.
const Supported = true

// peerUID is the uid of the process at the other end of the socket fd
// (LOCAL_PEERCRED; the pid is not known: 0).
func peerUID(fd int) (int, int, error) {
	c, err := unix.GetsockoptXucred(fd, unix.SOL_LOCAL, unix.LOCAL_PEERCRED)
	if err != nil {
		return -1, 0, err
	}
	return int(c.Uid), 0, nil
}

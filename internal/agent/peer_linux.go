//go:build linux

package agent

import "golang.org/x/sys/unix"

// Supported: this system has peer credentials for Unix sockets.
const Supported = true

// peerUID is the uid of the process at the other end of the socket fd.
func peerUID(fd int) (int, int, error) {
	c, err := unix.GetsockoptUcred(fd, unix.SOL_SOCKET, unix.SO_PEERCRED)
	if err != nil {
		return -1, 0, err
	}
	return int(c.Uid), int(c.Pid), nil
}

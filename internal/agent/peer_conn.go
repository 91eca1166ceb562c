//go:build linux || darwin || freebsd

package agent

import "net"

const unsupported = ""

func connPeer(c *net.UnixConn) (uid, pid int, err error) {
	raw, err := c.SyscallConn()
	if err != nil {
		return -1, 0, err
	}
	var perr error
	if err := raw.Control(func(fd uintptr) { uid, pid, perr = peerUID(int(fd)) }); err != nil {
		return -1, 0, err
	}
	return uid, pid, perr
}

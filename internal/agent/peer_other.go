//go:build !(linux || darwin || freebsd)

package agent

import (
	"errors"
	"net"
	"runtime"
)

// Supported: this system has peer credentials for Unix sockets. It has not
// (Windows, and the Unix systems tokenring cannot ask yet): no agent runs,
// and every command works without one.
const Supported = false

const unsupported = "there is no unlock agent on " + runtime.GOOS + ": it needs the peer credentials of Unix sockets to refuse other users, which tokenring cannot check here"

func connPeer(*net.UnixConn) (int, int, error) { return -1, 0, errors.New(unsupported) }

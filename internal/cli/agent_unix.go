//go:build unix

package cli

import (
	"os"
	"os/exec"
	"runtime"
	"syscall"
)

// spawnAgent starts `tokenring agent --detached` for dir in the
// background: this very binary (os.Executable), in a session of its own
// (no terminal; it outlives this process), stdin, stdout and stderr on
// /dev/null, an environment without any secret (spawnEnv) and no
// passphrase in argv: unlock hands it over the socket.
func (a *app) spawnAgent(dir string) (func() error, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(exe, "agent", "--detached")
	cmd.Env = a.spawnEnv(dir)
	cmd.Dir = "/"
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	return cmd.Wait, nil
}

func osName() string { return runtime.GOOS }

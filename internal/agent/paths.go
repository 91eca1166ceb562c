package agent

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"agentfast.tokenring.invalid"
)

// Paths are where the agent of one config directory lives (see
// agentfast.For).
type Paths = agentfast.Paths

// PathsFor gives the agent paths of the config directory dir for this user;
// runtimeDir is $XDG_RUNTIME_DIR ("" when unset).
func PathsFor(runtimeDir, dir string) Paths {
	abs, err := filepath.Abs(dir)
	if err == nil {
		dir = abs
	}
	return agentfast.For(runtimeDir, dir, os.Getuid())
}

// ensureDir creates the socket's directory (0700) or checks the one there:
// a directory, not a symbolic link, the user's own, and closed to group
// and others. Anything else is refused: another user could otherwise
// place or watch the socket.
func ensureDir(dir string) error {
	if err := os.Mkdir(dir, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("cannot create the agent's directory %s: %w", dir, err)
	}
	return checkDir(dir)
}

func checkDir(dir string) error {
	fi, err := os.Lstat(dir)
	if err != nil {
		return err
	}
	if !fi.IsDir() {
		return fmt.Errorf("%s is not a directory (a symbolic link?); remove it", dir)
	}
	if uid, ok := owner(fi); ok && uid != os.Getuid() {
		return fmt.Errorf("%s belongs to another user (uid %d); tokenring keeps its agent's socket only in a directory of your own (set XDG_RUNTIME_DIR, or remove it)", dir, uid)
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return fmt.Errorf("%s can be entered by other users (mode %04o); make it 0700 (chmod 700 %s)", dir, fi.Mode().Perm(), dir)
	}
	return nil
}

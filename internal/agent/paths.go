package agent

import (
	"errors"
	"fmt"
	"hash/fnv"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
)

// maxSocketPath is what fits in sockaddr_un's sun_path (108 bytes on Linux,
// 104 on the BSDs and macOS) with its terminating NUL.
const maxSocketPath = 103

// Paths are where the agent of one config directory lives.
type Paths struct {
	Dir    string // private to the user: 0700, theirs
	Socket string // Dir/agent-<hash>.sock
	Lock   string // Dir/agent-<hash>.lock: held by the running agent
}

// PathsFor gives the agent paths of the config directory dir for this user:
// $XDG_RUNTIME_DIR/tokenring when runtimeDir (its value) is set, else
// /run/user/<uid>/tokenring when that directory is the user's and private
// (what pam_systemd makes for a login; cron jobs have no XDG_RUNTIME_DIR
// but find the agent of the login there), else os.TempDir()/tokenring-<uid>;
// the latter also when the socket's path would be too long. One agent per
// config directory: the name carries a hash of the directory.
func PathsFor(runtimeDir, dir string) Paths {
	if abs, err := filepath.Abs(dir); err == nil {
		dir = abs
	}
	uid := os.Getuid()
	if runtimeDir == "" {
		runtimeDir = userRuntimeDir(uid)
	}
	h := fnv.New64a()
	h.Write([]byte(filepath.Clean(dir)))
	name := fmt.Sprintf("agent-%016x", h.Sum64())
	d := filepath.Join(os.TempDir(), "tokenring-"+strconv.Itoa(uid))
	if runtimeDir != "" && filepath.IsAbs(runtimeDir) {
		if rd := filepath.Join(runtimeDir, "tokenring"); len(filepath.Join(rd, name+".sock")) <= maxSocketPath {
			d = rd
		}
	}
	return Paths{Dir: d, Socket: filepath.Join(d, name+".sock"), Lock: filepath.Join(d, name+".lock")}
}

// userRuntimeDir is /run/user/<uid> when it is a directory of uid's that
// nobody else can enter, else "".
func userRuntimeDir(uid int) string {
	d := "/run/user/" + strconv.Itoa(uid)
	fi, err := os.Lstat(d)
	if err != nil || !fi.IsDir() || fi.Mode().Perm()&0o077 != 0 {
		return ""
	}
	if owner, ok := owner(fi); !ok || owner != uid {
		return ""
	}
	return d
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

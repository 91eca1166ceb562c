//go:build !windows

package agentfast

import "syscall"

// The path functions of path/filepath for Unix (lexically the same),
// written out so that the fast path need not wait for path/filepath's
// initialization (see the package comment). internal/agent's tests compare
// them with path/filepath.

func isAbs(p string) bool { return len(p) > 0 && p[0] == '/' }

func join(a, b string) string {
	if a == "" {
		return Clean(b)
	}
	return Clean(a + "/" + b)
}

// Abs is filepath.Abs on Unix.
func Abs(p string) (string, error) {
	if isAbs(p) {
		return Clean(p), nil
	}
	return join(getwd(), p), nil
}

// getwd is os.Getwd: $PWD when it names the working directory (it keeps
// the symbolic links the user went through), else the kernel's.
func getwd() string {
	var dot, pwd syscall.Stat_t
	if d, ok := syscall.Getenv("PWD"); ok && isAbs(d) &&
		syscall.Stat(".", &dot) == nil && syscall.Stat(d, &pwd) == nil && dot.Dev == pwd.Dev && dot.Ino == pwd.Ino {
		return d
	}
	wd, err := syscall.Getwd()
	if err != nil {
		return "/"
	}
	return wd
}

// tempDir is os.TempDir on Unix.
func tempDir() string {
	if d, ok := syscall.Getenv("TMPDIR"); ok && d != "" {
		return d
	}
	return "/tmp"
}

// ConfigDir is tokenring's config directory as internal/config's Env.Dir
// finds it on Linux (os.UserConfigDir's rules): $TOKENRING_HOME (made
// absolute), else $XDG_CONFIG_HOME/tokenring, else $HOME/.config/tokenring.
// (internal/agent's tests hold the two together.)
func ConfigDir(getenv func(string) string) (string, error) {
	if h := getenv("TOKENRING_HOME"); h != "" {
		return Abs(h)
	}
	if x := getenv("XDG_CONFIG_HOME"); x != "" {
		if !isAbs(x) {
			return "", syscall.EINVAL
		}
		return join(x, "tokenring"), nil
	}
	h := getenv("HOME")
	if h == "" {
		return "", syscall.ENOENT
	}
	return join(join(h, ".config"), "tokenring"), nil
}

// Clean is filepath.Clean on Unix (path.Clean's algorithm).
func Clean(p string) string {
	if p == "" {
		return "."
	}
	rooted := p[0] == '/'
	n := len(p)
	out := make([]byte, 0, n)
	r, dotdot := 0, 0
	if rooted {
		out = append(out, '/')
		r, dotdot = 1, 1
	}
	for r < n {
		switch {
		case p[r] == '/':
			r++
		case p[r] == '.' && (r+1 == n || p[r+1] == '/'):
			r++
		case p[r] == '.' && p[r+1] == '.' && (r+2 == n || p[r+2] == '/'):
			r += 2
			switch {
			case len(out) > dotdot:
				w := len(out) - 1
				for w > dotdot && out[w] != '/' {
					w--
				}
				out = out[:w]
			case !rooted:
				if len(out) > 0 {
					out = append(out, '/')
				}
				out = append(out, '.', '.')
				dotdot = len(out)
			}
		default:
			if rooted && len(out) != 1 || !rooted && len(out) != 0 {
				out = append(out, '/')
			}
			for ; r < n && p[r] != '/'; r++ {
				out = append(out, p[r])
			}
		}
	}
	if len(out) == 0 {
		return "."
	}
	return string(out)
}

// userRuntimeDir is /run/user/<uid> when it is a directory of uid's that
// nobody else can enter, else "".
func userRuntimeDir(uid int) string {
	d := "/run/user/" + itoa(uid)
	var st syscall.Stat_t
	if syscall.Lstat(d, &st) != nil || st.Mode&syscall.S_IFMT != syscall.S_IFDIR || int(st.Uid) != uid || st.Mode&0o077 != 0 {
		return ""
	}
	return d
}

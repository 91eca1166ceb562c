// Package agentfast names the unlock agent's socket, and (in package
// agentfast.tokenring.invalid/fast) answers `tokenring token NAME` from a
// running agent before the rest of tokenring initializes.
//
// It is its own module, with an import path that sorts before every other
// package tokenring links, for the same reason as busguard: since Go 1.21
// packages are initialized in import-path order among those whose imports
// are ready, so the fast path's init runs as soon as "os" is ready, before
// the packages whose init functions (keyring's D-Bus probes, the TOML
// parser's tables, the terminal libraries, crypto) make up most of
// tokenring's start-up. For that, on Unix, it imports only syscall and
// unicode/utf8, which are initialized among the first: even "os" or
// "path/filepath" would make it wait for dozens of packages (import-path
// order again). internal/agent (the agent and its full client) takes the
// socket's name from here, so both always agree.
package agentfast

// maxSocketPath is what fits in sockaddr_un's sun_path (108 bytes on Linux,
// 104 on the BSDs and macOS) with its terminating NUL.
const maxSocketPath = 103

// Paths are where the agent of one config directory lives.
type Paths struct {
	Dir    string // private to the user: 0700, theirs
	Socket string // Dir/agent-<hash>.sock
	Lock   string // Dir/agent-<hash>.lock: held by the running agent
}

// For gives the agent paths of configDir (absolute) for the user uid:
// $XDG_RUNTIME_DIR/tokenring when runtimeDir is set (absolute), else
// /run/user/<uid>/tokenring when that directory is the user's and private
// (what pam_systemd makes for a login; cron jobs have no XDG_RUNTIME_DIR
// but find the agent of the login there), else os.TempDir()/tokenring-<uid>;
// the latter also when the socket's path would be too long. One agent per
// config directory: the name carries a hash of the directory.
func For(runtimeDir, configDir string, uid int) Paths {
	if runtimeDir == "" {
		runtimeDir = userRuntimeDir(uid)
	}
	name := "agent-" + hash(Clean(configDir))
	dir := join(tempDir(), "tokenring-"+itoa(uid))
	if runtimeDir != "" && isAbs(runtimeDir) {
		if d := join(runtimeDir, "tokenring"); len(join(d, name+".sock")) <= maxSocketPath {
			dir = d
		}
	}
	return Paths{Dir: dir, Socket: join(dir, name+".sock"), Lock: join(dir, name+".lock")}
}

// hash is FNV-1a (64 bits) of s in hex: a short name for a directory, not
// a secret (the socket's directory is private).
func hash(s string) string {
	h := uint64(14695981039346656037)
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= 1099511628211
	}
	const digits = "0123456789abcdef"
	var b [16]byte
	for i := 15; i >= 0; i-- {
		b[i] = digits[h&15]
		h >>= 4
	}
	return string(b[:])
}

func itoa(n int) string {
	if n < 0 {
		return "-" + itoa(-n)
	}
	var b [20]byte
	i := len(b)
	for {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
		if n == 0 {
			return string(b[i:])
		}
	}
}

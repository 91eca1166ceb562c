package config

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
)

// Limits on config.toml, checked before the TOML parser sees it.
const (
	MaxFileSize = 256 << 10 // a config.toml with a hundred providers is ~20 KB
	MaxNesting  = 32        // [providers.x] + an inline table: 3
)

// readRegular reads a regular file of at most max bytes. A FIFO, device or
// socket in its place is refused without blocking on it (a FIFO would hang
// every command: opening it waits for a writer).
func readRegular(path string, max int64) ([]byte, error) {
	f, err := openNonBlocking(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, err
		}
		return nil, fmt.Errorf("cannot read %s: %v", path, errors.Unwrap(err))
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("cannot read %s: %v", path, err)
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file (%s); tokenring reads only regular files", path, st.Mode().Type())
	}
	if st.Size() > max {
		return nil, fmt.Errorf("%s is %d bytes; it may be at most %d", path, st.Size(), max)
	}
	data, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, fmt.Errorf("cannot read %s: %v", path, err)
	}
	if int64(len(data)) > max {
		return nil, fmt.Errorf("%s grew past %d bytes while being read", path, max)
	}
	return data, nil
}

// nesting is the deepest nesting of [ and { in TOML text, outside strings
// and comments (table headers count too: [a] is 1, [[a]] is 2).
func nesting(s string) int {
	depth, deepest := 0, 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '#':
			for i < len(s) && s[i] != '\n' {
				i++
			}
		case '"', '\'':
			i = skipString(s, i)
		case '[', '{':
			depth++
			deepest = max(deepest, depth)
		case ']', '}':
			depth = max(depth-1, 0)
		}
	}
	return deepest
}

// skipString returns the index of the last byte of the string starting at
// s[i] (a quote): basic "..." with \ escapes, literal '...', or their
// triple-quoted multi-line forms.
func skipString(s string, i int) int {
	q := s[i]
	if i+2 < len(s) && s[i+1] == q && s[i+2] == q { // multi-line
		for j := i + 3; j+2 < len(s); j++ {
			if q == '"' && s[j] == '\\' {
				j++
				continue
			}
			if s[j] == q && s[j+1] == q && s[j+2] == q {
				return j + 2
			}
		}
		return len(s)
	}
	for j := i + 1; j < len(s); j++ {
		switch {
		case q == '"' && s[j] == '\\':
			j++
		case s[j] == q, s[j] == '\n':
			return j
		}
	}
	return len(s)
}

// checkPrivate refuses a config directory (dir) or file that someone else
// could change, as ssh does with ~/.ssh: whoever can rewrite config.toml or
// an account's token_url collects the refresh tokens sent there. It must
// belong to this user (or root) and not be writable by group or others.
// A path that does not exist is fine (tokenring creates it 0700).
func checkPrivate(path string, dir bool) error {
	st, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("%w: cannot check %s: %v", ErrUnsafe, path, err)
	}
	what := "config file"
	if dir {
		what = "config directory"
	}
	if owner, ok := ownerOf(st); ok && owner != os.Geteuid() && owner != 0 {
		return fmt.Errorf("%w: the %s %s belongs to another user (uid %d); use a directory of your own (%s)", ErrUnsafe, what, path, owner, EnvHome)
	}
	if perm := st.Mode().Perm(); groupOrWorldWritable(perm) {
		return fmt.Errorf("%w: the %s %s can be changed by other users (mode %04o); run: chmod go-w %s", ErrUnsafe, what, path, perm, path)
	}
	return nil
}

// ErrUnsafe: the config directory or a file in it could be changed by
// someone else.
var ErrUnsafe = errors.New("refusing an unsafe configuration")

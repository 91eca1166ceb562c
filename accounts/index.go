package accounts

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"sync"

	"github.com/tokenring/tokenring/flow"
)

// IndexFile is the account index in the config directory. It holds no secret.
const IndexFile = "accounts.json"

const indexVersion = 1

type indexDoc struct {
	Version  int       `json:"version"`
	Accounts []Account `json:"accounts"`
}

// ValidName reports whether name can be an account name (it becomes part of
// a file name in the file backend and of the lock file's name).
func ValidName(name string) error {
	if !flow.IsName(name) {
		return ErrBadName
	}
	return nil
}

// index reads and writes accounts.json. Reads are lock-free (the file is
// replaced atomically); read-modify-write cycles hold an in-process mutex
// and a flock on locks/index.lock.
type index struct {
	path    string
	lockDir string

	mu sync.Mutex // serializes updates in this process

	cmu   sync.Mutex // guards the read cache
	cache []Account
	cst   os.FileInfo

	last   Account     // the last account getOne decoded alone (indexscan.go)
	lastSt os.FileInfo // of the file it came from
}

func (x *index) read() ([]Account, error) {
	st, err := os.Stat(x.path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading the account index: %w", err)
	}
	x.cmu.Lock()
	if x.cst != nil && os.SameFile(x.cst, st) && x.cst.ModTime().Equal(st.ModTime()) && x.cst.Size() == st.Size() {
		out := append([]Account(nil), x.cache...)
		x.cmu.Unlock()
		return out, nil
	}
	x.cmu.Unlock()

	f, err := os.Open(x.path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading the account index: %w", err)
	}
	defer f.Close()
	st, err = f.Stat()
	if err != nil {
		return nil, fmt.Errorf("reading the account index: %w", err)
	}
	data := make([]byte, 0, st.Size()+1)
	for {
		n, err := f.Read(data[len(data):cap(data)])
		data = data[:len(data)+n]
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("reading the account index: %w", err)
		}
		if len(data) == cap(data) {
			data = slices.Grow(data, 4096)
		}
	}
	doc, err := decodeIndex(data) // indexscan.go
	if err != nil {
		return nil, fmt.Errorf("the account index %s is damaged (%v); move it away to start over", x.path, err)
	}
	if doc.Version > indexVersion {
		return nil, fmt.Errorf("the account index %s was written by a newer tokenring (version %d)", x.path, doc.Version)
	}
	sort.Slice(doc.Accounts, func(i, j int) bool { return doc.Accounts[i].Name < doc.Accounts[j].Name })
	x.cmu.Lock()
	x.cache, x.cst = doc.Accounts, st
	x.cmu.Unlock()
	return append([]Account(nil), doc.Accounts...), nil
}

func (x *index) get(name string) (Account, error) {
	all, err := x.read()
	if err != nil {
		return Account{}, err
	}
	i := sort.Search(len(all), func(i int) bool { return all[i].Name >= name })
	if i < len(all) && all[i].Name == name {
		return all[i], nil
	}
	return Account{}, ErrNotFound
}

// update runs f on the current list under both locks and writes the result.
func (x *index) update(deadline lockDeadline, f func([]Account) ([]Account, error)) error {
	x.mu.Lock()
	defer x.mu.Unlock()
	l, err := lockFile(deadline, filepath.Join(x.lockDir, "index.lock"), "the account index")
	if err != nil {
		return err
	}
	defer l.unlock()
	all, err := x.read()
	if err != nil {
		return err
	}
	all, err = f(all)
	if err != nil {
		return err
	}
	sort.Slice(all, func(i, j int) bool { return all[i].Name < all[j].Name })
	// compact, and zero times left out (omitzero): a third smaller than
	// indented, and every process that reads it decodes it (issue 5)
	data, err := json.Marshal(indexDoc{Version: indexVersion, Accounts: all})
	if err != nil {
		return err
	}
	return writeAtomic(x.path, append(data, '\n'))
}

// writeAtomic writes data to path through a temp file in the same
// directory: write, fsync, rename, fsync the directory. Mode 0600.
func writeAtomic(path string, data []byte) error {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	name := tmp.Name()
	ok := false
	defer func() {
		if !ok {
			tmp.Close()
			os.Remove(name)
		}
	}()
	if err := tmp.Chmod(0o600); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if _, err := tmp.Write(data); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := os.Rename(name, path); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	ok = true
	return syncDir(dir)
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	_ = d.Sync() // some file systems (and Windows) cannot fsync a directory; the rename is done
	return nil
}

package accounts

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// The writing side of the account files (files.go reads them): every write
// goes through writeFile.

// exists says whether name has a file (damaged or not).
func (f *accountFiles) exists(name string) (bool, error) {
	_, err := os.Lstat(f.path(name))
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("reading the account file of %s: %w", name, err)
	}
	return true, nil
}

// WriteAccountFiles writes the files of accts into the config directory
// dir exactly as the Store writes them, but without its locks and fsyncs:
// for seeding a directory that no tokenring process uses yet (perf/seed,
// benchmarks). Existing files are replaced.
func WriteAccountFiles(dir string, accts []Account) error {
	f := newAccountFiles(filepath.Join(dir, AccountsDir))
	if err := os.MkdirAll(f.dir, 0o700); err != nil {
		return err
	}
	for _, a := range accts {
		if err := ValidName(a.Name); err != nil {
			return fmt.Errorf("%q: %w", a.Name, err)
		}
		data, err := encodeAccount(a)
		if err == nil {
			err = os.WriteFile(f.path(a.Name), data, 0o600)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func encodeAccount(a Account) ([]byte, error) {
	a.Damaged = nil
	data, err := json.MarshalIndent(accountFile{Version: fileVersion, Account: a}, "", "  ")
	return append(data, '\n'), err
}

// write replaces a's file. The caller holds a's lock.
func (f *accountFiles) write(a Account) error {
	data, err := encodeAccount(a)
	if err != nil {
		return err
	}
	defer f.forget(a.Name)
	return writeFile(f.path(a.Name), data, true)
}

// create writes a's file if it has none; errFileExists if it has. The
// caller holds a's lock; the check is also made by the file system (a hard
// link never replaces a file), so two writers cannot both create one name.
func (f *accountFiles) create(a Account) error {
	data, err := encodeAccount(a)
	if err != nil {
		return err
	}
	defer f.forget(a.Name)
	return writeFile(f.path(a.Name), data, false)
}

// remove deletes name's file (none: nil). The caller holds name's lock.
func (f *accountFiles) remove(name string) error {
	defer f.forget(name)
	if err := os.Remove(f.path(name)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("removing the account file of %s: %w", name, err)
	}
	return syncDir(f.dir)
}

// errFileExists: writeFile was asked not to replace a file that exists.
var errFileExists = errors.New("the file exists")

// writeFile writes data to path, mode 0600, through a temp file in the same
// directory (named .BASE.tmp-*, which no reader takes for an account):
// write, fsync, then rename it over path (replace), or, when path must not
// be replaced, hard-link it to path, which fails if path exists (and only
// where the file system has no hard links, check and rename); then fsync
// the directory. A crash leaves the old file or the new one, whole, and at
// worst a temp file.
func writeFile(path string, data []byte, replace bool) error {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	name := tmp.Name()
	defer os.Remove(name) // after a rename: nothing there; after a link: the second name
	if err := writeSync(tmp, data); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if replace {
		err = os.Rename(name, path)
	} else {
		err = publishNew(name, path)
	}
	if err != nil {
		if errors.Is(err, errFileExists) {
			return err
		}
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return syncDir(dir)
}

func writeSync(f *os.File, data []byte) error {
	err := f.Chmod(0o600)
	if err == nil {
		_, err = f.Write(data)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// publishNew gives the temp file tmp the name path unless path exists.
func publishNew(tmp, path string) error {
	err := os.Link(tmp, path)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, fs.ErrExist):
		return errFileExists
	}
	// No hard links here (some FUSE and network file systems): the
	// caller's lock is what keeps a second writer out.
	if _, serr := os.Lstat(path); serr == nil {
		return errFileExists
	} else if !errors.Is(serr, fs.ErrNotExist) {
		return err
	}
	return os.Rename(tmp, path)
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

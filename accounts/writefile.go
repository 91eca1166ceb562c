package accounts

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

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

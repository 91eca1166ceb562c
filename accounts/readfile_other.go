//go:build !unix

package accounts

import (
	"io"
	"os"
	"path/filepath"
	"time"
)

// fileKey identifies one version of a file for the cache (readfile_unix.go).
type fileKey struct {
	fi      os.FileInfo
	regular bool
}

func (k fileKey) same(o fileKey) bool {
	return k.fi != nil && o.fi != nil && os.SameFile(k.fi, o.fi) &&
		k.fi.ModTime().Equal(o.fi.ModTime()) && k.fi.Size() == o.fi.Size()
}

// modTime is the file's last change.
func (k fileKey) modTime() time.Time {
	if k.fi == nil {
		return time.Time{}
	}
	return k.fi.ModTime()
}

func statFile(dir *os.File, name string) (fileKey, error) {
	fi, err := os.Stat(join(dir, name))
	if err != nil {
		return fileKey{}, err
	}
	return fileKey{fi: fi, regular: fi.Mode().IsRegular()}, nil
}

// join is name in dir, or, dir nil, name (see readfile_unix.go's dirFD).
func join(dir *os.File, name string) string {
	if dir == nil {
		return name
	}
	return filepath.Join(dir.Name(), name)
}

// readSmallFile reads name, at most max+1 bytes (readfile_unix.go says why
// it has a Unix version).
func readSmallFile(dir *os.File, name string, max int64, _ []byte) ([]byte, fileKey, error) {
	f, err := os.Open(join(dir, name))
	if err != nil {
		return nil, fileKey{}, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fileKey{}, err
	}
	k := fileKey{fi: fi, regular: fi.Mode().IsRegular()}
	if !k.regular {
		return nil, k, nil
	}
	data, err := io.ReadAll(io.LimitReader(f, max+1))
	return data, k, err
}

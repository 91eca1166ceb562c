package accounts

// Disk space for writes that must not fail later.
//
// A refresh spends the old refresh token (the provider rotates it) and a
// link spends a single-use code: when storing the new tokens then fails for
// want of disk space, the account is lost (seen with the config directory
// on a full 64 KB tmpfs). So before the request goes out the store writes
// and fsyncs a placeholder as large as the writes that will follow, in the
// keyring's directory, and removes it right before those writes: the space
// they need is free at that moment, whatever filled the disk meanwhile.
// Only the file keyring lives on this disk; other backends keep secrets
// elsewhere (the account's small metadata file can always be rebuilt from
// the keyring item, see doRefresh).

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// reservation is a placeholder file holding disk space.
type reservation struct{ path string }

// reserveSlack covers the account's metadata file (written through a temp
// file too: up to 2 × ~1 KB) and the directory entries.
const reserveSlack = 8 << 10

// reserve writes and syncs a placeholder of size bytes (plus slack). A full
// disk is an error now, before anything is spent.
func (s *Store) reserve(size int64) (*reservation, error) {
	if !s.file {
		return nil, nil
	}
	if err := os.MkdirAll(s.fileDir, 0o700); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrKeyring, err)
	}
	path := filepath.Join(s.fileDir, tempName("reserve"))
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, fmt.Errorf("%w: cannot prepare the keyring for new tokens: %v", ErrNoSpace, err)
	}
	total := size + reserveSlack
	buf := make([]byte, min(total, 64<<10))
	for left := total; left > 0 && err == nil; left -= int64(len(buf)) {
		_, err = f.Write(buf[:min(int64(len(buf)), left)])
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
		return nil, fmt.Errorf("%w: %s needs %d KB free to store new tokens safely (%v); nothing was sent to the provider",
			ErrNoSpace, s.fileDir, (total+1023)/1024, errors.Unwrap(err))
	}
	return &reservation{path: path}, nil
}

// release frees the space for the writes that follow (nil-safe).
func (r *reservation) release() {
	if r != nil {
		os.Remove(r.path)
	}
}

// ErrNoSpace: the keyring's disk cannot take the new tokens; nothing was
// spent. It is a keyring error (errors.Is ErrKeyring).
var ErrNoSpace = fmt.Errorf("%w: no space to store new tokens", ErrKeyring)

// itemSize is the stored size of an account's keyring item (what its next
// version will roughly need), or a generous guess for a new one.
func (s *Store) itemSize(name string) int64 {
	if fi, err := os.Stat(filepath.Join(s.fileDir, itemKey(name))); err == nil {
		return 2 * fi.Size() // the new version is written beside the old one, then renamed
	}
	return newItemSize
}

// newItemSize is what a new account's keyring item may need: three JWTs,
// a client secret and an API key fit well within it.
const newItemSize = 16 << 10

// reserveForAdd holds the space of the next Add (Writable calls it before a
// code is spent); Add releases it right before writing.
func (s *Store) reserveForAdd() error {
	s.lmu.Lock()
	defer s.lmu.Unlock()
	if s.linkRes != nil {
		return nil
	}
	r, err := s.reserve(newItemSize)
	if err != nil {
		return err
	}
	s.linkRes = r
	return nil
}

func (s *Store) releaseAdd() {
	s.lmu.Lock()
	s.linkRes.release()
	s.linkRes = nil
	s.lmu.Unlock()
}

// tempName names a temp file in the keyring directory after the writing
// process, so that cleanTemp can tell a dead writer's leftovers (removed at
// the next start) from a live one's (kept).
func tempName(what string) string {
	var rnd [6]byte
	_, _ = rand.Read(rnd[:])
	return tmpPrefix + strconv.Itoa(os.Getpid()) + "." + what + "." + hex.EncodeToString(rnd[:])
}

// cleanTemp removes temp items and reservations left by killed processes:
// those whose writer is no longer running, and any older than an hour
// (names without a process id, from older versions).
func (s *Store) cleanTemp() {
	ents, _ := os.ReadDir(s.fileDir)
	for _, e := range ents {
		n := e.Name()
		if !strings.HasPrefix(n, tmpPrefix) {
			continue
		}
		pid, err := strconv.Atoi(strings.SplitN(strings.TrimPrefix(n, tmpPrefix), ".", 2)[0])
		dead := err == nil && pid > 0 && !processAlive(pid)
		old := false
		if fi, err := e.Info(); err == nil && time.Since(fi.ModTime()) > time.Hour {
			old = true
		}
		if dead || old {
			os.Remove(filepath.Join(s.fileDir, n))
		}
	}
}

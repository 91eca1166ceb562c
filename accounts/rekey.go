package accounts

// Changing the file keyring's passphrase (tokenring passwd): every item is
// re-encrypted with the key derived from the new passphrase (new salt, and
// the Argon2id costs of today) into a new directory, keyring.new, beside
// the keyring; once it is complete and on disk, it takes the keyring's
// place in one step: renameat2(RENAME_EXCHANGE) on Linux, which swaps the
// two directories atomically (keyring.new then holds the old items and is
// deleted); elsewhere keyring → keyring.old, keyring.new → keyring. A
// process killed at any point leaves either the old keyring whole (the old
// passphrase opens everything) or the new one whole (the new passphrase
// does), plus a directory that recoverRekey, run by the next tokenring
// that opens the store, deletes or moves into place:
//
//	keyring.new and keyring.old (no keyring, or an empty one a reader made):
//	    the new keyring was complete: it becomes keyring; keyring.old goes
//	keyring.new alone: an unfinished build, or (Linux) the old keyring
//	    after the exchange: it goes
//	keyring.old alone: the swap was done: it goes
//
// While it works, the change holds every account's lock (no refresh is
// between reading its item and writing the new one) and the swap lock
// exclusively (every item write holds it shared, and checks afterwards that
// its key is still the keyring's: fileunlock.go's keyCurrent).

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/99designs/keyring"
)

// ChangePassphrase re-encrypts every item of the file keyring with a key
// derived from newPass, once oldPass is verified (ErrBadPassphrase,
// ErrEmptyPass otherwise). On success the store keeps the new key. Items
// the old passphrase does not open (written under another passphrase) are
// carried over unchanged and named in the returned *RekeyWarning, which is
// not a failure: everything else was changed.
func (s *Store) ChangePassphrase(ctx context.Context, oldPass, newPass string) error {
	if !s.file {
		return fmt.Errorf("%w: the %s keyring has no passphrase of tokenring's; only the file keyring has one", ErrKeyring, s.info.Name)
	}
	if oldPass == "" || newPass == "" {
		return ErrEmptyPass
	}
	oldPw, newPw := []byte(oldPass), []byte(newPass)
	defer clear(oldPw)
	defer clear(newPw)
	s.umu.Lock()
	defer s.umu.Unlock()
	if s.fileIsNew() {
		return fmt.Errorf("%w: the keyring holds nothing yet; its first passphrase is chosen when the first account is linked", ErrLocked)
	}
	if err := s.unlockBytes(ctx, oldPw); err != nil {
		return err
	}
	oldKey := s.key()

	release, err := s.lockEveryAccount(ctx)
	if err != nil {
		return err
	}
	defer release()
	swap, err := s.lockSwap(ctx, true)
	if err != nil {
		return err
	}
	defer swap.unlock()
	if err := s.keyCurrent(oldKey); err != nil {
		return err // another passwd won the race
	}
	s.recoverLocked() // what a killed change left (the swap lock is ours)

	d, err := newKDFDoc(s.kdfParams())
	if err != nil {
		return fmt.Errorf("%w: %v", ErrKeyring, err)
	}
	box := deriveKey(newPw, d)
	newDir, oldDir := s.fileDir+".new", s.fileDir+".old"
	kept, err := s.buildKeyring(newDir, oldKey, oldPw, box.String(), d)
	if err != nil {
		box.wipe()
		os.RemoveAll(newDir)
		return err
	}
	if rekeyHook != nil {
		rekeyHook("built")
	}
	if err := swapDirs(newDir, s.fileDir, oldDir); err != nil {
		box.wipe()
		return fmt.Errorf("%w: replacing %s: %v", ErrKeyring, s.fileDir, err)
	}
	s.forgetKey(oldKey)
	s.setKey(box)
	if len(kept) > 0 {
		return &RekeyWarning{Items: kept}
	}
	return nil
}

// RekeyWarning names the items ChangePassphrase carried over unchanged.
type RekeyWarning struct{ Items []string }

func (w *RekeyWarning) Error() string {
	return "the passphrase was changed, but these keyring items did not open with the old passphrase and were kept as they were (they open with whatever passphrase wrote them, or are damaged): " +
		strings.Join(w.Items, ", ")
}

// rekeyHook, when set (tests), hears the steps of ChangePassphrase.
var rekeyHook func(step string)

// buildKeyring writes into dir (created afresh) every item of the keyring
// re-encrypted with newKey, kdf.json for d, and every other file as it is,
// each synced to disk; it returns the items it could not re-encrypt.
func (s *Store) buildKeyring(dir, oldKey string, oldPw []byte, newKey string, d kdfDoc) (kept []string, err error) {
	if err := os.RemoveAll(dir); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrKeyring, err)
	}
	if err := os.Mkdir(dir, 0o700); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrKeyring, err)
	}
	ents, err := os.ReadDir(s.fileDir)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w: %v", ErrKeyring, err)
	}
	ring := s.fileRingAt(dir, newKey)
	for _, e := range ents {
		name := e.Name()
		switch {
		case name == KDFFile, strings.HasPrefix(name, tmpPrefix), strings.HasPrefix(name, "."+KDFFile+".tmp-"), !e.Type().IsRegular():
			continue
		case !strings.HasPrefix(name, "tokenring."):
			if err := copyFile(filepath.Join(s.fileDir, name), filepath.Join(dir, name)); err != nil {
				return nil, err
			}
			continue
		}
		data, err := s.fileGet(oldKey, name)
		if kid, _ := itemKid(filepath.Join(s.fileDir, name)); err != nil && kid == "" {
			data, err = s.fileGet(string(oldPw), name) // an older tokenring's, written since the unlock
		}
		if err != nil {
			if errors.Is(err, ErrBadPassphrase) || errors.Is(err, ErrLocked) || errors.Is(err, ErrKeyring) {
				kept = append(kept, name)
				if err := copyFile(filepath.Join(s.fileDir, name), filepath.Join(dir, name)); err != nil {
					return nil, err
				}
				continue
			}
			return nil, err
		}
		if err := ring.Set(keyring.Item{Key: name, Data: data, Label: name}); err != nil {
			return nil, fmt.Errorf("%w: writing %s: %v", ErrKeyring, name, err)
		}
		if err := syncFile(filepath.Join(dir, name)); err != nil {
			return nil, err
		}
		clear(data)
	}
	if err := writeKDF(dir, d, false); err != nil {
		return nil, fmt.Errorf("%w: writing %s: %v", ErrKeyring, KDFFile, err)
	}
	return kept, syncDir(dir)
}

func syncFile(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrKeyring, err)
	}
	defer f.Close()
	if err := f.Sync(); err != nil {
		return fmt.Errorf("%w: %v", ErrKeyring, err)
	}
	return nil
}

func copyFile(src, dst string) error {
	data, err := os.ReadFile(src)
	if err == nil {
		err = os.WriteFile(dst, data, 0o600)
	}
	if err == nil {
		return syncFile(dst)
	}
	return fmt.Errorf("%w: %v", ErrKeyring, err)
}

// swapDirs puts the complete directory newDir in cur's place: an atomic
// exchange where the OS has one, else cur → oldDir, newDir → cur. The old
// keyring is deleted afterwards.
func swapDirs(newDir, cur, oldDir string) error {
	parent := filepath.Dir(cur)
	if err := exchangeDirs(newDir, cur); err == nil {
		if rekeyHook != nil {
			rekeyHook("exchanged")
		}
		syncDir(parent)
		os.RemoveAll(newDir) // now the old keyring
		return syncDir(parent)
	}
	if err := os.Rename(cur, oldDir); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	if rekeyHook != nil {
		rekeyHook("moved aside")
	}
	if err := os.Rename(newDir, cur); err != nil {
		return err
	}
	syncDir(parent)
	os.RemoveAll(oldDir)
	return syncDir(parent)
}

// recoverRekey finishes or undoes a passphrase change a killed process
// left (see the top of this file). It does nothing while another process
// holds the swap lock (a change is running), and costs two lstat calls
// when there is nothing to do.
func (s *Store) recoverRekey() {
	newDir, oldDir := s.fileDir+".new", s.fileDir+".old"
	_, errN := os.Lstat(newDir)
	_, errO := os.Lstat(oldDir)
	hasNew, hasOld := errN == nil, errO == nil
	if !hasNew && !hasOld {
		return
	}
	f, err := os.OpenFile(filepath.Join(s.lockDir, "keyring-swap.lock"), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return
	}
	defer f.Close()
	if ok, err := tryLockFD(f); err != nil || !ok {
		return // a change is running (or this process holds the lock: ChangePassphrase)
	}
	defer unlockFD(f)
	s.recoverLocked()
}

// recoverLocked is recoverRekey for a caller that holds the swap lock.
func (s *Store) recoverLocked() {
	newDir, oldDir := s.fileDir+".new", s.fileDir+".old"
	_, errN := os.Lstat(newDir)
	_, errO := os.Lstat(oldDir)
	hasNew, hasOld := errN == nil, errO == nil
	parent := filepath.Dir(s.fileDir)
	switch {
	case hasNew && hasOld:
		if ents, err := os.ReadDir(s.fileDir); err == nil && len(ents) == 0 {
			os.Remove(s.fileDir) // made by a reader in between (keyring creates its directory)
		}
		if err := os.Rename(newDir, s.fileDir); err != nil {
			return
		}
		syncDir(parent)
		os.RemoveAll(oldDir)
	case hasNew:
		os.RemoveAll(newDir)
	case hasOld:
		if _, err := os.Lstat(s.fileDir); err != nil {
			return // no keyring beside it: leave it for a person to look at
		}
		os.RemoveAll(oldDir)
	default:
		return
	}
	syncDir(parent)
}

// lockEveryAccount takes the lock of every account that has a file or a
// keyring item, in name order; release gives them back.
func (s *Store) lockEveryAccount(ctx context.Context) (release func(), err error) {
	names := map[string]bool{}
	if accts, err := s.Accounts(); err == nil {
		for _, a := range accts {
			names[a.Name] = true
		}
	}
	keys, err := s.fileKeys()
	if err != nil {
		return nil, err
	}
	for _, k := range keys {
		if n, ok := strings.CutPrefix(k, keyPrefix); ok {
			names[n] = true
		}
	}
	var sorted []string
	for n := range names {
		if ValidName(n) == nil {
			sorted = append(sorted, n)
		}
	}
	slices.Sort(sorted)
	var held []*fileLock
	release = func() {
		for i := len(held) - 1; i >= 0; i-- {
			held[i].unlock()
		}
	}
	for _, n := range sorted {
		l, err := lockFile(s.deadline(ctx), s.lockPath(n), n)
		if err != nil {
			release()
			return nil, err
		}
		held = append(held, l)
	}
	return release, nil
}

package accounts

// Unlocking the file keyring with an Argon2id-derived key (kdf.go): the
// store's key, checking a passphrase against the keyring, converting the
// items of an older tokenring, and the swap lock that a passphrase change
// holds exclusively (rekey.go) and every item write holds shared.

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/99designs/keyring"
)

// key is the store's verified key ("" when locked).
func (s *Store) key() string {
	s.pmu.Lock()
	defer s.pmu.Unlock()
	return s.pass
}

// keyState is the store's key and whether it still needs the conversion
// an unlock does (Store.unconverted).
func (s *Store) keyState() (string, bool) {
	s.pmu.Lock()
	defer s.pmu.Unlock()
	return s.pass, s.unconverted
}

// setKey makes box's key the store's, verified by an unlock; Close
// overwrites it.
func (s *Store) setKey(box *keyBox) { s.setKeyFrom(box, false) }

// setKeyFrom is setKey; unconverted says the key was proven by one item
// only (readWithEnvPass).
func (s *Store) setKeyFrom(box *keyBox, unconverted bool) {
	s.pmu.Lock()
	defer s.pmu.Unlock()
	s.boxes = append(s.boxes, box)
	if unconverted && s.pass != "" {
		return // an unlock verified a key meanwhile: it stays (and needs no conversion)
	}
	s.pass = box.String()
	s.unconverted = unconverted
}

// forgetKey drops pass when it is still the store's key (it no longer opens
// the keyring). Its box is overwritten by Close, not now: another goroutine
// may still be using it.
func (s *Store) forgetKey(pass string) {
	s.pmu.Lock()
	if s.pass == pass {
		forgetKEKs(s.pass)
		s.pass = ""
	}
	s.pmu.Unlock()
}

// pickCheck picks the item a passphrase is checked against: the check item,
// else the first account item.
func pickCheck(keys []string) string {
	check := ""
	for _, k := range keys {
		if k == checkKey {
			return k
		}
		if check == "" && strings.HasPrefix(k, keyPrefix) {
			check = k
		}
	}
	return check
}

// openWith checks pw against the item check and returns the key derived
// from it. A check item of an older tokenring (no kid) is opened with the
// passphrase itself; the keyring then gets its kdf.json (ensureKDF), unless
// haveKeyringLock says the caller holds locks/keyring.lock already and the
// keyring must have one.
func (s *Store) openWith(ctx context.Context, pw []byte, check string, haveKeyringLock bool) (*keyBox, error) {
	d, ok, err := readKDF(s.fileDir)
	if err != nil {
		return nil, err
	}
	kid, _ := itemKid(filepath.Join(s.fileDir, check))
	if kid == "" {
		if _, err := s.fileGet(string(pw), check); err != nil {
			return nil, err
		}
		if !ok {
			if haveKeyringLock {
				return nil, fmt.Errorf("%w: the keyring was created by an older tokenring a moment ago; try again", ErrKeyring)
			}
			if d, err = s.ensureKDF(ctx); err != nil {
				return nil, err
			}
		}
		return deriveKey(pw, d), nil
	}
	if !ok {
		return nil, fmt.Errorf("%w: %s is missing from %s, and its items cannot be opened without it (restore it from a backup of that directory)", ErrKeyring, KDFFile, s.fileDir)
	}
	box := deriveKey(pw, d)
	if _, err := s.fileGet(box.String(), check); err != nil {
		box.wipe()
		return nil, err
	}
	return box, nil
}

// ensureKDF gives an older tokenring's keyring its kdf.json (new
// parameters and salt), unless another process did so first; it returns
// the keyring's.
func (s *Store) ensureKDF(ctx context.Context) (kdfDoc, error) {
	l, err := lockFile(s.deadline(ctx), filepath.Join(s.lockDir, "keyring.lock"), "the keyring")
	if err != nil {
		return kdfDoc{}, err
	}
	defer l.unlock()
	d, ok, err := readKDF(s.fileDir)
	if err != nil || ok {
		return d, err
	}
	if d, err = newKDFDoc(s.kdfParams()); err != nil {
		return kdfDoc{}, fmt.Errorf("%w: %v", ErrKeyring, err)
	}
	if err := writeKDF(s.fileDir, d, false); err != nil {
		return kdfDoc{}, fmt.Errorf("%w: writing %s: %v", ErrKeyring, KDFFile, err)
	}
	return d, nil
}

// convertItems re-encrypts with key every item an older tokenring wrote
// with the passphrase itself (pw): each under its account's lock, each
// atomically (fileSet), so an interrupted conversion goes on at the next
// unlock. An item that pw does not open is left as it is.
func (s *Store) convertItems(ctx context.Context, pw []byte, key string) error {
	keys, err := s.fileKeys()
	if err != nil {
		return err
	}
	var first error
	for _, k := range keys {
		if kid, ok := itemKid(filepath.Join(s.fileDir, k)); !ok || kid != "" {
			continue
		}
		if err := s.convertItem(ctx, pw, key, k); err != nil && first == nil {
			first = fmt.Errorf("converting the keyring item %s to the Argon2id key: %w", k, err)
		}
	}
	return first
}

func (s *Store) convertItem(ctx context.Context, pw []byte, key, item string) error {
	lock := filepath.Join(s.lockDir, "keyring.lock")
	if name, ok := strings.CutPrefix(item, keyPrefix); ok {
		if ValidName(name) != nil {
			return nil
		}
		lock = s.lockPath(name)
	}
	l, err := lockFile(s.deadline(ctx), lock, item)
	if err != nil {
		return err
	}
	defer l.unlock()
	if kid, ok := itemKid(filepath.Join(s.fileDir, item)); !ok || kid != "" {
		return nil // converted (or removed) meanwhile
	}
	data, err := s.fileGet(string(pw), item)
	if errors.Is(err, ErrBadPassphrase) || errors.Is(err, keyring.ErrKeyNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	return s.fileSet(key, item, data)
}

// keyCurrent says whether pass is the key of the keyring's kdf.json (the
// caller holds the swap lock): a store whose key a passphrase change
// replaced must not write with it (its items could not be read with the
// new one).
func (s *Store) keyCurrent(pass string) error {
	mine := keyKid(pass)
	d, ok, err := readKDF(s.fileDir)
	switch {
	case err != nil:
		return err
	case mine == "" && ok:
		return fmt.Errorf("%w: the keyring was converted to an Argon2id-derived key; unlock it again", ErrLocked)
	case mine == "":
		return nil
	case !ok:
		return fmt.Errorf("%w: %s is missing from %s; nothing is written without it", ErrKeyring, KDFFile, s.fileDir)
	case d.kid() != mine:
		s.forgetKey(pass)
		return errPassphraseChanged
	}
	return nil
}

var errPassphraseChanged = fmt.Errorf("%w: the keyring's passphrase was changed ('tokenring passwd') since it was unlocked here; unlock it again", ErrLocked)

// fileKeyMismatch explains why pass does not open the item key, when the
// item says: it was written by an older tokenring with the passphrase
// itself (unlocking converts it), or the keyring's passphrase was changed
// since pass was derived. nil: pass is just the wrong key.
func (s *Store) fileKeyMismatch(pass, key string) error {
	itemK, ok := itemKid(filepath.Join(s.fileDir, key))
	mine := keyKid(pass)
	switch {
	case !ok || itemK == mine || mine == "":
		return nil
	case itemK == "":
		return fmt.Errorf("%w: the keyring item %s was written by an older tokenring, with the passphrase itself as its key; unlock the keyring with its passphrase to convert it", ErrLocked, key)
	}
	if d, ok, _ := readKDF(s.fileDir); ok && d.kid() != mine {
		s.forgetKey(pass)
		return errPassphraseChanged
	}
	return nil
}

// lockSwap takes locks/keyring-swap.lock: shared by every item write,
// exclusive while a passphrase change replaces the keyring directory.
func (s *Store) lockSwap(ctx context.Context, exclusive bool) (*fileLock, error) {
	path := filepath.Join(s.lockDir, "keyring-swap.lock")
	if exclusive {
		return lockFile(s.deadline(ctx), path, "the keyring")
	}
	return lockShared(s.deadline(ctx), path, "the keyring")
}

// UnlockBytes is Unlock with the passphrase as bytes, which the caller can
// overwrite afterwards (the unlock agent does; a string cannot be).
func (s *Store) UnlockBytes(ctx context.Context, passphrase []byte) error {
	if !s.file {
		return nil
	}
	s.umu.Lock()
	defer s.umu.Unlock()
	return s.unlockBytes(ctx, passphrase)
}

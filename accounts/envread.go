package accounts

import (
	"context"
	"path/filepath"
)

// readWithEnvPass reads a file keyring item with Config.EnvPassphrase when
// no key has been verified in this process yet, without checking it
// against the check item first: the item's own PBES2 key wrap tells a wrong
// key (AES key wrap has an integrity check), so the check would only cost a
// second PBKDF2 (8,192 rounds, ~1.3 ms) on every `tokenring token NAME`
// (issue 5). Since issue 10 the key is derived from the passphrase with
// Argon2id (kdf.go): that derivation (~0.4 s) is paid here on every such
// call, by design: it is what a guess costs an attacker too. The unlock
// agent pays it once per unlock. The derived key, proven by the item it
// opened, is kept for the rest of the process (a refresh that follows
// writes with it). On any failure, and for a keyring or an item of an
// older tokenring (which the usual path converts), ok is false and the
// caller takes the usual path, which gives the usual errors.
func (s *Store) readWithEnvPass(ctx context.Context, key string) (data []byte, ok bool) {
	if s.key() != "" {
		return nil, false
	}
	p := s.cfg.EnvPassphrase
	if p == "" {
		return nil, false
	}
	d, found, err := readKDF(s.fileDir)
	if err != nil || !found {
		return nil, false
	}
	if kid, isJWE := itemKid(filepath.Join(s.fileDir, key)); !isJWE || kid != d.kid() {
		return nil, false
	}
	pw := []byte(p)
	box := deriveKey(pw, d)
	clear(pw)
	err = s.call(ctx, "reading "+key, func() (e error) { data, e = s.fileGet(box.String(), key); return })
	if err != nil {
		box.wipe()
		return nil, false
	}
	s.setKeyFrom(box, true) // the next use of the key through passphrase converts what an older tokenring left
	return data, true
}

package accounts

import "context"

// readWithEnvPass reads a file keyring item with Config.EnvPassphrase when
// no passphrase has been verified in this process yet, without checking the
// passphrase against the check item first: the item's own PBES2 key wrap
// tells a wrong passphrase (AES key wrap has an integrity check), so the
// check would only cost a second PBKDF2 (8,192 rounds, ~1.3 ms) on every
// `tokenring token NAME` (issue 5). The passphrase is not kept: whatever
// else the process does (a refresh that writes) verifies it as before. On
// any failure ok is false and the caller takes the usual path, which gives
// the usual errors.
func (s *Store) readWithEnvPass(ctx context.Context, key string) (data []byte, ok bool) {
	s.pmu.Lock()
	known := s.pass != ""
	s.pmu.Unlock()
	if known {
		return nil, false
	}
	p := s.cfg.EnvPassphrase
	if p == "" {
		return nil, false
	}
	err := s.call(ctx, "reading "+key, func() (e error) { data, e = s.fileGet(p, key); return })
	return data, err == nil
}

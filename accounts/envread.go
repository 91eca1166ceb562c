package accounts

import "context"

// readWithEnvPass reads a file keyring item with TOKENRING_PASSPHRASE when
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
	p := s.getenv(EnvPassphrase)
	if p == "" {
		return nil, false
	}
	err := s.call(ctx, "reading "+key, func() (e error) { data, e = s.fileGet(p, key); return })
	return data, err == nil
}

// isName matches ^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$ (account and provider
// names). A regexp with {0,63} costs ~0.15 ms to compile at start-up, in
// every process, which `tokenring token` cannot afford three times over.
func isName(s string) bool {
	if len(s) == 0 || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case i > 0 && (c == '.' || c == '_' || c == '-'):
		default:
			return false
		}
	}
	return true
}

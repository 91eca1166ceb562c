package flow

// IsName reports whether s can name an account or a provider (it becomes
// part of file names): it matches ^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$. Not a
// regexp: compiling {0,63} costs ~0.15 ms at start-up, in every process,
// which `tokenring token` cannot afford.
func IsName(s string) bool {
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

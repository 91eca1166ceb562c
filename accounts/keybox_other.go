//go:build !linux

package accounts

// newKeyBox allocates a box on the Go heap (which never moves objects, so
// wiping it reaches the string handed out).
func newKeyBox(n int) *keyBox { return &keyBox{b: make([]byte, n)} }

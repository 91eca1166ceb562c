package accounts

import "unsafe"

// keyBox holds one derived key: the only long-lived copy a Store keeps.
// The key is handed to keyring as a string that points into the box
// (String, no copy), so overwriting the box on Close forgets it everywhere
// the store's own references reach. On Linux the box lives outside the Go
// heap, in a page locked in memory (never swapped) and left out of core
// dumps (keybox_linux.go).
//
// Strings are immutable to Go: the box may be overwritten only once nothing
// uses the string any more. Close does it after the store's last use (the
// unlock agent holds a lock across every operation and Close); a keyring
// call left running past its deadline that reads the key afterwards sees
// NUL bytes, which the file backend's password function turns into
// ErrLocked rather than encrypting anything with them.
type keyBox struct{ b []byte }

func (k *keyBox) String() string {
	if k == nil || len(k.b) == 0 {
		return ""
	}
	return unsafe.String(&k.b[0], len(k.b))
}

// wipe overwrites the key.
func (k *keyBox) wipe() {
	if k != nil {
		clear(k.b)
	}
}

// wiped reports whether key is a key box's string after wipe (or no key).
func wiped(key string) bool { return key == "" || key[0] == 0 }

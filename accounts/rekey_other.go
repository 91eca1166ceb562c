//go:build !linux

package accounts

import "errors"

// exchangeDirs: no atomic exchange here; swapDirs renames twice.
func exchangeDirs(a, b string) error { return errors.New("no atomic exchange of directories") }

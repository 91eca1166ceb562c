//go:build !unix

package accounts

import "errors"

func mkfifo(string) error { return errors.ErrUnsupported }

//go:build windows

package config

import (
	"io/fs"
	"os"
)

// Windows has no FIFOs to block on and no Unix modes: ACLs decide who may
// write, and the user's profile directory is private by default.
func openNonBlocking(path string) (*os.File, error) { return os.Open(path) }

func ownerOf(fs.FileInfo) (int, bool) { return 0, false }

func groupOrWorldWritable(fs.FileMode) bool { return false }

//go:build windows

package agentfast

import (
	"os"
	"path/filepath"
)

// On Windows there is no agent and no fast path: path/filepath as it is.

func isAbs(p string) bool     { return filepath.IsAbs(p) }
func join(a, b string) string { return filepath.Join(a, b) }
func tempDir() string         { return os.TempDir() }

// Abs is filepath.Abs.
func Abs(p string) (string, error) { return filepath.Abs(p) }

// Clean is filepath.Clean.
func Clean(p string) string { return filepath.Clean(p) }

func userRuntimeDir(int) string { return "" }

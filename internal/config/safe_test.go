//go:build !windows

package config

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// loadWithin fails the test instead of hanging when Load blocks.
func loadWithin(t *testing.T, dir string) error {
	t.Helper()
	done := make(chan error, 1)
	go func() { _, err := Load(dir); done <- err }()
	select {
	case err := <-done:
		return err
	case <-time.After(5 * time.Second):
		t.Fatal("Load blocked for 5 s")
		return nil
	}
}

func TestLoadRefusesAFIFO(t *testing.T) {
	dir := t.TempDir()
	if err := syscall.Mkfifo(filepath.Join(dir, FileName), 0o600); err != nil {
		t.Skip("no FIFOs here:", err)
	}
	if err := loadWithin(t, dir); !errors.Is(err, ErrFile) || !strings.Contains(err.Error(), "not a regular file") {
		t.Fatalf("FIFO: %v", err)
	}
}

func TestLoadRefusesHugeAndDeep(t *testing.T) {
	dir := t.TempDir()
	// 10,000 nested inline tables: the TOML parser took 83 s and 4.3 GB.
	deep := "[providers.x]\nheaders = " + strings.Repeat("{a=", 10000) + "1" + strings.Repeat("}", 10000) + "\n"
	os.WriteFile(filepath.Join(dir, FileName), []byte(deep), 0o600)
	if err := loadWithin(t, dir); !errors.Is(err, ErrFile) || !strings.Contains(err.Error(), "nest 10000 deep") {
		t.Fatalf("deep: %v", err)
	}
	// the limit itself: one level over it is refused, at it the parser runs
	over := "a = " + strings.Repeat("[", MaxNesting+1) + strings.Repeat("]", MaxNesting+1) + "\n"
	os.WriteFile(filepath.Join(dir, FileName), []byte(over), 0o600)
	if err := loadWithin(t, dir); !errors.Is(err, ErrFile) || !strings.Contains(err.Error(), fmt.Sprintf("nest %d deep", MaxNesting+1)) {
		t.Fatalf("%d levels: %v", MaxNesting+1, err)
	}
	at := "a = " + strings.Repeat("[", MaxNesting) + strings.Repeat("]", MaxNesting) + "\n"
	os.WriteFile(filepath.Join(dir, FileName), []byte(at), 0o600)
	if err := loadWithin(t, dir); err != nil && strings.Contains(err.Error(), "deep") {
		t.Fatalf("%d levels refused: %v", MaxNesting, err)
	}
	huge := "# " + strings.Repeat("x", MaxFileSize) + "\n"
	os.WriteFile(filepath.Join(dir, FileName), []byte(huge), 0o600)
	if err := loadWithin(t, dir); !errors.Is(err, ErrFile) || !strings.Contains(err.Error(), "at most") {
		t.Fatalf("huge: %v", err)
	}
}

func TestNestingIgnoresStringsAndComments(t *testing.T) {
	for text, want := range map[string]int{
		"":                              0,
		"[keyring]\nbackend = \"file\"": 1,
		"[[a]]":                         2,
		"a = [[1], [2]]":                2,
		"a = { b = { c = 1 } }":         2,
		"a = \"[[[[{{{{\"":              0,
		"a = '[[[[\\' # not a comment":  0,
		"# [[[[[[\na = 1":               0,
		"a = \"\"\"\n[[[[\n\"\"\"\n[b]": 1,
		"a = '''\n{{{{'''":              0,
		"a = \"x\\\"[[\"":               0,
	} {
		if got := nesting(text); got != want {
			t.Errorf("nesting(%q) = %d, want %d", text, got, want)
		}
	}
}

// A config directory or file others can change is refused, as ssh refuses
// a ~/.ssh/config others can write: they could point token_url elsewhere.
func TestLoadRefusesWhatOthersCanChange(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, FileName)
	os.WriteFile(path, []byte("[keyring]\nbackend = \"file\"\n"), 0o600)
	if err := loadWithin(t, dir); err != nil {
		t.Fatalf("private: %v", err)
	}
	os.Chmod(dir, 0o777)
	if err := loadWithin(t, dir); !errors.Is(err, ErrUnsafe) || !strings.Contains(err.Error(), "chmod go-w "+dir) {
		t.Fatalf("world-writable dir: %v", err)
	}
	os.Chmod(dir, 0o700)
	os.Chmod(path, 0o620)
	if err := loadWithin(t, dir); !errors.Is(err, ErrUnsafe) || !strings.Contains(err.Error(), "config file") {
		t.Fatalf("group-writable file: %v", err)
	}
	os.Chmod(path, 0o600)
	if os.Geteuid() != 0 {
		t.Skip("changing a file's owner needs root (CI runs as root)")
	}
	if err := os.Chown(path, 65534, 65534); err != nil {
		t.Fatal(err)
	}
	if err := loadWithin(t, dir); !errors.Is(err, ErrUnsafe) || !strings.Contains(err.Error(), "another user (uid 65534)") {
		t.Fatalf("file of another user: %v", err)
	}
}

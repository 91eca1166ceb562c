package accounts

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The accounts directory's own stat is list's change signal: a write by
// rename (what tokenring does) is seen at the next listing; while the
// directory is unchanged the listing comes from the cache, so a file
// changed in place is not seen until the directory changes (the cost, see
// accountFiles.list); a directory that changed within racyDir of the last
// listing is never trusted.
func TestListTrustsTheDirectoryStat(t *testing.T) {
	old := racyDir
	racyDir = 0
	defer func() { racyDir = old }()
	dir := t.TempDir()
	now := time.Now()
	all := []Account{{Name: "a", LinkedAt: now}, {Name: "b", LinkedAt: now}}
	if err := WriteAccountFiles(dir, all); err != nil {
		t.Fatal(err)
	}
	f := newAccountFiles(filepath.Join(dir, AccountsDir))
	got, err := f.list()
	if err != nil || len(got) != 2 {
		t.Fatalf("list: %v %v", got, err)
	}
	// in place: same inode, the directory untouched
	path := f.path("b")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	changed := []byte(strings.Replace(string(data), `"name": "b"`, `"name": "b", "last_error": "in place"`, 1))
	if string(changed) == string(data) {
		t.Fatalf("test: no name field in %s", data)
	}
	if err := os.WriteFile(path, changed, 0o600); err != nil {
		t.Fatal(err)
	}
	if got, _ := f.list(); got[1].LastError != "" {
		t.Fatal("a file changed in place was read although the directory did not change")
	}
	// a rename into the directory (how tokenring writes) is seen
	tmp := filepath.Join(filepath.Dir(path), ".tmp-c")
	if err := os.WriteFile(tmp, []byte(strings.Replace(string(changed), `"name": "b"`, `"name": "c"`, 1)), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, f.path("c")); err != nil {
		t.Fatal(err)
	}
	got, _ = f.list()
	if len(got) != 3 || got[1].LastError != "in place" || got[2].Name != "c" {
		t.Fatalf("after a rename into the directory: %+v", got)
	}
	// racy: a directory changed less than racyDir before the listing is read again
	racyDir = time.Hour
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	if got, _ := f.list(); got[1].LastError != "" {
		t.Fatal("a directory changed just before the last listing was trusted")
	}
}

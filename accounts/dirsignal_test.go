package accounts

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/tokenring/tokenring/flow"
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

// AccountsSince lists nothing while the directory holds what the stamped
// listing found, and lists again once a file is renamed into it.
func TestAccountsSince(t *testing.T) {
	old := racyDir
	racyDir = 0
	defer func() { racyDir = old }()
	dir := t.TempDir()
	s := openFile(t, dir, "pass", nil, nil)
	writeAccountFiles(t, s, Account{Name: "a", LinkedAt: time.Now()})
	got, st, changed, err := s.AccountsSince(Stamp{})
	if err != nil || !changed || len(got) != 1 {
		t.Fatalf("first listing: %v %v %v", got, changed, err)
	}
	if got, st2, changed, err := s.AccountsSince(st); err != nil || changed || got != nil || st2 != st {
		t.Fatalf("nothing changed, yet: %v %v %v", got, changed, err)
	}
	writeAccountFiles(t, s, Account{Name: "b", LinkedAt: time.Now()})
	got, st3, changed, err := s.AccountsSince(st)
	if err != nil || !changed || len(got) != 2 || st3 == st {
		t.Fatalf("after a new file: %v %v %v", got, changed, err)
	}
	racyDir = time.Hour // a listing that began just after a change is never trusted
	if _, _, changed, _ := s.AccountsSince(st3); !changed {
		t.Fatal("a directory changed within racyDir of the listing was trusted")
	}
}

// The cache keeps accounts as cachedAccount: every field of Account but
// Provider (kept once per provider) and Damaged (the entry's err) must be
// there, or a cached account would lose it.
func TestCachedAccountHasEveryField(t *testing.T) {
	at, ct := reflect.TypeOf(Account{}), reflect.TypeOf(cachedAccount{})
	var a Account
	av := reflect.ValueOf(&a).Elem()
	for i := range at.NumField() {
		f := at.Field(i)
		if f.Name == "Provider" || f.Name == "Damaged" {
			continue
		}
		cf, ok := ct.FieldByName(f.Name)
		if !ok || cf.Type != f.Type {
			t.Errorf("Account.%s (%s) is not in cachedAccount", f.Name, f.Type)
			continue
		}
		// a value in every field, for the round trip below
		switch v := av.Field(i); v.Kind() {
		case reflect.String:
			v.SetString("x-" + f.Name)
		case reflect.Bool:
			v.SetBool(true)
		case reflect.Slice:
			v.Set(reflect.ValueOf([]string{f.Name}))
		case reflect.Struct:
			v.Set(reflect.ValueOf(time.Unix(int64(1000+i), 0)))
		default:
			t.Errorf("Account.%s: kind %s not filled by this test", f.Name, v.Kind())
		}
	}
	p := flow.Provider{ID: "p"}
	a.Provider = p
	if got := (fileEntry{acct: compact(a), prov: &p}).account(); !reflect.DeepEqual(got, a) {
		t.Errorf("round trip through the cache:\n got %+v\nwant %+v", got, a)
	}
}

package accounts

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"
)

// testdata/index-ffd1981 is a config directory written by tokenring as of
// commit ffd1981 (its generate.go.txt, run there): accounts.json with seven
// accounts (Dressipi, Warhorn, generic OpenID Connect and client
// credentials; one needs relinking, one has a last error, one's secret is
// in another backend) and the file keyring holding their secrets.
const fixtureDir = "testdata/index-ffd1981"

const fixturePass = "fixture-pass"

// fixtureTime is the fixture's clock when the last account was refreshed
// (09:50) plus a minute: every token there is fresh (none is refreshed).
var fixtureTime = time.Date(2026, 3, 2, 9, 51, 0, 0, time.UTC)

// copyFixture copies the fixture's accounts.json and keyring into dir.
func copyFixture(t testing.TB, dir string) []byte {
	t.Helper()
	if err := os.MkdirAll(filepath.Join(dir, KeyringDir), 0o700); err != nil {
		t.Fatal(err)
	}
	index, err := os.ReadFile(filepath.Join(fixtureDir, IndexFile))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, IndexFile), index, 0o600); err != nil {
		t.Fatal(err)
	}
	items, _ := filepath.Glob(filepath.Join(fixtureDir, KeyringDir, "*"))
	for _, p := range items {
		data, err := os.ReadFile(p)
		if err == nil {
			err = os.WriteFile(filepath.Join(dir, KeyringDir, filepath.Base(p)), data, 0o600)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	return index
}

// indexAccounts decodes an old index with encoding/json alone, sorted by name.
func indexAccounts(t testing.TB, index []byte) []Account {
	t.Helper()
	var doc indexDoc
	if err := json.Unmarshal(index, &doc); err != nil {
		t.Fatal(err)
	}
	sort.Slice(doc.Accounts, func(i, j int) bool { return doc.Accounts[i].Name < doc.Accounts[j].Name })
	return doc.Accounts
}

func accountNames(l []Account) []string {
	var out []string
	for _, a := range l {
		out = append(out, a.Name)
	}
	return out
}

// assertMigrated: accounts.json is gone, kept byte for byte as
// accounts.json.migrated (and no second copy), and the store lists exactly
// want, every field.
func assertMigrated(t *testing.T, dir string, s *Store, index []byte, want []Account) {
	t.Helper()
	if _, err := os.Stat(filepath.Join(dir, IndexFile)); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("accounts.json is still there: %v", err)
	}
	if kept, err := os.ReadFile(filepath.Join(dir, IndexFile+".migrated")); err != nil || !bytes.Equal(kept, index) {
		t.Errorf("accounts.json.migrated is not the old index: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, IndexFile+".migrated.2")); err == nil {
		t.Error("migrated twice")
	}
	got, err := s.Accounts()
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("after the migration:\n got %v\nwant %v", accountNames(got), accountNames(want))
	}
	ents, _ := os.ReadDir(filepath.Join(dir, AccountsDir))
	if len(ents) != len(want) {
		t.Errorf("%d entries in accounts/, want %d (temp files left?)", len(ents), len(want))
	}
}

// TestMigrateIndexFromFfd1981: the index and keyring that commit ffd1981
// wrote open with every account as it was, every field, and the secrets
// still belong to their accounts.
func TestMigrateIndexFromFfd1981(t *testing.T) {
	dir := t.TempDir()
	index := copyFixture(t, dir)
	want := indexAccounts(t, index)
	if len(want) != 7 {
		t.Fatalf("the fixture has %d accounts", len(want))
	}
	ex := newFakeEx(func() time.Time { return fixtureTime })
	s := openFile(t, dir, fixturePass, ex, func() time.Time { return fixtureTime })
	assertMigrated(t, dir, s, index, want)
	for _, a := range want {
		fi, err := os.Stat(filepath.Join(dir, AccountsDir, a.Name+".json"))
		if err != nil || fi.Mode().Perm() != 0o600 || fi.Size() > 2048 {
			t.Errorf("%s's file: %v, %v", a.Name, fi, err)
		}
	}

	ctx := ctxT(t)
	for name, at := range map[string]string{"work-dressipi": "at-secret-6", "ci-bot": "at-secret-7", "flaky.api": "at-secret-4",
		"a_b-c.9": "at-secret-5", "warhorn-me": "fixture-warhorn-at"} {
		if tok, err := s.Token(ctx, name); err != nil || tok.AccessToken != at {
			t.Errorf("Token(%s) = %q, %v; want %q", name, tok.AccessToken, err, at)
		}
	}
	if sec, err := s.Secret(ctx, "work-dressipi"); err != nil || sec.APIKey != "fixture-api-key" {
		t.Errorf("work-dressipi's API key: %v", err)
	}
	if sec, err := s.Secret(ctx, "warhorn-me"); err != nil || sec.ClientSecret != "fixture-client-secret" || sec.Token.IDToken == "" {
		t.Errorf("warhorn-me's client secret and ID token: %v", err)
	}
	// old-laptop needs linking again, but its access token is still valid
	// at the fixture's time: it is handed out (issue 9), and refused once
	// it has expired.
	if tok, err := s.Token(ctx, "old-laptop"); err != nil || tok.AccessToken == "" {
		t.Errorf("old-laptop, still valid: %q %v", tok.AccessToken, err)
	}
	late := openFile(t, dir, fixturePass, ex, func() time.Time { return fixtureTime.Add(24 * time.Hour) })
	if _, err := late.Token(ctx, "old-laptop"); !errors.Is(err, ErrNeedsRelink) {
		t.Errorf("old-laptop, expired: %v, want ErrNeedsRelink", err)
	}
	if _, err := s.Token(ctx, "kc-box"); !errors.Is(err, ErrKeyring) || !strings.Contains(err.Error(), "keyctl") {
		t.Errorf("kc-box: %v, want its secret in the keyctl keyring", err)
	}
	if ex.refresh+ex.cc != 0 {
		t.Errorf("%d token requests", ex.refresh+ex.cc)
	}

	// A second start has nothing to migrate and changes nothing.
	s2 := openFile(t, dir, fixturePass, nil, nil)
	assertMigrated(t, dir, s2, index, want)
}

// bigIndex is the fixture's index grown to n accounts (copies of its seven
// under other names), in the old writer's compact form.
func bigIndex(t testing.TB, dir string, n int) ([]byte, []Account) {
	t.Helper()
	base := indexAccounts(t, copyFixture(t, dir))
	all := slices.Clone(base)
	for i := len(all); i < n; i++ {
		a := base[i%len(base)]
		a.Name = fmt.Sprintf("copy-%04d", i)
		all = append(all, a)
	}
	data, err := json.Marshal(indexDoc{Version: 1, Accounts: all})
	if err != nil {
		t.Fatal(err)
	}
	data = append(data, '\n')
	if err := os.WriteFile(filepath.Join(dir, IndexFile), data, 0o600); err != nil {
		t.Fatal(err)
	}
	return data, indexAccounts(t, data)
}

// TestMigrateRace: four processes open a config directory with an old
// index of 300 accounts at the same moment (while one migrates, the others
// find it busy). Each lists all 300 accounts, and the index is migrated
// once.
func TestMigrateRace(t *testing.T) {
	dir := t.TempDir()
	index, want := bigIndex(t, dir, 300)
	outs := together(t, 4, dir, fixturePass, "list", "TOKENRING_ACCOUNTS_TEST_SLOW=1")
	saw := 0
	for i, o := range outs {
		var rep listReport
		if err := json.Unmarshal([]byte(o), &rep); err != nil {
			t.Fatalf("child %d: %q", i, o)
		}
		if !slices.Equal(rep.Names, accountNames(want)) {
			t.Errorf("child %d listed %d accounts, want %d", i, len(rep.Names), len(want))
		}
		if rep.SawIndex {
			saw++
		}
	}
	if saw < 2 {
		t.Fatalf("only %d of 4 processes found accounts.json: no race was tested", saw)
	}
	assertMigrated(t, dir, openFile(t, dir, fixturePass, nil, nil), index, want)
}

// TestMigrateKilled: a migration killed (SIGKILL) after some of the files,
// or after all of them but before accounts.json was set aside, is finished
// by the next start, with nothing lost and nothing twice.
func TestMigrateKilled(t *testing.T) {
	for _, k := range []int{1, 4, 7} {
		t.Run(fmt.Sprint(k), func(t *testing.T) {
			dir := t.TempDir()
			index := copyFixture(t, dir)
			want := indexAccounts(t, index)
			cmd := child(t, dir, fixturePass, "list", fmt.Sprintf("TOKENRING_ACCOUNTS_TEST_KILL_AFTER=%d", k))
			err := cmd.Run()
			var ee *exec.ExitError
			if !errors.As(err, &ee) || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
				t.Fatalf("the child was not killed: %v", err)
			}
			if now, err := os.ReadFile(filepath.Join(dir, IndexFile)); err != nil || !bytes.Equal(now, index) {
				t.Fatalf("accounts.json changed by the killed migration: %v", err)
			}
			files, _ := filepath.Glob(filepath.Join(dir, AccountsDir, "*.json"))
			if len(files) != k {
				t.Fatalf("%d account files after a kill at %d", len(files), k)
			}
			// A killed write may leave its temp file: never an account.
			if err := os.WriteFile(filepath.Join(dir, AccountsDir, ".ci-bot.json.tmp-123"), []byte(`{"ver`), 0o600); err != nil {
				t.Fatal(err)
			}
			s := openFile(t, dir, fixturePass, nil, nil)
			os.Remove(filepath.Join(dir, AccountsDir, ".ci-bot.json.tmp-123"))
			assertMigrated(t, dir, s, index, want)
		})
	}
}

// TestMigrateDamagedIndex: an old index that cannot be read is left exactly
// as it is, nothing is migrated, and every start says so (the path, that
// nothing was migrated, what to do) until it is repaired; then it migrates.
func TestMigrateDamagedIndex(t *testing.T) {
	good, err := os.ReadFile(filepath.Join(fixtureDir, IndexFile))
	if err != nil {
		t.Fatal(err)
	}
	for name, bad := range map[string][]byte{
		"final brace cut": bytes.TrimSuffix(bytes.TrimSpace(good), []byte("}")),
		"cut in half":     good[:len(good)/2],
		"not JSON":        []byte("accounts: none\n"),
		"empty":           {},
		"newer version":   bytes.Replace(good, []byte(`"version":1`), []byte(`"version":2`), 1),
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			copyFixture(t, dir)
			path := filepath.Join(dir, IndexFile)
			if err := os.WriteFile(path, bad, 0o600); err != nil {
				t.Fatal(err)
			}
			for range 2 {
				_, err := Open(Config{Dir: dir, Backend: "file", EnvPassphrase: fixturePass})
				if !errors.Is(err, ErrDamaged) || !strings.Contains(err.Error(), path) ||
					!strings.Contains(err.Error(), "Nothing was migrated") || !strings.Contains(err.Error(), "repair it") {
					t.Fatalf("Open = %v", err)
				}
			}
			if now, err := os.ReadFile(path); err != nil || !bytes.Equal(now, bad) {
				t.Fatalf("the damaged index was changed: %v", err)
			}
			if files, _ := filepath.Glob(filepath.Join(dir, AccountsDir, "*")); len(files) != 0 {
				t.Fatalf("files written from a damaged index: %v", files)
			}
			if _, err := os.Stat(path + ".migrated"); err == nil {
				t.Fatal("a damaged index was set aside")
			}
			if err := os.WriteFile(path, good, 0o600); err != nil { // repaired
				t.Fatal(err)
			}
			assertMigrated(t, dir, openFile(t, dir, fixturePass, nil, nil), good, indexAccounts(t, good))
		})
	}
}

// TestMigrateOddEntries: what the old index could hold but a file cannot.
// Of a name given twice, the entry with the latest issued token (the one
// the keyring most likely holds) is migrated; a name that is no account
// name is not; an account that already has a file keeps it; all of it stays
// in accounts.json.migrated. An index put back later (from a backup) is
// migrated again and kept beside the first.
func TestMigrateOddEntries(t *testing.T) {
	dir := t.TempDir()
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	older := Account{Name: "twice", Provider: testProvider(), AccessIssued: t0, LastError: "older"}
	newer := Account{Name: "twice", Provider: testProvider(), AccessIssued: t0.Add(time.Hour), LastError: "newer"}
	evil := Account{Name: "\x1b[31mevil", Provider: testProvider()}
	fine := Account{Name: "fine", Provider: testProvider(), AccessIssued: t0}
	kept := Account{Name: "kept", Provider: testProvider(), LastError: "in the index"}
	index, _ := json.Marshal(indexDoc{Version: 1, Accounts: []Account{newer, evil, older, fine, kept}})
	if err := os.WriteFile(filepath.Join(dir, IndexFile), index, 0o600); err != nil {
		t.Fatal(err)
	}
	s := openFile(t, t.TempDir(), "pw", nil, nil) // only to write "kept" as the store does
	s.files.dir = filepath.Join(dir, AccountsDir)
	os.MkdirAll(s.files.dir, 0o700)
	kept.LastError = "already in its own file"
	writeAccountFiles(t, s, kept)

	s = openFile(t, dir, "pw", nil, nil)
	assertMigrated(t, dir, s, index, []Account{fine, kept, newer})

	again, _ := json.Marshal(indexDoc{Version: 1, Accounts: []Account{{Name: "restored", Provider: testProvider()}}})
	if err := os.WriteFile(filepath.Join(dir, IndexFile), again, 0o600); err != nil {
		t.Fatal(err)
	}
	s = openFile(t, dir, "pw", nil, nil)
	if _, err := s.Account("restored"); err != nil {
		t.Fatal(err)
	}
	if second, err := os.ReadFile(filepath.Join(dir, IndexFile+".migrated.2")); err != nil || !bytes.Equal(second, again) {
		t.Fatalf("the second index was not kept beside the first: %v", err)
	}
	if first, err := os.ReadFile(filepath.Join(dir, IndexFile+".migrated")); err != nil || !bytes.Equal(first, index) {
		t.Fatalf("the first kept index changed: %v", err)
	}
}

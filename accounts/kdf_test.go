package accounts

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tokenring/tokenring/flow"
)

// fixture52 is a config directory written by tokenring as of commit
// 52d8290 (testdata/keyring-52d8290/generate.go.txt, run there): three
// account files and a file keyring whose items are encrypted with the
// passphrase itself.
const (
	fixture52     = "testdata/keyring-52d8290"
	fixture52Pass = "fixture-pass-52d8290"
)

// fixture52Secrets are what the fixture's items hold.
var fixture52Secrets = map[string]Secret{
	"shop":       {Token: flow.Token{AccessToken: "fixture52-shop-at", RefreshToken: "fixture52-shop-rt"}, APIKey: "fixture52-api-key"},
	"warhorn-me": {Token: flow.Token{AccessToken: "fixture52-warhorn-at", IDToken: "eyJhbGciOiJub25lIn0.eyJzdWIiOiIxIn0."}, ClientSecret: "fixture52-client-secret"},
	"work.sso":   {Token: flow.Token{AccessToken: "fixture52-work-at", RefreshToken: "fixture52-work-rt", IDToken: "eyJhbGciOiJub25lIn0.eyJzdWIiOiIyIn0."}},
}

func copyTree(t testing.TB, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if strings.HasSuffix(p, ".txt") {
			return nil
		}
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o700)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), data, 0o600)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// itemFiles maps each item file of the keyring in dir to its kid.
func itemFiles(t testing.TB, dir string) map[string]string {
	t.Helper()
	keys, err := itemKeys(filepath.Join(dir, KeyringDir))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, k := range keys {
		kid, ok := itemKid(filepath.Join(dir, KeyringDir, k))
		if !ok {
			t.Fatalf("%s is not a JWE", k)
		}
		out[k] = kid
	}
	return out
}

func checkSecrets(t testing.TB, s *Store, want map[string]Secret) {
	t.Helper()
	for name, w := range want {
		got, err := s.Secret(ctxT(t), name)
		if err != nil {
			t.Fatalf("secret of %s: %v", name, err)
		}
		if got.Token.AccessToken != w.Token.AccessToken || got.Token.RefreshToken != w.Token.RefreshToken ||
			got.Token.IDToken != w.Token.IDToken || got.ClientSecret != w.ClientSecret || got.APIKey != w.APIKey {
			t.Errorf("secret of %s changed: got %q/%q/%q/%q/%q", name, got.Token.AccessToken, got.Token.RefreshToken,
				got.Token.IDToken, got.ClientSecret, got.APIKey)
		}
	}
}

// A new keyring gets kdf.json (Config.KDF's costs, a 32-byte salt) and its
// items are encrypted with the derived key, named in their headers: the
// passphrase itself opens none of them.
func TestNewKeyringIsStretched(t *testing.T) {
	dir := t.TempDir()
	ex := newFakeEx(time.Now)
	want := KDFParams{Time: 2, Memory: 256, Threads: 2}
	s, err := Open(Config{Dir: dir, Backend: "file", Exchanger: ex, EnvPassphrase: "new pass", KDF: want})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	tok := ex.Mint()
	if err := s.Add(ctxT(t), Account{Name: "a", Provider: testProvider()}, Secret{Token: tok}); err != nil {
		t.Fatal(err)
	}
	d, ok, err := readKDF(filepath.Join(dir, KeyringDir))
	if err != nil || !ok || d.params() != want || len(d.Salt) != 32 {
		t.Fatalf("kdf.json: %+v %v %v", d, ok, err)
	}
	items := itemFiles(t, dir)
	if len(items) != 2 {
		t.Fatalf("items: %v", items)
	}
	for k, kid := range items {
		if kid != d.kid() {
			t.Errorf("%s: kid %q, want %q", k, kid, d.kid())
		}
		if _, err := s.fileGet("new pass", k); !errors.Is(err, ErrBadPassphrase) {
			t.Errorf("%s opens with the passphrase itself: %v", k, err)
		}
	}
	if !strings.HasPrefix(s.key(), d.kid()+":") || strings.Contains(s.key(), "new pass") {
		t.Errorf("the store's key is not the derived one")
	}
	// another process: the right passphrase opens, a wrong one does not
	if got, err := openFile(t, dir, "new pass", ex, nil).Token(ctxT(t), "a"); err != nil || got.AccessToken != tok.AccessToken {
		t.Fatalf("reopen: %v", err)
	}
	if err := openFile(t, dir, "", ex, nil).Unlock(ctxT(t), "wrong pass"); !errors.Is(err, ErrBadPassphrase) {
		t.Fatalf("wrong passphrase: %v", err)
	}
	// Close overwrites the key where it lived
	key := s.key()
	s.Close()
	if !wiped(key) {
		t.Errorf("Close left the key in its box")
	}
}

// The keyring of tokenring 52d8290 is converted at the first unlock:
// kdf.json appears, every item is re-encrypted with the derived key (the
// passphrase itself opens none any more), and nothing is lost.
func TestMigrateKeyringOf52d8290(t *testing.T) {
	dir := t.TempDir()
	copyTree(t, fixture52, dir)
	before := itemFiles(t, dir)
	if len(before) != 4 {
		t.Fatalf("fixture items: %v", before)
	}
	for k, kid := range before {
		if kid != "" {
			t.Fatalf("fixture item %s already has kid %q", k, kid)
		}
	}
	ex := newFakeEx(time.Now)
	// listing needs nothing
	s := openFile(t, dir, "", ex, nil)
	if l, err := s.Accounts(); err != nil || len(l) != 3 {
		t.Fatalf("accounts: %v %v", l, err)
	}
	if err := s.Unlock(ctxT(t), "wrong"); !errors.Is(err, ErrBadPassphrase) {
		t.Fatalf("wrong passphrase: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, KeyringDir, KDFFile)); err == nil {
		t.Fatal("a wrong passphrase wrote kdf.json")
	}
	if err := s.Unlock(ctxT(t), fixture52Pass); err != nil {
		t.Fatal(err)
	}
	d, ok, err := readKDF(filepath.Join(dir, KeyringDir))
	if err != nil || !ok {
		t.Fatalf("no kdf.json after the migration: %v", err)
	}
	after := itemFiles(t, dir)
	if len(after) != len(before) {
		t.Fatalf("items before %v, after %v", before, after)
	}
	for k, kid := range after {
		if kid != d.kid() {
			t.Errorf("%s not converted (kid %q)", k, kid)
		}
		if _, err := s.fileGet(fixture52Pass, k); err == nil {
			t.Errorf("%s still opens with the passphrase itself", k)
		}
	}
	checkSecrets(t, s, fixture52Secrets)
	checkSecrets(t, openFile(t, dir, fixture52Pass, ex, nil), fixture52Secrets)
	if err := openFile(t, dir, "", ex, nil).Unlock(ctxT(t), "wrong"); !errors.Is(err, ErrBadPassphrase) {
		t.Fatalf("wrong passphrase after the migration: %v", err)
	}
}

// An item an older tokenring writes later (the passphrase as its key):
// a store holding the derived key says so (ErrLocked: unlock to convert),
// and the next unlock converts it.
func TestOlderItemIsConvertedAtUnlock(t *testing.T) {
	dir := t.TempDir()
	copyTree(t, fixture52, dir)
	legacy, err := os.ReadFile(filepath.Join(dir, KeyringDir, itemKey("shop")))
	if err != nil {
		t.Fatal(err)
	}
	ex := newFakeEx(time.Now)
	s := openFile(t, dir, fixture52Pass, ex, nil)
	checkSecrets(t, s, fixture52Secrets)
	// an older tokenring, still running, writes shop's item again
	if err := os.WriteFile(filepath.Join(dir, KeyringDir, itemKey("shop")), legacy, 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = s.Secret(ctxT(t), "shop")
	if !errors.Is(err, ErrLocked) || !strings.Contains(err.Error(), "older tokenring") {
		t.Fatalf("reading an older item with the derived key: %v", err)
	}
	s2 := openFile(t, dir, "", ex, nil)
	if err := s2.Unlock(ctxT(t), fixture52Pass); err != nil {
		t.Fatal(err)
	}
	d, _, _ := readKDF(filepath.Join(dir, KeyringDir))
	if kid := itemFiles(t, dir)[itemKey("shop")]; kid != d.kid() {
		t.Fatalf("not converted: kid %q", kid)
	}
	checkSecrets(t, s, fixture52Secrets)
}

// Every item a migration converts is converted whole: a migration cut
// short (here: its context ends) leaves the rest for the next unlock, and
// both kinds of item open in between.
// halfConverted is fixture52's keyring with only the check item and
// work.sso converted, as a process killed during the conversion leaves it.
func halfConverted(t *testing.T) (string, kdfDoc, *fakeEx) {
	t.Helper()
	dir := t.TempDir()
	copyTree(t, fixture52, dir)
	ex := newFakeEx(time.Now)
	s := openFile(t, dir, "", ex, nil)
	pw := []byte(fixture52Pass)
	d, err := s.ensureKDF(ctxT(t))
	if err != nil {
		t.Fatal(err)
	}
	box := deriveKey(pw, d)
	for _, k := range []string{checkKey, itemKey("work.sso")} {
		if err := s.convertItem(ctxT(t), pw, box.String(), k); err != nil {
			t.Fatal(err)
		}
	}
	return dir, d, ex
}

func TestMigrationGoesOnAtNextUnlock(t *testing.T) {
	dir, d, ex := halfConverted(t)
	kids := itemFiles(t, dir)
	if kids[itemKey("shop")] != "" || kids[checkKey] != d.kid() {
		t.Fatalf("half-converted state not reached: %v", kids)
	}
	s2 := openFile(t, dir, fixture52Pass, ex, nil)
	checkSecrets(t, s2, fixture52Secrets)
	for k, kid := range itemFiles(t, dir) {
		if kid != d.kid() {
			t.Errorf("%s not converted by the next unlock", k)
		}
	}
}

// kdf.json read from disk is checked: absurd costs are refused, a damaged
// file says what to do.
func TestKDFFileChecked(t *testing.T) {
	dir := t.TempDir()
	for _, body := range []string{
		`{"version":1,"kdf":"argon2id","time":3,"memory_kib":99999999,"threads":4,"salt":"AAAAAAAAAAAAAAAAAAAAAA=="}`,
		`{"version":2,"kdf":"argon2id","time":3,"memory_kib":1024,"threads":4,"salt":"AAAAAAAAAAAAAAAAAAAAAA=="}`,
		`not json`,
	} {
		os.WriteFile(filepath.Join(dir, KDFFile), []byte(body), 0o600)
		if _, _, err := readKDF(dir); !errors.Is(err, ErrKeyring) {
			t.Errorf("%s: %v", body, err)
		}
	}
	if err := (KDFParams{Time: 0, Memory: 1024, Threads: 1}).Check(); err == nil {
		t.Error("time 0 accepted")
	}
	if err := DefaultKDF().Check(); err != nil {
		t.Error(err)
	}
}

// BenchmarkKDF is one derivation with the default costs (what an unlock,
// and every `token` with TOKENRING_PASSPHRASE and no agent, pays), beside
// RFC 9106's second recommended option (t=3, 64 MiB, p=4), where the
// defaults were chosen from.
func BenchmarkKDF(b *testing.B) {
	for _, c := range []struct {
		name string
		p    KDFParams
	}{
		{"default", DefaultKDF()},
		{"rfc9106-second", KDFParams{Time: 3, Memory: 64 << 10, Threads: 4}},
	} {
		b.Run(c.name, func(b *testing.B) {
			d, err := newKDFDoc(c.p)
			if err != nil {
				b.Fatal(err)
			}
			pw := []byte("benchmark passphrase")
			for b.Loop() {
				deriveKey(pw, d).wipe()
			}
		})
	}
}

func TestUnlockHonoursContext(t *testing.T) {
	dir := t.TempDir()
	s := openFile(t, dir, "", newFakeEx(time.Now), nil)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := s.Unlock(ctx, "p"); !errors.Is(err, context.Canceled) {
		t.Fatalf("%v", err)
	}
}

// A process that reads a converted item first with TOKENRING_PASSPHRASE
// (readWithEnvPass: no unlock, so no conversion) still reads the items an
// older tokenring left: its first use of the key through passphrase goes
// on with the conversion. The order is fixed here (checkSecrets' map order
// made TestMigrationGoesOnAtNextUnlock fail one run in ~5).
func TestEnvReadOfConvertedItemThenOlderItem(t *testing.T) {
	dir, d, ex := halfConverted(t)
	s2 := openFile(t, dir, fixture52Pass, ex, nil)
	first, err := s2.Secret(ctxT(t), "work.sso")
	if err != nil || first.Token.AccessToken != fixture52Secrets["work.sso"].Token.AccessToken {
		t.Fatalf("the converted item first: %v", err)
	}
	checkSecrets(t, s2, fixture52Secrets)
	for k, kid := range itemFiles(t, dir) {
		if kid != d.kid() {
			t.Errorf("%s not converted", k)
		}
	}
}

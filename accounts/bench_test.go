package accounts

import (
	"fmt"
	"path/filepath"
	"testing"
	"time"
)

// benchAccounts opens a store on a config directory holding n account
// files (written as the store writes them, without an fsync each).
func benchAccounts(b *testing.B, n int) *Store {
	b.Helper()
	dir := b.TempDir()
	s := openFile(b, dir, "bench-pass", nil, nil)
	now := time.Now()
	all := make([]Account, n)
	for i := range all {
		all[i] = Account{Name: fmt.Sprintf("acct-%04d", i), Provider: testProvider(), Scopes: []string{"openid", "email"},
			LinkedAt: now, AccessIssued: now, AccessExpiry: now.Add(time.Duration(i) * time.Minute), HasRefresh: true, Backend: "file"}
	}
	writeAccountFiles(b, s, all...)
	return s
}

func writeAccountFiles(t testing.TB, s *Store, accts ...Account) {
	t.Helper()
	if err := WriteAccountFiles(filepath.Dir(s.files.dir), accts); err != nil {
		t.Fatal(err)
	}
}

// forgetAll empties the store's cache of account files, as in a new process.
func forgetAll(s *Store) {
	s.files.mu.Lock()
	clear(s.files.cache)
	s.files.mu.Unlock()
	s.files.lmu.Lock()
	s.files.last = Stamp{} // and its last listing
	s.files.lmu.Unlock()
}

// BenchmarkAccounts1000: listing 1,000 accounts whose files did not change:
// the TUI's periodic reload (one stat of the directory, the accounts copied
// from the cache; before issue 13 a directory read and 1,000 stats). See
// BenchmarkAccounts1000Cold for a new process's first list.
func BenchmarkAccounts1000(b *testing.B) {
	s := benchAccounts(b, 1000)
	if _, err := s.Accounts(); err != nil {
		b.Fatal(err)
	}
	time.Sleep(racyDir + 100*time.Millisecond) // the directory is no longer "just changed"
	if _, err := s.Accounts(); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if l, err := s.Accounts(); err != nil || len(l) != 1000 {
			b.Fatal(err)
		}
	}
}

// BenchmarkAccounts1000Cold: listing 1,000 accounts from their files, all
// read and decoded (`tokenring list`, the TUI's first frame).
func BenchmarkAccounts1000Cold(b *testing.B) {
	s := benchAccounts(b, 1000)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		forgetAll(s)
		if l, err := s.Accounts(); err != nil || len(l) != 1000 {
			b.Fatal(err)
		}
	}
}

// BenchmarkAccount1000Cold: one account out of 1,000, read from its file
// (what `tokenring token NAME` pays to find it).
func BenchmarkAccount1000Cold(b *testing.B) {
	s := benchAccounts(b, 1000)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		forgetAll(s)
		if _, err := s.Account("acct-0500"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkStatus1000(b *testing.B) {
	s := benchAccounts(b, 1000)
	l, _ := s.Accounts()
	now := time.Now()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for _, a := range l {
			_ = s.Policy().Status(a, now)
			_ = s.Policy().RefreshDue(a)
		}
	}
}

// BenchmarkTokenValidFile: Token() on a valid token with the file backend:
// one account file read and one PBES2 decrypt (8,192 PBKDF2 rounds) per call.
func BenchmarkTokenValidFile(b *testing.B) {
	ex := newFakeEx(time.Now)
	s := openFile(b, b.TempDir(), "bench-pass", ex, nil)
	ctx := ctxT(b)
	if err := s.Add(ctx, Account{Name: "a", Provider: testProvider()}, Secret{Token: ex.Mint()}); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := s.Token(ctx, "a"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPutSecretFile: storing one item (PBES2 encrypt, write, fsync,
// rename, fsync dir) — the window in which a killed refresh loses a rotated token.
func BenchmarkPutSecretFile(b *testing.B) {
	ex := newFakeEx(time.Now)
	s := openFile(b, b.TempDir(), "bench-pass", ex, nil)
	ctx := ctxT(b)
	sec := Secret{Token: ex.Mint()}
	if err := s.Add(ctx, Account{Name: "a", Provider: testProvider()}, sec); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := s.putSecret(ctx, "a", sec); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRefreshFile: a whole forced refresh against the in-memory fake
// (lock, account file, decrypt, exchange, encrypt+store, account file write).
func BenchmarkRefreshFile(b *testing.B) {
	ex := newFakeEx(time.Now)
	s := openFile(b, b.TempDir(), "bench-pass", ex, nil)
	ctx := ctxT(b)
	if err := s.Add(ctx, Account{Name: "a", Provider: testProvider()}, Secret{Token: ex.Mint()}); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := s.Refresh(ctx, "a"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRefresh1000: a forced refresh of one account among 1,000: what
// a refresh writes besides the keyring item is that account's ~1 KB file
// (with one accounts.json, the whole 490 KB index was decoded, encoded and
// rewritten under a global lock).
func BenchmarkRefresh1000(b *testing.B) {
	s := benchAccounts(b, 1000)
	ex := newFakeEx(time.Now)
	s.cfg.Exchanger = ex
	ctx := ctxT(b)
	if err := s.Add(ctx, Account{Name: "a", Provider: testProvider()}, Secret{Token: ex.Mint()}); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := s.Refresh(ctx, "a"); err != nil {
			b.Fatal(err)
		}
	}
}

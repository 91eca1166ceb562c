package accounts

import (
	"fmt"
	"testing"
	"time"
)

func benchIndex(b *testing.B, n int) *Store {
	b.Helper()
	dir := b.TempDir()
	s := openFile(b, dir, "bench-pass", nil, nil)
	now := time.Now()
	err := s.idx.update(s.deadline(ctxT(b)), func([]Account) ([]Account, error) {
		all := make([]Account, n)
		for i := range all {
			all[i] = Account{Name: fmt.Sprintf("acct-%04d", i), Provider: testProvider(), Scopes: []string{"openid", "email"},
				LinkedAt: now, AccessIssued: now, AccessExpiry: now.Add(time.Duration(i) * time.Minute), HasRefresh: true, Backend: "file"}
		}
		return all, nil
	})
	if err != nil {
		b.Fatal(err)
	}
	return s
}

// BenchmarkAccounts1000: listing 1,000 accounts (the file unchanged: the
// parsed index is reused; see BenchmarkAccounts1000Cold for a fresh parse).
func BenchmarkAccounts1000(b *testing.B) {
	s := benchIndex(b, 1000)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if l, err := s.Accounts(); err != nil || len(l) != 1000 {
			b.Fatal(err)
		}
	}
}

func BenchmarkAccounts1000Cold(b *testing.B) {
	s := benchIndex(b, 1000)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		s.idx.cmu.Lock()
		s.idx.cst = nil
		s.idx.cmu.Unlock()
		if l, err := s.Accounts(); err != nil || len(l) != 1000 {
			b.Fatal(err)
		}
	}
}

func BenchmarkStatus1000(b *testing.B) {
	s := benchIndex(b, 1000)
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
// one index read and one PBES2 decrypt (8,192 PBKDF2 rounds) per call.
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
// (lock, index, decrypt, exchange, encrypt+store, index write).
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

package accounts

import (
	"errors"
	"sync"
	"testing"
	"time"
)

// TokenFor refreshes exactly when the stored token has less than minValid
// left, whatever the policy's window says.
func TestTokenForRefreshesExactlyWhenShort(t *testing.T) {
	clk := &clock{t: time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)}
	ex := newFakeEx(clk.Now) // 1 h tokens
	s := openFile(t, t.TempDir(), "pw", ex, clk.Now)
	ctx := ctxT(t)
	first := ex.Mint()
	if err := s.Add(ctx, Account{Name: "a", Provider: testProvider()}, Secret{Token: first}); err != nil {
		t.Fatal(err)
	}
	get := func(minValid time.Duration, wantRefreshes int, what string) string {
		t.Helper()
		tok, err := s.TokenFor(ctx, "a", minValid)
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if ex.refresh != wantRefreshes {
			t.Fatalf("%s: %d refreshes, want %d", what, ex.refresh, wantRefreshes)
		}
		return tok.AccessToken
	}
	if got := get(30*time.Minute, 0, "fresh token, 30m asked"); got != first.AccessToken {
		t.Fatal("a token valid long enough was not handed out as stored")
	}
	clk.Add(30 * time.Minute) // exactly 30 m left: enough
	get(30*time.Minute, 0, "exactly 30m left, 30m asked")
	clk.Add(time.Nanosecond) // a nanosecond less than asked: refresh
	second := get(30*time.Minute, 1, "30m - 1ns left, 30m asked")
	if second == first.AccessToken {
		t.Fatal("not refreshed")
	}
	get(59*time.Minute, 1, "new token, 59m asked")
	// Inside the policy's window (5 min before expiry), asking for less
	// than what is left hands out the stored token: minValid replaces the
	// window.
	clk.Add(56 * time.Minute)
	if got := get(time.Minute, 1, "inside the window, 1m asked"); got != second {
		t.Fatal("the stored token was not handed out")
	}
	// Token (the policy) refreshes there.
	if _, err := s.Token(ctx, "a"); err != nil || ex.refresh != 2 {
		t.Fatalf("Token inside the window: %v, %d refreshes", err, ex.refresh)
	}
	// More than the provider's tokens live: one refresh, then ErrShortLived.
	if _, err := s.TokenFor(ctx, "a", 2*time.Hour); !errors.Is(err, ErrShortLived) || ex.refresh != 3 {
		t.Fatalf("2h asked of 1h tokens: %v after %d refreshes", err, ex.refresh)
	}
	// A failed refresh does not fall back to the stored token (it is too short).
	clk.Add(50 * time.Minute)
	ex.fail = []error{errors.New("boom")}
	if _, err := s.TokenFor(ctx, "a", 30*time.Minute); err == nil {
		t.Fatal("a failed refresh handed out a token valid for less than asked")
	}
	// Needs relink: the stored token while valid long enough, else ErrNeedsRelink.
	a := mustAccount(t, s, "a")
	a.NeedsRelink = true
	if err := s.saveAccount(a); err != nil {
		t.Fatal(err)
	}
	n := ex.refresh
	if _, err := s.TokenFor(ctx, "a", 5*time.Minute); err != nil || ex.refresh != n {
		t.Fatalf("needs relink, 10m left, 5m asked: %v, %d refreshes", err, ex.refresh-n)
	}
	if _, err := s.TokenFor(ctx, "a", 20*time.Minute); !errors.Is(err, ErrNeedsRelink) || ex.refresh != n {
		t.Fatalf("needs relink, 10m left, 20m asked: %v, %d refreshes", err, ex.refresh-n)
	}
}

// Two stores on one directory (as two processes) ask for a token valid
// longer than the stored one: one refresh between them; the second takes
// the token the first stored.
func TestTokenForOneRefreshPerDuePoint(t *testing.T) {
	clk := &clock{t: time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)}
	ex := newFakeEx(clk.Now)
	dir := t.TempDir()
	s1 := openFile(t, dir, "pw", ex, clk.Now)
	s2 := openFile(t, dir, "pw", ex, clk.Now)
	ctx := ctxT(t)
	if err := s1.Add(ctx, Account{Name: "a", Provider: testProvider()}, Secret{Token: ex.Mint()}); err != nil {
		t.Fatal(err)
	}
	clk.Add(20 * time.Minute) // 40 m left
	ex.gate = make(chan struct{})
	var wg sync.WaitGroup
	toks := make([]string, 2)
	errs := make([]error, 2)
	for i, s := range []*Store{s1, s2} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tok, err := s.TokenFor(ctx, "a", 50*time.Minute)
			toks[i], errs[i] = tok.AccessToken, err
		}()
	}
	deadline := time.Now().Add(10 * time.Second)
	for !s1.refreshing("a") && !s2.refreshing("a") && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	time.Sleep(50 * time.Millisecond) // let the other reach the lock
	close(ex.gate)
	wg.Wait()
	for i := range toks {
		if errs[i] != nil || toks[i] != toks[0] {
			t.Fatalf("store %d: %q %v", i+1, toks[i], errs[i])
		}
	}
	if ex.refresh != 1 {
		t.Fatalf("%d refreshes for one due point", ex.refresh)
	}
}

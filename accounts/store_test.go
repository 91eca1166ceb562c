package accounts

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tokenring/tokenring/flow"
	"github.com/tokenring/tokenring/internal/config"
)

func TestFileBackendLifecycle(t *testing.T) {
	dir := t.TempDir()
	ex := newFakeEx(time.Now)
	s := openFile(t, dir, "correct horse", ex, nil)
	if b := s.Backend(); b.Name != "file" || !b.Locked || !b.New || b.Path != filepath.Join(dir, KeyringDir) || !strings.HasPrefix(b.Reason, "chosen by ") {
		t.Fatalf("Backend() = %+v", b)
	}
	ctx := ctxT(t)
	tok := ex.Mint()
	sec := Secret{Token: tok, ClientSecret: "cs-secret-1", APIKey: "ak-secret-1"}
	if err := s.Add(ctx, Account{Name: "work", Provider: testProvider(), Scopes: []string{"openid"}}, sec); err != nil {
		t.Fatalf("Add: %v", err)
	}
	if err := s.Add(ctx, Account{Name: "work", Provider: testProvider()}, sec); !errors.Is(err, ErrExists) {
		t.Fatalf("second Add = %v, want ErrExists", err)
	}
	if b := s.Backend(); b.Locked || b.New {
		t.Fatalf("after Add: %+v", b)
	}
	list, err := s.Accounts()
	if err != nil || len(list) != 1 || list[0].Name != "work" || !list[0].HasRefresh || !list[0].AccessExpiry.Equal(tok.Expiry) || list[0].Backend != "file" {
		t.Fatalf("Accounts = %+v, %v", list, err)
	}
	got, err := s.Secret(ctx, "work")
	if err != nil || got.Token.AccessToken != tok.AccessToken || got.Token.RefreshToken != tok.RefreshToken || got.ClientSecret != "cs-secret-1" || got.APIKey != "ak-secret-1" {
		t.Fatalf("Secret = %v (%q), %v", got, got.Token.AccessToken, err)
	}

	// Restart: a new Store reads everything back.
	s2 := openFile(t, dir, "correct horse", ex, nil)
	if b := s2.Backend(); !b.Locked || b.New {
		t.Fatalf("reopened Backend() = %+v", b)
	}
	got, err = s2.Secret(ctx, "work")
	if err != nil || got.Token.RefreshToken != tok.RefreshToken {
		t.Fatalf("after restart: %v", err)
	}

	if _, err := s2.Account("nope"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Account(nope) = %v", err)
	}
	if err := s2.Remove(ctx, "work", false); err != nil {
		t.Fatalf("Remove: %v", err)
	}
	if len(ex.revoked) != 0 {
		t.Fatalf("revoked without being asked: %v", ex.revoked)
	}
	if _, err := os.Stat(filepath.Join(dir, KeyringDir, itemKey("work"))); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("keyring item still there: %v", err)
	}
	if l, _ := s2.Accounts(); len(l) != 0 {
		t.Fatalf("still listed: %v", l)
	}
	if err := s2.Remove(ctx, "work", false); !errors.Is(err, ErrNotFound) {
		t.Fatalf("second Remove = %v", err)
	}
}

func TestFilePermissions(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "cfg")
	ex := newFakeEx(time.Now)
	s := openFile(t, dir, "pw", ex, nil)
	if err := s.Add(ctxT(t), Account{Name: "a", Provider: testProvider()}, Secret{Token: ex.Mint()}); err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]os.FileMode{dir: 0o700, filepath.Join(dir, "locks"): 0o700, filepath.Join(dir, KeyringDir): 0o700,
		filepath.Join(dir, AccountsDir): 0o700, filepath.Join(dir, AccountsDir, "a.json"): 0o600,
		filepath.Join(dir, KeyringDir, itemKey("a")): 0o600} {
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != want {
			t.Errorf("%s: mode %v, want %v", path, fi.Mode().Perm(), want)
		}
	}
	if _, err := s.Refresh(ctxT(t), "a"); err != nil { // a replaced file keeps its mode
		t.Fatal(err)
	}
	if fi, err := os.Stat(filepath.Join(dir, AccountsDir, "a.json")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("after a refresh: %v, %v", fi, err)
	}
	for _, d := range []string{dir, filepath.Join(dir, AccountsDir)} {
		ents, _ := os.ReadDir(d)
		for _, e := range ents {
			if strings.Contains(e.Name(), ".tmp") {
				t.Errorf("temp file left behind: %s", e.Name())
			}
		}
	}
}

func TestWrongPassphraseThenRight(t *testing.T) {
	dir := t.TempDir()
	ex := newFakeEx(time.Now)
	ctx := ctxT(t)
	s := openFile(t, dir, "right-pass", ex, nil)
	if err := s.Add(ctx, Account{Name: "a", Provider: testProvider()}, Secret{Token: ex.Mint()}); err != nil {
		t.Fatal(err)
	}

	// A store with no passphrase source: listing works, secrets are locked.
	s2, err := Open(Config{Dir: dir, Backend: "file"})
	if err != nil {
		t.Fatal(err)
	}
	if l, err := s2.Accounts(); err != nil || len(l) != 1 {
		t.Fatalf("listing without a passphrase: %v %v", l, err)
	}
	if st := s2.Policy().Status(mustAccount(t, s2, "a"), time.Now()); st != StatusValid {
		t.Fatalf("status without a passphrase = %v", st)
	}
	if _, err := s2.Secret(ctx, "a"); !errors.Is(err, ErrLocked) {
		t.Fatalf("Secret without passphrase = %v, want ErrLocked", err)
	}
	if _, err := s2.Token(ctx, "a"); !errors.Is(err, ErrLocked) {
		t.Fatalf("Token without passphrase = %v, want ErrLocked", err)
	}
	if err := s2.Unlock(ctx, ""); !errors.Is(err, ErrEmptyPass) {
		t.Fatalf("Unlock(\"\") = %v", err)
	}
	if err := s2.Unlock(ctx, "wrong-pass"); !errors.Is(err, ErrBadPassphrase) {
		t.Fatalf("Unlock(wrong) = %v, want ErrBadPassphrase", err)
	}
	if !s2.Backend().Locked {
		t.Fatal("unlocked by a wrong passphrase")
	}
	if _, err := s2.Secret(ctx, "a"); !errors.Is(err, ErrLocked) {
		t.Fatalf("a wrong passphrase was kept: %v", err)
	}
	if err := s2.Unlock(ctx, "right-pass"); err != nil {
		t.Fatalf("Unlock(right) after a wrong one: %v", err)
	}
	if _, err := s2.Secret(ctx, "a"); err != nil {
		t.Fatalf("Secret after unlock: %v", err)
	}

	// The callback: a wrong answer says so, the next call asks again.
	answers := []string{"wrong-again", "right-pass"}
	var prompts []string
	s3, err := Open(Config{Dir: dir, Backend: "file", Passphrase: func(p string) (string, error) {
		prompts = append(prompts, p)
		a := answers[0]
		answers = answers[1:]
		return a, nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s3.Secret(ctx, "a"); !errors.Is(err, ErrBadPassphrase) {
		t.Fatalf("callback wrong = %v", err)
	}
	if _, err := s3.Secret(ctx, "a"); err != nil {
		t.Fatalf("callback right = %v", err)
	}
	if len(prompts) != 2 || strings.Contains(strings.ToLower(prompts[0]), "new") {
		t.Fatalf("prompts = %q", prompts)
	}

	// TOKENRING_PASSPHRASE wrong: the error names the variable.
	s4 := openFile(t, dir, "nope", ex, nil)
	if _, err := s4.Secret(ctx, "a"); !errors.Is(err, ErrBadPassphrase) || !strings.Contains(err.Error(), config.EnvPassphrase) {
		t.Fatalf("wrong env passphrase = %v", err)
	}
}

func mustAccount(t *testing.T, s *Store, name string) Account {
	t.Helper()
	a, err := s.Account(name)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func TestNewKeyringPassphrase(t *testing.T) {
	dir := t.TempDir()
	var prompts []string
	s, err := Open(Config{Dir: dir, Backend: "file", Passphrase: func(p string) (string, error) {
		prompts = append(prompts, p)
		return "first-pass", nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	if !s.Backend().New {
		t.Fatal("empty keyring not New")
	}
	ex := newFakeEx(time.Now)
	if err := s.Add(ctxT(t), Account{Name: "a", Provider: testProvider()}, Secret{Token: ex.Mint()}); err != nil {
		t.Fatal(err)
	}
	if len(prompts) != 1 || !strings.Contains(strings.ToLower(prompts[0]), "new") {
		t.Fatalf("prompts = %q", prompts)
	}
	// The first passphrase is now the passphrase, also for Unlock on a fresh keyring.
	dir2 := t.TempDir()
	s2 := openFile(t, dir2, "", nil, nil)
	if err := s2.Unlock(ctxT(t), "chosen"); err != nil {
		t.Fatal(err)
	}
	s3 := openFile(t, dir2, "", nil, nil)
	if s3.Backend().New {
		t.Fatal("unlocked keyring still New")
	}
	if err := s3.Unlock(ctxT(t), "other"); !errors.Is(err, ErrBadPassphrase) {
		t.Fatalf("a second passphrase was accepted for a keyring with a check item: %v", err)
	}
}

func TestEmptyPassphraseRefused(t *testing.T) {
	s, err := Open(Config{Dir: t.TempDir(), Backend: "file", Passphrase: func(string) (string, error) { return "", nil }})
	if err != nil {
		t.Fatal(err)
	}
	ex := newFakeEx(time.Now)
	if err := s.Add(ctxT(t), Account{Name: "a", Provider: testProvider()}, Secret{Token: ex.Mint()}); !errors.Is(err, ErrEmptyPass) {
		t.Fatalf("Add with empty passphrase = %v", err)
	}
	if l, _ := s.Accounts(); len(l) != 0 {
		t.Fatal("account file written although its secret was not stored")
	}
}

func TestBadNames(t *testing.T) {
	s := openFile(t, t.TempDir(), "pw", nil, nil)
	ex := newFakeEx(time.Now)
	for _, n := range []string{"", ".", "..", "../x", "a/b", "a b", ".hidden", "-x", strings.Repeat("a", 65), "é", "a\x00"} {
		if err := s.Add(ctxT(t), Account{Name: n, Provider: testProvider()}, Secret{Token: ex.Mint()}); !errors.Is(err, ErrBadName) {
			t.Errorf("Add(%q) = %v, want ErrBadName", n, err)
		}
	}
	for _, n := range []string{"a", "work.acme", "A_1-b", strings.Repeat("a", 64)} {
		if err := ValidName(n); err != nil {
			t.Errorf("ValidName(%q) = %v", n, err)
		}
	}
}

func TestBackendChoice(t *testing.T) {
	dir := t.TempDir()
	_, err := Open(Config{Dir: dir, Backend: "plaintext"})
	if !errors.Is(err, ErrKeyring) || !strings.Contains(err.Error(), "plaintext") {
		t.Fatalf("unknown backend: %v", err)
	}
	_, err = Open(Config{Dir: dir, Backend: "keychain", BackendSource: config.EnvKeyring})
	if !errors.Is(err, ErrKeyring) || !strings.Contains(err.Error(), "macOS") || !strings.Contains(err.Error(), "TOKENRING_KEYRING=file") ||
		!strings.Contains(err.Error(), "chosen by TOKENRING_KEYRING") {
		t.Fatalf("keychain on Linux: %v", err)
	}
	s, err := Open(Config{Dir: dir, Backend: "file", BackendSource: config.EnvKeyring})
	if err != nil || s.Backend().Reason != "chosen by TOKENRING_KEYRING" {
		t.Fatalf("file by env: %v %+v", err, s.Backend())
	}
}

// TestAutoWithoutBus: with no session bus the automatic choice is the file
// backend, and the reason says why. (On a desktop with a Secret Service,
// the reason names the OS keyring instead; skip there.)
func TestAutoWithoutBus(t *testing.T) {
	if registered("secret-service") || registered("kwallet") {
		t.Skip("a D-Bus session bus answered at start; the automatic choice is exercised by TestSecretService")
	}
	s, err := Open(Config{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	b := s.Backend()
	if b.Name != "file" || !strings.Contains(b.Reason, "no OS keyring answered") || !strings.Contains(b.Reason, "D-Bus") {
		t.Fatalf("auto without bus: %+v", b)
	}
	t.Logf("reason: %s", b.Reason)
	_, err = Open(Config{Dir: t.TempDir(), Backend: "secret-service"})
	if !errors.Is(err, ErrKeyring) || !strings.Contains(err.Error(), "D-Bus") || !strings.Contains(err.Error(), "TOKENRING_KEYRING=file") {
		t.Fatalf("secret-service without a bus: %v", err)
	}
}

func TestStatusAndPolicy(t *testing.T) {
	s := openFile(t, t.TempDir(), "pw", nil, nil)
	t0 := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	hour := Account{Name: "h", AccessIssued: t0, AccessExpiry: t0.Add(time.Hour), HasRefresh: true}
	// 10% of 1 h = 6 min, clamped to 5 min.
	if due := s.Policy().RefreshDue(hour); !due.Equal(t0.Add(55 * time.Minute)) {
		t.Errorf("due(1h) = %v", due)
	}
	ten := Account{Name: "t", AccessIssued: t0, AccessExpiry: t0.Add(10 * time.Minute), HasRefresh: true}
	if due := s.Policy().RefreshDue(ten); !due.Equal(t0.Add(9 * time.Minute)) { // 10% = 60 s
		t.Errorf("due(10m) = %v", due)
	}
	short := Account{Name: "s", AccessIssued: t0, AccessExpiry: t0.Add(2 * time.Minute), HasRefresh: true}
	if due := s.Policy().RefreshDue(short); !due.Equal(t0.Add(90 * time.Second)) { // 12 s -> min 30 s
		t.Errorf("due(2m) = %v", due)
	}
	tiny := Account{Name: "x", AccessIssued: t0, AccessExpiry: t0.Add(20 * time.Second), HasRefresh: true}
	if due := s.Policy().RefreshDue(tiny); !due.Equal(t0.Add(10 * time.Second)) { // at most half the lifetime
		t.Errorf("due(20s) = %v", due)
	}
	if !s.Policy().RefreshDue(Account{Name: "w"}).IsZero() {
		t.Error("a token without expiry has a refresh due")
	}
	if !s.Policy().RefreshDue(Account{Name: "n", AccessIssued: t0, AccessExpiry: t0.Add(time.Hour)}).IsZero() {
		t.Error("a token without refresh token has a refresh due")
	}
	cc := Account{Name: "c", AccessIssued: t0, AccessExpiry: t0.Add(time.Hour), Provider: flow.Provider{Grant: flow.GrantClientCredentials}}
	if s.Policy().RefreshDue(cc).IsZero() {
		t.Error("a client-credentials account has no refresh due")
	}
	custom := &Store{pol: Policy{Fraction: 0.5, Min: time.Second, Max: time.Hour}.withDefaults()}
	if due := custom.Policy().RefreshDue(hour); !due.Equal(t0.Add(30 * time.Minute)) {
		t.Errorf("custom policy due = %v", due)
	}

	cases := []struct {
		a    Account
		at   time.Time
		want Status
	}{
		{hour, t0.Add(time.Minute), StatusValid},
		{hour, t0.Add(56 * time.Minute), StatusExpiringSoon},
		{hour, t0.Add(time.Hour), StatusExpired},
		{Account{Name: "w"}, t0, StatusNoExpiry},
		{Account{Name: "r", NeedsRelink: true, AccessExpiry: t0.Add(time.Hour)}, t0, StatusNeedsRelink},
		{Account{Name: "e", LastError: "boom", AccessExpiry: t0.Add(time.Hour)}, t0, StatusError},
	}
	for _, c := range cases {
		if got := s.Policy().Status(c.a, c.at); got != c.want {
			t.Errorf("Status(%s at %v) = %v, want %v", c.a.Name, c.at.Sub(t0), got, c.want)
		}
	}
}

func TestTokenPaths(t *testing.T) {
	clk := &clock{t: time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)}
	ex := newFakeEx(clk.Now)
	s := openFile(t, t.TempDir(), "pw", ex, clk.Now)
	ctx := ctxT(t)
	first := ex.Mint()
	if err := s.Add(ctx, Account{Name: "a", Provider: testProvider()}, Secret{Token: first}); err != nil {
		t.Fatal(err)
	}
	tok, err := s.Token(ctx, "a")
	if err != nil || tok.AccessToken != first.AccessToken || ex.refresh != 0 {
		t.Fatalf("valid token: %v, refreshes %d", err, ex.refresh)
	}
	clk.Add(56 * time.Minute) // inside the window
	tok, err = s.Token(ctx, "a")
	if err != nil || tok.AccessToken == first.AccessToken || ex.refresh != 1 {
		t.Fatalf("token in the window: %v, refreshes %d", err, ex.refresh)
	}
	a := mustAccount(t, s, "a")
	if !a.AccessExpiry.Equal(clk.Now().Add(time.Hour)) || !a.LastRefresh.Equal(clk.Now()) || s.Policy().Status(a, clk.Now()) != StatusValid {
		t.Fatalf("account after refresh: %+v", a)
	}
	sec, _ := s.Secret(ctx, "a")
	if sec.Token.RefreshToken == first.RefreshToken || !ex.valid[sec.Token.RefreshToken] {
		t.Fatal("the rotated refresh token was not stored")
	}

	// Failures that prove the refresh token was not spent (nothing reached
	// the provider; a 5xx answer) are tried again; the third try succeeds.
	old := retryDelays
	retryDelays = []time.Duration{time.Millisecond, time.Millisecond}
	defer func() { retryDelays = old }()
	notSent := fmt.Errorf("%w %w", flow.ErrUnreachable, flow.ErrNotSent)
	ex.fail = []error{notSent, flow.ErrServer}
	n := ex.refresh
	if _, err := s.Refresh(ctx, "a"); err != nil || ex.refresh-n != 3 {
		t.Fatalf("retry of a refresh that was not processed: %v after %d tries", err, ex.refresh-n)
	}
	// A lost answer (a timeout once the request was sent) is never
	// replayed with the same refresh token: one try, the error is kept.
	ex.fail = []error{flow.ErrTimeout, flow.ErrTimeout}
	n = ex.refresh
	if _, err := s.Refresh(ctx, "a"); !errors.Is(err, flow.ErrTimeout) || ex.refresh-n != 1 {
		t.Fatalf("lost answer: %v after %d tries, want 1", err, ex.refresh-n)
	}
	// Three failures that may be retried: the error is kept and shown, not relink.
	ex.fail = []error{notSent, notSent, notSent}
	if _, err := s.Refresh(ctx, "a"); !errors.Is(err, flow.ErrUnreachable) {
		t.Fatalf("3 transient failures: %v", err)
	}
	a = mustAccount(t, s, "a")
	if a.NeedsRelink || a.LastError == "" || s.Policy().Status(a, clk.Now()) != StatusError {
		t.Fatalf("after transient failure: %+v", a)
	}
	// The stored token is still handed out while valid.
	if _, err := s.Token(ctx, "a"); err != nil {
		t.Fatalf("Token after a failed refresh: %v", err)
	}
	// Inside the window with the provider down: the stored token, still
	// valid, is returned; once it is about to expire, the error is.
	clk.Add(56 * time.Minute)
	stored, _ := s.Secret(ctx, "a")
	ex.fail = []error{flow.ErrUnreachable, flow.ErrUnreachable, flow.ErrUnreachable}
	if tok, err := s.Token(ctx, "a"); err != nil || tok.AccessToken != stored.Token.AccessToken {
		t.Fatalf("Token in the window with the provider down: %v", err)
	}
	clk.Add(3*time.Minute + 55*time.Second) // 5 s left
	ex.fail = []error{flow.ErrUnreachable, flow.ErrUnreachable, flow.ErrUnreachable}
	if _, err := s.Token(ctx, "a"); !errors.Is(err, flow.ErrUnreachable) {
		t.Fatalf("Token 5 s before expiry with the provider down: %v", err)
	}

	// invalid_grant: one try, NeedsRelink, ErrNeedsRelink.
	ex.fail = []error{&flow.OAuthError{Op: "refresh", Code: "invalid_grant", Status: 400}}
	n = ex.refresh
	_, err = s.Refresh(ctx, "a")
	if !errors.Is(err, ErrNeedsRelink) || !flow.IsInvalidGrant(err) || ex.refresh-n != 1 {
		t.Fatalf("invalid_grant: %v after %d tries", err, ex.refresh-n)
	}
	a = mustAccount(t, s, "a")
	if !a.NeedsRelink || s.Policy().Status(a, clk.Now()) != StatusNeedsRelink || !strings.Contains(a.LastError, "invalid_grant") {
		t.Fatalf("after invalid_grant: %+v", a)
	}
	if _, err := s.Token(ctx, "a"); !errors.Is(err, ErrNeedsRelink) {
		t.Fatalf("Token of a relink account: %v", err)
	}
}

func TestTokenNoExpiryAndNoRefresh(t *testing.T) {
	clk := &clock{t: time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)}
	ex := newFakeEx(clk.Now)
	s := openFile(t, t.TempDir(), "pw", ex, clk.Now)
	ctx := ctxT(t)
	wh := flow.Token{AccessToken: "warhorn-secret", TokenType: "bearer", ExpirySource: flow.ExpiryNone, IssuedAt: clk.Now()}
	if err := s.Add(ctx, Account{Name: "wh", Provider: testProvider()}, Secret{Token: wh}); err != nil {
		t.Fatal(err)
	}
	clk.Add(1000 * time.Hour)
	if tok, err := s.Token(ctx, "wh"); err != nil || tok.AccessToken != "warhorn-secret" {
		t.Fatalf("no-expiry token: %v", err)
	}
	if st := s.Policy().Status(mustAccount(t, s, "wh"), clk.Now()); st != StatusNoExpiry {
		t.Fatalf("status %v", st)
	}

	nr := flow.Token{AccessToken: "nr-secret", Expiry: clk.Now().Add(time.Hour), IssuedAt: clk.Now()}
	if err := s.Add(ctx, Account{Name: "nr", Provider: testProvider()}, Secret{Token: nr}); err != nil {
		t.Fatal(err)
	}
	clk.Add(58 * time.Minute)
	if tok, err := s.Token(ctx, "nr"); err != nil || tok.AccessToken != "nr-secret" {
		t.Fatalf("still-valid token without refresh token: %v", err)
	}
	clk.Add(3 * time.Minute)
	if _, err := s.Token(ctx, "nr"); !errors.Is(err, ErrNeedsRelink) {
		t.Fatalf("expired token without refresh token: %v", err)
	}

	p := testProvider()
	p.Grant = flow.GrantClientCredentials
	cc := ex.Mint()
	cc.RefreshToken = ""
	if err := s.Add(ctx, Account{Name: "app", Provider: p}, Secret{Token: cc, ClientSecret: "app-secret"}); err != nil {
		t.Fatal(err)
	}
	clk.Add(2 * time.Hour)
	tok, err := s.Token(ctx, "app")
	if err != nil || tok.AccessToken == cc.AccessToken || ex.cc != 1 {
		t.Fatalf("client credentials renewal: %v (cc calls %d)", err, ex.cc)
	}
	if sec, _ := s.Secret(ctx, "app"); sec.ClientSecret != "app-secret" {
		t.Fatal("client secret lost on renewal")
	}
}

// TestSingleflight: concurrent Token calls on an expiring account share one refresh.
func TestSingleflight(t *testing.T) {
	clk := &clock{t: time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)}
	ex := newFakeEx(clk.Now)
	s := openFile(t, t.TempDir(), "pw", ex, clk.Now)
	ctx := ctxT(t)
	if err := s.Add(ctx, Account{Name: "a", Provider: testProvider()}, Secret{Token: ex.Mint()}); err != nil {
		t.Fatal(err)
	}
	clk.Add(59 * time.Minute)
	ex.gate = make(chan struct{})
	var wg sync.WaitGroup
	toks := make([]string, 20)
	errs := make([]error, 20)
	for i := range toks {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			tok, err := s.Token(ctx, "a")
			toks[i], errs[i] = tok.AccessToken, err
		}(i)
	}
	// Wait until the refresh is running, then let it finish.
	deadline := time.Now().Add(10 * time.Second)
	for !s.refreshing("a") && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if !s.refreshing("a") {
		t.Errorf("no refresh in flight after 10 s")
	}
	close(ex.gate)
	wg.Wait()
	for i := range toks {
		if errs[i] != nil || toks[i] != toks[0] {
			t.Fatalf("caller %d: %q %v", i, toks[i], errs[i])
		}
	}
	if ex.refresh != 1 {
		t.Fatalf("%d refreshes for 20 concurrent callers", ex.refresh)
	}
}

func TestRemoveRevokes(t *testing.T) {
	ex := newFakeEx(time.Now)
	s := openFile(t, t.TempDir(), "pw", ex, nil)
	ctx := ctxT(t)
	if err := s.Add(ctx, Account{Name: "a", Provider: testProvider()}, Secret{Token: ex.Mint()}); err != nil {
		t.Fatal(err)
	}
	if err := s.Add(ctx, Account{Name: "b", Provider: testProvider()}, Secret{Token: ex.Mint()}); err != nil {
		t.Fatal(err)
	}
	if err := s.Remove(ctx, "a", true); err != nil {
		t.Fatal(err)
	}
	if strings.Join(ex.revoked, ",") != "refresh_token,access_token" {
		t.Fatalf("revoked %v", ex.revoked)
	}
	ex.revokeEr = errors.New("the provider cannot be reached")
	err := s.Remove(ctx, "b", true)
	var re *RevokeError
	if !errors.Is(err, ErrRevokeFailed) || !errors.As(err, &re) || re.Name != "b" {
		t.Fatalf("failed revoke: %v", err)
	}
	if _, err := s.Account("b"); !errors.Is(err, ErrNotFound) {
		t.Fatal("a failed revoke stopped the removal")
	}
	t.Logf("warning shown: %v", err)

	// Locked keyring and revoke asked for: nothing is removed.
	if err := s.Add(ctx, Account{Name: "c", Provider: testProvider()}, Secret{Token: ex.Mint()}); err != nil {
		t.Fatal(err)
	}
	locked, err := Open(Config{Dir: s.Dir(), Backend: "file", Exchanger: ex})
	if err != nil {
		t.Fatal(err)
	}
	if err := locked.Remove(ctx, "c", true); !errors.Is(err, ErrLocked) || errors.Is(err, ErrRevokeFailed) {
		t.Fatalf("Remove on a locked keyring = %v", err)
	}
	if _, err := locked.Account("c"); err != nil {
		t.Fatal("removed although revoking was impossible")
	}
	// Without revoking, a locked keyring is no obstacle.
	if err := locked.Remove(ctx, "c", false); err != nil {
		t.Fatal(err)
	}
}

// TestFileTrailsKeyring: a process that died after storing a new token but
// before writing the account's file leaves the file behind; the next
// refresh catches up instead of spending the (already rotated) old token.
func TestFileTrailsKeyring(t *testing.T) {
	clk := &clock{t: time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)}
	ex := newFakeEx(clk.Now)
	s := openFile(t, t.TempDir(), "pw", ex, clk.Now)
	ctx := ctxT(t)
	if err := s.Add(ctx, Account{Name: "a", Provider: testProvider()}, Secret{Token: ex.Mint()}); err != nil {
		t.Fatal(err)
	}
	// Simulate: rotate at the server and store the result, file untouched.
	sec, _ := s.Secret(ctx, "a")
	nt, err := ex.Refresh(ctx, flow.Provider{}, flow.Secrets{}, sec.Token.RefreshToken)
	if err != nil {
		t.Fatal(err)
	}
	clk.Add(time.Second)
	nt.IssuedAt = clk.Now()
	sec.Token = *nt
	if err := s.putSecret(ctx, "a", sec); err != nil {
		t.Fatal(err)
	}
	clk.Add(59 * time.Minute)
	tok, err := s.Token(ctx, "a")
	if err != nil {
		t.Fatalf("Token: %v", err)
	}
	if tok.AccessToken == nt.AccessToken {
		t.Fatal("not refreshed")
	}
	if a := mustAccount(t, s, "a"); a.NeedsRelink || !a.AccessIssued.Equal(tok.IssuedAt) {
		t.Fatalf("account file: %+v", a)
	}
}

func TestNoSecretOutsideKeyring(t *testing.T) {
	dir := t.TempDir()
	ex := newFakeEx(time.Now)
	ctx := ctxT(t)
	const pass = "passphrase-secret-77"
	s := openFile(t, dir, pass, ex, nil)
	var secrets []string
	for _, n := range []string{"one", "two", "three"} {
		tok := ex.Mint()
		tok.IDToken = "idtoken-secret-" + n
		sec := Secret{Token: tok, ClientSecret: "client-secret-" + n, APIKey: "api-key-secret-" + n}
		if err := s.Add(ctx, Account{Name: n, Provider: testProvider()}, sec); err != nil {
			t.Fatal(err)
		}
		secrets = append(secrets, tok.AccessToken, tok.RefreshToken, tok.IDToken, sec.ClientSecret, sec.APIKey)
	}
	for i := 0; i < 3; i++ {
		a, err := s.Refresh(ctx, "one")
		if err != nil {
			t.Fatal(err)
		}
		_ = a
		sec, _ := s.Secret(ctx, "one")
		secrets = append(secrets, sec.Token.AccessToken, sec.Token.RefreshToken)
	}
	// A failed refresh records an error: it must not carry a secret either.
	ex.fail = []error{&flow.OAuthError{Op: "refresh", Code: "invalid_grant", Description: "bad token", Status: 400}}
	_, _ = s.Refresh(ctx, "two")
	if err := s.Remove(ctx, "three", true); err != nil {
		t.Fatal(err)
	}
	secrets = append(secrets, pass)

	files := 0
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		files++
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, sec := range secrets {
			if strings.Contains(string(data), sec) {
				t.Errorf("%s contains the secret %q", path, sec)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files < 5 { // 2 account files, 2 items, check item, locks
		t.Fatalf("only %d files checked", files)
	}
	// The grep can fail: an unencrypted copy would be found.
	if err := os.WriteFile(filepath.Join(dir, "leak"), []byte(secrets[0]), 0o600); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(filepath.Join(dir, "leak"))
	if !strings.Contains(string(data), secrets[0]) {
		t.Fatal("grep self-check failed")
	}
}

func TestCancelledContext(t *testing.T) {
	s := openFile(t, t.TempDir(), "pw", nil, nil)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	ex := newFakeEx(time.Now)
	if err := s.Add(ctx, Account{Name: "a", Provider: testProvider()}, Secret{Token: ex.Mint()}); err == nil {
		t.Fatal("Add with a cancelled context succeeded")
	}
}

// TestConcurrentAddSameName: two stores on one directory add the same
// name at once: one wins, and the stored secret is the winner's.
func TestConcurrentAddSameName(t *testing.T) {
	dir := t.TempDir()
	ex := newFakeEx(time.Now)
	for round := 0; round < 10; round++ {
		name := "n" + string(rune('a'+round))
		stores := []*Store{openFile(t, dir, "pw", ex, nil), openFile(t, dir, "pw", ex, nil)}
		toks := []flow.Token{ex.Mint(), ex.Mint()}
		errs := make([]error, 2)
		var wg sync.WaitGroup
		for i := range stores {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				errs[i] = stores[i].Add(ctxT(t), Account{Name: name, Provider: testProvider()}, Secret{Token: toks[i]})
			}(i)
		}
		wg.Wait()
		winner := -1
		for i, err := range errs {
			switch {
			case err == nil:
				winner = i
			case !errors.Is(err, ErrExists):
				t.Fatalf("Add: %v", err)
			}
		}
		if winner < 0 || errs[0] == nil && errs[1] == nil {
			t.Fatalf("round %d: errs %v", round, errs)
		}
		sec, err := stores[0].Secret(ctxT(t), name)
		if err != nil || sec.Token.AccessToken != toks[winner].AccessToken {
			t.Fatalf("round %d: the loser overwrote the winner's secret (%v)", round, err)
		}
	}
}

// Two first-time processes choosing different passphrases at the same
// moment end with one passphrase: one wins, the other is told the keyring
// already has one (before: each wrote its own check item, 10 of 10 runs).
func TestFirstPassphraseIsChosenOnce(t *testing.T) {
	for run := 0; run < 20; run++ {
		dir := t.TempDir()
		a := openFile(t, dir, "", nil, nil)
		b := openFile(t, dir, "", nil, nil)
		ctx := ctxT(t)
		start := make(chan struct{})
		errs := make([]error, 2)
		var wg sync.WaitGroup
		for i, st := range []*Store{a, b} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				errs[i] = st.Unlock(ctx, fmt.Sprintf("passphrase-%d", i))
			}()
		}
		close(start)
		wg.Wait()
		won := -1
		for i, err := range errs {
			switch {
			case err == nil:
				if won >= 0 {
					t.Fatalf("run %d: both passphrases were accepted for one new keyring", run)
				}
				won = i
			case !errors.Is(err, ErrBadPassphrase) || !strings.Contains(err.Error(), "another tokenring"):
				t.Fatalf("run %d: the loser got %v", run, err)
			}
		}
		if won < 0 {
			t.Fatalf("run %d: neither passphrase was taken: %v", run, errs)
		}
		// A fresh store: only the winner's passphrase opens the keyring.
		c := openFile(t, dir, "", nil, nil)
		if err := c.Unlock(ctx, fmt.Sprintf("passphrase-%d", 1-won)); !errors.Is(err, ErrBadPassphrase) {
			t.Fatalf("run %d: the loser's passphrase opens the keyring: %v", run, err)
		}
		if err := c.Unlock(ctx, fmt.Sprintf("passphrase-%d", won)); err != nil {
			t.Fatalf("run %d: the winner's passphrase: %v", run, err)
		}
	}
}

// stallEx holds each refresh until release is closed or the request's
// context ends (a provider that does not answer).
type stallEx struct {
	*fakeEx
	release chan struct{}
	started chan struct{}
}

func (s stallEx) Refresh(ctx context.Context, p flow.Provider, sec flow.Secrets, rt string) (*flow.Token, error) {
	select {
	case s.started <- struct{}{}:
	default:
	}
	select {
	case <-s.release:
	case <-ctx.Done():
		s.fakeEx.mu.Lock()
		s.fakeEx.refresh++
		s.fakeEx.mu.Unlock()
		return nil, fmt.Errorf("%w: %w", flow.ErrTimeout, ctx.Err())
	}
	return s.fakeEx.Refresh(ctx, p, sec, rt)
}

// token while a valid token is in hand gives up an early refresh after
// TokenWait and hands out the stored token: while another process holds
// the account's lock, and while a provider that keeps its refresh tokens
// does not answer. A provider that may rotate them is waited for (a cut
// answer could lose the account): the new token comes back.
func TestTokenGivesUpEarlyRefreshInTime(t *testing.T) {
	ctx := ctxT(t)
	setup := func(t *testing.T, keeps bool) (*Store, stallEx, flow.Token, *clock) {
		clk := &clock{t: time.Now()}
		ex := stallEx{newFakeEx(clk.Now), make(chan struct{}), make(chan struct{}, 1)}
		s, err := Open(Config{Dir: t.TempDir(), Backend: "file", EnvPassphrase: "pw", Exchanger: ex, Now: clk.Now, TokenWait: 200 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		tok := ex.Mint()
		if err := s.Add(ctx, Account{Name: "a", Provider: testProvider()}, Secret{Token: tok}); err != nil {
			t.Fatal(err)
		}
		if keeps {
			a := mustAccount(t, s, "a")
			a.RefreshKeeps = true
			if err := s.files.write(a); err != nil {
				t.Fatal(err)
			}
		}
		clk.Add(57 * time.Minute) // in the window, 3 minutes left
		return s, ex, tok, clk
	}
	t.Run("lock held elsewhere", func(t *testing.T) {
		s, ex, tok, _ := setup(t, false)
		l, err := lockFile(lockDeadline{ctx: ctx}, s.lockPath("a"), "a")
		if err != nil {
			t.Fatal(err)
		}
		defer l.unlock()
		got, err := s.Token(ctx, "a")
		if err != nil || got.AccessToken != tok.AccessToken || ex.refresh != 0 {
			t.Fatalf("got %q %v after %d requests, want the stored token and none", got.AccessToken, err, ex.refresh)
		}
	})
	t.Run("a provider that keeps refresh tokens stalls", func(t *testing.T) {
		s, ex, tok, _ := setup(t, true)
		defer close(ex.release)
		got, err := s.Token(ctx, "a")
		if err != nil || got.AccessToken != tok.AccessToken {
			t.Fatalf("got %q %v, want the stored token", got.AccessToken, err)
		}
		if a := mustAccount(t, s, "a"); a.LastError == "" {
			t.Error("the abandoned refresh is not recorded")
		}
	})
	t.Run("a provider that may rotate is waited for", func(t *testing.T) {
		s, ex, tok, _ := setup(t, false)
		go func() {
			<-ex.started
			time.Sleep(600 * time.Millisecond) // well past TokenWait
			close(ex.release)
		}()
		got, err := s.Token(ctx, "a")
		if err != nil || got.AccessToken == tok.AccessToken || !ex.valid[s.mustSecret(t, "a").Token.RefreshToken] {
			t.Fatalf("got the stored token or an error (%v): the answer of a rotating provider was given up", err)
		}
	})
}

func (s *Store) mustSecret(t *testing.T, name string) Secret {
	t.Helper()
	sec, err := s.Secret(ctxT(t), name)
	if err != nil {
		t.Fatal(err)
	}
	return sec
}

package accounts

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/tokenring/tokenring/flow"
	"github.com/tokenring/tokenring/internal/termtext"
)

// damage is one way an account file can be unusable.
type damage struct {
	file   string // the file's name without .json
	data   []byte // nil: make it a directory; "fifo": a named pipe; "loop": a symlink to itself
	reason string // in the error
	fix    string
}

func damages(t *testing.T) map[string]damage {
	enc := func(a Account) []byte {
		data, err := encodeAccount(a)
		if err != nil {
			t.Fatal(err)
		}
		return data
	}
	whole := enc(Account{Name: "broken", Provider: testProvider(), HasRefresh: true})
	remove := "remove the account ('tokenring remove broken'"
	return map[string]damage{
		"cut in half":       {"broken", whole[:len(whole)/2], "not an account's JSON: unexpected end of JSON input", remove},
		"final brace cut":   {"broken", bytes.TrimSuffix(bytes.TrimSpace(whole), []byte("}")), "unexpected end of JSON input", remove},
		"not JSON":          {"broken", []byte("name = broken\n"), "not an account's JSON: invalid character", remove},
		"empty":             {"broken", []byte{}, "unexpected end of JSON input", remove},
		"another's name":    {"broken", enc(Account{Name: "other", Provider: testProvider()}), `it holds the account "other"`, remove},
		"escapes in name":   {"broken", enc(Account{Name: "\x1b]0;pwned\x07x", Provider: testProvider()}), "it holds the account", remove},
		"no version":        {"broken", []byte(`{"name": "broken"}`), "it has no format version", remove},
		"newer format":      {"broken", bytes.Replace(whole, []byte(`"version": 1`), []byte(`"version": 2`), 1), "a newer tokenring wrote it (format 2)", "update tokenring"},
		"larger than 1 MiB": {"broken", append(bytes.Repeat([]byte(" "), maxAccountFile), whole...), "it is larger than 1 MiB", remove},
		"a directory":       {"broken", nil, "it is not a regular file", remove},
		"a named pipe":      {"broken", []byte("fifo"), "it is not a regular file", remove},
		"unreadable":        {"broken", []byte("loop"), "it cannot be read: too many levels of symbolic links", remove},
		"invalid file name": {"my account", enc(Account{Name: "my account", Provider: testProvider()}), "its name is not an account name", "move it out of"},
		"name too long":     {strings.Repeat("a", 65), enc(Account{Name: strings.Repeat("a", 65)}), "its name is not an account name", "move it out of"},
	}
}

func (d damage) write(t *testing.T, dir string) string {
	t.Helper()
	path := filepath.Join(dir, AccountsDir, d.file+".json")
	var err error
	switch {
	case d.data == nil:
		err = os.Mkdir(path, 0o700)
	case string(d.data) == "fifo":
		if err = mkfifo(path); errors.Is(err, errors.ErrUnsupported) {
			t.Skip("no named pipes in the file system")
		}
	case string(d.data) == "loop": // what root cannot make with a mode: a file open fails on
		err = os.Symlink(filepath.Base(path), path)
	default:
		err = os.WriteFile(path, d.data, 0o600)
	}
	if err != nil {
		t.Fatal(err)
	}
	return path
}

// checkDamaged: every way to reach the damaged account gives the same
// typed answer, naming the file, and the good account keeps working.
func checkDamaged(t *testing.T, s *Store, d damage, path string) {
	t.Helper()
	ctx := ctxT(t)
	l, err := s.Accounts()
	if err != nil || len(l) != 2 {
		t.Fatalf("Accounts = %v, %v; want the good and the damaged account", accountNames(l), err)
	}
	bad := l[0]
	if bad.Name == "good" {
		bad = l[1]
	}
	if bad.Damaged == nil || bad.Name != termtext.Clean(d.file) || s.Policy().Status(bad, time.Now()) != StatusDamaged || StatusDamaged.String() != "damaged" ||
		!strings.Contains(bad.LastError, path) || !strings.Contains(bad.LastError, d.reason) || !strings.Contains(bad.LastError, d.fix) {
		t.Fatalf("listed as %+v (%v)", bad, s.Policy().Status(bad, time.Now()))
	}
	if bad.LastError != termtext.Clean(bad.LastError) {
		t.Fatalf("the message is not safe for a terminal: %q", bad.LastError)
	}
	for op, f := range map[string]func() error{
		"Account": func() error { _, err := s.Account(d.file); return err },
		"Token":   func() error { _, err := s.Token(ctx, d.file); return err },
		"Refresh": func() error { _, err := s.Refresh(ctx, d.file); return err },
		"Secret":  func() error { _, err := s.Secret(ctx, d.file); return err },
	} {
		err := f()
		var de *DamagedError
		if !errors.Is(err, ErrDamaged) || errors.Is(err, ErrNotFound) || !errors.As(err, &de) || de.Path != path || err.Error() != bad.LastError {
			t.Errorf("%s(%q) = %v", op, d.file, err)
		}
	}
	if ValidName(d.file) == nil {
		err := s.Add(ctx, Account{Name: d.file, Provider: testProvider()}, Secret{Token: flow.Token{AccessToken: "x"}})
		if !errors.Is(err, ErrExists) || !errors.Is(err, ErrDamaged) {
			t.Errorf("Add over a damaged file: %v", err)
		}
	}
	if tok, err := s.Token(ctx, "good"); err != nil || tok.AccessToken == "" {
		t.Errorf("the good account: %v", err)
	}
	if _, err := s.Refresh(ctx, "good"); err != nil {
		t.Errorf("refreshing the good account: %v", err)
	}
}

// TestDamagedAccountFile: a damaged account file is listed as damaged, with
// its path and what to do, and Account, Token, Refresh, Secret and Add of
// its name all say so (not "not found", not success), in this store and in
// a new one; the other account works; Remove clears it where it can.
func TestDamagedAccountFile(t *testing.T) {
	for name, d := range damages(t) {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			ex := newFakeEx(time.Now)
			s := openFile(t, dir, "pw", ex, nil)
			if err := s.Add(ctxT(t), Account{Name: "good", Provider: testProvider()}, Secret{Token: ex.Mint()}); err != nil {
				t.Fatal(err)
			}
			path := d.write(t, dir)
			checkDamaged(t, s, d, path)
			checkDamaged(t, openFile(t, dir, "pw", ex, nil), d, path) // a new process: nothing cached

			if ValidName(d.file) != nil {
				if err := s.Remove(ctxT(t), d.file, false); !errors.Is(err, ErrBadName) && !errors.Is(err, ErrDamaged) {
					t.Errorf("Remove(%q) = %v", d.file, err)
				}
				return
			}
			if err := s.Remove(ctxT(t), d.file, true); !errors.Is(err, ErrRevokeFailed) || !strings.Contains(err.Error(), "provider is unknown") {
				t.Errorf("Remove with revoke = %v, want a warning that nothing was revoked", err)
			}
			if _, err := os.Lstat(path); err == nil && d.data != nil {
				t.Error("the damaged file is still there")
			}
			if d.data != nil {
				if _, err := s.Account(d.file); !errors.Is(err, ErrNotFound) {
					t.Errorf("after Remove: %v", err)
				}
			}
		})
	}
}

// TestDamageSeenThroughTheCache: a store that has listed an account (and
// cached it) sees the file damaged in place, and repaired, at once.
func TestDamageSeenThroughTheCache(t *testing.T) {
	dir := t.TempDir()
	ex := newFakeEx(time.Now)
	s := openFile(t, dir, "pw", ex, nil)
	for _, n := range []string{"good", "victim"} {
		if err := s.Add(ctxT(t), Account{Name: n, Provider: testProvider()}, Secret{Token: ex.Mint()}); err != nil {
			t.Fatal(err)
		}
	}
	before, err := s.Accounts()
	if err != nil || len(before) != 2 {
		t.Fatal(err)
	}
	path := filepath.Join(dir, AccountsDir, "victim.json")
	whole, _ := os.ReadFile(path)
	if err := os.WriteFile(path, whole[:len(whole)-2], 0o600); err != nil { // in place: same inode
		t.Fatal(err)
	}
	if _, err := s.Account("victim"); !errors.Is(err, ErrDamaged) {
		t.Fatalf("Account after the damage: %v", err)
	}
	if l, _ := s.Accounts(); len(l) != 2 || l[1].Damaged == nil {
		t.Fatalf("Accounts after the damage: %+v", l)
	}
	if err := os.WriteFile(path, whole, 0o600); err != nil {
		t.Fatal(err)
	}
	if after, err := s.Accounts(); err != nil || !reflect.DeepEqual(after, before) {
		t.Fatalf("after the repair: %+v, %v", after, err)
	}
}

// TestRefreshWritesOneFile: a refresh replaces its account's file alone
// (~1 KB), not the others.
func TestRefreshWritesOneFile(t *testing.T) {
	dir := t.TempDir()
	ex := newFakeEx(time.Now)
	s := openFile(t, dir, "pw", ex, nil)
	for _, n := range []string{"a", "b", "c"} {
		if err := s.Add(ctxT(t), Account{Name: n, Provider: testProvider()}, Secret{Token: ex.Mint()}); err != nil {
			t.Fatal(err)
		}
	}
	stat := func(n string) fileKey {
		k, err := statFile(nil, filepath.Join(dir, AccountsDir, n+".json"))
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	a0, b0, c0 := stat("a"), stat("b"), stat("c")
	if _, err := s.Refresh(ctxT(t), "b"); err != nil {
		t.Fatal(err)
	}
	if !stat("a").same(a0) || !stat("c").same(c0) || stat("b").same(b0) {
		t.Fatal("the refresh did not replace b's file alone")
	}
	if fi, _ := os.Stat(filepath.Join(dir, AccountsDir, "b.json")); fi.Size() > 2048 {
		t.Fatalf("an account file of %d bytes", fi.Size())
	}
}

// TestRefreshAnswerWithoutRefreshTokenKeepsTheOld: a provider may answer a
// refresh without a new refresh token (RFC 6749 §6): the one the account
// has stays, so the next refresh still works. The store keeps it itself
// and does not rely on the exchanger to copy it back (flow/exchange does,
// another Exchanger need not).
func TestRefreshAnswerWithoutRefreshTokenKeepsTheOld(t *testing.T) {
	ex := newFakeEx(time.Now)
	s := openFile(t, t.TempDir(), "pw", ex, nil)
	tok := ex.Mint()
	if err := s.Add(ctxT(t), Account{Name: "a", Provider: testProvider()}, Secret{Token: tok}); err != nil {
		t.Fatal(err)
	}
	ex.noRotate = true
	for i := 0; i < 2; i++ {
		if _, err := s.Refresh(ctxT(t), "a"); err != nil {
			t.Fatalf("refresh %d: %v", i+1, err)
		}
		sec, err := s.Secret(ctxT(t), "a")
		if err != nil {
			t.Fatal(err)
		}
		if sec.Token.RefreshToken != tok.RefreshToken {
			t.Fatalf("refresh %d: the refresh token became %q", i+1, sec.Token.RefreshToken)
		}
		if sec.Token.AccessToken == tok.AccessToken {
			t.Fatalf("refresh %d: the access token was not replaced", i+1)
		}
	}
}

// TestAddSameNameProcesses: four processes add the same name at once, in
// five directories: one wins each time, the others get ErrExists, and the
// secret stored is the winner's.
func TestAddSameNameProcesses(t *testing.T) {
	for round := 0; round < 5; round++ {
		dir := t.TempDir()
		ex := newFakeEx(time.Now)
		s := openFile(t, dir, "pw", ex, nil)
		// The keyring gets its passphrase first (two first-time processes
		// setting it at once is issue 9's item 2, not this test's).
		if err := s.Add(ctxT(t), Account{Name: "first", Provider: testProvider()}, Secret{Token: ex.Mint()}); err != nil {
			t.Fatal(err)
		}
		outs := together(t, 4, dir, "pw", "add")
		winner := -1
		for i, o := range outs {
			switch o {
			case "won":
				if winner >= 0 {
					t.Fatalf("round %d: processes %d and %d both added the name", round, winner, i)
				}
				winner = i
			case "exists":
			default:
				t.Fatalf("round %d: child %d said %q", round, i, o)
			}
		}
		if winner < 0 {
			t.Fatalf("round %d: nobody won", round)
		}
		sec, err := openFile(t, dir, "pw", nil, nil).Secret(ctxT(t), "same")
		if want := "at-of-" + string(rune('0'+winner)); err != nil || sec.Token.AccessToken != want {
			t.Fatalf("round %d: stored %q (%v), the winner was %s", round, sec.Token.AccessToken, err, want)
		}
		if l, _ := s.Accounts(); len(l) != 2 {
			t.Fatalf("round %d: %v", round, accountNames(l))
		}
	}
}

//go:build linux

package accounts

// Full disks and keyrings that stop taking writes, for real: the config
// directory on a small tmpfs (mount needs root; CI runs as root).

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/tokenring/tokenring/flow"
)

// smallDisk mounts a tmpfs of size bytes and returns a config dir on it.
func smallDisk(t *testing.T, size string) string {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("mounting a tmpfs needs root (CI runs as root)")
	}
	mnt := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+size+",mode=0700", "tmpfs", mnt).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a tmpfs here: %v %s", err, out)
	}
	t.Cleanup(func() { exec.Command("umount", "-l", mnt).Run() })
	dir := filepath.Join(mnt, "tokenring")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	return dir
}

// fill writes a file until the disk is full; the returned func frees it.
func fill(t *testing.T, dir string) func() {
	t.Helper()
	path := filepath.Join(dir, "filler")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 1024)
	for {
		if _, err := f.Write(buf); err != nil {
			break
		}
	}
	f.Close()
	return func() { os.Remove(path) }
}

// afterAnswer runs hook once the provider has answered a refresh (the
// tokens are issued, the old refresh token spent), before the store sees
// the answer.
type afterAnswer struct {
	*fakeEx
	hook func()
}

func (a afterAnswer) Refresh(ctx context.Context, p flow.Provider, s flow.Secrets, rt string) (*flow.Token, error) {
	tok, err := a.fakeEx.Refresh(ctx, p, s, rt)
	if err == nil && a.hook != nil {
		a.hook()
	}
	return tok, err
}

func addDue(t *testing.T, s *Store, ex *fakeEx, clk *clock) flow.Token {
	t.Helper()
	tok := ex.Mint()
	if err := s.Add(ctxT(t), Account{Name: "a", Provider: testProvider()}, Secret{Token: tok}); err != nil {
		t.Fatal(err)
	}
	clk.Add(58 * time.Minute) // inside the refresh window of a 1 h token
	return tok
}

// A full disk stops a refresh before the old refresh token is spent.
func TestFullDiskRefusesBeforeSpending(t *testing.T) {
	dir := smallDisk(t, "64k")
	clk := &clock{t: time.Now()}
	ex := newFakeEx(clk.Now)
	s := openFile(t, dir, "pw", ex, clk.Now)
	first := addDue(t, s, ex, clk)
	free := fill(t, dir)
	_, err := s.Refresh(ctxT(t), "a")
	if !errors.Is(err, ErrNoSpace) {
		t.Fatalf("refresh on a full disk: %v, want ErrNoSpace", err)
	}
	if ex.refresh != 0 || !ex.valid[first.RefreshToken] {
		t.Fatalf("%d refresh requests on a full disk: the refresh token was spent", ex.refresh)
	}
	free()
	if _, err := s.Refresh(ctxT(t), "a"); err != nil {
		t.Fatalf("refresh once space is back: %v", err)
	}
	if left, _ := filepath.Glob(filepath.Join(dir, KeyringDir, tmpPrefix+"*")); len(left) != 0 {
		t.Fatalf("reservations left behind: %v", left)
	}
}

// The disk filling up while the request is in flight does not lose the
// new tokens: the space they need was reserved before the request.
func TestDiskFillingDuringRefreshKeepsTheTokens(t *testing.T) {
	dir := smallDisk(t, "64k")
	clk := &clock{t: time.Now()}
	ex := newFakeEx(clk.Now)
	var free func()
	s := openFile(t, dir, "pw", afterAnswer{ex, func() { free = fill(t, dir) }}, clk.Now)
	addDue(t, s, ex, clk)
	tok, err := s.Token(ctxT(t), "a")
	if free != nil {
		defer free()
	}
	if err != nil {
		t.Fatalf("refresh while the disk filled up: %v", err)
	}
	// A fresh store (a new process) reads the new tokens from the keyring.
	again, err := openFile(t, dir, "pw", ex, clk.Now).Secret(ctxT(t), "a")
	if err != nil || again.Token.AccessToken != tok.AccessToken || !ex.valid[again.Token.RefreshToken] {
		t.Fatalf("stored after the disk filled: %v", err)
	}
}

// When storing still fails (the keyring's directory gone from under the
// store), the new tokens are never dropped: they are handed out, and
// stored as soon as the keyring takes writes again.
func TestTokensThatCannotBeStoredAreKept(t *testing.T) {
	dir := t.TempDir()
	kr := filepath.Join(dir, KeyringDir)
	clk := &clock{t: time.Now()}
	ex := newFakeEx(clk.Now)
	old := storeRetries
	storeRetries = []time.Duration{time.Millisecond}
	defer func() { storeRetries = old }()
	broken := false
	breakKeyring := func() {
		if err := os.Rename(kr, kr+".away"); err != nil {
			t.Error(err)
		}
		os.WriteFile(kr, []byte("not a directory"), 0o600)
		broken = true
	}
	s := openFile(t, dir, "pw", afterAnswer{ex, breakKeyring}, clk.Now)
	addDue(t, s, ex, clk)
	_, err := s.Refresh(ctxT(t), "a")
	if !errors.Is(err, ErrNotStored) || !broken {
		t.Fatalf("refresh with a broken keyring: %v", err)
	}
	if p := s.Pending(); len(p) != 1 || p[0] != "a" {
		t.Fatalf("pending %v", p)
	}
	held, err := s.Secret(ctxT(t), "a")
	if err != nil || !ex.valid[held.Token.RefreshToken] {
		t.Fatalf("the new tokens are not handed out: %v", err)
	}
	if a := mustAccount(t, s, "a"); a.LastError == "" {
		t.Error("LastError does not say the tokens are held in memory")
	}
	// The keyring comes back: the next read stores them.
	os.Remove(kr)
	if err := os.Rename(kr+".away", kr); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Token(ctxT(t), "a"); err != nil {
		t.Fatal(err)
	}
	if p := s.Pending(); len(p) != 0 {
		t.Fatalf("still pending: %v", p)
	}
	fresh, err := openFile(t, dir, "pw", ex, clk.Now).Secret(ctxT(t), "a")
	if err != nil || fresh.Token.RefreshToken != held.Token.RefreshToken {
		t.Fatalf("a fresh store reads: %v", err)
	}
}

// Temp items and reservations a killed writer left in the keyring's
// directory are removed at the next start; a live writer's are not (they
// stayed for an hour before).
func TestDeadWritersLeftoversGoAtStart(t *testing.T) {
	dir := t.TempDir()
	kr := filepath.Join(dir, KeyringDir)
	os.MkdirAll(kr, 0o700)
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	deadPID := cmd.Process.Pid // exited and reaped: no such process now
	dead := filepath.Join(kr, tmpPrefix+strconv.Itoa(deadPID)+".tokenring.account.a.0a1b2c")
	deadRes := filepath.Join(kr, tmpPrefix+strconv.Itoa(deadPID)+".reserve.3d4e5f")
	live := filepath.Join(kr, tmpPrefix+strconv.Itoa(os.Getpid())+".tokenring.account.b.6a7b8c")
	for _, p := range []string{dead, deadRes, live} {
		if err := os.WriteFile(p, []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	openFile(t, dir, "pw", nil, nil)
	for _, p := range []string{dead, deadRes} {
		if _, err := os.Stat(p); err == nil {
			t.Errorf("%s of a dead writer is still there", filepath.Base(p))
		}
	}
	if _, err := os.Stat(live); err != nil {
		t.Errorf("a live writer's temp item was removed: %v", err)
	}
}

// Linking: Writable (called before a single-use code is spent) says so
// when the disk is full, and once it has said yes, the Add after the
// exchange succeeds even if the disk filled up meanwhile: the room of the
// new item was reserved by Writable, not found at Add.
func TestWritableReservesTheNextAdd(t *testing.T) {
	dir := smallDisk(t, "64k")
	ex := newFakeEx(time.Now)
	s := openFile(t, dir, "pw", ex, nil)
	if err := s.Add(ctxT(t), Account{Name: "first", Provider: testProvider()}, Secret{Token: ex.Mint()}); err != nil {
		t.Fatal(err)
	}

	free := fill(t, dir)
	if err := s.Writable(ctxT(t)); !errors.Is(err, ErrNoSpace) {
		t.Fatalf("Writable on a full disk: %v, want ErrNoSpace", err)
	}
	free()

	if err := s.Writable(ctxT(t)); err != nil {
		t.Fatalf("Writable with room: %v", err)
	}
	free = fill(t, dir) // the disk fills while the code is exchanged
	defer free()
	if err := s.Add(ctxT(t), Account{Name: "second", Provider: testProvider()}, Secret{Token: ex.Mint()}); err != nil {
		t.Fatalf("Add after Writable, the disk full since: %v", err)
	}
	sec, err := openFile(t, dir, "pw", ex, nil).Secret(ctxT(t), "second")
	if err != nil || sec.Token.AccessToken == "" {
		t.Fatalf("the account added on a full disk cannot be read back: %v", err)
	}
}

package accounts

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// seedRekey links n accounts in a new keyring under pass and returns their
// secrets.
func seedRekey(t testing.TB, dir, pass string, n int) map[string]Secret {
	t.Helper()
	ex := newFakeEx(time.Now)
	s := openFile(t, dir, pass, ex, nil)
	want := map[string]Secret{}
	for i := 0; i < n; i++ {
		name := fmt.Sprintf("acct-%02d", i)
		sec := Secret{Token: ex.Mint(), ClientSecret: "cs-" + name, APIKey: "ak-" + name}
		if err := s.Add(ctxT(t), Account{Name: name, Provider: testProvider()}, sec); err != nil {
			t.Fatal(err)
		}
		want[name] = sec
	}
	s.Close()
	return want
}

func noRekeyLeftovers(t testing.TB, dir string) {
	t.Helper()
	for _, d := range []string{KeyringDir + ".new", KeyringDir + ".old"} {
		if _, err := os.Lstat(filepath.Join(dir, d)); err == nil {
			t.Errorf("%s left behind", d)
		}
	}
}

func TestChangePassphrase(t *testing.T) {
	dir := t.TempDir()
	want := seedRekey(t, dir, "old pass", 5)
	ex := newFakeEx(time.Now)
	other := openFile(t, dir, "old pass", ex, nil) // another process, unlocked before the change
	checkSecrets(t, other, want)
	before, _, _ := readKDF(filepath.Join(dir, KeyringDir))

	s := openFile(t, dir, "", ex, nil)
	if err := s.ChangePassphrase(ctxT(t), "wrong", "new pass"); !errors.Is(err, ErrBadPassphrase) {
		t.Fatalf("wrong old passphrase: %v", err)
	}
	if err := s.ChangePassphrase(ctxT(t), "old pass", "new pass"); err != nil {
		t.Fatal(err)
	}
	noRekeyLeftovers(t, dir)
	after, _, _ := readKDF(filepath.Join(dir, KeyringDir))
	if string(after.Salt) == string(before.Salt) {
		t.Fatal("the salt did not change")
	}
	for k, kid := range itemFiles(t, dir) {
		if kid != after.kid() {
			t.Errorf("%s: kid %q", k, kid)
		}
	}
	checkSecrets(t, s, want)
	checkSecrets(t, openFile(t, dir, "new pass", ex, nil), want)
	if err := openFile(t, dir, "", ex, nil).Unlock(ctxT(t), "old pass"); !errors.Is(err, ErrBadPassphrase) {
		t.Fatalf("the old passphrase still opens: %v", err)
	}
	// The process unlocked before the change neither reads nor writes with
	// its old key: it is told to unlock again.
	if _, err := other.Secret(ctxT(t), "acct-01"); !errors.Is(err, ErrLocked) || !strings.Contains(err.Error(), "changed") {
		t.Fatalf("stale key, read: %v", err)
	}
	other2 := openFile(t, dir, "", ex, nil)
	other2.setKey(deriveKey([]byte("old pass"), before))
	err := other2.Add(ctxT(t), Account{Name: "late", Provider: testProvider()}, Secret{Token: ex.Mint()})
	if !errors.Is(err, ErrLocked) || !strings.Contains(err.Error(), "changed") {
		t.Fatalf("stale key, write: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, KeyringDir, itemKey("late"))); err == nil {
		t.Fatal("an item was written with the old key")
	}
}

// What a killed change leaves is finished or undone by the next Open,
// whichever is whole.
func TestRecoverRekeyStates(t *testing.T) {
	build := func(t *testing.T) (dir string, want map[string]Secret) {
		dir = t.TempDir()
		want = seedRekey(t, dir, "old pass", 3)
		s := openFile(t, dir, "old pass", newFakeEx(time.Now), nil)
		checkSecrets(t, s, want)
		d, _ := newKDFDoc(s.kdfParams())
		box := deriveKey([]byte("new pass"), d)
		if _, err := s.buildKeyring(s.fileDir+".new", s.key(), nil, box.String(), d); err != nil {
			t.Fatal(err)
		}
		return dir, want
	}
	opens := func(t *testing.T, dir, pass string, want map[string]Secret) {
		t.Helper()
		s := openFile(t, dir, pass, newFakeEx(time.Now), nil)
		noRekeyLeftovers(t, dir)
		checkSecrets(t, s, want)
	}
	kr := func(dir string) string { return filepath.Join(dir, KeyringDir) }

	t.Run("built, not swapped", func(t *testing.T) {
		dir, want := build(t)
		opens(t, dir, "old pass", want)
	})
	t.Run("half built", func(t *testing.T) {
		dir, want := build(t)
		os.Remove(filepath.Join(kr(dir)+".new", KDFFile))
		opens(t, dir, "old pass", want)
	})
	t.Run("moved aside", func(t *testing.T) {
		dir, want := build(t)
		os.Rename(kr(dir), kr(dir)+".old")
		opens(t, dir, "new pass", want)
	})
	t.Run("moved aside, a reader made an empty keyring", func(t *testing.T) {
		dir, want := build(t)
		os.Rename(kr(dir), kr(dir)+".old")
		os.Mkdir(kr(dir), 0o700)
		opens(t, dir, "new pass", want)
	})
	t.Run("swapped, old not yet deleted", func(t *testing.T) {
		dir, want := build(t)
		os.Rename(kr(dir), kr(dir)+".old")
		os.Rename(kr(dir)+".new", kr(dir))
		opens(t, dir, "new pass", want)
	})
	t.Run("exchanged, old not yet deleted", func(t *testing.T) {
		dir, want := build(t)
		if err := exchangeDirs(kr(dir)+".new", kr(dir)); err != nil {
			t.Skipf("no atomic exchange here: %v", err)
		}
		opens(t, dir, "new pass", want)
	})
}

// rekeyChild is the child process of TestChangePassphraseKilled: it
// changes the passphrase from TOKENRING_ACCOUNTS_TEST_PASS to
// TOKENRING_ACCOUNTS_TEST_NEW and says "start" and "done".
func rekeyChild(mode, dir string) (int, bool) {
	if mode != "passwd" {
		return 0, false
	}
	s, err := Open(Config{Dir: dir, Backend: "file"})
	if err != nil {
		fmt.Fprintln(os.Stderr, "open:", err)
		return 2, true
	}
	if at := os.Getenv("TOKENRING_ACCOUNTS_TEST_KILL_AT"); at != "" {
		rekeyHook = func(step string) {
			if step == at {
				p, _ := os.FindProcess(os.Getpid())
				p.Kill() // SIGKILL: nothing deferred runs
				select {}
			}
		}
	}
	fmt.Println("start")
	if err := s.ChangePassphrase(context.Background(), os.Getenv("TOKENRING_ACCOUNTS_TEST_PASS"), os.Getenv("TOKENRING_ACCOUNTS_TEST_NEW")); err != nil {
		fmt.Fprintln(os.Stderr, "passwd:", err)
		return 3, true
	}
	fmt.Println("done")
	return 0, true
}

// TestChangePassphraseKilled: `passwd` SIGKILLed at random points, again
// and again, and at each step of the swap (the directory built; exchanged
// or moved aside). After every kill exactly one of the two passphrases
// opens the keyring, and every item is there with its secret.
func TestChangePassphraseKilled(t *testing.T) {
	if testing.Short() {
		t.Skip("runs child processes")
	}
	dir := t.TempDir()
	want := seedRekey(t, dir, "pass A", 12)
	// how long one whole change takes here
	start := time.Now()
	if out, err := child(t, dir, "pass A", "passwd", "TOKENRING_ACCOUNTS_TEST_NEW=pass B").Output(); err != nil || !strings.Contains(string(out), "done") {
		t.Fatalf("passwd: %v %s", err, out)
	}
	whole := time.Since(start)
	cur, next := "pass B", "pass A"
	steps := []string{"built", "exchanged", "moved aside"} // the first rounds die there
	rounds := 16 + len(steps)
	finished, killed := 0, 0
	for i := 0; i < rounds; i++ {
		extra := []string{"TOKENRING_ACCOUNTS_TEST_NEW=" + next}
		if i < len(steps) {
			extra = append(extra, "TOKENRING_ACCOUNTS_TEST_KILL_AT="+steps[i])
		}
		cmd := child(t, dir, cur, "passwd", extra...)
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(out)
		if !sc.Scan() || sc.Text() != "start" {
			t.Fatalf("round %d: the child did not start", i)
		}
		if i >= len(steps) {
			time.Sleep(time.Duration(rand.Int64N(int64(whole))))
			cmd.Process.Signal(syscall.SIGKILL)
		}
		err = cmd.Wait()
		if err == nil {
			finished++
		} else {
			killed++
		}
		// exactly one passphrase opens it now, and everything is there
		ex := newFakeEx(time.Now)
		var opened []string
		for _, p := range []string{cur, next} {
			s := openFile(t, dir, "", ex, nil)
			err := s.Unlock(ctxT(t), p)
			if err == nil {
				opened = append(opened, p)
				checkSecrets(t, s, want)
			} else if !errors.Is(err, ErrBadPassphrase) {
				t.Fatalf("round %d: unlocking with %q: %v", i, p, err)
			}
			s.Close()
		}
		if len(opened) != 1 {
			t.Fatalf("round %d: passphrases that open the keyring: %v", i, opened)
		}
		noRekeyLeftovers(t, dir)
		if items := itemFiles(t, dir); len(items) != len(want)+1 {
			t.Fatalf("round %d: %d items, want %d", i, len(items), len(want)+1)
		}
		if opened[0] == next {
			cur, next = next, cur
		}
	}
	t.Logf("%d rounds (a whole change takes %s): %d killed, %d finished before the kill", rounds, whole.Round(time.Millisecond), killed, finished)
	if killed == 0 {
		t.Error("no round was killed in the middle")
	}
}

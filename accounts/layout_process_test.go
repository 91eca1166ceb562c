package accounts

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tokenring/tokenring/flow"
)

// Child processes for the tests of the account files and their migration.
// Environment: TOKENRING_ACCOUNTS_TEST_GO names a file to wait for before
// opening the store (so that several children start together);
// TOKENRING_ACCOUNTS_TEST_KILL_AFTER=K makes the migration SIGKILL its own
// process after its K-th account file; TOKENRING_ACCOUNTS_TEST_SLOW makes
// it sleep 1 ms after each (so that a racing process surely finds it busy).

type listReport struct {
	SawIndex bool // accounts.json was there when this process opened the store
	Names    []string
}

func layoutChild(mode, dir string) (int, bool) {
	if mode != "list" && mode != "add" {
		return 0, false
	}
	if k, _ := strconv.Atoi(os.Getenv("TOKENRING_ACCOUNTS_TEST_KILL_AFTER")); k > 0 {
		migrateHook = func(n int) {
			if n == k {
				p, _ := os.FindProcess(os.Getpid())
				p.Kill() // SIGKILL: no deferred function, no cleanup runs
				select {}
			}
		}
	} else if os.Getenv("TOKENRING_ACCOUNTS_TEST_SLOW") != "" {
		migrateHook = func(int) { time.Sleep(time.Millisecond) }
	}
	if gate := os.Getenv("TOKENRING_ACCOUNTS_TEST_GO"); gate != "" {
		for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(time.Millisecond) {
			if _, err := os.Stat(gate); err == nil {
				break
			}
			if time.Now().After(deadline) {
				fmt.Fprintln(os.Stderr, "the gate never opened")
				return 2, true
			}
		}
	}
	_, err := os.Stat(filepath.Join(dir, IndexFile))
	rep := listReport{SawIndex: err == nil}
	s, err := Open(Config{Dir: dir, Backend: "file", EnvPassphrase: os.Getenv("TOKENRING_ACCOUNTS_TEST_PASS")})
	if err != nil {
		fmt.Fprintln(os.Stderr, "open:", err)
		return 2, true
	}
	defer s.Close()
	if mode == "add" {
		// Adds "same" with a token of this process's id and says whether it won.
		id := os.Getenv("TOKENRING_ACCOUNTS_TEST_ID")
		tok := flow.Token{AccessToken: "at-of-" + id, TokenType: "Bearer", ExpirySource: flow.ExpiryNone}
		err := s.Add(context.Background(), Account{Name: "same", Provider: testProvider()}, Secret{Token: tok})
		switch {
		case err == nil:
			fmt.Println("won")
		case errors.Is(err, ErrExists):
			fmt.Println("exists")
		default:
			fmt.Fprintln(os.Stderr, "add:", err)
			return 3, true
		}
		return 0, true
	}
	all, err := s.Accounts()
	if err != nil {
		fmt.Fprintln(os.Stderr, "list:", err)
		return 3, true
	}
	for _, a := range all {
		rep.Names = append(rep.Names, a.Name)
	}
	json.NewEncoder(os.Stdout).Encode(rep)
	return 0, true
}

// together runs n children of mode at once (they wait at a gate until all
// have started) and returns what each printed.
func together(t *testing.T, n int, dir, pass, mode string, extra ...string) []string {
	t.Helper()
	gate := filepath.Join(t.TempDir(), "go")
	outs := make([]string, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	cmds := make([]*exec.Cmd, n)
	for i := range cmds {
		cmds[i] = child(t, dir, pass, mode, append(extra, "TOKENRING_ACCOUNTS_TEST_GO="+gate, "TOKENRING_ACCOUNTS_TEST_ID="+strconv.Itoa(i))...)
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			b, err := cmds[i].Output()
			outs[i], errs[i] = strings.TrimSpace(string(b)), err
		}(i)
	}
	time.Sleep(300 * time.Millisecond) // the children start (exec, runtime init) and wait
	if err := os.WriteFile(gate, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("child %d: %v", i, err)
		}
	}
	return outs
}

package accounts

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/tokenring/tokenring/flow"
	"github.com/tokenring/tokenring/flow/exchange"
	"github.com/tokenring/tokenring/internal/localoauth"
)

// The multi-process tests re-execute this test binary as a child process
// that opens the same config directory and refreshes.
const childEnv = "TOKENRING_ACCOUNTS_TEST_CHILD"

func TestMain(m *testing.M) {
	if mode := os.Getenv(childEnv); mode != "" {
		os.Exit(childMain(mode))
	}
	os.Exit(m.Run())
}

type childReport struct {
	OK, InvalidGrant, Other int
	Errors                  []string
}

// childMain: "refresh N G" does N forced refreshes of account "acct" in G
// goroutines and prints a report; "forever" prints "ready" and refreshes
// until killed; layoutChild has the modes of the account files' tests.
func childMain(mode string) int {
	dir := os.Getenv("TOKENRING_ACCOUNTS_TEST_DIR")
	if code, ok := layoutChild(mode, dir); ok { // layout_process_test.go
		return code
	}
	s, err := Open(Config{Dir: dir, Backend: "file", Exchanger: exchange.New(), EnvPassphrase: os.Getenv("TOKENRING_ACCOUNTS_TEST_PASS")})
	if err != nil {
		fmt.Fprintln(os.Stderr, "open:", err)
		return 2
	}
	ctx := context.Background()
	if mode == "forever" {
		fmt.Println("ready")
		for {
			if _, err := s.Refresh(ctx, "acct"); err != nil {
				fmt.Fprintln(os.Stderr, "refresh:", err)
				return 3
			}
		}
	}
	n, _ := strconv.Atoi(os.Getenv("TOKENRING_ACCOUNTS_TEST_N"))
	g, _ := strconv.Atoi(os.Getenv("TOKENRING_ACCOUNTS_TEST_G"))
	var mu sync.Mutex
	var rep childReport
	var wg sync.WaitGroup
	for w := 0; w < g; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := w; i < n; i += g {
				var err error
				if mode == "token" {
					_, err = s.Token(ctx, "acct")
				} else {
					_, err = s.Refresh(ctx, "acct")
				}
				mu.Lock()
				switch {
				case err == nil:
					rep.OK++
				case flow.IsInvalidGrant(err):
					rep.InvalidGrant++
				default:
					rep.Other++
					rep.Errors = append(rep.Errors, err.Error())
				}
				mu.Unlock()
			}
		}(w)
	}
	wg.Wait()
	json.NewEncoder(os.Stdout).Encode(rep)
	return 0
}

func child(t *testing.T, dir, pass, mode string, extra ...string) *exec.Cmd {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"="+mode, "TOKENRING_ACCOUNTS_TEST_DIR="+dir, "TOKENRING_ACCOUNTS_TEST_PASS="+pass)
	cmd.Env = append(cmd.Env, extra...)
	cmd.Stderr = os.Stderr
	return cmd
}

// seedDressipi starts a strict Dressipi emulation (each refresh token works
// exactly once) and links account "acct" to it in a fresh file keyring.
func seedDressipi(t *testing.T, dir, pass string) (*localoauth.Server, *Store) {
	t.Helper()
	srv := localoauth.NewDressipi(localoauth.DressipiOptions{ClientID: "dressipi-client", APIKey: "api-key-secret-proc"})
	t.Cleanup(srv.Close)
	s := openFile(t, dir, pass, exchange.New(), nil)
	seed(t, srv, s)
	return srv, s
}

func seed(t *testing.T, srv *localoauth.Server, s *Store) {
	t.Helper()
	p, err := flow.Preset(flow.PresetDressipi, flow.Overrides{BaseURL: srv.URL, ClientID: "dressipi-client"})
	if err != nil {
		t.Fatal(err)
	}
	m, err := srv.MintTokens("", 0)
	if err != nil {
		t.Fatal(err)
	}
	tok := flow.Token{AccessToken: m.AccessToken, TokenType: m.TokenType, RefreshToken: m.RefreshToken,
		Expiry: m.Expiry, ExpirySource: flow.ExpiryFromExpiresIn, IssuedAt: time.Now()}
	if err := s.Add(ctxT(t), Account{Name: "acct", Provider: p}, Secret{Token: tok, APIKey: "api-key-secret-proc"}); err != nil {
		t.Fatal(err)
	}
}

// tokenRequests counts the server's refresh grants, waiting first for
// requests still being handled (a killed client's request still completes
// at the server; its status is recorded when the handler returns).
func tokenRequests(srv *localoauth.Server) (ok, invalidGrant int, presented map[string]bool) {
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(2 * time.Millisecond) {
		busy := false
		for _, r := range srv.Requests() {
			if r.Status == 0 {
				busy = true
			}
		}
		if !busy {
			break
		}
	}
	presented = map[string]bool{}
	for _, r := range srv.Requests() {
		if r.Path != "/oauth/token" || r.Form.Get("grant_type") != "refresh_token" {
			continue
		}
		switch {
		case r.Status == 200:
			ok++
			presented[r.Form.Get("refresh_token")] = true
		case r.Error == "invalid_grant":
			invalidGrant++
		}
	}
	return
}

// TestTwoProcessesRefresh: two OS processes (each with 2 goroutines) force
// 200 refreshes in total of one account against a server whose refresh
// tokens work exactly once, sharing one file keyring and account file.
func TestTwoProcessesRefresh(t *testing.T) {
	total := 200
	if testing.Short() {
		total = 40
	}
	dir, pass := t.TempDir(), "two-proc-pass"
	srv, s := seedDressipi(t, dir, pass)

	var cmds []*exec.Cmd
	outs := make([]*[]byte, 2)
	for i := 0; i < 2; i++ {
		cmd := child(t, dir, pass, "refresh", "TOKENRING_ACCOUNTS_TEST_N="+strconv.Itoa(total/2), "TOKENRING_ACCOUNTS_TEST_G=2")
		cmds = append(cmds, cmd)
	}
	var wg sync.WaitGroup
	for i, cmd := range cmds {
		wg.Add(1)
		go func(i int, cmd *exec.Cmd) {
			defer wg.Done()
			b, err := cmd.Output()
			if err != nil {
				t.Errorf("child %d: %v", i, err)
			}
			outs[i] = &b
		}(i, cmd)
	}
	wg.Wait()
	var sum childReport
	for i, o := range outs {
		var rep childReport
		if o == nil || json.Unmarshal(*o, &rep) != nil {
			t.Fatalf("child %d printed no report", i)
		}
		sum.OK += rep.OK
		sum.InvalidGrant += rep.InvalidGrant
		sum.Other += rep.Other
		sum.Errors = append(sum.Errors, rep.Errors...)
	}
	serverOK, serverIG, _ := tokenRequests(srv)
	t.Logf("%d refresh calls in 2 processes: %d ok, %d invalid_grant, %d other errors; the server rotated %d times and answered invalid_grant %d times",
		total, sum.OK, sum.InvalidGrant, sum.Other, serverOK, serverIG)
	if sum.OK != total || sum.InvalidGrant != 0 || sum.Other != 0 || serverIG != 0 {
		t.Fatalf("refreshes: %+v, server invalid_grant %d", sum, serverIG)
	}
	if serverOK < total/4 {
		t.Errorf("only %d real refreshes for %d calls", serverOK, total)
	}
	// Nothing lost: the stored refresh token is the live one, and a fresh store refreshes.
	s2 := openFile(t, dir, pass, exchange.New(), nil)
	sec, err := s2.Secret(ctxT(t), "acct")
	if err != nil || !srv.ValidRefreshToken(sec.Token.RefreshToken) {
		t.Fatalf("stored refresh token not live: %v", err)
	}
	if a, err := s2.Refresh(ctxT(t), "acct"); err != nil || a.NeedsRelink {
		t.Fatalf("refresh after the run: %v", err)
	}
	_ = s
}

// TestKilledDuringRefresh: a child refreshing in a loop is killed with
// SIGKILL at a random moment, many times. Afterwards a fresh store must
// still refresh the account, except when the kill fell after the server
// rotated the refresh token and before the new one was stored: those are
// detected exactly (the stored refresh token was spent at the server in a
// request that succeeded) and counted separately; any other loss fails.
// One due point, one refresh, across processes: three processes × 4
// goroutines ask for the token of an account that is due now; the server
// sees exactly one refresh (the others wait for the lock, re-read, and use
// the new token). Without the re-check after taking the lock, each waiter
// refreshes again.
func TestTwoProcessesOneRefreshPerDuePoint(t *testing.T) {
	dir, pass := t.TempDir(), "due-proc-pass"
	srv := localoauth.NewDressipi(localoauth.DressipiOptions{ClientID: "dressipi-client", APIKey: "api-key-secret-proc"})
	t.Cleanup(srv.Close)
	s := openFile(t, dir, pass, exchange.New(), nil)
	p, err := flow.Preset(flow.PresetDressipi, flow.Overrides{BaseURL: srv.URL, ClientID: "dressipi-client"})
	if err != nil {
		t.Fatal(err)
	}
	m, err := srv.MintTokens("", 0)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	due := flow.Token{AccessToken: m.AccessToken, TokenType: m.TokenType, RefreshToken: m.RefreshToken,
		IssuedAt: now.Add(-10 * time.Minute), Expiry: now.Add(20 * time.Second), ExpirySource: flow.ExpiryFromExpiresIn}
	if err := s.Add(ctxT(t), Account{Name: "acct", Provider: p}, Secret{Token: due, APIKey: "api-key-secret-proc"}); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	reps := make([]childReport, 3)
	for i := range reps {
		cmd := child(t, dir, pass, "token", "TOKENRING_ACCOUNTS_TEST_N=40", "TOKENRING_ACCOUNTS_TEST_G=4")
		wg.Add(1)
		go func() {
			defer wg.Done()
			out, err := cmd.Output()
			if err != nil || json.Unmarshal(out, &reps[i]) != nil {
				t.Errorf("child %d: %v %s", i, err, out)
			}
		}()
	}
	wg.Wait()
	for i, r := range reps {
		if r.OK != 40 || r.InvalidGrant+r.Other != 0 {
			t.Errorf("child %d: %+v", i, r)
		}
	}
	if ok, ig, _ := tokenRequests(srv); ok != 1 || ig != 0 {
		t.Fatalf("%d refreshes (%d invalid_grant) for one due point, want exactly 1", ok, ig)
	}
}

// presentedWithin waits (up to 5 s, not a fixed 100 ms: a request in a
// dead child's socket buffer reaches the server late under -race on 2
// cores) until the server has seen refresh token rt presented.
func presentedWithin(srv *localoauth.Server, rt string) map[string]bool {
	deadline := time.Now().Add(5 * time.Second)
	for {
		_, _, presented := tokenRequests(srv)
		if presented[rt] || time.Now().After(deadline) {
			return presented
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestKilledDuringRefresh(t *testing.T) {
	runs := 200
	if testing.Short() {
		runs = 30
	}
	dir, pass := t.TempDir(), "kill-pass"
	srv, _ := seedDressipi(t, dir, pass)
	works, lost, childRefreshes := 0, 0, 0
	for i := 0; i < runs; i++ {
		before, _, _ := tokenRequests(srv)
		cmd := child(t, dir, pass, "forever")
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		line, err := bufio.NewReader(stdout).ReadString('\n')
		if err != nil || line != "ready\n" {
			cmd.Process.Kill()
			cmd.Wait()
			t.Fatalf("run %d: child did not start: %q %v", i, line, err)
		}
		time.Sleep(time.Duration(rand.IntN(25000)) * time.Microsecond)
		if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		err = cmd.Wait()
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
			t.Fatalf("run %d: child ended by itself: %v", i, err)
		}
		after, _, presented := tokenRequests(srv)
		childRefreshes += after - before

		s := openFile(t, dir, pass, exchange.New(), nil)
		sec, err := s.Secret(ctxT(t), "acct")
		if err != nil {
			t.Fatalf("run %d: the keyring item is unreadable after the kill: %v", i, err)
		}
		if srv.ValidRefreshToken(sec.Token.RefreshToken) {
			_, err := s.Refresh(ctxT(t), "acct")
			if err == nil {
				works++
				continue
			}
			// The dead child's last request may have been in the server's
			// socket buffer when we looked, and rotated the token since: then
			// it is a loss of the kill window (and ours its invalid_grant).
			presented = presentedWithin(srv, sec.Token.RefreshToken)
			if !errors.Is(err, ErrNeedsRelink) || !presented[sec.Token.RefreshToken] {
				t.Fatalf("run %d: live refresh token but refresh failed: %v", i, err)
			}
			lost++
			if err := s.Remove(ctxT(t), "acct", false); err != nil {
				t.Fatal(err)
			}
			seed(t, srv, s)
			continue
		}
		if !presented[sec.Token.RefreshToken] {
			// The dead child's last request may still have been in the
			// server's socket buffer when we looked: look again.
			presented = presentedWithin(srv, sec.Token.RefreshToken)
		}
		if !presented[sec.Token.RefreshToken] {
			t.Fatalf("run %d: the stored refresh token is dead but the server never rotated it: a loss tokenring caused", i)
		}
		lost++
		if _, err := s.Refresh(ctxT(t), "acct"); !errors.Is(err, ErrNeedsRelink) {
			t.Fatalf("run %d: a spent refresh token should need relinking, got %v", i, err)
		}
		if err := s.Remove(ctxT(t), "acct", false); err != nil {
			t.Fatal(err)
		}
		seed(t, srv, s)
	}
	_, serverIG, _ := tokenRequests(srv)
	t.Logf("%d SIGKILLs during refresh loops (%d refreshes reached the server in the children): %d accounts still worked, %d lost (killed after the server rotated, before the new token was stored: %.0f%% of the refreshes that reached the server); server invalid_grant answers: %d",
		runs, childRefreshes, works, lost, 100*float64(lost)/float64(max(childRefreshes, 1)), serverIG)
	if works+lost != runs {
		t.Fatalf("works %d + lost %d != %d", works, lost, runs)
	}
	if serverIG != lost {
		t.Fatalf("invalid_grant %d times but %d lost accounts", serverIG, lost)
	}
}

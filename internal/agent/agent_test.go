//go:build linux || darwin || freebsd

package agent

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tokenring/tokenring/accounts"
	"github.com/tokenring/tokenring/flow"
	"github.com/tokenring/tokenring/flow/exchange"
	"github.com/tokenring/tokenring/internal/localoauth"
)

func TestMain(m *testing.M) {
	if sock := os.Getenv("TOKENRING_AGENT_TEST_PROBE"); sock != "" {
		os.Exit(probe(sock))
	}
	accounts.UseLowCostKDFForTests()
	os.Exit(m.Run())
}

// probe (the child of TestAgentRefusesAnotherUser, run as another user)
// asks the socket for a token without any of the client's checks and
// prints the answer.
func probe(sock string) int {
	c, err := net.Dial("unix", sock)
	if err != nil {
		fmt.Println("dial:", err)
		return 2
	}
	fmt.Fprintln(c, `{"v":1,"op":"token","name":"shop"}`)
	line, _ := bufio.NewReader(c).ReadString('\n')
	fmt.Print(line)
	return 0
}

// The agent checks every connection's peer credentials: a process of
// another user that reaches the socket (the directories opened for the
// test) gets a refusal, never a token.
func TestAgentRefusesAnotherUser(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to run a process as another user (CI runs as root)")
	}
	setpriv, err := exec.LookPath("setpriv")
	if err != nil {
		t.Skip("setpriv (util-linux) not installed")
	}
	r := newRig(t, nil)
	srv := dressipi(t, time.Hour)
	r.link(srv, "shop", "pw")
	if _, err := r.c.Unlock(ctxT(t), []byte("pw"), 0); err != nil {
		t.Fatal(err)
	}
	pub, err := os.MkdirTemp("", "trag-pub")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(pub)
	os.Chmod(pub, 0o755)
	self, _ := os.Executable()
	bin := filepath.Join(pub, "agent.test")
	if data, err := os.ReadFile(self); err != nil || os.WriteFile(bin, data, 0o755) != nil {
		t.Fatal("cannot copy the test binary")
	}
	os.Chmod(r.rt, 0o711)
	os.Chmod(r.c.Paths.Dir, 0o711)
	os.Chmod(r.c.Paths.Socket, 0o666)
	cmd := exec.Command(setpriv, "--reuid", "65534", "--regid", "65534", "--clear-groups", "--", bin)
	cmd.Env = []string{"TOKENRING_AGENT_TEST_PROBE=" + r.c.Paths.Socket}
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "refused: the agent serves only its own user") || strings.Contains(string(out), "access_token") {
		t.Fatalf("another user's request (%v):\n%s", err, out)
	}
	os.Chmod(r.c.Paths.Dir, 0o700)
	if _, err := r.c.Token(ctxT(t), "shop", 0, false); err != nil {
		t.Fatalf("its own user: %v", err)
	}
}

// ---- an agent in this process ----------------------------------------------------

type rig struct {
	t      *testing.T
	dir    string
	rt     string
	srv    *Server
	c      *Client
	cancel context.CancelFunc
	done   chan error
	cfg    accounts.Config
	events chan Event
}

func shortDir(t *testing.T) string {
	// socket paths must stay short: t.TempDir() can be long
	d, err := os.MkdirTemp("", "trag")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(d) })
	return d
}

func newRig(t *testing.T, tweak func(*Config)) *rig {
	t.Helper()
	r := &rig{t: t, dir: t.TempDir(), rt: shortDir(t)}
	os.Chmod(r.rt, 0o700)
	r.cfg = accounts.Config{Dir: r.dir, Backend: "file", Exchanger: exchange.New(), Timeout: 20 * time.Second}
	r.start(tweak)
	return r
}

func (r *rig) start(tweak func(*Config)) {
	r.t.Helper()
	cfg := Config{Dir: r.dir, RuntimeDir: r.rt, Open: func() (*accounts.Store, error) { return accounts.Open(r.cfg) },
		Logf: r.t.Logf}
	if tweak != nil {
		tweak(&cfg)
	}
	srv, err := Listen(cfg)
	if err != nil {
		r.t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	r.srv, r.cancel, r.done = srv, cancel, make(chan error, 1)
	go func() { r.done <- srv.Serve(ctx) }()
	r.c = NewClient(r.dir, r.rt, "")
	r.t.Cleanup(r.stop)
}

func (r *rig) stop() {
	if r.cancel != nil {
		r.cancel()
		<-r.done
		r.cancel = nil
	}
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// link stores an account of srv (Dressipi) through the local store.
func (r *rig) link(srv *localoauth.Server, name, pass string) accounts.Secret {
	r.t.Helper()
	st, err := accounts.Open(accounts.Config{Dir: r.dir, Backend: "file", EnvPassphrase: pass, Exchanger: exchange.New()})
	if err != nil {
		r.t.Fatal(err)
	}
	defer st.Close()
	p, err := flow.Preset(flow.PresetDressipi, flow.Overrides{BaseURL: srv.URL, ClientID: "dr-client"})
	if err != nil {
		r.t.Fatal(err)
	}
	m, err := srv.MintTokens("", 0)
	if err != nil {
		r.t.Fatal(err)
	}
	sec := accounts.Secret{Token: flow.Token{AccessToken: m.AccessToken, TokenType: m.TokenType, RefreshToken: m.RefreshToken,
		Expiry: m.Expiry, ExpirySource: flow.ExpiryFromExpiresIn, IssuedAt: time.Now()}, APIKey: "dr-key"}
	if err := st.Add(ctxT(r.t), accounts.Account{Name: name, Provider: p}, sec); err != nil {
		r.t.Fatal(err)
	}
	return sec
}

func dressipi(t *testing.T, ttl time.Duration) *localoauth.Server {
	srv := localoauth.NewDressipi(localoauth.DressipiOptions{ClientID: "dr-client", APIKey: "dr-key", AccessTTL: ttl})
	t.Cleanup(srv.Close)
	return srv
}

func refreshes(srv *localoauth.Server) (ok, invalid int, used map[string]int) {
	used = map[string]int{}
	for _, q := range srv.Requests() {
		if q.Path != "/oauth/token" || q.Form.Get("grant_type") != "refresh_token" {
			continue
		}
		used[q.Form.Get("refresh_token")]++
		switch {
		case q.Status == 200:
			ok++
		case q.Error == "invalid_grant":
			invalid++
		}
	}
	return
}

func TestAgentOperations(t *testing.T) {
	r := newRig(t, nil)
	ctx := ctxT(t)
	srv := dressipi(t, time.Hour)
	sec := r.link(srv, "shop", "agent pass")

	st, err := r.c.Status(ctx)
	if err != nil || st.Unlocked || st.Backend != "file" || st.PID != os.Getpid() {
		t.Fatalf("status before unlock: %+v %v", st, err)
	}
	if _, err := r.c.Token(ctx, "shop", 0, false); !errors.Is(err, accounts.ErrLocked) {
		t.Fatalf("token while locked: %v", err)
	}
	if _, err := r.c.Unlock(ctx, []byte("wrong"), 0); !errors.Is(err, accounts.ErrBadPassphrase) {
		t.Fatalf("wrong passphrase: %v", err)
	}
	st, err = r.c.Unlock(ctx, []byte("agent pass"), time.Hour)
	if err != nil || !st.Unlocked || st.Until.Before(time.Now().Add(59*time.Minute)) {
		t.Fatalf("unlock: %+v %v", st, err)
	}
	tok, err := r.c.Token(ctx, "shop", 0, false)
	if err != nil || tok.AccessToken != sec.Token.AccessToken || tok.APIKey != "" {
		t.Fatalf("token: %v", err)
	}
	tok, err = r.c.Token(ctx, "shop", 0, true)
	if err != nil || tok.APIKey != "dr-key" {
		t.Fatalf("token with the API key: %v", err)
	}
	// what is shown never carries the refresh token
	line, _ := json.Marshal(Response{Token: tok})
	if strings.Contains(string(line), sec.Token.RefreshToken) {
		t.Fatal("a refresh token went over the socket")
	}
	if _, err := r.c.Token(ctx, "nobody", 0, false); !errors.Is(err, accounts.ErrNotFound) {
		t.Fatalf("unknown account: %v", err)
	}
	// min validity: an hour's token is refreshed when 2 h are asked for,
	// and the provider's new one is not that long either
	if _, err := r.c.Token(ctx, "shop", 2*time.Hour, false); !errors.Is(err, accounts.ErrShortLived) {
		t.Fatalf("2 h of a 1 h token: %v", err)
	}
	tok2, err := r.c.Token(ctx, "shop", 30*time.Minute, false)
	if err != nil || tok2.AccessToken == tok.AccessToken || !srv.ValidAccessToken(tok2.AccessToken) {
		t.Fatalf("after the refresh: %v", err)
	}
	a, err := r.c.Refresh(ctx, "shop", false)
	if err != nil || a.Name != "shop" {
		t.Fatalf("refresh: %v", err)
	}
	if a, err = r.c.Refresh(ctx, "shop", true); err != nil || a.Name != "shop" {
		t.Fatalf("refresh if due: %v", err)
	}
	if ok, inv, _ := refreshes(srv); ok != 2 || inv != 0 {
		t.Fatalf("refreshes at the provider: %d ok, %d invalid_grant (a refresh that was not due went out?)", ok, inv)
	}
	// add through the agent, then remove without revoking
	p, _ := flow.Preset(flow.PresetDressipi, flow.Overrides{BaseURL: srv.URL, ClientID: "dr-client"})
	m, _ := srv.MintTokens("", 0)
	add := accounts.Secret{Token: flow.Token{AccessToken: m.AccessToken, RefreshToken: m.RefreshToken, Expiry: m.Expiry, IssuedAt: time.Now()}}
	if err := r.c.Add(ctx, accounts.Account{Name: "second", Provider: p}, add); err != nil {
		t.Fatalf("add: %v", err)
	}
	if err := r.c.Add(ctx, accounts.Account{Name: "second", Provider: p}, add); !errors.Is(err, accounts.ErrExists) {
		t.Fatalf("add twice: %v", err)
	}
	show, err := r.c.Show(ctx, "second")
	if err != nil || show.AccessToken != m.AccessToken {
		t.Fatalf("show: %v", err)
	}
	if err := r.c.Remove(ctx, "second", false); err != nil {
		t.Fatalf("remove: %v", err)
	}
	if _, err := r.c.Show(ctx, "second"); !errors.Is(err, accounts.ErrNotFound) {
		t.Fatalf("after remove: %v", err)
	}
	// the protocol's guards
	resp, err := r.c.Call(ctx, Request{Op: "dump"})
	if err != nil || resp.Error == nil || resp.Error.Kind != KindBadRequest {
		t.Fatalf("unknown op: %+v %v", resp, err)
	}
	c2 := NewClient(r.dir, r.rt, "keyctl")
	if _, err := c2.Token(ctx, "shop", 0, false); !errors.Is(err, ErrNoAgent) {
		t.Fatalf("another backend: %v", err)
	}
	// lock: the key is gone, every secret operation says locked
	if _, err := r.c.Lock(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := r.c.Token(ctx, "shop", 0, false); !errors.Is(err, accounts.ErrLocked) {
		t.Fatalf("token after lock: %v", err)
	}
	// a second agent for the same directory is refused
	if _, err := Listen(Config{Dir: r.dir, RuntimeDir: r.rt, Open: func() (*accounts.Store, error) { return accounts.Open(r.cfg) }}); !errors.Is(err, ErrRunning) {
		t.Fatalf("second agent: %v", err)
	}
}

// The unlock period ends by itself; a detached agent then exits.
func TestAgentUnlockPeriodEnds(t *testing.T) {
	r := newRig(t, func(c *Config) { c.Detached = true })
	srv := dressipi(t, time.Hour)
	r.link(srv, "shop", "p")
	ctx := ctxT(t)
	if _, err := r.c.Unlock(ctx, []byte("p"), 300*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	if _, err := r.c.Token(ctx, "shop", 0, false); err != nil {
		t.Fatal(err)
	}
	select {
	case <-r.done:
		r.cancel = nil
	case <-time.After(10 * time.Second):
		t.Fatal("the detached agent did not end with its unlock period")
	}
	if _, err := os.Stat(r.c.Paths.Socket); err == nil {
		t.Error("the socket is still there")
	}
	if _, err := r.c.Status(ctx); !errors.Is(err, ErrNoAgent) {
		t.Fatalf("status after the end: %v", err)
	}
}

// An agent that died (its socket left behind, its lock released) is
// replaced by the next one.
func TestAgentReplacesStaleSocket(t *testing.T) {
	rt := shortDir(t)
	dir := t.TempDir()
	p := PathsFor(rt, dir)
	if err := ensureDir(p.Dir); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p.Socket, nil, 0o600); err != nil { // a dead agent's
		t.Fatal(err)
	}
	c := NewClient(dir, rt, "")
	if _, err := c.Status(ctxT(t)); !errors.Is(err, ErrNoAgent) {
		t.Fatalf("status of a dead agent: %v", err)
	}
	cfg := accounts.Config{Dir: dir, Backend: "file"}
	srv, err := Listen(Config{Dir: dir, RuntimeDir: rt, Open: func() (*accounts.Store, error) { return accounts.Open(cfg) }})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- srv.Serve(ctx) }()
	defer func() { cancel(); <-done }()
	if _, err := c.Status(ctxT(t)); err != nil {
		t.Fatalf("the new agent does not answer: %v", err)
	}
}

// The socket's directory must be the user's and private.
func TestAgentRefusesAnOpenDirectory(t *testing.T) {
	rt := shortDir(t)
	os.Chmod(rt, 0o700)
	d := filepath.Join(rt, "tokenring")
	if err := os.Mkdir(d, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := ensureDir(d); err == nil || !strings.Contains(err.Error(), "other users") {
		t.Fatalf("a 0755 directory: %v", err)
	}
	os.Remove(d)
	os.Symlink(t.TempDir(), d)
	if err := ensureDir(d); err == nil {
		t.Fatal("a symbolic link was taken")
	}
}

// Background refresh: short-lived tokens with rotating refresh tokens are
// refreshed ahead of expiry while nobody asks, each refresh token used once.
// A provider that starts answering invalid_grant makes one event, and
// notify_cmd runs once.
func TestAgentBackgroundRefreshAndNotify(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for tokens to age")
	}
	out := filepath.Join(t.TempDir(), "notified")
	script := filepath.Join(t.TempDir(), "notify.sh")
	os.WriteFile(script, []byte("#!/bin/sh\necho \"$TOKENRING_NOTIFY_ACCOUNT $TOKENRING_NOTIFY_EVENT\" >> "+out+"\n"), 0o700)
	r := newRig(t, func(c *Config) { c.NotifyCmd = []string{script}; c.Rescan = time.Second })
	srv := dressipi(t, 4*time.Second) // refreshed every 2 s (half its life)
	r.link(srv, "a", "pw")
	r.link(srv, "b", "pw")
	ctx := ctxT(t)
	if _, err := r.c.Unlock(ctx, []byte("pw"), 0); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	deadline := time.Now().Add(9 * time.Second)
	for time.Now().Before(deadline) {
		for _, n := range []string{"a", "b"} {
			st, _ := accounts.Open(accounts.Config{Dir: r.dir, Backend: "file"})
			acct, err := st.Account(n)
			st.Close()
			mu.Lock()
			if err != nil || !acct.AccessExpiry.After(time.Now()) {
				t.Fatalf("%s expired (%v)", n, err)
			}
			mu.Unlock()
		}
		time.Sleep(200 * time.Millisecond)
	}
	ok, inv, used := refreshes(srv)
	if ok < 6 || inv != 0 {
		t.Fatalf("%d refreshes, %d invalid_grant in 9 s", ok, inv)
	}
	for rt, n := range used {
		if n != 1 {
			t.Fatalf("a refresh token was sent %d times (%.8s…)", n, rt)
		}
	}
	st, err := r.c.Status(ctx)
	if err != nil || st.Scheduled != 2 {
		t.Fatalf("status: %+v %v", st, err)
	}

	srv.RevokeAll() // the provider forgets every grant
	for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		b, _ := os.ReadFile(out)
		if strings.Count(string(b), "needs_relink") == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("notify_cmd ran: %q", b)
		}
	}
	time.Sleep(3 * time.Second) // nothing more: each account told once
	b, _ := os.ReadFile(out)
	if lines := strings.Split(strings.TrimSpace(string(b)), "\n"); len(lines) != 2 {
		t.Fatalf("notify_cmd ran %d times: %q", len(lines), b)
	}
	if !strings.Contains(string(b), "a needs_relink") || !strings.Contains(string(b), "b needs_relink") {
		t.Fatalf("notify_cmd's environment: %q", b)
	}
	st, _ = r.c.Status(ctx)
	if len(st.Events) != 2 || st.Scheduled != 0 {
		t.Fatalf("status after invalid_grant: %+v", st)
	}
	_, inv, _ = refreshes(srv)
	if inv != 2 {
		t.Fatalf("%d invalid_grant answers: a dead account was tried again", inv)
	}
}

// Without an agent, or with a locked one, the wrapped store is the local
// store; with an unlocked one, nothing asks for the passphrase.
func TestWrapUsesTheAgentOnlyWhenUnlocked(t *testing.T) {
	r := newRig(t, nil)
	srv := dressipi(t, time.Hour)
	sec := r.link(srv, "shop", "pw")
	ctx := ctxT(t)
	local, err := accounts.Open(accounts.Config{Dir: r.dir, Backend: "file"}) // no passphrase at all
	if err != nil {
		t.Fatal(err)
	}
	defer local.Close()
	w := Wrap(ctx, local, r.c)
	if w.Up() {
		t.Fatal("a locked agent counted as up")
	}
	if _, err := w.Token(ctx, "shop"); !errors.Is(err, accounts.ErrLocked) {
		t.Fatalf("locked agent, no passphrase: %v", err)
	}
	if _, err := r.c.Unlock(ctx, []byte("pw"), 0); err != nil {
		t.Fatal(err)
	}
	w = Wrap(ctx, local, r.c)
	if !w.Up() || w.Backend().Locked || w.Writable(ctx) != nil {
		t.Fatal("an unlocked agent is not used")
	}
	tok, err := w.Token(ctx, "shop")
	if err != nil || tok.AccessToken != sec.Token.AccessToken {
		t.Fatalf("token through the agent: %v", err)
	}
	s, err := w.Secret(ctx, "shop")
	if err != nil || s.Token.RefreshToken != "" || s.ClientSecret != "" || s.Token.AccessToken == "" || s.APIKey != "dr-key" {
		t.Fatalf("secret through the agent: %v (refresh token or client secret shown, API key missing?)", err)
	}
	// the agent ends: the next call finds out and goes local
	r.stop()
	if _, err := w.Token(ctx, "shop"); !errors.Is(err, accounts.ErrLocked) {
		t.Fatalf("after the agent ended: %v", err)
	}
	if w.Up() {
		t.Fatal("still up")
	}
}

// The agent stopped (or locked) while a refresh it runs is on its way to
// a provider that rotates: the client that asked is gone and the agent is
// told to stop, but the answer is awaited and stored before the key is
// overwritten; the account keeps working after.
func TestAgentStopKeepsARefreshOnItsWay(t *testing.T) {
	r := newRig(t, nil)
	ctx := ctxT(t)
	srv := dressipi(t, time.Hour)
	old := r.link(srv, "shop", "agent pass")
	if _, err := r.c.Unlock(ctx, []byte("agent pass"), time.Hour); err != nil {
		t.Fatal(err)
	}
	srv.SetFail(localoauth.Failure{Path: "/oauth/token", Late: true, Delay: 2500 * time.Millisecond})
	cctx, cancel := context.WithCancel(ctx)
	asked := make(chan error, 1)
	go func() {
		_, err := r.c.Refresh(cctx, "shop", false)
		asked <- err
	}()
	for deadline := time.Now().Add(10 * time.Second); srv.Count("/oauth/token") < 1; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the agent sent no refresh")
		}
	}
	cancel() // the client gives up
	<-asked
	r.stop() // and the agent is stopped: it locks, after the answer
	if srv.ValidRefreshToken(old.Token.RefreshToken) {
		t.Fatal("the provider did not rotate: the test proves nothing")
	}
	st, err := accounts.Open(accounts.Config{Dir: r.dir, Backend: "file", EnvPassphrase: "agent pass", Exchanger: exchange.New()})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	sec, err := st.Secret(ctx, "shop")
	if err != nil {
		t.Fatal(err)
	}
	if !srv.ValidRefreshToken(sec.Token.RefreshToken) {
		t.Fatal("the keyring does not hold the rotated refresh token: the account needs linking again")
	}
}

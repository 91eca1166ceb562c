package ui

// Benchmarks of issue 5 on the real store (perf/run.sh runs them; README.md,
// Performance, has the numbers):
//
//   - BenchmarkFirstFrame1000Locked: from nothing to the first frame that
//     shows the accounts, with 1,000 account files and the file keyring
//     locked: open the store, build the model, size it, read the account
//     files (Init's load), take the loaded message, render. (The whole
//     process through a real pty is perf/run.sh's job.)
//   - BenchmarkRefreshStorm1000: 1,000 accounts expire together and refresh
//     against a local OIDC provider over HTTP on 127.0.0.1, through the
//     real accounts.Store (file keyring, PBES2, flock, account file) and
//     flow/exchange, driven as Bubble Tea drives the model: every Cmd runs
//     in its own goroutine and its message comes back to Update. Reported:
//     the Update+View time of every message while the refreshes complete
//     (p50, p99, max: a frame must stay under 16 ms), the most refreshes in
//     flight at once (the bound is Options.Concurrency), and that all 1,000
//     were refreshed.

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/99designs/keyring"

	"github.com/tokenring/tokenring/accounts"
	"github.com/tokenring/tokenring/flow"
	"github.com/tokenring/tokenring/flow/exchange"
	"github.com/tokenring/tokenring/internal/localoauth"
)

// writeAccounts writes the accounts' files into the config directory dir, as
// perf/seed does.
func writeAccounts(tb testing.TB, dir string, all []accounts.Account) {
	tb.Helper()
	if err := accounts.WriteAccountFiles(dir, all); err != nil {
		tb.Fatal(err)
	}
}

func perfAccounts(n int, p flow.Provider, now time.Time, expiry func(i int) time.Time) []accounts.Account {
	all := make([]accounts.Account, n)
	for i := range all {
		all[i] = accounts.Account{Name: fmt.Sprintf("acct-%04d", i), Provider: p, Scopes: []string{"openid", "email"},
			LinkedAt: now.Add(-time.Hour), AccessExpiry: expiry(i), ExpirySource: flow.ExpiryFromExpiresIn,
			AccessIssued: now.Add(-5 * time.Minute), HasRefresh: true, Backend: "file"}
	}
	return all
}

func BenchmarkFirstFrame1000Locked(b *testing.B)  { benchFirstFrameLocked(b, 1000) }
func BenchmarkFirstFrame10000Locked(b *testing.B) { benchFirstFrameLocked(b, 10000) }

// benchFirstFrameLocked: open the store, build the model, load n accounts
// and render the first frame, the keyring locked.
func benchFirstFrameLocked(b *testing.B, n int) {
	dir := b.TempDir()
	now := time.Now()
	writeAccounts(b, dir, perfAccounts(n, oidcP(), now, func(i int) time.Time { return now.Add(20*time.Minute + time.Duration(i)*2*time.Second) }))
	env := map[string]string{} // no TOKENRING_PASSPHRASE: locked
	want := fmt.Sprintf("%d accounts", n)
	b.ReportAllocs()
	for b.Loop() {
		st, err := accounts.Open(accounts.Config{Dir: dir, Backend: "file"})
		if err != nil {
			b.Fatal(err)
		}
		m := New(Options{Store: st, Getenv: func(k string) string { return env[k] }})
		m.Update(tea.WindowSizeMsg{Width: 80, Height: 27})
		m.Update(m.load("")())
		if v := m.View().Content; !strings.Contains(v, want) || !strings.Contains(v, "keyring: file (") {
			b.Fatalf("first frame:\n%s", v)
		}
		m.shutdown()
		st.Close()
	}
}

// stormEnv is 1,000 accounts whose tokens are all inside the refresh
// window, each with its own refresh token minted by a local OIDC provider.
func stormEnv(b *testing.B, n int) (*accounts.Store, *localoauth.Server) {
	b.Helper()
	srv := localoauth.NewOIDC(localoauth.OIDCOptions{ClientID: "perf", AccessTTL: time.Hour, RotateRefresh: true})
	b.Cleanup(srv.Close)
	p, err := flow.Preset("generic", flow.Overrides{AuthURL: srv.URL + "/authorize", TokenURL: srv.URL + "/token", ClientID: "perf"})
	if err != nil {
		b.Fatal(err)
	}
	dir := b.TempDir()
	const pass = "storm pass"
	now := time.Now()
	all := perfAccounts(n, p, now, func(int) time.Time { return now.Add(20 * time.Second) })
	writeAccounts(b, dir, all)

	// The keyring items, written with keyring's file backend as the store
	// writes them (one item per account: the JSON of accounts.Secret),
	// two at a time (each costs a PBKDF2).
	kr, err := keyring.Open(keyring.Config{AllowedBackends: []keyring.BackendType{keyring.FileBackend},
		FileDir: filepath.Join(dir, accounts.KeyringDir), FilePasswordFunc: func(string) (string, error) { return pass, nil }})
	if err != nil {
		b.Fatal(err)
	}
	if err := kr.Set(keyring.Item{Key: "tokenring.passphrase-check", Data: []byte("tokenring passphrase check")}); err != nil {
		b.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for w := 0; w < 2; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := w; i < n; i += 2 {
				t, err := srv.MintTokens("openid email", time.Hour)
				if err != nil {
					errs <- err
					return
				}
				data, _ := json.Marshal(accounts.Secret{Token: flow.Token{AccessToken: t.AccessToken, TokenType: "Bearer",
					RefreshToken: t.RefreshToken, Expiry: now.Add(20 * time.Second), IssuedAt: now.Add(-5 * time.Minute)}})
				key := "tokenring.account." + all[i].Name
				if err := kr.Set(keyring.Item{Key: key, Data: data, Label: key}); err != nil {
					errs <- err
					return
				}
			}
		}(w)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		b.Fatal(err)
	}
	st, err := accounts.Open(accounts.Config{Dir: dir, Backend: "file", Exchanger: exchange.New(),
		EnvPassphrase: pass})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	if err := st.Unlock(context.Background(), pass); err != nil {
		b.Fatal(err)
	}
	return st, srv
}

// countingStore counts Refresh calls per account.
type countingStore struct {
	*accounts.Store
	mu sync.Mutex
	n  map[string]int
}

// RefreshIfDue counts the background refreshes the storm asks for.
func (c *countingStore) RefreshIfDue(ctx context.Context, name string) (accounts.Account, error) {
	c.mu.Lock()
	c.n[name]++
	c.mu.Unlock()
	return c.Store.RefreshIfDue(ctx, name)
}

func (c *countingStore) Refresh(ctx context.Context, name string) (accounts.Account, error) {
	c.mu.Lock()
	c.n[name]++
	c.mu.Unlock()
	return c.Store.Refresh(ctx, name)
}

// driver runs a model as tea.Program does: Cmds in goroutines, their
// messages back through one channel, Update then View for each message.
type driver struct {
	m      *Model
	msgs   chan tea.Msg
	frames []time.Duration
	// cpu: the CPU time of each frame on its own thread (the caller locks
	// it): the frame's work without the time other goroutines (the
	// refreshes' key derivations, the provider) took the cores from it
	cpu []time.Duration
}

func (d *driver) run(cmd tea.Cmd) {
	if cmd == nil {
		return
	}
	go func() {
		msg := cmd()
		switch msg := msg.(type) {
		case nil:
		case tea.BatchMsg:
			for _, c := range msg {
				d.run(c)
			}
		default:
			d.msgs <- msg
		}
	}()
}

func (d *driver) step(msg tea.Msg) {
	t, c := time.Now(), threadCPU()
	_, cmd := d.m.Update(msg)
	_ = d.m.View()
	d.frames = append(d.frames, time.Since(t))
	d.cpu = append(d.cpu, threadCPU()-c)
	d.run(cmd)
}

func BenchmarkRefreshStorm1000(b *testing.B) {
	const n = 1000
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		st, srv := stormEnv(b, n)
		before := srv.Count("/token")
		b.StartTimer()

		runtime.LockOSThread() // threadCPU measures this goroutine's frames
		cs := &countingStore{Store: st, n: map[string]int{}}
		m := New(Options{Store: cs, Getenv: func(string) string { return "" }})
		d := &driver{m: m, msgs: make(chan tea.Msg, 64)}
		d.step(tea.WindowSizeMsg{Width: 80, Height: 27})
		d.step(m.load("")())
		maxFlight := 0
		deadline := time.After(10 * time.Minute)
		for done := false; !done; {
			select {
			case msg := <-d.msgs:
				d.step(msg)
				maxFlight = max(maxFlight, m.sched.Running())
			case <-deadline:
				b.Fatalf("the storm did not end: %d refreshing, %d queued", m.sched.Running(), m.sched.Queued())
			}
			if m.sched.Running() == 0 && m.sched.Queued() == 0 {
				refreshed := 0
				for _, a := range m.board.accts {
					if !a.LastRefresh.IsZero() {
						refreshed++
					}
				}
				done = refreshed == n
			}
		}
		b.StopTimer()
		runtime.UnlockOSThread()
		m.shutdown()
		for name, k := range cs.n {
			if k != 1 {
				b.Errorf("%s was refreshed %d times", name, k)
			}
		}
		if got := srv.Count("/token") - before; got != n {
			why := map[string]int{}
			for _, r := range srv.Requests() {
				if r.Path == "/token" && r.Status != 200 {
					why[fmt.Sprintf("%d %s", r.Status, r.Error)]++
				}
			}
			b.Fatalf("%d token requests for %d accounts; refused: %v", got, n, why)
		}
		for _, a := range m.board.accts {
			if a.LastError != "" || a.NeedsRelink {
				b.Fatalf("%s: %q (needs relink: %v)", a.Name, a.LastError, a.NeedsRelink)
			}
		}
		if maxFlight > m.o.Concurrency {
			b.Fatalf("%d refreshes in flight at once, the bound is %d", maxFlight, m.o.Concurrency)
		}
		f := slices.Clone(d.frames)
		slices.Sort(f)
		pct := func(p float64) float64 { return float64(f[int(p*float64(len(f)-1))]) / 1e6 }
		b.ReportMetric(pct(0.50), "p50-frame-ms")
		b.ReportMetric(pct(0.99), "p99-frame-ms")
		b.ReportMetric(float64(f[len(f)-1])/1e6, "max-frame-ms")
		b.ReportMetric(float64(slices.Max(d.cpu))/1e6, "max-frame-cpu-ms")
		b.ReportMetric(float64(len(f)), "frames")
		b.ReportMetric(float64(maxFlight), "max-in-flight")
		b.ReportMetric(float64(n), "refreshed")
	}
}

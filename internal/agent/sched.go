//go:build linux || darwin || freebsd

package agent

import (
	"container/heap"
	"context"
	"errors"
	"math/rand/v2"
	"os"
	"os/exec"
	"sync"
	"time"

	"github.com/tokenring/tokenring/accounts"
	"github.com/tokenring/tokenring/flow"
	"github.com/tokenring/tokenring/internal/termtext"
)

// scheduler refreshes every account ahead of expiry while the agent is
// unlocked: a heap of due times (the policy's RefreshDue), one timer for
// the soonest, no walk over the accounts while nothing is due. A refresh
// goes through Store.RefreshIfDue, which refreshes only if the account is
// still due once its lock is held: the TUI, the CLI and this agent refresh
// one due point once between them. Failures are tried again with backoff;
// an account that needs linking again, or whose refreshes keep failing,
// makes one event (notify_cmd) until that changes. The account files are
// read again every Config.Rescan for accounts other processes added or
// changed; what goes through the agent updates the heap at once.
type scheduler struct {
	srv    *Server
	pol    accounts.Policy
	ctx    context.Context
	cancel context.CancelFunc
	wake   chan struct{}
	done   chan struct{}
	sem    chan struct{}
	wg     sync.WaitGroup

	mu       sync.Mutex
	due      map[string]time.Time // the accounts scheduled and when
	h        dueHeap              // may hold stale entries: due is the truth
	busy     map[string]bool      // a refresh is running
	fails    map[string]*failure  // failing accounts (backoff)
	relinked map[string]bool      // needs_relink was told
	nextScan time.Time
}

type failure struct {
	n        int
	notified bool
}

type dueItem struct {
	name string
	at   time.Time
}

type dueHeap []dueItem

func (h dueHeap) Len() int           { return len(h) }
func (h dueHeap) Less(i, j int) bool { return h[i].at.Before(h[j].at) }
func (h dueHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *dueHeap) Push(x any)        { *h = append(*h, x.(dueItem)) }
func (h *dueHeap) Pop() any {
	old := *h
	it := old[len(old)-1]
	*h = old[:len(old)-1]
	return it
}

func newScheduler(s *Server) *scheduler {
	ctx, cancel := context.WithCancel(context.Background())
	sc := &scheduler{
		srv: s, ctx: ctx, cancel: cancel,
		wake: make(chan struct{}, 1), done: make(chan struct{}), sem: make(chan struct{}, s.cfg.Concurrency),
		due: map[string]time.Time{}, busy: map[string]bool{}, fails: map[string]*failure{}, relinked: map[string]bool{},
	}
	return sc
}

func (sc *scheduler) now() time.Time { return sc.srv.cfg.Now() }

func (sc *scheduler) poke() {
	select {
	case sc.wake <- struct{}{}:
	default:
	}
}

// stop ends the loop and waits for the refreshes in flight (they stop at
// their next wait; a new token the provider issued is stored first).
func (sc *scheduler) stop() {
	sc.cancel()
	<-sc.done
	sc.wg.Wait()
}

func (sc *scheduler) run() {
	defer close(sc.done)
	sc.srv.withStore(func(st *accounts.Store) Response {
		sc.mu.Lock()
		sc.pol = st.Policy()
		sc.mu.Unlock()
		return Response{}
	})
	sc.rescan()
	for {
		sc.mu.Lock()
		now := sc.now()
		var ready []string
		for sc.h.Len() > 0 {
			top := sc.h[0]
			if at, ok := sc.due[top.name]; !ok || !at.Equal(top.at) {
				heap.Pop(&sc.h) // stale
				continue
			}
			if top.at.After(now) {
				break
			}
			heap.Pop(&sc.h)
			delete(sc.due, top.name)
			sc.busy[top.name] = true
			ready = append(ready, top.name)
		}
		wait := sc.nextScan.Sub(now)
		if sc.h.Len() > 0 {
			wait = min(wait, sc.h[0].at.Sub(now))
		}
		sc.mu.Unlock()
		for _, name := range ready {
			sc.wg.Add(1)
			go sc.refresh(name)
		}
		t := time.NewTimer(max(wait, 0))
		select {
		case <-sc.ctx.Done():
			t.Stop()
			return
		case <-sc.wake:
			t.Stop()
		case <-t.C:
		}
		sc.mu.Lock()
		scan := !sc.now().Before(sc.nextScan)
		sc.mu.Unlock()
		if scan {
			sc.rescan()
		}
	}
}

func (sc *scheduler) refresh(name string) {
	defer sc.wg.Done()
	select {
	case sc.sem <- struct{}{}:
	case <-sc.ctx.Done():
		sc.mu.Lock()
		delete(sc.busy, name)
		sc.mu.Unlock()
		return
	}
	defer func() { <-sc.sem }()
	var a accounts.Account
	var err error
	r := sc.srv.withStore(func(st *accounts.Store) Response {
		a, err = st.RefreshIfDue(sc.ctx, name)
		return Response{}
	})
	if r.Error != nil {
		err = r.Error.Err(name)
	}
	sc.mu.Lock()
	delete(sc.busy, name)
	sc.resultLocked(name, a, err)
	sc.mu.Unlock()
}

// observe takes what a client's operation did to name (a refresh, an add,
// a removal) into the schedule.
func (sc *scheduler) observe(name string, a accounts.Account, err error) {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	if sc.busy[name] {
		return // the scheduler's own refresh will tell
	}
	switch {
	case err == nil:
		delete(sc.fails, name)
		delete(sc.relinked, name)
		sc.setDueLocked(name, sc.pol.RefreshDue(a), 0)
	case errors.Is(err, accounts.ErrNotFound):
		sc.unscheduleLocked(name)
	}
}

// backoff is the wait before the n-th retry of a failing account: 15 s,
// doubling, at most 5 min, ±20%.
func backoff(n int) time.Duration {
	d := 15 * time.Second
	for i := 1; i < n && d < 5*time.Minute; i++ {
		d *= 2
	}
	d = min(d, 5*time.Minute)
	return d*4/5 + time.Duration(rand.Int64N(int64(d*2/5)+1))
}

// failingAfter is how many failed refreshes in a row make an event (sooner
// when the token has expired meanwhile).
const failingAfter = 3

func (sc *scheduler) resultLocked(name string, a accounts.Account, err error) {
	now := sc.now()
	switch {
	case err == nil:
		if f := sc.fails[name]; f != nil && f.notified {
			sc.srv.event(Event{Account: name, Kind: EventRecovered, Message: "refreshed again after failing"})
		}
		delete(sc.fails, name)
		// a refresh that was not due after all must not come back at once
		sc.setDueLocked(name, sc.pol.RefreshDue(a), time.Second)
	case sc.ctx.Err() != nil:
		// stopping
	case errors.Is(err, accounts.ErrNotFound), errors.Is(err, accounts.ErrDamaged):
		sc.unscheduleLocked(name)
	case errors.Is(err, accounts.ErrNeedsRelink), flow.IsInvalidGrant(err):
		sc.unscheduleLocked(name)
		if !sc.relinked[name] {
			sc.relinked[name] = true
			sc.srv.event(Event{Account: name, Kind: EventNeedsRelink,
				Message: termtext.Snippet("the provider no longer accepts its refresh token; link it again: "+err.Error(), 300)})
		}
	case errors.Is(err, accounts.ErrLocked), errors.Is(err, accounts.ErrBadPassphrase):
		sc.setDueLocked(name, now.Add(time.Minute), 0) // the key no longer opens it: unlock again
	default:
		f := sc.fails[name]
		if f == nil {
			f = &failure{}
			sc.fails[name] = f
		}
		f.n++
		sc.setDueLocked(name, now.Add(backoff(f.n)), 0)
		expired := !a.AccessExpiry.IsZero() && !now.Before(a.AccessExpiry)
		if !f.notified && (f.n >= failingAfter || expired) {
			f.notified = true
			sc.srv.event(Event{Account: name, Kind: EventRefreshFailing,
				Message: termtext.Snippet("refreshing failed "+itoa(f.n)+" times in a row: "+err.Error(), 300)})
		}
	}
}

func itoa(n int) string {
	if n < 10 {
		return string(rune('0' + n))
	}
	return itoa(n/10) + string(rune('0'+n%10))
}

// setDueLocked schedules name at at (zero: unschedules it), no sooner than
// minDelay from now.
func (sc *scheduler) setDueLocked(name string, at time.Time, minDelay time.Duration) {
	if at.IsZero() {
		delete(sc.due, name)
		return
	}
	if earliest := sc.now().Add(minDelay); at.Before(earliest) {
		at = earliest
	}
	if cur, ok := sc.due[name]; ok && cur.Equal(at) {
		return
	}
	sc.due[name] = at
	heap.Push(&sc.h, dueItem{name: name, at: at})
	sc.poke()
}

func (sc *scheduler) unscheduleLocked(name string) {
	delete(sc.due, name)
	delete(sc.fails, name)
}

// rescan reads the account files again.
func (sc *scheduler) rescan() {
	var accts []accounts.Account
	var err error
	sc.srv.withStore(func(st *accounts.Store) Response {
		accts, err = st.Accounts()
		return Response{}
	})
	sc.mu.Lock()
	defer sc.mu.Unlock()
	sc.nextScan = sc.now().Add(sc.srv.cfg.Rescan)
	if err != nil {
		return
	}
	seen := make(map[string]bool, len(accts))
	for _, a := range accts {
		if a.Damaged != nil {
			continue
		}
		seen[a.Name] = true
		if sc.busy[a.Name] || sc.fails[a.Name] != nil {
			continue
		}
		if a.NeedsRelink {
			if _, scheduled := sc.due[a.Name]; scheduled && !sc.relinked[a.Name] {
				sc.relinked[a.Name] = true
				sc.srv.event(Event{Account: a.Name, Kind: EventNeedsRelink,
					Message: termtext.Snippet("the provider no longer accepts its refresh token; link it again: "+a.LastError, 300)})
			}
			delete(sc.due, a.Name)
			continue
		}
		delete(sc.relinked, a.Name)
		sc.setDueLocked(a.Name, sc.pol.RefreshDue(a), 0)
	}
	for name := range sc.due {
		if !seen[name] {
			sc.unscheduleLocked(name)
		}
	}
}

// summary: how many accounts are scheduled, and the soonest.
func (sc *scheduler) summary() (n int, next string, at time.Time) {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	for name, t := range sc.due {
		if at.IsZero() || t.Before(at) {
			next, at = name, t
		}
	}
	return len(sc.due) + len(sc.busy), next, at
}

// notify runs the notify command for e: argv as configured, no shell; the
// account, the event and the message in its environment; within the
// timeout. Its output goes to the agent's log.
func (s *Server) notify(e Event) {
	ctx, cancel := context.WithTimeout(context.Background(), s.cfg.NotifyTimeout)
	defer cancel()
	argv := s.cfg.NotifyCmd
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Env = append(os.Environ(),
		"TOKENRING_NOTIFY_ACCOUNT="+e.Account,
		"TOKENRING_NOTIFY_EVENT="+e.Kind,
		"TOKENRING_NOTIFY_MESSAGE="+e.Message,
	)
	cmd.WaitDelay = time.Second
	out, err := cmd.CombinedOutput()
	if len(out) > 0 {
		s.cfg.Logf("notify_cmd (%s, %s): %s", e.Account, e.Kind, termtext.Snippet(string(out), 500))
	}
	if err != nil {
		s.cfg.Logf("notify_cmd (%s, %s) failed: %v", e.Account, e.Kind, err)
	}
}

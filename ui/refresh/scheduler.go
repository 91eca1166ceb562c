// Package refresh schedules the TUI's background refreshes. It is pure
// state: it decides which accounts to refresh and when, and the UI runs the
// refreshes (each in a tea.Cmd with a deadline) and reports back with Done.
// It never does I/O and never reads the clock: every call that needs the
// time is given it, so the tests drive it with a fixed one.
package refresh

import (
	"container/heap"
	"errors"
	"time"

	"github.com/tokenring/tokenring/accounts"
	"github.com/tokenring/tokenring/internal/termtext"
)

// Backoff after a failed background refresh: the first retry waits
// FirstBackoff, every further failure doubles the wait up to MaxBackoff.
const (
	FirstBackoff = 15 * time.Second
	MaxBackoff   = 10 * time.Minute
)

// Scheduler is the heap of due times, the queue of due refreshes, the set
// in flight (at most Limit at a time), the per-account retry time and
// backoff after a failure, this session's last failure of each account
// (shown on its row until the next success), and the pause while the
// keyring is locked.
//
// The accounts it knows come from Track (every load) and Changed (a
// refresh's result): each account that wants a background refresh has
// one entry in a min-heap of the time it is due (its refresh time, or its
// retry time after a failure if that is later). Next pops what is due, so
// a tick costs a look at the heap's top, not a walk over every account.
type Scheduler struct {
	pol      accounts.Policy
	limit    int
	inflight map[string]bool
	manual   map[string]bool // in flight because the user asked
	queue    []string        // due, waiting for a free slot
	queued   map[string]bool // the names in queue
	retryAt  map[string]time.Time
	backoff  map[string]time.Duration
	errs     map[string]string // last failure of this session, cleaned
	paused   bool              // keyring locked: background refresh waits for unlock

	due  map[string]time.Time // each tracked account's refresh time (the policy's)
	at   map[string]time.Time // when each account in the heap is due; an entry of another time is stale
	heap dueHeap
}

// New returns a scheduler that refreshes by pol, at most limit at a time.
func New(pol accounts.Policy, limit int) *Scheduler {
	return &Scheduler{
		pol:      pol,
		limit:    max(limit, 1),
		inflight: map[string]bool{},
		manual:   map[string]bool{},
		queued:   map[string]bool{},
		retryAt:  map[string]time.Time{},
		backoff:  map[string]time.Duration{},
		errs:     map[string]string{},
		due:      map[string]time.Time{},
		at:       map[string]time.Time{},
	}
}

// Wanted says whether a will want a background refresh at some point: the
// policy gives it a refresh time, it need not be linked again, and no
// refresh of it is running.
func (s *Scheduler) Wanted(a accounts.Account) bool {
	if a.NeedsRelink || s.inflight[a.Name] {
		return false
	}
	return !s.pol.RefreshDue(a).IsZero()
}

// Track takes the accounts as a load read them: the heap is built anew
// from their refresh times (an account no longer there is dropped).
func (s *Scheduler) Track(accts []accounts.Account) {
	clear(s.due)
	clear(s.at)
	s.heap = s.heap[:0]
	for _, a := range accts {
		if d := s.pol.RefreshDue(a); !d.IsZero() && !a.NeedsRelink {
			s.due[a.Name] = d
			if s.schedule(a.Name) {
				s.heap = append(s.heap, dueAt{s.at[a.Name], a.Name})
			}
		}
	}
	heap.Init(&s.heap)
}

// Changed takes one account's new state (what a refresh returned).
func (s *Scheduler) Changed(a accounts.Account) {
	delete(s.at, a.Name) // its entry in the heap, if any, is stale now
	d := s.pol.RefreshDue(a)
	if d.IsZero() || a.NeedsRelink {
		delete(s.due, a.Name)
		return
	}
	s.due[a.Name] = d
	if s.schedule(a.Name) {
		heap.Push(&s.heap, dueAt{s.at[a.Name], a.Name})
	}
}

// schedule sets when name is due (its refresh time, or its retry time when
// later), unless it is in flight, queued or not tracked; it reports
// whether it did (the caller then adds the entry to the heap).
func (s *Scheduler) schedule(name string) bool {
	d, ok := s.due[name]
	if !ok || s.inflight[name] || s.queued[name] {
		return false
	}
	if r := s.retryAt[name]; r.After(d) {
		d = r
	}
	s.at[name] = d
	return true
}

// Waiting says whether the clock matters to the scheduler: it is not
// paused and some account is wanted (due now, later, or after a retry
// wait). The UI keeps its 1 Hz tick running while it is.
func (s *Scheduler) Waiting() bool {
	return !s.paused && (len(s.at) > 0 || len(s.queue) > 0)
}

// Next queues the accounts that are due at now (and not waiting for a
// retry), then takes from the queue as many as there are free slots,
// marks them in flight and returns their names: the caller starts one
// background refresh for each. Names that exists no longer knows (the
// account was removed while queued) are dropped. Paused, it returns nothing.
func (s *Scheduler) Next(now time.Time, exists func(name string) bool) []string {
	if s.paused {
		return nil
	}
	for len(s.heap) > 0 && !s.heap[0].at.After(now) {
		e := heap.Pop(&s.heap).(dueAt)
		if at, ok := s.at[e.name]; !ok || !at.Equal(e.at) {
			continue // stale: the account changed, was refreshed or dropped since
		}
		delete(s.at, e.name)
		s.queue = append(s.queue, e.name)
		s.queued[e.name] = true
	}
	var start []string
	for len(s.queue) > 0 && len(s.inflight) < s.limit {
		name := s.queue[0]
		s.queue = s.queue[1:]
		delete(s.queued, name)
		if !exists(name) || s.inflight[name] {
			continue
		}
		s.Start(name, false)
		start = append(start, name)
	}
	return start
}

// dueAt is an entry of the heap: name is due at at.
type dueAt struct {
	at   time.Time
	name string
}

type dueHeap []dueAt

func (h dueHeap) Len() int { return len(h) }
func (h dueHeap) Less(i, j int) bool {
	if !h[i].at.Equal(h[j].at) {
		return h[i].at.Before(h[j].at)
	}
	return h[i].name < h[j].name // due together: by name, as the list shows them
}
func (h dueHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *dueHeap) Push(x any)   { *h = append(*h, x.(dueAt)) }
func (h *dueHeap) Pop() any {
	old := *h
	e := old[len(old)-1]
	*h = old[:len(old)-1]
	return e
}

// Start marks a refresh of name in flight; manual when the user asked for
// it (Done then says so, and the UI reports the outcome). A new attempt
// clears the account's last failure. A manual refresh does not wait for a
// free slot.
func (s *Scheduler) Start(name string, manual bool) {
	s.inflight[name] = true
	if manual {
		s.manual[name] = true
	}
	delete(s.errs, name)
}

// Result is what Done tells the caller about a finished refresh.
type Result struct {
	Manual bool   // the user asked for it
	Locked bool   // the keyring was locked: background refresh is now paused
	Err    string // the failure, cleaned for the terminal ("" on success or Locked)
}

// Done records the end of a refresh of name at now. Success clears the
// account's retry wait and backoff. accounts.ErrLocked pauses background
// refresh (and empties the queue) until Resume: every other refresh would
// fail the same way. Any other failure is kept as the account's error and
// the next background try waits FirstBackoff, doubling up to MaxBackoff.
func (s *Scheduler) Done(name string, err error, now time.Time) Result {
	r := Result{Manual: s.manual[name]}
	delete(s.inflight, name)
	delete(s.manual, name)
	switch {
	case err == nil:
		// due again when Changed says (the refresh's result) or the next Track
		delete(s.retryAt, name)
		delete(s.backoff, name)
		return r
	case errors.Is(err, accounts.ErrLocked):
		// every queued account goes back to the heap, due as before: after
		// Resume they are due at once
		s.paused = true
		for _, n := range append(s.queue, name) {
			delete(s.queued, n)
			s.push(n)
		}
		s.queue = nil
		r.Locked = true
		return r
	}
	r.Err = termtext.Clean(err.Error())
	s.errs[name] = r.Err
	b := s.backoff[name]
	if b == 0 {
		b = FirstBackoff
	} else {
		b = min(2*b, MaxBackoff)
	}
	s.backoff[name] = b
	s.retryAt[name] = now.Add(b)
	s.push(name)
	return r
}

// push puts name in the heap at the time schedule gives it.
func (s *Scheduler) push(name string) {
	if s.schedule(name) {
		heap.Push(&s.heap, dueAt{s.at[name], name})
	}
}

// Status is the status the UI shows for a at now: the policy's, with this
// session's state on top — the one place where that happens. A refresh in
// flight shows as refreshing; this session's failure shows as an error
// until the next success (a needed re-link or a damaged account file stays
// what it is: it says more).
func (s *Scheduler) Status(a accounts.Account, now time.Time) accounts.Status {
	if s.inflight[a.Name] {
		return accounts.StatusRefreshing
	}
	st := s.pol.Status(a, now)
	if st != accounts.StatusNeedsRelink && st != accounts.StatusDamaged && s.errs[a.Name] != "" {
		return accounts.StatusError
	}
	return st
}

// Resume ends the pause (the keyring was unlocked).
func (s *Scheduler) Resume() { s.paused = false }

// Forget drops what the scheduler remembers of name's failures: its error,
// retry time and backoff (the account was linked again).
func (s *Scheduler) Forget(name string) {
	delete(s.errs, name)
	delete(s.retryAt, name)
	delete(s.backoff, name)
	if _, ok := s.at[name]; ok {
		s.push(name) // due at its refresh time, not after the retry wait
	}
}

// ClearErr drops name's last failure (the account was removed).
func (s *Scheduler) ClearErr(name string) { delete(s.errs, name) }

// InFlight says whether a refresh of name is running.
func (s *Scheduler) InFlight(name string) bool { return s.inflight[name] }

// Running is the number of refreshes in flight.
func (s *Scheduler) Running() int { return len(s.inflight) }

// Queued is the number of due refreshes waiting for a slot.
func (s *Scheduler) Queued() int { return len(s.queue) }

// Err is this session's last failure to refresh name, cleaned ("" none).
func (s *Scheduler) Err(name string) string { return s.errs[name] }

// Paused says whether background refresh waits for the keyring to be unlocked.
func (s *Scheduler) Paused() bool { return s.paused }

// RetryAt is when name may be refreshed in the background again after a
// failure (zero: no wait).
func (s *Scheduler) RetryAt(name string) time.Time { return s.retryAt[name] }

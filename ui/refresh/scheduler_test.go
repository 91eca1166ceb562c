package refresh

import (
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/tokenring/tokenring/accounts"
	"github.com/tokenring/tokenring/flow"
)

var t0 = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)

// pol refreshes two minutes before expiry (unknown issue time: Max).
var pol = accounts.Policy{Fraction: 0.1, Min: 2 * time.Minute, Max: 2 * time.Minute}

// acct expires in exp; it has a refresh token.
func acct(name string, exp time.Duration) accounts.Account {
	return accounts.Account{Name: name, AccessExpiry: t0.Add(exp), HasRefresh: true}
}

func all(accts []accounts.Account) func(string) bool {
	return func(n string) bool {
		return slices.ContainsFunc(accts, func(a accounts.Account) bool { return a.Name == n })
	}
}

func TestNextStartsDueAccountsUpToTheLimit(t *testing.T) {
	var accts []accounts.Account
	for i := range 6 {
		accts = append(accts, acct(fmt.Sprintf("due-%d", i), time.Minute))
	}
	accts = append(accts,
		acct("later", time.Hour), // due in 58 minutes
		accounts.Account{Name: "no-refresh-token", AccessExpiry: t0.Add(time.Minute)},
		accounts.Account{Name: "forever", HasRefresh: true},
		accounts.Account{Name: "dead", AccessExpiry: t0.Add(time.Minute), HasRefresh: true, NeedsRelink: true},
		accounts.Account{Name: "app", AccessExpiry: t0.Add(time.Minute), Provider: flow.Provider{Grant: flow.GrantClientCredentials}},
	)
	s := New(pol, 4)
	s.Track(accts)
	got := s.Next(t0, all(accts))
	// the earliest due first, then by name
	if want := []string{"app", "due-0", "due-1", "due-2"}; !slices.Equal(got, want) {
		t.Fatalf("started %v, want %v", got, want)
	}
	if s.Running() != 4 || s.Queued() != 3 { // due-3, due-4, due-5
		t.Fatalf("running %d queued %d", s.Running(), s.Queued())
	}
	// nothing more while every slot is taken, and nothing twice
	if got := s.Next(t0, all(accts)); len(got) != 0 || s.Queued() != 3 {
		t.Fatalf("started %v with no free slot (queued %d)", got, s.Queued())
	}
	// a finished refresh frees a slot for the first in the queue
	s.Done("due-1", nil, t0)
	if got := s.Next(t0, all(accts)); !slices.Equal(got, []string{"due-3"}) {
		t.Fatalf("after one done: started %v", got)
	}
	if s.Wanted(accts[0]) {
		t.Fatal("an account in flight is wanted again")
	}
	for _, a := range accts[7:10] {
		if s.Wanted(a) {
			t.Fatalf("%s has no refresh time, yet it is wanted", a.Name)
		}
	}
}

// A manual refresh takes a slot too (the bound is on all refreshes).
func TestManualRefreshCountsAgainstTheLimit(t *testing.T) {
	accts := []accounts.Account{acct("a", time.Minute), acct("b", time.Minute)}
	s := New(pol, 1)
	s.Track(accts)
	s.Start("mine", true)
	if got := s.Next(t0, all(accts)); len(got) != 0 {
		t.Fatalf("started %v beside a manual refresh at limit 1", got)
	}
	if r := s.Done("mine", nil, t0); !r.Manual || r.Locked || r.Err != "" {
		t.Fatalf("result %+v", r)
	}
	if got := s.Next(t0, all(accts)); !slices.Equal(got, []string{"a"}) {
		t.Fatalf("started %v", got)
	}
	if r := s.Done("a", nil, t0); r.Manual {
		t.Fatal("a background refresh reported as manual")
	}
}

func TestFailureBacksOffAndShowsOnTheRow(t *testing.T) {
	a := acct("a", time.Minute)
	accts := []accounts.Account{a}
	s := New(pol, 4)
	s.Track(accts)
	now := t0
	var waits []time.Duration
	for range 8 {
		if got := s.Next(now, all(accts)); !slices.Equal(got, []string{"a"}) {
			t.Fatalf("at %v: started %v", now.Sub(t0), got)
		}
		if s.Status(a, now) != accounts.StatusRefreshing {
			t.Fatal("a refresh in flight does not show as refreshing")
		}
		r := s.Done("a", errors.New("boom\x1b[2J"), now)
		if r.Err != "boom" || s.Err("a") != "boom" {
			t.Fatalf("error %q / %q, want it cleaned", r.Err, s.Err("a"))
		}
		if s.Status(a, now) != accounts.StatusError {
			t.Fatal("this session's failure does not show as an error")
		}
		wait := s.RetryAt("a").Sub(now)
		waits = append(waits, wait)
		// not before the wait is over
		if got := s.Next(now.Add(wait-time.Second), all(accts)); len(got) != 0 {
			t.Fatalf("retried after %v of a %v wait", wait-time.Second, wait)
		}
		now = now.Add(wait)
	}
	want := []time.Duration{15 * time.Second, 30 * time.Second, time.Minute, 2 * time.Minute, 4 * time.Minute,
		8 * time.Minute, 10 * time.Minute, 10 * time.Minute}
	if !slices.Equal(waits, want) {
		t.Fatalf("waits %v, want %v", waits, want)
	}
	// a new attempt clears the error; success clears the backoff
	s.Start("a", true)
	if s.Err("a") != "" {
		t.Fatal("the error stayed while refreshing again")
	}
	s.Done("a", nil, now)
	if !s.RetryAt("a").IsZero() {
		t.Fatal("success kept the retry wait")
	}
	s.Start("a", false)
	if s.Done("a", errors.New("boom"), now); s.RetryAt("a").Sub(now) != FirstBackoff {
		t.Fatal("success did not reset the backoff")
	}
}

func TestLockedKeyringPausesUntilResume(t *testing.T) {
	accts := []accounts.Account{acct("a", time.Minute), acct("b", time.Minute), acct("c", time.Minute)}
	s := New(pol, 1)
	s.Track(accts)
	if got := s.Next(t0, all(accts)); !slices.Equal(got, []string{"a"}) {
		t.Fatalf("started %v", got)
	}
	if r := s.Done("a", fmt.Errorf("reading: %w", accounts.ErrLocked), t0); !r.Locked || r.Err != "" {
		t.Fatalf("result %+v", r)
	}
	if !s.Paused() || s.Queued() != 0 {
		t.Fatalf("paused %v queued %d: the queue must empty while locked", s.Paused(), s.Queued())
	}
	if s.Err("a") != "" || s.Status(accts[0], t0) == accounts.StatusError {
		t.Fatal("a locked keyring is not the account's error")
	}
	if got := s.Next(t0, all(accts)); len(got) != 0 {
		t.Fatalf("started %v while paused", got)
	}
	if s.Waiting() {
		t.Fatal("paused, the scheduler still wants the clock")
	}
	s.Resume()
	if !s.Waiting() {
		t.Fatal("after unlocking, due accounts do not want the clock")
	}
	if got := s.Next(t0, all(accts)); !slices.Equal(got, []string{"a"}) {
		t.Fatalf("after resume started %v", got)
	}
}

func TestRemovedWhileQueuedIsDropped(t *testing.T) {
	accts := []accounts.Account{acct("a", time.Minute), acct("b", time.Minute)}
	s := New(pol, 1)
	s.Track(accts)
	s.Next(t0, all(accts)) // a runs, b waits
	s.Done("a", nil, t0)
	refreshed := []accounts.Account{acct("a", time.Hour)} // and b was removed
	s.Track(refreshed)
	gone := func(n string) bool { return n != "b" }
	if got := s.Next(t0, gone); len(got) != 0 || s.Queued() != 0 {
		t.Fatalf("started %v (queued %d) for a removed account", got, s.Queued())
	}
}

func TestStatusOverlay(t *testing.T) {
	s := New(pol, 4)
	valid := acct("valid", time.Hour)
	relink := accounts.Account{Name: "relink", NeedsRelink: true, AccessExpiry: t0.Add(time.Hour)}
	if st := s.Status(valid, t0); st != accounts.StatusValid {
		t.Fatalf("status %v, want the policy's (valid)", st)
	}
	s.Start("relink", false)
	s.Done("relink", errors.New("invalid_grant"), t0)
	if st := s.Status(relink, t0); st != accounts.StatusNeedsRelink {
		t.Fatalf("status %v: a needed re-link must show over the row's error", st)
	}
	s.Start("valid", false)
	s.Done("valid", errors.New("boom"), t0)
	s.Forget("valid")
	if st := s.Status(valid, t0); st != accounts.StatusValid || !s.RetryAt("valid").IsZero() {
		t.Fatalf("after Forget: status %v, retry at %v", st, s.RetryAt("valid"))
	}
}

// A damaged account file stays "damaged" when a refresh of it failed in
// this session (it says more than "error"), and is never due.
func TestDamagedStaysDamaged(t *testing.T) {
	a := accounts.Account{Name: "broken", Damaged: &accounts.DamagedError{Name: "broken"}, LastError: "the account file ... cannot be used"}
	s := New(pol, 4)
	s.Track([]accounts.Account{a})
	if got := s.Next(t0, all([]accounts.Account{a})); len(got) != 0 {
		t.Fatalf("started %v", got)
	}
	s.Start("broken", true)
	s.Done("broken", errors.New("the account file ... cannot be used"), t0)
	if st := s.Status(a, t0); st != accounts.StatusDamaged {
		t.Fatalf("status %v, want damaged", st)
	}
}

// The heap: an account is due once per due point, at its retry time after
// a failure, again at its new refresh time after Changed, and not at all
// once dropped by a Track without it; a tick before anything is due starts
// nothing, however many accounts there are.
func TestHeapOfDueTimes(t *testing.T) {
	var accts []accounts.Account
	for i := range 1000 {
		accts = append(accts, acct(fmt.Sprintf("a%04d", i), time.Hour+time.Duration(i)*time.Minute))
	}
	s := New(pol, 2)
	s.Track(accts)
	if got := s.Next(t0, all(accts)); len(got) != 0 || !s.Waiting() {
		t.Fatalf("started %v an hour early (waiting %v)", got, s.Waiting())
	}
	at := t0.Add(time.Hour - 2*time.Minute + time.Minute) // a0000 and a0001 are due
	if got := s.Next(at, all(accts)); !slices.Equal(got, []string{"a0000", "a0001"}) {
		t.Fatalf("started %v", got)
	}
	s.Done("a0000", nil, at)
	s.Changed(acct("a0000", 3*time.Hour))
	s.Done("a0001", errors.New("boom"), at)
	if got := s.Next(at.Add(time.Second), all(accts)); len(got) != 0 {
		t.Fatalf("started %v: a0000 is due in 3 hours, a0001 waits 15 s, a0002 a minute", got)
	}
	if got := s.Next(at.Add(FirstBackoff), all(accts)); !slices.Equal(got, []string{"a0001"}) {
		t.Fatalf("after the retry wait started %v", got)
	}
	s.Done("a0001", nil, at)
	s.Track(accts[3:5]) // the rest went away
	if got := s.Next(t0.Add(24*time.Hour), all(accts)); !slices.Equal(got, []string{"a0003", "a0004"}) {
		t.Fatalf("after Track of two: started %v", got)
	}
	if s.Waiting() {
		t.Fatal("nothing is tracked but what is in flight, yet the scheduler wants the clock")
	}
}

package common

import (
	"testing"
	"time"
)

// The 1 Hz tick fires on the clock's whole seconds (tea.Every). A countdown
// to an expiry with a fractional second must still go down by one at every
// tick, starting with the first one after the program started between two
// ticks (it used to keep its first value for up to two seconds).
func TestCountdownMovesOnEveryWholeSecondTick(t *testing.T) {
	base := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	for _, expFrac := range []time.Duration{0, 100 * time.Millisecond, 400 * time.Millisecond, 999 * time.Millisecond} {
		for _, startFrac := range []time.Duration{50 * time.Millisecond, 300 * time.Millisecond, 700 * time.Millisecond} {
			expiry := base.Add(120*time.Second + expFrac)
			start := base.Add(startFrac) // first frame, between two ticks
			prev := Countdown(UntilWhole(expiry, start))
			for k := 1; k <= 5; k++ {
				tick := base.Add(time.Duration(k)*time.Second + 3*time.Millisecond) // handled a little after the whole second
				got := Countdown(UntilWhole(expiry, tick))
				want := Countdown(time.Duration(119-k) * time.Second)
				if got == prev || got != want {
					t.Fatalf("expiry +%s, start +%s: tick %d shows %q after %q, want %q", expFrac, startFrac, k, got, prev, want)
				}
				prev = got
			}
		}
	}
}

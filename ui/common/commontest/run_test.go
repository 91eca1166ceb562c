package commontest

import (
	"context"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
)

// Run waits for keyring and network work however slow the machine (CI
// failed when a key derivation under -race took longer than the 100 ms
// grace and its answer was dropped), and drops what only a timer ends.
func TestRunWaitsForIOAndDropsTimers(t *testing.T) {
	c := New(nil)
	slowIO := c.IO(func(context.Context) tea.Msg {
		time.Sleep(400 * time.Millisecond)
		return "stored"
	})
	tick := tea.Tick(400*time.Millisecond, func(time.Time) tea.Msg { return "tick" })

	got := Run(c, tea.Batch(tick, slowIO))
	if len(got) != 1 || got[0] != "stored" {
		t.Fatalf("Run gave %v, want only the IO answer", got)
	}
	if c.Busy() {
		t.Fatal("Busy after the IO command ended")
	}
	if got := Run(nil, slowIO); got != nil {
		t.Fatalf("without a Common Run waits 100 ms only; it gave %v", got)
	}
}

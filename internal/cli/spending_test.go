package cli

import (
	"errors"
	"strings"
	"testing"

	"github.com/tokenring/tokenring/accounts"
)

// spendingStore is a store with refreshes on their way (Spending) and new
// tokens the keyring did not take (Pending), as accounts.Store reports them.
type spendingStore struct {
	*memStore
	spending, pending []string
	closed            bool
}

func (s *spendingStore) Spending() []string { return s.spending }
func (s *spendingStore) Pending() []string  { return s.pending }
func (s *spendingStore) Close() error       { s.closed = true; return nil }

// After the TUI quits: one line on why the process waits, the store
// closed (which waits), and the accounts whose new tokens are lost named
// in an error, never dropped silently.
func TestCloseAfterTUISaysWhyItWaitsAndWhatIsLost(t *testing.T) {
	ta := newTestApp(t, newMemStore("pw"))
	st := &spendingStore{memStore: newMemStore("pw"), spending: []string{"shop"}, pending: []string{"shop", "events"}}
	ta.watchSpends(st)
	err := ta.closeAfterTUI(st)
	if !st.closed {
		t.Fatal("the store was not closed")
	}
	if !errors.Is(err, accounts.ErrNotStored) || !strings.Contains(err.Error(), "events, shop") {
		t.Fatalf("closeAfterTUI = %v, want ErrNotStored naming events, shop", err)
	}
	if exitCode(err) == ExitOK {
		t.Fatal("lost tokens exit 0")
	}
	ta.sayWaiting(true) // an interrupt as well: said once
	if n := strings.Count(ta.stderr.String(), "the refresh of shop is on its way"); n != 1 || !strings.Contains(ta.stderr.String(), "Ctrl-C twice") {
		t.Fatalf("said %d times why it waits:\n%s", n, ta.stderr.String())
	}

	st = &spendingStore{memStore: newMemStore("pw")}
	if err := newTestApp(t, st.memStore).closeAfterTUI(st); err != nil || !st.closed {
		t.Fatalf("nothing pending: %v (closed %v)", err, st.closed)
	}
}

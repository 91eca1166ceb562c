package accounts

// New tokens that could not be stored.
//
// Once a provider has answered a refresh, the old refresh token may be
// spent: the new tokens are the account. If the keyring write fails even
// after the disk space reserved for it (a keyring that stops answering, a
// directory replaced under us), they are never dropped: the store keeps them
// here, hands them out (Token, Secret) and stores them at the next chance
// (every later read of the account tries again). A short-lived process
// (the CLI) retries for a few seconds before it gives up and says so
// loudly; the TUI and the agent keep them for as long as they run.

import (
	"context"
	"time"
)

// storeRetries are the waits between tries of storing new tokens.
var storeRetries = []time.Duration{100 * time.Millisecond, 500 * time.Millisecond, 2 * time.Second}

// keep stores sec as name's secret, trying again on failure; if every try
// fails it is kept in memory (pending) and the last error returned.
func (s *Store) keep(ctx context.Context, name string, sec Secret) error {
	err := s.putSecret(ctx, name, sec)
	for i := 0; err != nil && i < len(storeRetries); i++ {
		t := time.NewTimer(storeRetries[i])
		select {
		case <-ctx.Done():
			t.Stop()
			i = len(storeRetries)
			continue
		case <-t.C:
		}
		err = s.putSecret(ctx, name, sec)
	}
	s.penMu.Lock()
	defer s.penMu.Unlock()
	if err != nil {
		if s.pending == nil {
			s.pending = map[string]Secret{}
		}
		s.pending[name] = sec
		return err
	}
	delete(s.pending, name)
	return nil
}

// pendingSecret returns tokens of name waiting to be stored, after one
// more try at storing them.
func (s *Store) pendingSecret(ctx context.Context, name string) (Secret, bool) {
	s.penMu.Lock()
	sec, ok := s.pending[name]
	s.penMu.Unlock()
	if !ok {
		return Secret{}, false
	}
	if s.putSecret(context.WithoutCancel(ctx), name, sec) == nil {
		s.penMu.Lock()
		if cur, ok := s.pending[name]; ok && cur.Token.IssuedAt.Equal(sec.Token.IssuedAt) {
			delete(s.pending, name)
		}
		s.penMu.Unlock()
	}
	return sec, true
}

// Pending lists the accounts whose new tokens are held in memory only.
func (s *Store) Pending() []string {
	s.penMu.Lock()
	defer s.penMu.Unlock()
	out := make([]string, 0, len(s.pending))
	for n := range s.pending {
		out = append(out, n)
	}
	return out
}

// flushPending tries once more to store every secret held in memory
// (Close: the last chance); what still fails stays listed by Pending.
func (s *Store) flushPending() {
	for _, name := range s.Pending() {
		_, _ = s.pendingSecret(context.Background(), name)
	}
}

package accounts

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/tokenring/tokenring/flow"
)

// fakeEx is an in-memory flow.Exchanger with strictly rotating refresh
// tokens (each works once), for unit tests that do not need HTTP.
type fakeEx struct {
	mu       sync.Mutex
	valid    map[string]bool // live refresh tokens
	n        int
	ttl      time.Duration
	now      func() time.Time
	refresh  int // Refresh calls
	cc       int // ClientCredentials calls
	fail     []error
	revoked  []string
	revokeEr error
	gate     chan struct{} // when set, Refresh waits for it
	// noRotate: a refresh answers without a refresh token (RFC 6749 §6
	// allows it) and the one sent stays valid.
	noRotate bool
}

func newFakeEx(now func() time.Time) *fakeEx {
	return &fakeEx{valid: map[string]bool{}, ttl: time.Hour, now: now}
}

func (f *fakeEx) mint() flow.Token {
	f.n++
	rt := fmt.Sprintf("rt-secret-%d-%d", f.n, time.Now().UnixNano())
	f.valid[rt] = true
	now := f.now()
	return flow.Token{AccessToken: fmt.Sprintf("at-secret-%d", f.n), TokenType: "Bearer", RefreshToken: rt,
		Expiry: now.Add(f.ttl), ExpirySource: flow.ExpiryFromExpiresIn, IssuedAt: now}
}

func (f *fakeEx) Mint() flow.Token { f.mu.Lock(); defer f.mu.Unlock(); return f.mint() }

func (f *fakeEx) Refresh(ctx context.Context, p flow.Provider, s flow.Secrets, rt string) (*flow.Token, error) {
	if f.gate != nil {
		<-f.gate
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.refresh++
	if len(f.fail) > 0 {
		err := f.fail[0]
		f.fail = f.fail[1:]
		if err != nil {
			return nil, err
		}
	}
	if !f.valid[rt] {
		return nil, &flow.OAuthError{Op: "refresh", Code: "invalid_grant", Status: 400}
	}
	if f.noRotate {
		t := f.mint()
		delete(f.valid, t.RefreshToken)
		t.RefreshToken = ""
		return &t, nil
	}
	delete(f.valid, rt)
	t := f.mint()
	return &t, nil
}

func (f *fakeEx) ClientCredentials(ctx context.Context, p flow.Provider, s flow.Secrets) (*flow.Token, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.cc++
	t := f.mint()
	t.RefreshToken = ""
	return &t, nil
}

func (f *fakeEx) Revoke(ctx context.Context, p flow.Provider, s flow.Secrets, token, hint string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.revoked = append(f.revoked, hint)
	return f.revokeEr
}

var errNotFake = errors.New("not in the fake")

func (f *fakeEx) Exchange(context.Context, *flow.AuthRequest, flow.Secrets, string) (*flow.Token, error) {
	return nil, errNotFake
}
func (f *fakeEx) StartDevice(context.Context, flow.Provider, flow.Secrets) (*flow.DeviceAuth, error) {
	return nil, errNotFake
}
func (f *fakeEx) PollDevice(context.Context, flow.Provider, flow.Secrets, *flow.DeviceAuth) (*flow.Token, error) {
	return nil, errNotFake
}
func (f *fakeEx) Discover(context.Context, string, flow.Provider) (flow.Provider, error) {
	return flow.Provider{}, errNotFake
}
func (f *fakeEx) ListenLoopback(*flow.AuthRequest) (flow.Capture, error) { return nil, errNotFake }

// clock is a settable clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

// openFile opens a store on the file backend in dir with passphrase env.
func openFile(t testing.TB, dir, pass string, ex flow.Exchanger, now func() time.Time) *Store {
	t.Helper()
	s, err := Open(Config{Dir: dir, Backend: "file", Exchanger: ex, Now: now,
		EnvPassphrase: pass})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func testProvider() flow.Provider {
	return flow.Provider{ID: "acme", DisplayName: "Acme", AuthURL: "https://id.acme.example/a", TokenURL: "https://id.acme.example/t",
		RevocationURL: "https://id.acme.example/r", ClientID: "cli", Grant: flow.GrantAuthorizationCode}
}

func ctxT(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

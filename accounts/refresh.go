package accounts

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sort"
	"time"

	"github.com/tokenring/tokenring/flow"
	"github.com/tokenring/tokenring/internal/termtext"
)

// flight is one refresh running in this process; concurrent callers for
// the same account wait for it and share its result.
type flight struct {
	done chan struct{}
	acct Account
	tok  flow.Token
	err  error
}

// retryDelays are the waits between tries of a refresh that failed for a
// transient reason (timeout, unreachable, 5xx); each is jittered ±25%.
var retryDelays = []time.Duration{500 * time.Millisecond, time.Second}

func (s *Store) refreshing(name string) bool {
	s.fmu.Lock()
	_, ok := s.flights[name]
	s.fmu.Unlock()
	return ok
}

// fresh says whether t can be handed out without refreshing: it does not
// expire, or it is not yet inside the policy's refresh window.
func (s *Store) fresh(t flow.Token, now time.Time) bool {
	return !t.Expires() || now.Before(t.Expiry.Add(-s.pol.Window(t.IssuedAt, t.Expiry)))
}

func renewable(a Account, t flow.Token) bool {
	return t.RefreshToken != "" || a.Provider.Grant == flow.GrantClientCredentials
}

// Token returns a valid access token: the stored one while it is outside
// the refresh window (or does not expire), else a refreshed one. A token
// that cannot be renewed is returned while it is still valid; once expired
// it gives ErrNeedsRelink. That includes an account that needs linking
// again (its refresh token was refused): its access token is handed out
// until it expires (the caller warns). Client-credentials accounts get a
// new token.
//
// While the stored token is still valid, an early refresh gets at most
// Config.TokenWait (lock waits and retries; also the request itself when
// the provider is known to keep its refresh tokens, so a lost answer costs
// nothing); if it fails or runs out of time, the stored token is returned
// and the failure kept in the account's LastError.
func (s *Store) Token(ctx context.Context, name string) (flow.Token, error) {
	a, err := s.Account(name)
	if err != nil {
		return flow.Token{}, err
	}
	sec, err := s.secretOf(ctx, a)
	if err != nil {
		return flow.Token{}, err
	}
	now := s.now()
	if a.NeedsRelink {
		if sec.Token.Expires() && now.Add(stillUsable).Before(sec.Token.Expiry) || !sec.Token.Expires() && sec.Token.AccessToken != "" {
			return sec.Token, nil
		}
		return flow.Token{}, relinkErr(a, nil)
	}
	if s.fresh(sec.Token, now) {
		return sec.Token, nil
	}
	valid := now.Add(stillUsable).Before(sec.Token.Expiry)
	if !renewable(a, sec.Token) {
		if now.Before(sec.Token.Expiry) {
			return sec.Token, nil
		}
		return flow.Token{}, fmt.Errorf("%w: the token of %s expired and there is no refresh token", ErrNeedsRelink, name)
	}
	wait := ctx
	if valid {
		var cancel context.CancelFunc
		wait, cancel = context.WithTimeout(ctx, s.tokenWait())
		defer cancel()
	}
	_, tok, err := s.refreshWith(ctx, wait, name, false, 0)
	if err != nil && !errors.Is(err, ErrNeedsRelink) && !errors.Is(err, ErrNotStored) && s.now().Add(stillUsable).Before(sec.Token.Expiry) {
		// The refresh failed for a passing reason or ran out of time
		// (recorded in LastError) but the stored token is still good for
		// a while: use it.
		return sec.Token, nil
	}
	return tok, err
}

// ErrShortLived: the token was refreshed but the provider's new one is
// still valid for less than the caller asked of TokenFor.
var ErrShortLived = errors.New("the provider's tokens are not valid that long")

// validFor says whether t is still valid at now+d (a token that does not
// expire always is).
func validFor(t flow.Token, now time.Time, d time.Duration) bool {
	return !t.Expires() || !now.Add(d).After(t.Expiry)
}

// TokenFor returns an access token valid for at least minValid: the stored
// one when it is, else a refreshed one, through the same refresh as Token
// (the account's lock, rotation stored first, and one refresh per due
// point: a token another process refreshed while this one waited for the
// lock is taken as it is). minValid replaces the policy's window: a stored
// token valid for at least minValid is handed out even inside the window,
// and one valid for less is refreshed even outside it. There is no falling
// back to the stored token when the refresh fails (it is not valid long
// enough). A new token valid for less than minValid is returned with an
// error wrapping ErrShortLived; ErrNotStored as for Token. minValid <= 0
// is Token.
func (s *Store) TokenFor(ctx context.Context, name string, minValid time.Duration) (flow.Token, error) {
	if minValid <= 0 {
		return s.Token(ctx, name)
	}
	a, err := s.Account(name)
	if err != nil {
		return flow.Token{}, err
	}
	sec, err := s.secretOf(ctx, a)
	if err != nil {
		return flow.Token{}, err
	}
	if validFor(sec.Token, s.now(), minValid) && sec.Token.AccessToken != "" {
		return sec.Token, nil
	}
	if a.NeedsRelink {
		return flow.Token{}, relinkErr(a, nil)
	}
	if !renewable(a, sec.Token) {
		return flow.Token{}, fmt.Errorf("%w: the token of %s is valid for less than %s and there is no refresh token", ErrNeedsRelink, name, termtext.Duration(minValid))
	}
	_, tok, err := s.refreshWith(ctx, ctx, name, true, minValid)
	if err != nil {
		return tok, err
	}
	if now := s.now(); !validFor(tok, now, minValid) {
		return flow.Token{}, fmt.Errorf("%w: the new token of %s expires in %s, less than the %s asked for", ErrShortLived, name,
			termtext.Duration(tok.Expiry.Sub(now)), termtext.Duration(minValid))
	}
	return tok, nil
}

func (s *Store) tokenWait() time.Duration {
	if s.cfg.TokenWait > 0 {
		return s.cfg.TokenWait
	}
	return 5 * time.Second
}

// stillUsable is the least time left for a token that Token hands out when
// refreshing it early failed.
const stillUsable = 10 * time.Second

// RefreshIfDue refreshes name unless, once its lock is held, its token is
// no longer due under the policy (another process, or this one, refreshed
// it since the caller looked). Background refreshes (the TUI's scheduler,
// the agent) use it, so one due point gets one refresh whoever is running;
// Refresh is for a person asking for a refresh now.
func (s *Store) RefreshIfDue(ctx context.Context, name string) (Account, error) {
	a, _, err := s.refresh(ctx, name, false)
	return a, err
}

// Refresh refreshes now, whatever the expiry says, and returns the updated
// account. If another process refreshed the account while this one waited
// for the lock, its result is used instead of refreshing again.
func (s *Store) Refresh(ctx context.Context, name string) (Account, error) {
	a, _, err := s.refresh(ctx, name, true)
	return a, err
}

func relinkErr(a Account, cause error) error {
	if cause != nil {
		return fmt.Errorf("%w: %s: %w", ErrNeedsRelink, a.Name, cause)
	}
	if a.LastError != "" {
		return fmt.Errorf("%w: %s: %s", ErrNeedsRelink, a.Name, a.LastError)
	}
	return fmt.Errorf("%w: %s", ErrNeedsRelink, a.Name)
}

func (s *Store) refresh(ctx context.Context, name string, force bool) (Account, flow.Token, error) {
	return s.refreshWith(ctx, ctx, name, force, 0)
}

// refreshWith refreshes under ctx; wait (ctx or shorter) bounds what may be
// given up without losing anything: the lock wait, retries, and the request
// of a provider that keeps its refresh tokens. A minValid > 0 (TokenFor)
// replaces the policy's window in the re-check under the lock.
func (s *Store) refreshWith(ctx, wait context.Context, name string, force bool, minValid time.Duration) (Account, flow.Token, error) {
	s.fmu.Lock()
	if f, ok := s.flights[name]; ok {
		s.fmu.Unlock()
		select {
		case <-f.done:
			return f.acct, f.tok, f.err
		case <-ctx.Done():
			return Account{}, flow.Token{}, fmt.Errorf("waiting for the refresh of %s: %w", name, ctx.Err())
		}
	}
	f := &flight{done: make(chan struct{})}
	s.flights[name] = f
	s.fmu.Unlock()
	defer func() {
		s.fmu.Lock()
		delete(s.flights, name)
		s.fmu.Unlock()
		close(f.done)
	}()
	f.acct, f.tok, f.err = s.doRefresh(ctx, wait, name, force, minValid)
	return f.acct, f.tok, f.err
}

func (s *Store) doRefresh(ctx, wait context.Context, name string, force bool, minValid time.Duration) (Account, flow.Token, error) {
	before, err := s.Account(name)
	if err != nil {
		return Account{}, flow.Token{}, err
	}
	if err := s.ensurePassphrase(ctx); err != nil { // ask before holding the lock
		return before, flow.Token{}, err
	}
	l, err := lockFile(s.deadline(wait), s.lockPath(name), name)
	if err != nil {
		return before, flow.Token{}, err
	}
	defer l.unlock()

	// Re-read both: another process may have refreshed while we waited.
	a, err := s.Account(name)
	if err != nil {
		return Account{}, flow.Token{}, err
	}
	sec, err := s.secretOf(ctx, a)
	if err != nil {
		return a, flow.Token{}, err
	}
	t := sec.Token
	now := s.now()
	// The account's file trails the keyring when a process died between
	// storing a new token and writing the file: catch up.
	if !t.IssuedAt.Equal(a.AccessIssued) {
		fromToken(&a, t, now)
		a.LastRefresh, a.LastError, a.NeedsRelink = t.IssuedAt, "", false
		if err := s.saveAccount(a); err != nil {
			return a, flow.Token{}, err
		}
	}
	// Another process refreshed while this one waited (or, unforced, the
	// stored token is good enough after all): use its token.
	// TokenFor (which forces, so the policy's window alone is no reason to
	// stop): valid long enough, or refreshed by another since this due
	// point; also when that refresh ended between TokenFor's first read and
	// `before` (the line below misses it then).
	if minValid > 0 && (validFor(t, now, minValid) || !t.IssuedAt.Equal(before.AccessIssued)) {
		return a, t, nil
	}
	if s.fresh(t, now) && (!force || !t.IssuedAt.Equal(before.AccessIssued)) {
		return a, t, nil
	}
	if a.NeedsRelink && !before.NeedsRelink {
		return a, flow.Token{}, relinkErr(a, nil)
	}
	if !renewable(a, t) {
		return a, flow.Token{}, fmt.Errorf("%w: %s has no refresh token", ErrNeedsRelink, name)
	}

	// Room for the new tokens first: a full disk must stop us before the
	// old refresh token is spent (reserve.go).
	res, err := s.reserve(s.itemSize(name))
	if err != nil {
		return a, flow.Token{}, err
	}
	defer res.release()
	if s.file { // derive the next item's key while the request is in flight
		s.pmu.Lock()
		prepareKEK(s.pass)
		s.pmu.Unlock()
	}
	// From here the old refresh token may be spent. A cancelled ctx (the
	// first Ctrl-C, a TUI that quits) no longer stops the request, its
	// answer or storing it: a provider that rotates would have moved on to
	// tokens nobody kept, and the account would need linking again. ctx's
	// deadline (and the exchanger's timeout) still bound the request, and
	// Close waits for it; a second Ctrl-C still ends the process. (Client
	// credentials spend nothing, and a provider seen to keep its refresh
	// tokens loses nothing with a cut answer: renew bounds those by wait.)
	if sec.Token.RefreshToken != "" && !a.RefreshKeeps {
		var done func()
		ctx, done = s.spend(ctx, name)
		defer done()
	}
	nt, err := s.renew(ctx, wait, a, sec)
	if err != nil {
		a.LastError = cleanErr(err)
		if flow.IsInvalidGrant(err) {
			a.NeedsRelink = true
		}
		_ = s.saveAccount(a)
		if a.NeedsRelink {
			return a, flow.Token{}, relinkErr(a, err)
		}
		return a, flow.Token{}, err
	}
	rotated := nt.RefreshToken != "" && nt.RefreshToken != t.RefreshToken
	if nt.RefreshToken == "" && a.Provider.Grant != flow.GrantClientCredentials {
		nt.RefreshToken = t.RefreshToken
	}
	if nt.IDToken == "" {
		nt.IDToken = t.IDToken
	}
	if nt.IssuedAt.IsZero() {
		nt.IssuedAt = s.now()
	}
	if !nt.IssuedAt.After(t.IssuedAt) { // the issue time is the token's version
		nt.IssuedAt = t.IssuedAt.Add(time.Microsecond)
	}
	sec.Token = nt

	// The new (possibly rotated) refresh token goes into the keyring before
	// anything else, into the space reserved for it; nothing may cancel
	// that, and if it still fails the tokens are kept (pending.go).
	res.release()
	sctx := context.WithoutCancel(ctx)
	if err := s.keep(sctx, name, sec); err != nil {
		a.LastError = "the provider issued new tokens but storing them failed; they are held in memory: " + cleanErr(err)
		_ = s.saveAccount(a)
		return a, nt, fmt.Errorf("%w for %s: %w", ErrNotStored, name, err)
	}
	now = s.now()
	fromToken(&a, nt, now)
	a.LastRefresh, a.LastError, a.NeedsRelink = now, "", false
	if t.RefreshToken != "" {
		a.RefreshKeeps = !rotated
	}
	if err := s.saveAccount(a); err != nil {
		// The keyring has the new token; the next read repairs the file.
		return a, nt, nil
	}
	return a, nt, nil
}

// ErrNotStored: the provider issued new tokens but the keyring would not
// take them; they are held by this process (handed out, stored at the next
// chance) and lost if it ends first.
var ErrNotStored = errors.New("the new tokens could not be stored")

// renew gets a new token: refresh grant, or client credentials for an
// application account without a refresh token.
//
// What may be sent again (the replay rule): client credentials after any
// passing failure (nothing is spent); a refresh token only when the first
// request provably did not reach the provider (flow.ErrNotSent: no
// connection) or the provider answered 5xx. After a timeout or a reset
// once the request was written, the provider may have rotated the token
// and a replay of the spent one revokes the whole grant on a strict
// server: the error is returned and the next refresh (later) tries again.
//
// wait bounds the retries, and the request itself only when the provider
// is known to keep its refresh tokens (a lost answer costs nothing then).
func (s *Store) renew(ctx, wait context.Context, a Account, sec Secret) (flow.Token, error) {
	ex := s.cfg.Exchanger
	if ex == nil {
		return flow.Token{}, errors.New("tokenring cannot reach the provider here (no network access configured)")
	}
	cc := sec.Token.RefreshToken == "" && a.Provider.Grant == flow.GrantClientCredentials
	reqCtx := ctx
	if cc || a.RefreshKeeps {
		reqCtx = wait
	}
	for i := 0; ; i++ {
		var tok *flow.Token
		var err error
		if cc {
			tok, err = ex.ClientCredentials(reqCtx, a.Provider, sec.Secrets())
		} else {
			tok, err = ex.Refresh(reqCtx, a.Provider, sec.Secrets(), sec.Token.RefreshToken)
		}
		if err == nil {
			if tok == nil || tok.AccessToken == "" {
				return flow.Token{}, fmt.Errorf("%w: no access token in the reply", flow.ErrBadResponse)
			}
			return *tok, nil
		}
		if i >= len(retryDelays) || !(cc && transient(err) || mayResend(err)) {
			return flow.Token{}, err
		}
		d := retryDelays[i]
		d = d*3/4 + time.Duration(rand.Int64N(int64(d/2)+1))
		t := time.NewTimer(d)
		select {
		case <-wait.Done():
			t.Stop()
			return flow.Token{}, err
		case <-t.C:
		}
	}
}

// transient: a failure that may pass (timeout, unreachable, 5xx).
func transient(err error) bool {
	return errors.Is(err, flow.ErrTimeout) || errors.Is(err, flow.ErrUnreachable) || errors.Is(err, flow.ErrServer)
}

// mayResend: the refresh token was certainly not spent by the failed
// request: it never reached the provider, or the provider said it failed.
func mayResend(err error) bool {
	return errors.Is(err, flow.ErrNotSent) || errors.Is(err, flow.ErrServer)
}

func cleanErr(err error) string { return termtext.Snippet(err.Error(), 300) }

// saveAccount replaces a's file; the caller holds a's lock. A removed
// account stays removed.
func (s *Store) saveAccount(a Account) error {
	if ok, err := s.files.exists(a.Name); err != nil || !ok {
		return err
	}
	return s.files.write(a)
}

// spend detaches ctx from its cancellation (keeping its deadline) for a
// request that may spend name's refresh token, and counts it for Close
// and Spending until done is called.
func (s *Store) spend(ctx context.Context, name string) (context.Context, func()) {
	s.spends.Add(1)
	s.fmu.Lock()
	if s.spending == nil {
		s.spending = map[string]int{}
	}
	s.spending[name]++
	s.fmu.Unlock()
	dctx, cancel := context.WithoutCancel(ctx), context.CancelFunc(func() {})
	if dl, ok := ctx.Deadline(); ok {
		dctx, cancel = context.WithDeadline(dctx, dl)
	}
	return dctx, func() {
		cancel()
		s.fmu.Lock()
		if s.spending[name]--; s.spending[name] <= 0 {
			delete(s.spending, name)
		}
		s.fmu.Unlock()
		s.spends.Done()
	}
}

// Spending names the accounts whose refresh request, possibly spending
// the old refresh token, is on its way in this process: Close waits for
// them, so a program about to exit can say why it waits.
func (s *Store) Spending() []string {
	s.fmu.Lock()
	defer s.fmu.Unlock()
	out := make([]string, 0, len(s.spending))
	for n := range s.spending {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

//go:build linux || darwin || freebsd

package agent

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/tokenring/tokenring/accounts"
	"github.com/tokenring/tokenring/flow"
	"github.com/tokenring/tokenring/internal/termtext"
)

// Server is a running agent.
type Server struct {
	cfg     Config
	paths   Paths
	ln      *net.UnixListener
	lockf   *os.File
	started time.Time
	uid     int

	// mu guards st: every operation that uses the store holds it shared;
	// unlock and lock hold it exclusively, so the key is overwritten only
	// once nothing uses it.
	mu      sync.RWMutex
	st      *accounts.Store
	backend string

	smu      sync.Mutex // guards the fields below
	unlocked bool
	until    time.Time
	timer    *time.Timer
	sched    *scheduler
	events   []Event
	// unlockSeen: an unlock request arrived (a detached agent that gets
	// none within StartGrace exits).
	unlockSeen bool
	quit       chan struct{} // closed to stop Serve
	quitOnce   sync.Once

	cmu   sync.Mutex
	conns map[*net.UnixConn]bool
}

// Listen becomes the agent of cfg.Dir: it takes the agent's lock file
// (ErrRunning when another agent holds it), replaces a stale socket (one
// whose agent died: nobody holds the lock), listens on a 0600 socket in
// the private directory and hardens the process. The store is opened
// (locked, or unlocked for a backend without a passphrase).
func Listen(cfg Config) (*Server, error) {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.StartGrace <= 0 {
		cfg.StartGrace = 30 * time.Second
	}
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = 4
	}
	if cfg.Rescan <= 0 {
		cfg.Rescan = 30 * time.Second
	}
	if cfg.NotifyTimeout <= 0 {
		cfg.NotifyTimeout = 10 * time.Second
	}
	if cfg.Logf == nil {
		cfg.Logf = func(string, ...any) {}
	}
	if err := harden(); err != nil {
		return nil, fmt.Errorf("cannot keep the agent's memory private: %w", err)
	}
	s := &Server{cfg: cfg, paths: PathsFor(cfg.RuntimeDir, cfg.Dir), started: cfg.Now(), uid: os.Getuid(), quit: make(chan struct{})}
	if err := ensureDir(s.paths.Dir); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(s.paths.Lock, os.O_RDWR|os.O_CREATE|syscall.O_CLOEXEC, 0o600)
	if err != nil {
		return nil, fmt.Errorf("cannot open the agent's lock file: %w", err)
	}
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, unix.EWOULDBLOCK) {
			return nil, ErrRunning
		}
		return nil, fmt.Errorf("cannot lock %s: %w", s.paths.Lock, err)
	}
	s.lockf = f
	_ = f.Truncate(0)
	_, _ = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	// Holding the lock, any socket there is a dead agent's.
	if err := os.Remove(s.paths.Socket); err != nil && !errors.Is(err, os.ErrNotExist) {
		s.release()
		return nil, fmt.Errorf("cannot remove the stale socket %s: %w", s.paths.Socket, err)
	}
	old := syscall.Umask(0o177)
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: s.paths.Socket, Net: "unix"})
	syscall.Umask(old)
	if err != nil {
		s.release()
		return nil, fmt.Errorf("cannot listen on %s: %w", s.paths.Socket, err)
	}
	ln.SetUnlinkOnClose(true)
	s.ln = ln
	if err := os.Chmod(s.paths.Socket, 0o600); err != nil {
		s.Close()
		return nil, err
	}
	st, err := cfg.Open()
	if err != nil {
		s.Close()
		return nil, err
	}
	info := st.Backend()
	s.backend = info.Name
	if info.Name == "file" {
		st.Close() // opened again, with the key, at unlock
	} else {
		// No passphrase: unlocked from the start, until an unlock says
		// for how long (a detached agent is given one at once).
		s.st = st
		s.smu.Lock()
		s.unlocked = true
		s.startSchedLocked()
		s.smu.Unlock()
	}
	return s, nil
}

// Paths are the agent's socket and lock file.
func (s *Server) Paths() Paths { return s.paths }

func (s *Server) release() {
	if s.lockf != nil {
		unix.Flock(int(s.lockf.Fd()), unix.LOCK_UN)
		s.lockf.Close()
		s.lockf = nil
	}
}

// Serve answers connections until ctx ends, the agent is stopped (Stop, or
// a detached agent locked) or the listener fails; then it locks (the key
// is overwritten), removes the socket and releases the lock file.
func (s *Server) Serve(ctx context.Context) error {
	defer s.Close()
	if s.cfg.Detached {
		grace := time.AfterFunc(s.cfg.StartGrace, func() {
			s.smu.Lock()
			seen := s.unlockSeen
			s.smu.Unlock()
			if !seen {
				s.cfg.Logf("nobody unlocked the agent within %s: exiting", s.cfg.StartGrace)
				s.Stop()
			}
		})
		defer grace.Stop()
	}
	go func() {
		select {
		case <-ctx.Done():
		case <-s.quit:
		}
		s.ln.Close()
		s.cmu.Lock()
		for c := range s.conns {
			c.Close()
		}
		s.cmu.Unlock()
	}()
	var wg sync.WaitGroup
	defer wg.Wait()
	for {
		c, err := s.ln.AcceptUnix()
		if err != nil {
			select {
			case <-s.quit:
				return nil
			default:
			}
			if ctx.Err() != nil {
				return nil
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			return err
		}
		s.cmu.Lock()
		if s.conns == nil {
			s.conns = map[*net.UnixConn]bool{}
		}
		s.conns[c] = true
		s.cmu.Unlock()
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.serveConn(ctx, c)
			s.cmu.Lock()
			delete(s.conns, c)
			s.cmu.Unlock()
		}()
	}
}

// Stop makes Serve return.
func (s *Server) Stop() { s.quitOnce.Do(func() { close(s.quit) }) }

// Close locks (overwriting the key), closes the socket and releases the
// lock file. Serve calls it.
func (s *Server) Close() {
	s.Stop()
	s.lock()
	if s.ln != nil {
		s.ln.Close()
	}
	s.release()
}

// serveConn answers the requests of one connection, after checking that
// its peer is this user.
func (s *Server) serveConn(ctx context.Context, c *net.UnixConn) {
	defer c.Close()
	uid, pid, err := connPeer(c)
	if err != nil || uid != s.uid {
		s.cfg.Logf("refused a connection from uid %d (pid %d): not this agent's user (%v)", uid, pid, err)
		line, _ := marshalLine(Response{V: Version, Error: &Error{Kind: KindBadRequest, Message: "refused: the agent serves only its own user"}})
		c.SetWriteDeadline(time.Now().Add(time.Second))
		c.Write(line)
		return
	}
	r := bufio.NewReaderSize(c, 64<<10)
	for {
		c.SetReadDeadline(time.Now().Add(2 * time.Minute))
		line, err := readLine(r)
		if err != nil {
			if !errors.Is(err, io.EOF) {
				s.writeResp(c, Response{V: Version, Error: &Error{Kind: KindBadRequest, Message: err.Error()}})
			}
			return
		}
		resp, stop := s.handle(ctx, line)
		clear(line) // an unlock's passphrase
		ok := s.writeResp(c, resp)
		if stop {
			s.Stop() // a detached agent, locked: after the answer
		}
		if !ok {
			return
		}
	}
}

func (s *Server) writeResp(c *net.UnixConn, resp Response) bool {
	resp.V = Version
	resp.OK = resp.Error == nil
	line, err := marshalLine(resp)
	if err != nil {
		line, _ = marshalLine(Response{V: Version, Error: &Error{Kind: KindOther, Message: "cannot encode the answer"}})
	}
	c.SetWriteDeadline(time.Now().Add(30 * time.Second))
	_, err = c.Write(line)
	return err == nil
}

// ---- operations -------------------------------------------------------------

// handle answers one request; stop: the agent ends after the answer.
func (s *Server) handle(ctx context.Context, line []byte) (Response, bool) {
	req, err := decodeRequest(line)
	if req != nil {
		defer clear(req.Passphrase)
	}
	if err != nil {
		return Response{Error: err}, false
	}
	if req.Backend != "" && req.Backend != s.backend {
		return Response{Error: &Error{Kind: KindBackend, Message: fmt.Sprintf("the agent uses the %s keyring, not %s", s.backend, req.Backend)}}, false
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	switch req.Op {
	case OpStatus:
		st := s.status()
		return Response{Status: &st}, false
	case OpUnlock:
		return s.opUnlock(ctx, req), false
	case OpLock:
		s.lock()
		st := s.status()
		return Response{Status: &st}, s.cfg.Detached
	case OpToken, OpShow, OpRefresh, OpAdd, OpRemove, OpWritable:
		return s.withStore(func(st *accounts.Store) Response { return s.storeOp(ctx, st, req) }), false
	}
	return Response{Error: &Error{Kind: KindBadRequest, Message: fmt.Sprintf("unknown operation %q", req.Op)}}, false
}

// withStore runs f with the unlocked store, or answers "locked".
func (s *Server) withStore(f func(*accounts.Store) Response) Response {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.st == nil {
		return Response{Error: &Error{Kind: KindLocked, Message: "the agent is locked: run 'tokenring unlock'"}}
	}
	return f(s.st)
}

func (s *Server) storeOp(ctx context.Context, st *accounts.Store, req *Request) Response {
	switch req.Op {
	case OpToken:
		t, err := s.token(ctx, st, req.Name, time.Duration(req.MinValidMS)*time.Millisecond)
		var warn *Warning
		switch {
		case errors.Is(err, accounts.ErrNotStored) && t.AccessToken != "":
			warn = &Warning{Kind: WarnNotStored, Message: termtext.Clean(err.Error()) +
				"; the agent holds them and stores them at its next chance (if it ends first, " + req.Name + " may need linking again)"}
		case err != nil:
			return Response{Error: toError(err)}
		default:
			if a, err := st.Account(req.Name); err == nil && a.NeedsRelink {
				warn = &Warning{Kind: WarnNeedsRelink, Message: req.Name + " must be linked again before this token expires"}
			}
		}
		out := tokenOut(t)
		if req.WithAPIKey {
			if sec, err := st.Secret(ctx, req.Name); err == nil {
				out.APIKey = sec.APIKey
			}
		}
		return Response{Token: out, Warning: warn}
	case OpShow:
		sec, err := st.Secret(ctx, req.Name)
		if err != nil {
			return Response{Error: toError(err)}
		}
		out := tokenOut(sec.Token)
		out.APIKey = sec.APIKey
		return Response{Token: out}
	case OpRefresh:
		refresh := st.Refresh
		if req.IfDue {
			refresh = st.RefreshIfDue
		}
		a, err := refresh(ctx, req.Name)
		s.rescheduled(req.Name, a, err)
		if err != nil {
			return Response{Error: toError(err)}
		}
		return Response{Account: &a}
	case OpAdd:
		if req.Account == nil || req.Secret == nil {
			return Response{Error: &Error{Kind: KindBadRequest, Message: "add needs an account and its secret"}}
		}
		err := st.Add(ctx, *req.Account, *req.Secret)
		if err != nil {
			return Response{Error: toError(err)}
		}
		a, err := st.Account(req.Account.Name)
		s.rescheduled(req.Account.Name, a, err)
		return Response{Account: &a}
	case OpWritable:
		return Response{Error: toError(st.Writable(ctx))}
	case OpRemove:
		err := st.Remove(ctx, req.Name, req.Revoke)
		s.rescheduled(req.Name, accounts.Account{}, accounts.ErrNotFound)
		return Response{Error: toError(err)}
	}
	return Response{Error: &Error{Kind: KindBadRequest, Message: "unknown operation"}}
}

// token is Store.TokenFor (a minimum validity of 0 is Store.Token); the
// scheduler hears of a refresh it made.
func (s *Server) token(ctx context.Context, st *accounts.Store, name string, minValid time.Duration) (flow.Token, error) {
	t, err := st.TokenFor(ctx, name, minValid)
	if err == nil && minValid > 0 {
		a, aerr := st.Account(name)
		s.rescheduled(name, a, aerr)
	}
	return t, err
}

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }

func decodeRequest(line []byte) (*Request, *Error) {
	var req Request
	if err := jsonUnmarshal(line, &req); err != nil {
		return nil, &Error{Kind: KindBadRequest, Message: "not a request: " + err.Error()}
	}
	if req.V != Version {
		return &req, &Error{Kind: KindVersion, Message: fmt.Sprintf("the agent speaks protocol version %d, the client %d: run 'tokenring lock' and 'tokenring unlock' again with the same tokenring", Version, req.V)}
	}
	return &req, nil
}

// ---- unlock and lock ------------------------------------------------------------

func (s *Server) opUnlock(ctx context.Context, req *Request) Response {
	d := time.Duration(req.ForMS) * time.Millisecond
	if d < 0 {
		return Response{Error: &Error{Kind: KindBadRequest, Message: "a negative unlock period"}}
	}
	if s.backend == "file" {
		st, err := s.cfg.Open()
		if err != nil {
			return Response{Error: toError(err)}
		}
		if err := st.UnlockBytes(ctx, req.Passphrase); err != nil {
			st.Close()
			return Response{Error: toError(err)}
		}
		// The passphrase's derivation left 128 MiB of Argon2 memory behind,
		// from which the key can be computed: give it back to the OS now.
		debug.FreeOSMemory()
		s.stopSched()
		s.mu.Lock()
		old := s.st
		s.st = st
		s.mu.Unlock()
		if old != nil {
			old.Close()
		}
	} else {
		s.mu.RLock()
		open := s.st != nil
		s.mu.RUnlock()
		if !open {
			st, err := s.cfg.Open()
			if err != nil {
				return Response{Error: toError(err)}
			}
			s.mu.Lock()
			s.st = st
			s.mu.Unlock()
		}
	}
	s.smu.Lock()
	s.unlocked = true
	s.unlockSeen = true
	s.until = time.Time{}
	if s.timer != nil {
		s.timer.Stop()
		s.timer = nil
	}
	if d > 0 {
		s.until = s.cfg.Now().Add(d)
		s.timer = time.AfterFunc(d, s.expire)
	}
	s.startSchedLocked()
	s.smu.Unlock()
	s.cfg.Logf("unlocked%s", untilText(s.until))
	st := s.status()
	return Response{Status: &st}
}

func untilText(t time.Time) string {
	if t.IsZero() {
		return " until locked"
	}
	return " until " + t.Format(time.RFC3339)
}

// expire ends the unlock period.
func (s *Server) expire() {
	s.cfg.Logf("the unlock period ended")
	s.lock()
	if s.cfg.Detached {
		s.Stop()
	}
}

// lock stops the background refresh, waits for the operations in flight
// and closes the store, which overwrites the key.
func (s *Server) lock() {
	s.stopSched()
	s.smu.Lock()
	s.unlocked = false
	s.until = time.Time{}
	if s.timer != nil {
		s.timer.Stop()
		s.timer = nil
	}
	s.smu.Unlock()
	s.mu.Lock()
	st := s.st
	s.st = nil
	s.mu.Unlock()
	if st != nil {
		if names := st.Spending(); len(names) > 0 { // Close waits for them
			s.cfg.Logf("locking: first the answer to the refresh of %s, which may have spent its refresh token", termtext.Clean(strings.Join(names, ", ")))
		}
		st.Close()
		s.cfg.Logf("locked: the key is overwritten")
	}
}

// status: lock order is smu, then (after releasing it) the scheduler's.
func (s *Server) status() Status {
	s.smu.Lock()
	st := Status{PID: os.Getpid(), Started: s.started, Dir: s.cfg.Dir, Backend: s.backend, Unlocked: s.unlocked,
		Until: s.until, Detached: s.cfg.Detached, Events: append([]Event(nil), s.events...)}
	sc := s.sched
	s.smu.Unlock()
	if sc != nil {
		st.Scheduled, st.NextName, st.NextAt = sc.summary()
	}
	return st
}

// ---- background refresh ---------------------------------------------------------

func (s *Server) startSchedLocked() {
	if s.sched != nil {
		return
	}
	s.sched = newScheduler(s)
	go s.sched.run()
}

func (s *Server) stopSched() {
	s.smu.Lock()
	sc := s.sched
	s.sched = nil
	s.smu.Unlock()
	if sc != nil {
		sc.stop()
	}
}

// rescheduled tells the scheduler what an operation did to name.
func (s *Server) rescheduled(name string, a accounts.Account, err error) {
	s.smu.Lock()
	sc := s.sched
	s.smu.Unlock()
	if sc != nil {
		sc.observe(name, a, err)
	}
}

// event records e (the TUI and `status` show the latest) and runs the
// notify command.
func (s *Server) event(e Event) {
	e.Time = s.cfg.Now()
	s.smu.Lock()
	s.events = append(s.events, e)
	if len(s.events) > 20 {
		s.events = s.events[len(s.events)-20:]
	}
	s.smu.Unlock()
	s.cfg.Logf("%s: %s: %s", e.Account, e.Kind, e.Message)
	if len(s.cfg.NotifyCmd) > 0 {
		go s.notify(e)
	}
}

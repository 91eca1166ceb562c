package accounts

import (
	"context"
	"fmt"
	"os"
	"time"
)

// lockDeadline bounds the wait for a lock file.
type lockDeadline struct {
	ctx     context.Context
	timeout time.Duration
}

type fileLock struct{ f *os.File }

func (l *fileLock) unlock() {
	if l != nil && l.f != nil {
		unlockFD(l.f)
		l.f.Close()
	}
}

// lockFile takes an exclusive advisory lock (flock(2) on Unix, LockFileEx on
// Windows) on path, polling until the context ends or the timeout passes.
// The lock goes away with the process, also when it is killed.
func lockFile(d lockDeadline, path, what string) (*fileLock, error) {
	return lockWith(d, path, what, tryLockFD)
}

// lockShared takes a shared lock on path (many holders at once, none while
// someone holds it exclusively), waiting as lockFile does.
func lockShared(d lockDeadline, path, what string) (*fileLock, error) {
	return lockWith(d, path, what, tryLockSharedFD)
}

func lockWith(d lockDeadline, path, what string, try func(*os.File) (bool, error)) (*fileLock, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("cannot open the lock file for %s: %w", what, err)
	}
	ctx := d.ctx
	if ctx == nil {
		ctx = context.Background()
	}
	timeout := d.timeout
	if timeout <= 0 {
		timeout = time.Minute
	}
	deadline := time.Now().Add(timeout)
	wait := time.Millisecond
	for {
		ok, err := try(f)
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("cannot lock %s (%s): %w", what, path, err)
		}
		if ok {
			return &fileLock{f: f}, nil
		}
		if time.Now().After(deadline) {
			f.Close()
			return nil, fmt.Errorf("%w: another tokenring process has held the lock on %s for over %s (%s)", ErrKeyring, what, timeout, path)
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			f.Close()
			return nil, fmt.Errorf("waiting for the lock on %s: %w", what, ctx.Err())
		case <-t.C:
		}
		if wait < 20*time.Millisecond {
			wait *= 2
		}
	}
}

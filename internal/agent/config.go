package agent

import (
	"errors"
	"time"

	"github.com/tokenring/tokenring/accounts"
)

// Config configures an agent.
type Config struct {
	// Dir is the config directory; RuntimeDir is $XDG_RUNTIME_DIR.
	Dir, RuntimeDir string
	// Open opens the account store (locked: it is given the passphrase
	// through UnlockBytes). Called at start and at each unlock; every
	// store it returns is closed by the agent.
	Open func() (*accounts.Store, error)
	// Detached: started by `tokenring unlock`. It exits when locked (by
	// `lock` or the end of the unlock period), and when nobody unlocks it
	// within StartGrace of its start.
	Detached   bool
	StartGrace time.Duration // default 30 s
	// NotifyCmd is run once per event (argv; no shell), within NotifyTimeout.
	NotifyCmd     []string
	NotifyTimeout time.Duration
	// Concurrency bounds background refreshes (default 4).
	Concurrency int
	// Rescan is how often the account files are read again for accounts
	// other processes added (default 30 s).
	Rescan time.Duration
	Now    func() time.Time
	// Logf logs (nil: nothing).
	Logf func(format string, args ...any)
}

// ErrRunning: another agent holds the lock of this config directory.
var ErrRunning = errors.New("an agent is already running for this config directory")

// Package busguard keeps github.com/godbus/dbus from starting a D-Bus
// daemon on a machine that has no session bus.
//
// github.com/99designs/keyring registers its Secret Service and KWallet
// backends in init functions that call dbus.SessionBus(). With
// DBUS_SESSION_BUS_ADDRESS unset and no /run/user/<uid>/bus socket, godbus
// then runs `dbus-launch`, which leaves a dbus-daemon behind on a headless
// box (plain SSH). This package's init runs before keyring's: since Go 1.21
// packages are initialized in import-path order among those whose imports
// are ready, and "busguard.tokenring.invalid" sorts before "github.com/..."
// while needing only "os" and "strconv" (which keyring needs too). It lives
// in its own module for that reason: a package of github.com/tokenring/...
// would sort after github.com/99designs/keyring.
//
// When no session bus can be found the same way godbus looks for one, init
// sets DBUS_SESSION_BUS_ADDRESS to an address godbus refuses at once
// (Value), so no process is started. Guarded reports whether it did;
// accounts removes the variable again once keyring is initialized
// (Restore), so programs tokenring starts do not inherit it.
//
// It does the same when a session bus exists but TOKENRING_KEYRING names a
// keyring that does not use it (file, keyctl, pass, ...): keyring's inits
// would connect and authenticate to the bus for nothing (issue 13: +21% of
// `token`'s wall time). Restore then puts the user's address back.
package busguard

import (
	"os"
	"strconv"
	"strings"
)

// Value is what DBUS_SESSION_BUS_ADDRESS is set to: not a valid D-Bus
// address, so a connection attempt fails without starting anything.
const Value = "disabled:"

// Env is the variable godbus reads.
const Env = "DBUS_SESSION_BUS_ADDRESS"

// EnvKeyring is tokenring's variable naming the keyring backend
// (internal/config.EnvKeyring; this module cannot import it).
const EnvKeyring = "TOKENRING_KEYRING"

var (
	guarded bool   // no session bus: the address was disabled
	skipped bool   // a bus, but the chosen keyring does not use it: disabled too
	saved   string // the user's address while skipped
)

func init() {
	addr := os.Getenv(Env)
	switch {
	case Needed(addr, os.Getuid()):
		if os.Setenv(Env, Value) == nil {
			guarded = true
		}
	case !UsesBus(os.Getenv(EnvKeyring)):
		if os.Setenv(Env, Value) == nil {
			skipped, saved = true, addr
		}
	}
}

// UsesBus says whether the keyring backend named (as TOKENRING_KEYRING
// names it) may use the D-Bus session bus: secret-service and kwallet, and
// "" (the automatic choice probes them); an unknown name too, so that its
// error is the one it always was.
func UsesBus(backend string) bool {
	switch strings.ToLower(strings.TrimSpace(backend)) {
	case "file", "keyctl", "pass", "keychain", "wincred":
		return false
	}
	return true
}

// Needed reports whether godbus would have to start dbus-launch to find a
// session bus: the address is unset (or "autolaunch:", which godbus treats
// as unset) and neither /run/user/<uid>/bus nor /run/user/<uid>/dbus-session
// exists (godbus's own discovery).
func Needed(addr string, uid int) bool {
	if addr != "" && addr != "autolaunch:" {
		return false
	}
	dir := "/run/user/" + strconv.Itoa(uid)
	for _, f := range []string{dir + "/bus", dir + "/dbus-session"} {
		if _, err := os.Stat(f); err == nil {
			return false
		}
	}
	return true
}

// Guarded reports whether init disabled the session bus because there is
// none.
func Guarded() bool { return guarded }

// Skipped reports whether init kept keyring's inits off an existing session
// bus because TOKENRING_KEYRING names a keyring that does not use it.
func Skipped() bool { return skipped }

// Restore gives DBUS_SESSION_BUS_ADDRESS back what it was before init (unset,
// or the user's address) if init set it and nobody changed it since. Call
// it once the packages that dial at init are done.
func Restore() {
	if os.Getenv(Env) != Value {
		return
	}
	switch {
	case guarded:
		os.Unsetenv(Env)
	case skipped:
		os.Setenv(Env, saved)
	}
}

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
package busguard

import (
	"os"
	"strconv"
)

// Value is what DBUS_SESSION_BUS_ADDRESS is set to: not a valid D-Bus
// address, so a connection attempt fails without starting anything.
const Value = "disabled:"

// Env is the variable godbus reads.
const Env = "DBUS_SESSION_BUS_ADDRESS"

var guarded bool

func init() {
	if Needed(os.Getenv(Env), os.Getuid()) {
		if os.Setenv(Env, Value) == nil {
			guarded = true
		}
	}
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

// Guarded reports whether init disabled the session bus.
func Guarded() bool { return guarded }

// Restore unsets DBUS_SESSION_BUS_ADDRESS again if init set it and nobody
// changed it since. Call it once the packages that dial at init are done.
func Restore() {
	if guarded && os.Getenv(Env) == Value {
		os.Unsetenv(Env)
	}
}

//go:build linux

package accounts

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"

	busguard "busguard.tokenring.invalid"
	"github.com/99designs/keyring"
	"github.com/godbus/dbus"
	libsecret "github.com/gsterjov/go-libsecret"
)

// diagnose repeats the first steps of keyring's opener for a backend whose
// Open failed, because keyring.Open reports every failure as
// ErrNoAvailImpl and drops the real error.
func diagnose(name string) error {
	if (name == "secret-service" || name == "kwallet") && busguard.Guarded() {
		return errors.New("there is no D-Bus session bus") // and dialling now would run dbus-launch
	}
	switch name {
	case "secret-service":
		svc, err := libsecret.NewService()
		if err != nil {
			return err
		}
		if _, err := svc.Open(); err != nil {
			return err
		}
		_, err = svc.Collections()
		return err
	case "kwallet":
		conn, err := dbus.SessionBus()
		if err != nil {
			return err
		}
		return conn.Object("org.kde.kwalletd5", "/modules/kwalletd5").Call("org.kde.KWallet.isOpen", 0, int32(0)).Err
	case "keyctl":
		_, err := keyring.GetKeyringIDForScope("user")
		return err
	case "pass":
		if _, err := exec.LookPath("pass"); err != nil {
			return errors.New("the pass command is not installed")
		}
		dir := os.Getenv("PASSWORD_STORE_DIR")
		if dir == "" {
			home, _ := os.UserHomeDir()
			dir = filepath.Join(home, ".password-store")
		}
		if _, err := os.Stat(dir); err != nil {
			return errors.New("there is no password store at " + dir + " (run pass init)")
		}
	}
	return nil
}

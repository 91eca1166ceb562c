package accounts

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestHeadlessStartSpawnsNothing builds a program that imports accounts and
// runs it with no session bus and a fake dbus-launch first on PATH that
// leaves a marker file. busguard's init must run before keyring's, so the
// marker must not appear; a control program importing keyring alone must
// create it (proving the fake is reached).
func TestHeadlessStartSpawnsNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("builds two programs")
	}
	uid := strconv.Itoa(os.Getuid())
	for _, f := range []string{"/run/user/" + uid + "/bus", "/run/user/" + uid + "/dbus-session"} {
		if _, err := os.Stat(f); err == nil {
			t.Skipf("%s exists: godbus would use that bus and never run dbus-launch here", f)
		}
	}
	tmp := t.TempDir()
	bin := filepath.Join(tmp, "bin")
	if err := os.Mkdir(bin, 0o700); err != nil {
		t.Fatal(err)
	}
	marker := filepath.Join(tmp, "dbus-launch-ran")
	script := "#!/bin/sh\necho ran >> '" + marker + "'\nexit 1\n"
	if err := os.WriteFile(filepath.Join(bin, "dbus-launch"), []byte(script), 0o700); err != nil {
		t.Fatal(err)
	}
	build := func(pkg, out string) string {
		t.Helper()
		exe := filepath.Join(tmp, out)
		cmd := exec.Command("go", "build", "-o", exe, pkg)
		cmd.Dir = ".."
		if b, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("go build %s: %v\n%s", pkg, err, b)
		}
		return exe
	}
	probe := build("./accounts/testdata/busprobe", "busprobe")
	control := build("./accounts/testdata/nobusguard", "nobusguard")

	var envv []string
	for _, e := range os.Environ() {
		if strings.HasPrefix(e, "DBUS_SESSION_BUS_ADDRESS=") || strings.HasPrefix(e, "PATH=") || strings.HasPrefix(e, "TOKENRING_") {
			continue
		}
		envv = append(envv, e)
	}
	envv = append(envv, "PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	run := func(exe string, args ...string) string {
		cmd := exec.Command(exe, args...)
		cmd.Env = envv
		b, _ := cmd.CombinedOutput()
		return string(b)
	}

	out := run(probe, filepath.Join(tmp, "cfg"))
	if _, err := os.Stat(marker); err == nil {
		t.Fatalf("tokenring's packages ran dbus-launch:\n%s", out)
	}
	if !strings.Contains(out, `DBUS_SESSION_BUS_ADDRESS=""`) {
		t.Errorf("the guard's address leaked into the environment:\n%s", out)
	}
	if !strings.Contains(out, "backend=file") || !strings.Contains(out, "no D-Bus session bus") {
		t.Errorf("headless start did not choose the file backend with the reason:\n%s", out)
	}
	t.Logf("busprobe:\n%s", out)

	out = run(control)
	if _, err := os.Stat(marker); err != nil {
		t.Fatalf("control: keyring without busguard did not run the fake dbus-launch (the test cannot fail):\n%s", out)
	}
}

func TestBusguardNeeded(t *testing.T) {
	// Exercised through the exported helper of the guard module.
	if !needed("", 999999) || !needed("autolaunch:", 999999) {
		t.Error("no address and no socket: guard needed")
	}
	if needed("unix:path=/run/user/1/bus", 999999) {
		t.Error("an explicit address must be left alone")
	}
}
